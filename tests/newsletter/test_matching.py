"""Matches are stored after each ingest and for new subscriptions, once per pair."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.bulk import insert_rows_missing
from core.query import document
from newsletter.models import Match, PaperMatchState, Subscriber, Subscription, Topic
from newsletter.selectors import papers_unmatched
from newsletter.services import matching
from newsletter.services.matching import matches_update, subscriptions_match_recent
from papers.models import Paper
from papers.services import source_ingest

pytestmark = pytest.mark.django_db(transaction=True)


def subscribe(rule="", topic=None, status="active", email="ada@example.org"):
    subscriber = Subscriber.objects.create(email=email, status=status)
    return Subscription.objects.create(subscriber=subscriber, rule=rule, topic=topic)


def matched(subscription) -> dict[str, list[str]]:
    return {m.paper.title: m.terms for m in Match.objects.filter(subscription=subscription)}


def test_an_ingest_matches_its_papers_against_active_subscriptions(shared):
    verilog = subscribe("verilog -survey")
    pending = subscribe("verilog", status="pending", email="p@example.org")
    with open(shared / "dumps" / "003_0acdbd93ffc31cac.txt", "rb") as stream:
        source_ingest(stream=stream, source="003", year=2026)

    found = matched(verilog)
    assert "CodeV-R1: Reasoning-Enhanced Verilog Generation" in found
    assert set(map(tuple, found.values())) == {("verilog",)}
    assert not Match.objects.filter(subscription=pending).exists()


def test_matching_twice_changes_nothing():
    subscription = subscribe('"speculative decoding"')
    paper = Paper.objects.create(
        title="Fast speculative decoding", title_key="f", listed_on=date.today()
    )
    matches_update(paper_ids=[paper.pk])
    matches_update(paper_ids=[paper.pk])
    assert Match.objects.filter(subscription=subscription).count() == 1
    assert matched(subscription) == {"Fast speculative decoding": ["speculative decoding"]}


def test_a_topic_and_a_rule_together_must_both_match():
    topic = Topic.objects.create(name="Hardware", slug="hw", rule="verilog OR rtl")
    both = subscribe("llm", topic=topic)
    Paper.objects.create(title="LLM for RTL", title_key="a", listed_on=date.today())
    Paper.objects.create(title="RTL by hand", title_key="b", listed_on=date.today())
    matches_update(paper_ids=Paper.objects.values_list("pk", flat=True))
    assert matched(both) == {"LLM for RTL": ["rtl", "llm"]}


def test_hidden_papers_are_never_matched():
    subscription = subscribe("quantization")
    paper = Paper.objects.create(title="Quantization", title_key="q", hidden=True)
    matches_update(paper_ids=[paper.pk])
    assert matched(subscription) == {}


def test_a_new_subscription_is_matched_against_the_recent_papers(settings, client):
    today = date.today()
    Paper.objects.create(title="Recent quantization", title_key="r", listed_on=today)
    Paper.objects.create(
        title="Old quantization", title_key="o", listed_on=today - timedelta(days=30)
    )
    client.post("/subscribe/", {
        "email": "new@example.org", "rules": "quantization", "frequency": "daily",
        "send_weekday": "0", "send_hour": "8", "timezone": "UTC", "max_papers": "10",
    })  # fmt: skip
    subscription = Subscription.objects.get()
    assert set(matched(subscription)) == {"Recent quantization"}

    assert subscriptions_match_recent(subscription_ids=[subscription.pk], days=60) == 2
    assert set(matched(subscription)) == {"Recent quantization", "Old quantization"}


def test_the_sweep_matches_what_is_new_or_changed_and_only_that():
    from newsletter.services.matching import matches_update

    subscription = subscribe("quantization")
    paper = Paper.objects.create(title="Quantization one", title_key="q1", listed_on=date.today())
    assert matches_update() == 1
    assert PaperMatchState.objects.get(paper=paper).matched_at is not None
    assert matches_update() == 0  # nothing new: nothing read again
    assert not papers_unmatched().exists()
    assert matched(subscription) == {"Quantization one": ["quantization"]}


def test_a_text_change_at_ingest_asks_for_matching_again_an_upvote_change_does_not():
    import io

    dump = (
        "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
        "byAK and the research community\n\nMar 12\n\n{title}\n\nAn abstract.\n\n"
        "  • 2 authors\n·\nMar 10, 2025 {upvotes}\n"
    )

    def ingest(title, upvotes):
        data = dump.format(title=title, upvotes=upvotes).encode()
        source_ingest(stream=io.BytesIO(data), source="dump", year=2026)

    ingest("Sparse Attention", 1)
    matched_at = PaperMatchState.objects.get().matched_at  # by the hook, after the ingest
    ingest("Sparse Attention", 5)
    assert not papers_unmatched().exists()  # upvotes do not change what matches
    assert PaperMatchState.objects.get().matched_at == matched_at
    ingest("Sparse attention!", 5)  # same paper (same key), new title text
    assert PaperMatchState.objects.get().matched_at > matched_at  # matched again by the hook
    assert not hasattr(Paper(), "matched_at")  # the papers table keeps no newsletter state


def test_unhiding_a_paper_gets_it_matched(admin_client):
    from newsletter.services.matching import matches_update

    subscription = subscribe("quantization")
    paper = Paper.objects.create(title="Quantization", title_key="q", hidden=True)
    matches_update()
    assert matched(subscription) == {}
    admin_client.post("/admin/papers/paper/", {"action": "unhide", "_selected_action": [paper.pk]})
    matches_update()
    assert matched(subscription) == {"Quantization": ["quantization"]}


def test_a_long_topic_and_a_long_rule_together_still_match():
    """A topic's rule and the subscriber's each allow 12 terms: 24 together must index."""
    words = [f"w{n}" for n in range(12)]
    topic = Topic.objects.create(name="Long", slug="long", rule=" ".join(words))
    both = subscribe(" ".join(f"v{n}" for n in range(12)), topic=topic)
    title = " ".join(words + [f"v{n}" for n in range(12)])
    Paper.objects.create(title=title, title_key="long", listed_on=date.today())
    Paper.objects.create(title="w0 v0 only", title_key="short", listed_on=date.today())
    matches_update(paper_ids=Paper.objects.values_list("pk", flat=True))
    assert set(matched(both)) == {title}


@pytest.mark.parametrize("shard,page", [(1, 20_000), (2, 3), (3, 1), (50_000, 2)])
def test_matching_in_shards_of_rules_finds_the_same_matches(
    settings, monkeypatch, shared, shard, page
):
    """NEWSLETTER_MATCH_SHARD bounds how many distinct rules one pass indexes, whatever page
    of subscriptions they are read in: any shard size finds the same matches (rules shared by
    several readers and a topic joined with a rule among them), and every paper is marked
    once all shards have read it."""
    settings.NEWSLETTER_MATCH_SHARD = shard
    monkeypatch.setattr(matching, "PAGE", page)
    topic = Topic.objects.create(name="Code", slug="code", rule="code OR verilog")
    rules = ["verilog", "llm", "verilog", "agents -survey", "diffusion", "llm"]
    subscriptions = [subscribe(rule, email=f"r{n}@example.org") for n, rule in enumerate(rules)]
    subscriptions.append(subscribe("generation", topic=topic, email="t@example.org"))
    with open(shared / "dumps" / "003_0acdbd93ffc31cac.txt", "rb") as stream:
        source_ingest(stream=stream, source="003", year=2026)
    Match.objects.all().delete()
    PaperMatchState.objects.all().delete()

    found = matches_update()

    pairs = set(Match.objects.values_list("subscription_id", "paper__title"))
    assert found == len(pairs) > 0
    by_rule = {}
    for subscription in subscriptions:
        titles = {t for s, t in pairs if s == subscription.pk}
        by_rule.setdefault((subscription.topic_id, subscription.rule), titles)
        assert titles == by_rule[(subscription.topic_id, subscription.rule)]
        query = subscription.query()
        for paper in Paper.objects.filter(hidden=False):
            doc = document(title=paper.title, abstract=paper.abstract, authors=paper.authors,
                           org=f"{paper.organization.handle if paper.organization else ''} "
                               f"{paper.organization.name if paper.organization else ''}")  # fmt: skip
            assert query.matches(doc) == (paper.title in titles), (subscription.rule, paper.title)
    assert not papers_unmatched().exists()


def test_match_rows_carry_no_key_constraints_yet_go_with_their_paper_and_subscription():
    """The match table has no foreign key constraints in the database (the checks of millions of
    rows a day cost more than the insert, at COMMIT); Django still deletes a deleted paper's and a
    deleted subscription's matches, and a row whose subscription went while it was being matched
    is stored without failing the whole insert, and read by nobody."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Match._meta.db_table)
    assert not [name for name, c in constraints.items() if c["foreign_key"]]
    assert any(c["unique"] and c["columns"] == ["subscription_id", "paper_id"]
               for c in constraints.values())  # fmt: skip

    kept, dropped = subscribe("decoding"), subscribe("decoding", email="b@example.org")
    papers = [
        Paper.objects.create(title=f"Speculative decoding {n}", title_key=f"sd{n}",
                             listed_on=date.today())
        for n in range(3)
    ]  # fmt: skip
    matches_update()
    assert Match.objects.count() == 6
    gone = dropped.pk  # a shard read it just before it was deleted: its row is still written
    papers[0].delete()
    dropped.delete()
    assert sorted(Match.objects.values_list("subscription_id", "paper_id")) == [
        (kept.pk, papers[1].pk), (kept.pk, papers[2].pk)
    ]  # fmt: skip

    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    insert_rows_missing(
        Match, ["subscription", "paper", "terms", "created_at"],
        [(gone, papers[1].pk, '["decoding"]', stamp)],
    )  # fmt: skip
    assert Match.objects.filter(subscription_id=gone).count() == 1
    assert not Match.objects.filter(subscription__subscriber__email="b@example.org").exists()
