"""What a digest holds: new matched papers, featured first, then trending; never hidden ones."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from newsletter.models import Digest
from papers.models import Feed, Paper, UpvoteObservation
from papers.trending import trending_score

pytestmark = pytest.mark.django_db


def send() -> None:
    call_command("send_digests", "--no-progress", stdout=io.StringIO())


def sent_titles(subscriber) -> list[str]:
    digest = Digest.objects.get(subscriber=subscriber, status="sent")
    titles = dict(Paper.objects.values_list("pk", "title"))
    return [titles[pk] for pk in digest.paper_ids]


def test_featured_papers_come_first_then_the_trending_ones(
    make_paper, make_subscriber, due_now, outbox
):
    today = date.today()
    make_paper("Old LLM classic", upvotes=300, listed_on=today - timedelta(days=6))
    make_paper("Quiet LLM paper", upvotes=5)
    make_paper("Hot LLM paper", upvotes=40)
    make_paper("Featured LLM paper", upvotes=1, featured=True)
    climbing = make_paper("Climbing LLM paper", upvotes=30)
    UpvoteObservation.objects.create(
        paper=climbing,
        upvotes=2,
        observed_at=timezone.now() - timedelta(hours=20),
        source="hf-json",
    )
    ada = make_subscriber("ada@example.org", "llm")
    due_now(ada)
    send()
    assert sent_titles(ada) == [
        "Featured LLM paper",
        "Climbing LLM paper",  # 30 upvotes, 28 of them today, beats 40 that came earlier
        "Hot LLM paper",
        "Old LLM classic",  # 300 upvotes, six days old
        "Quiet LLM paper",
    ]


def test_the_score_rewards_growth_and_decays_with_age():
    assert trending_score(upvotes=30, growth=28, age_days=0.5) > trending_score(
        upvotes=40, growth=0, age_days=0.5
    )
    assert trending_score(upvotes=40, growth=0, age_days=0.5) > trending_score(
        upvotes=40, growth=0, age_days=2
    )
    assert trending_score(upvotes=0, growth=0, age_days=0.1) > trending_score(
        upvotes=0, growth=0, age_days=0.2
    )


def test_hidden_papers_are_never_included(make_paper, make_subscriber, due_now, outbox):
    make_paper("Visible LLM paper")
    hidden = make_paper("Hidden LLM paper")
    ada = make_subscriber("ada@example.org", "llm")
    due_now(ada)  # matched while visible...
    Paper.objects.filter(pk=hidden.pk).update(hidden=True)  # ...hidden before the send
    send()
    assert sent_titles(ada) == ["Visible LLM paper"]


def test_at_most_the_maximum_then_n_more_on_the_web(make_paper, make_subscriber, due_now, outbox):
    for n in range(7):
        make_paper(f"LLM paper {n}", upvotes=n)
    ada = make_subscriber("ada@example.org", "llm", max_papers=3)
    due_now(ada)
    send()
    assert sent_titles(ada) == ["LLM paper 6", "LLM paper 5", "LLM paper 4"]
    digest = Digest.objects.get()
    assert len(digest.more) == 4
    [message] = outbox
    assert "4 more on the web" in message.body
    assert "4 more on the web" in message.alternatives[0][0]


def test_the_minimum_upvotes_is_respected_and_an_empty_digest_says_why(
    make_paper, make_subscriber, due_now, outbox
):
    make_paper("Popular LLM paper", upvotes=50)
    make_paper("Unknown LLM paper", upvotes=2)
    picky = make_subscriber("picky@example.org", "llm", min_upvotes=10)
    pickier = make_subscriber("pickier@example.org", "llm", min_upvotes=100)
    nothing = make_subscriber("nothing@example.org", "verilog")
    due_now(picky, pickier, nothing)
    send()
    assert sent_titles(picky) == ["Popular LLM paper"]
    reasons = dict(Digest.objects.filter(status="empty").values_list("subscriber__email", "reason"))
    assert reasons == {
        "pickier@example.org": "All 2 new matching papers had fewer than your minimum of 100 upvotes.",
        "nothing@example.org": "No new papers matched your topics.",
    }
    assert len(outbox) == 1  # empty digests are recorded, never sent


def test_an_empty_digest_names_a_failing_source(make_subscriber, due_now, outbox):
    Feed.objects.create(
        name="arXiv cs.AR", url="https://example.org/cs.AR", last_status="error", last_error="503"
    )
    ada = make_subscriber("ada@example.org", "verilog")
    due_now(ada)
    send()
    assert Digest.objects.get().reason == (
        "No new papers matched your topics. A source failed: arXiv cs.AR."
    )


def test_a_paper_is_never_sent_twice_to_the_same_subscriber(
    make_paper, make_subscriber, due_now, outbox
):
    make_paper("First LLM paper")
    ada = make_subscriber("ada@example.org", "llm")
    due_now(ada)
    send()
    Digest.objects.update(period=date.today() - timedelta(days=1))  # yesterday's digest
    make_paper("Second LLM paper")
    due_now(ada)
    send()
    today = Digest.objects.get(period=date.today())
    assert [Paper.objects.get(pk=pk).title for pk in today.paper_ids] == ["Second LLM paper"]
