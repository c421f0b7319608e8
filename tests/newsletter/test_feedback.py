"""👍 / 👎 and "mute this topic" from a digest: signed links that a scanner can open without
recording anything, one verdict per paper, and a digest that listens."""

import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from newsletter.digests.delivery import digests_send
from newsletter.models import Digest, Feedback, Subscriber, Subscription
from newsletter.services.feedback import feedback_record
from newsletter.services.matching import matches_update
from newsletter.services.schedule import digests_create_now
from newsletter.tokens import feedback_token, manage_token, mute_token

pytestmark = pytest.mark.django_db
URL_RE = re.compile(r"""https?://[^\s"'<>]+""")


@pytest.fixture
def sent(make_paper, make_subscriber, due_now, outbox, settings):
    """A real digest, sent to Ada: two topics, six papers."""
    settings.SITE_URL = "http://testserver"
    papers = [
        make_paper(f"LLM serving trick {n}", upvotes=10 + n, arxiv_id=f"2611.0100{n}")
        for n in range(3)
    ] + [make_paper(f"Verilog generation {n}", upvotes=5 + n) for n in range(3)]
    ada = make_subscriber("ada@example.org", "llm", "verilog", max_papers=10)
    due_now(ada)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    [message] = outbox
    return ada, papers, message


def links(message) -> list[str]:
    found = URL_RE.findall(message.body) + URL_RE.findall(message.alternatives[0][0])
    return sorted({url.rstrip(").,") for url in found if url.startswith("http://testserver/")})


def state():
    return (
        list(Feedback.objects.values_list("paper_id", "verdict")),
        list(Subscription.objects.values_list("rule", "muted_until")),
        list(Subscriber.objects.values_list("status", flat=True)),
    )


def test_a_scanner_opening_every_link_of_a_digest_records_nothing(client, sent):
    _ada, papers, message = sent
    urls = links(message)
    feedback_links = [u for u in urls if "/feedback/" in u]
    assert len(feedback_links) == 2 * len(papers)  # 👍 and 👎 on every card
    assert len([u for u in urls if "/mute/" in u]) == 2  # one per topic
    before = state()
    for url in urls:
        path = urlsplit(url).path
        assert client.get(path).status_code in (200, 302)
        assert client.head(path).status_code in (200, 302)
    assert state() == before
    assert not Feedback.objects.exists()


def test_a_click_records_once_and_the_last_verdict_wins(client, sent):
    ada, papers, _ = sent
    paper = papers[0]
    like = f"/feedback/{feedback_token(ada, paper.pk)}/up/"
    dislike = f"/feedback/{feedback_token(ada, paper.pk)}/down/"
    page = client.get(like).content.decode()
    assert "data-autosubmit" in page and "js/autosubmit.js" in page and paper.title in page
    response = client.post(like, {"action": "record"})
    assert response.status_code == 302 and response["Location"].endswith("?done=1")
    client.post(like, {"action": "record"})
    assert list(Feedback.objects.values_list("paper_id", "verdict")) == [(paper.pk, 1)]
    done = client.get(like + "?done=1").content.decode()
    assert "You liked this paper" in done and "Undo" in done and f"/papers/{paper.pk}/" in done

    client.post(dislike, {"action": "record"})
    assert list(Feedback.objects.values_list("paper_id", "verdict")) == [(paper.pk, -1)]
    client.post(dislike, {"action": "undo"})
    assert not Feedback.objects.exists()
    assert "Nothing recorded" in client.get(dislike + "?done=1").content.decode()
    ada.refresh_from_db()
    assert ada.taste_changed_at is not None


def test_a_disliked_paper_never_comes_back_and_a_muted_topic_waits(sent, outbox):
    ada, papers, _ = sent
    feedback_record(subscriber=ada, paper=papers[0], verdict=-1)
    Digest.objects.all().delete()  # the same papers are due again
    llm = ada.subscriptions.get(rule="llm")
    llm.muted_until = timezone.now() + timedelta(days=7)
    llm.save()
    digests_create_now(subscriber_ids=[ada.pk], now=timezone.now())
    digests_send(subscriber_ids=[ada.pk])
    digest = Digest.objects.get()
    sent_ids = {row[0] for row in digest.items}
    assert papers[0].pk not in sent_ids
    assert digest.sections[: len(digest.sections)] and "llm" not in digest.sections
    assert {p.pk for p in papers[3:]} <= sent_ids

    llm.muted_until = timezone.now() - timedelta(minutes=1)  # the week is over
    llm.save()
    Digest.objects.all().delete()
    digests_create_now(subscriber_ids=[ada.pk], now=timezone.now())
    digests_send(subscriber_ids=[ada.pk])
    digest = Digest.objects.get()
    assert "llm" in digest.sections
    assert papers[0].pk not in {row[0] for row in digest.items + digest.more}


def test_mute_and_unmute_from_the_link_and_the_manage_page(client, sent):
    ada, _, _ = sent
    llm = ada.subscriptions.get(rule="llm")
    url = f"/mute/{mute_token(ada, llm.pk)}/"
    assert "Mute for a week" in client.get(url).content.decode()
    client.post(url, {"action": "mute"})
    llm.refresh_from_db()
    assert llm.muted_until > timezone.now() + timedelta(days=6)
    assert "is muted" in client.get(url + "?done=1").content.decode()

    from newsletter.tokens import manage_token

    manage = f"/manage/{manage_token(ada)}/"
    assert "muted until" in client.get(manage).content.decode()
    client.post(manage, {"action": "unmute", "subscription": llm.pk})
    llm.refresh_from_db()
    assert llm.muted_until is None


def test_fewer_like_this_offers_exclusions_shows_the_rule_and_saves_it(
    client, make_paper, sent, django_capture_on_commit_callbacks
):
    ada, papers, _ = sent
    client.get(f"/manage/{manage_token(ada)}/")  # the owner's browser
    survey = make_paper("A survey of LLM serving", upvotes=50)
    ada.subscriptions.filter(rule="llm").update(rule="llm OR gpt")
    matches_update()
    url = f"/feedback/{feedback_token(ada, survey.pk)}/down/"
    client.post(url, {"action": "record"})
    page = client.get(url + "?done=1").content.decode()
    assert "Fewer like this" in page and "Exclude “survey”" in page
    assert "Exclude “llm”" in page  # an alternative of an OR: the rule keeps "gpt"
    subscription = ada.subscriptions.get(rule="llm OR gpt")

    preview = client.post(
        url, {"action": "exclude", "subscription": subscription.pk, "term": "survey"}
    ).content.decode()
    assert "llm OR gpt -survey" in preview and "A survey of LLM serving" in preview
    subscription.refresh_from_db()
    assert subscription.rule == "llm OR gpt"  # nothing saved before the reader says so

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"action": "exclude_save", "subscription": subscription.pk, "term": "survey"}
        )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.rule == "llm OR gpt -survey"
    assert not subscription.matches.filter(paper=survey).exists()
    assert subscription.matches.filter(paper=papers[0]).exists()  # matched again


def test_a_lone_term_is_never_offered_for_exclusion(client, make_paper, sent):
    ada, papers, _ = sent
    client.get(f"/manage/{manage_token(ada)}/")  # the owner's browser
    url = f"/feedback/{feedback_token(ada, papers[3].pk)}/down/"
    client.post(url, {"action": "record"})
    page = client.get(url + "?done=1").content.decode()
    assert "Exclude “verilog”" not in page  # "verilog -verilog" would match nothing
    bad = client.post(url, {"action": "exclude", "subscription": 999999, "term": "x"})
    assert bad.status_code == 400


def test_the_manage_page_lists_rated_papers_each_removable(client, sent):
    ada, papers, _ = sent
    feedback_record(subscriber=ada, paper=papers[0], verdict=1)
    feedback_record(subscriber=ada, paper=papers[3], verdict=-1)
    from newsletter.tokens import manage_token

    manage = f"/manage/{manage_token(ada)}/"
    page = client.get(manage).content.decode()
    assert papers[0].title in page and papers[3].title in page and "Papers you rated" in page
    client.post(manage, {"action": "forget", "paper": papers[0].pk})
    assert list(Feedback.objects.values_list("paper_id", flat=True)) == [papers[3].pk]
    exported = client.get(manage, {"format": "json"}).json()
    assert exported["feedback"][0]["verdict"] == "dislike"


def test_tampered_or_foreign_links_are_refused(client, sent, make_subscriber):
    ada, papers, _ = sent
    token = feedback_token(ada, papers[0].pk)
    other = f"{ada.pk}.{papers[1].pk}."
    for bad in (f"{token[:-2]}xx/up", token.replace(f"{ada.pk}.{papers[0].pk}.", other) + "/up",
                "nonsense/up", f"{token}/sideways"):  # fmt: skip
        assert client.get(f"/feedback/{bad}/").status_code == 400
        assert client.post(f"/feedback/{bad}/", {"action": "record"}).status_code == 400
    bob = make_subscriber("bob@example.org", "gpu")
    foreign = f"/mute/{mute_token(bob, ada.subscriptions.first().pk)}/"
    assert client.post(foreign, {"action": "mute"}).status_code == 400
    assert not Feedback.objects.exists()
    assert not Subscription.objects.filter(muted_until__isnull=False).exists()


def test_the_digest_page_carries_the_same_links(client, sent):
    _ada, papers, _ = sent
    digest = Digest.objects.get()
    from newsletter.emails import digest_url

    page = client.get(urlsplit(digest_url(digest.pk, digest.subscriber)).path).content.decode()
    assert page.count("/feedback/") == 2 * len(papers)
    # A page anyone may be handed: 👍/👎 on its papers, nothing that changes the subscription.
    assert "Mute this topic" not in page and "/mute/" not in page


def test_the_fast_signer_signs_as_django_does(settings):
    from django.core import signing

    from newsletter.tokens import _Signer

    for salt, value in (("newsletter.feedback", "abc.1"), ("x", "é ünicode.42"), ("y", "")):
        assert _Signer(salt=salt).sign(value) == signing.Signer(salt=salt).sign(value)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    old = _Signer(salt="s").sign("v")
    settings.SECRET_KEY = "a new key that is long enough to be a secret key, really"
    assert _Signer(salt="s").unsign(old) == "v"  # signed before a key rotation: still valid
    assert _Signer(salt="s").sign("v") == signing.Signer(salt="s").sign("v") != old
