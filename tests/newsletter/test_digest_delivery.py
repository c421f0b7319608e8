"""Delivery through anymail, exactly once: claimed before sending, retried when transient,
settled from the journal when a worker dies, in a fixed number of queries per batch."""

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from newsletter.digests.delivery import digests_recover, digests_send
from newsletter.digests.journal import journal
from newsletter.models import Digest, Subscriber, Subscription
from newsletter.services.matching import matches_update
from newsletter.services.schedule import digests_create_now
from newsletter.tasks import send_digest_batch
from tests.newsletter.esp_backends import FlakyBackend

pytestmark = pytest.mark.django_db
BACKENDS = "tests.newsletter.esp_backends"


@pytest.fixture
def llm_papers(make_paper):
    return [make_paper(f"LLM paper {n}", upvotes=n) for n in range(12)]


def subscribers(count: int, rule: str = "llm", prefix: str = "reader") -> list[int]:
    now = timezone.now()
    created = Subscriber.objects.bulk_create(
        Subscriber(email=f"{prefix}{n}@example.org", status="active", confirmed_at=now)
        for n in range(count)
    )
    Subscription.objects.bulk_create(Subscription(subscriber=s, rule=rule) for s in created)
    ids = [s.pk for s in created]
    matches_update()
    digests_create_now(subscriber_ids=ids, now=now)
    return ids


def recipients(outbox) -> Counter:
    return Counter(message.to[0] for message in outbox)


def test_a_batch_of_500_takes_five_queries(llm_papers, outbox, django_assert_num_queries):
    ids = subscribers(500)
    with django_assert_num_queries(5):
        report = digests_send(subscriber_ids=ids)
    assert report.sent == 500 and len(outbox) == 500
    assert set(Digest.objects.values_list("status", flat=True)) == {"sent"}
    assert all(len(items) == 10 for items in Digest.objects.values_list("items", flat=True))


def test_a_batch_with_empty_digests_and_a_failing_feed_still_takes_five_queries(
    llm_papers, outbox, django_assert_num_queries
):
    """Half the readers' topics found nothing; an enabled feed's last fetch failed, which their
    empty digests name: still the five queries of any batch (the failing feeds come with the
    matches)."""
    from papers.models import Feed

    Feed.objects.create(name="arXiv cs.AR", url="https://export.arxiv.org/rss/cs.AR",
                        last_status=Feed.Status.ERROR)  # fmt: skip
    Feed.objects.create(name="Quiet", url="https://example.org/q.xml", enabled=False,
                        last_status=Feed.Status.ERROR)  # fmt: skip
    ids = subscribers(250) + subscribers(250, rule="photosynthesis", prefix="botanist")
    with django_assert_num_queries(5):
        report = digests_send(subscriber_ids=ids)
    assert report.sent == 250 and report.empty == 250 and len(outbox) == 250
    reasons = set(Digest.objects.filter(status="empty").values_list("reason", flat=True))
    assert reasons == {"No new papers matched your topics. A source failed: arXiv cs.AR."}


def test_sending_twice_sends_once(llm_papers, outbox):
    ids = subscribers(3)
    assert digests_send(subscriber_ids=ids).sent == 3
    assert digests_send(subscriber_ids=ids).sent == 0
    send_digest_batch.delay(ids)  # a duplicate task from an overlapping beat tick
    assert recipients(outbox) == Counter({f"reader{n}@example.org": 1 for n in range(3)})


def test_a_claimed_digest_is_not_sent_by_anyone_else(llm_papers, outbox):
    ids = subscribers(2)
    Digest.objects.filter(subscriber_id=ids[0]).update(
        status="sending", claim="other-worker", claimed_at=timezone.now()
    )
    digests_send(subscriber_ids=ids)
    assert recipients(outbox) == Counter({"reader1@example.org": 1})
    assert Digest.objects.get(subscriber_id=ids[0]).status == "sending"


def test_thirty_percent_transient_failures_still_send_everything_once(llm_papers, outbox, settings):
    settings.EMAIL_BACKEND = f"{BACKENDS}.FlakyBackend"
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 0  # retry at once, to keep the test short
    settings.NEWSLETTER_BATCH_SIZE = 50
    FlakyBackend.failures = 0
    subscribers(200)
    call_command("send_digests", "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    assert FlakyBackend.failures >= 40  # about 30% of the first 200 calls, and their retries
    assert recipients(outbox) == Counter({f"reader{n}@example.org": 1 for n in range(200)})
    assert Counter(Digest.objects.values_list("status", flat=True)) == {"sent": 200}
    assert Digest.objects.filter(attempts__gt=1).count() >= 40


def test_a_transient_error_is_retried_later_with_exponential_backoff(llm_papers, outbox, settings):
    settings.EMAIL_BACKEND = f"{BACKENDS}.DownBackend"
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 60
    settings.NEWSLETTER_MAX_ATTEMPTS = 3
    [subscriber_id] = subscribers(1)
    now = timezone.now()
    delays = []
    for attempt in range(1, 4):
        report = digests_send(subscriber_ids=[subscriber_id], now=now)
        digest = Digest.objects.get()
        assert digest.attempts == attempt
        if attempt < 3:
            assert report.retrying == 1 and digest.status == "pending"
            assert "HTTP 503" in digest.reason or "Service unavailable" in digest.reason
            delays.append(digest.next_attempt_at - now)
            assert digests_send(subscriber_ids=[subscriber_id], now=now).retrying == 0  # not yet
            now = digest.next_attempt_at
    assert delays == [timedelta(seconds=60), timedelta(seconds=120)]
    assert digest.status == "failed" and digest.reason.startswith("Gave up after 3 attempts")


def test_a_permanent_rejection_marks_the_digest_failed_with_the_reason(
    llm_papers, outbox, settings
):
    settings.EMAIL_BACKEND = f"{BACKENDS}.RejectingBackend"
    rejected = Subscriber.objects.create(email="rejected@example.org", status="active")
    Subscription.objects.create(subscriber=rejected, rule="llm")
    subscribers(1)
    with pytest.raises(CommandError, match="1 digest"):
        call_command("send_digests", "--now", "--no-progress", stdout=io.StringIO(),
                     stderr=io.StringIO())  # fmt: skip
    failed = Digest.objects.get(status="failed")
    assert failed.subscriber.email == "rejected@example.org"
    assert failed.reason.startswith("Refused by the mail backend:")
    assert failed.attempts == 1
    assert Digest.objects.filter(status="sent").count() == 1


def test_a_subscriber_who_left_before_the_send_gets_nothing(llm_papers, outbox):
    ids = subscribers(1)
    Subscriber.objects.update(status="unsubscribed")
    digests_send(subscriber_ids=ids)
    assert outbox == []
    assert Digest.objects.get().reason == "Not sent: the subscriber is unsubscribed."


def test_a_dead_workers_digests_are_settled_from_the_journal(llm_papers, outbox, settings):
    """The worker claimed two digests and sent one, then died before recording anything."""
    ids = subscribers(2)
    claim = "dead-worker-claim"
    claimed_at = timezone.now() - timedelta(hours=1)
    Digest.objects.update(status="sending", claim=claim, claimed_at=claimed_at, attempts=1)
    sent = Digest.objects.get(subscriber_id=ids[0])
    journal().record(claim, sent.pk, {"message_id": "<m1@x>", "esp_message_id": "e1",
                                      "subject": "1 new paper", "items": [[1, ["llm"]]],
                                      "more": []})  # fmt: skip

    assert digests_recover() == 2
    sent.refresh_from_db()
    assert (sent.status, sent.message_id, sent.items) == ("sent", "<m1@x>", [[1, ["llm"]]])
    unsent = Digest.objects.get(subscriber_id=ids[1])
    assert unsent.status == "pending" and "after its worker stopped" in unsent.reason

    digests_send(subscriber_ids=ids)
    assert recipients(outbox) == Counter({"reader1@example.org": 1})


def test_a_redelivered_task_finishes_its_own_claim_without_resending(llm_papers, outbox):
    ids = subscribers(2)
    claim = "celery-task-id"
    Digest.objects.update(status="sending", claim=claim, claimed_at=timezone.now(), attempts=1)
    first = Digest.objects.get(subscriber_id=ids[0])
    journal().record(claim, first.pk, {"message_id": "<m1@x>", "esp_message_id": "e1",
                                       "subject": "s", "items": [], "more": []})  # fmt: skip
    report = digests_send(subscriber_ids=ids, claim=claim)
    assert (report.sent, len(outbox)) == (2, 1)
    assert outbox[0].to == ["reader1@example.org"]


def test_a_recent_claim_is_left_to_its_worker(llm_papers, outbox):
    subscribers(1)
    Digest.objects.update(status="sending", claim="busy", claimed_at=timezone.now())
    assert digests_recover() == 0
    assert Digest.objects.get().status == "sending"


def test_two_digests_due_at_once_make_one_email(llm_papers, outbox):
    """Yesterday's digest waited for a retry until today's fell due: one email carries both."""
    [subscriber_id] = subscribers(1)
    yesterday = Digest.objects.get()
    Digest.objects.create(
        subscriber_id=subscriber_id, period=yesterday.period - timedelta(days=1),
        frequency="daily", scheduled_for=timezone.now() - timedelta(days=1), attempts=2,
    )  # fmt: skip
    report = digests_send(subscriber_ids=[subscriber_id])
    assert (report.sent, report.empty, len(outbox)) == (1, 1, 1)
    older, newer = Digest.objects.order_by("period")
    assert newer.status == "sent" and len(newer.items) == 10
    assert older.status == "empty"
    assert (
        older.reason
        == f"Superseded by the digest of {newer.period:%Y-%m-%d}, which carries its papers."
    )


def test_a_redelivered_task_counts_what_it_sent_as_sent_before(llm_papers, outbox):
    [subscriber_id] = subscribers(1)
    first = Digest.objects.get()
    paper_ids = [p.pk for p in llm_papers[:3]]
    second = Digest.objects.create(
        subscriber_id=subscriber_id, period=first.period + timedelta(days=1), frequency="daily",
        scheduled_for=timezone.now(),
    )  # fmt: skip
    claim = "task-id"
    Digest.objects.filter(pk=first.pk).update(
        status="sending", claim=claim, claimed_at=timezone.now()
    )
    journal().record(claim, first.pk, {"message_id": "<m@x>", "esp_message_id": "",
                                       "subject": "s", "items": [[pk, ["llm"]] for pk in paper_ids],
                                       "more": []})  # fmt: skip
    digests_send(subscriber_ids=[subscriber_id], claim=claim)
    second.refresh_from_db()
    assert second.status == "sent"
    assert not set(second.paper_ids) & set(paper_ids)
