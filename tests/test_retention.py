"""Kept lean: "Prune old rows" deletes what is past its retention, in batches, and keeps what
the site and the archive show."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from config.tasks import prune_old_rows
from core.bulk import delete_in_batches
from core.schedules import declared_schedules
from newsletter.models import DeliveryEvent, Digest, LibraryUpload, Match, SignupRequest
from papers.models import Feed, IngestRun, UpvoteObservation

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged(make_paper, make_subscriber):
    """Rows of every kind, some past their retention (the defaults), some not."""
    now = timezone.now()
    old, new = now - timedelta(days=400), now - timedelta(days=2)
    paper = make_paper("Sparse attention", upvotes=9)
    other = make_paper("Old paper", upvotes=3)
    for when, votes in ((old, 1), (old + timedelta(hours=1), 2), (new, 9)):
        UpvoteObservation.objects.create(
            paper=paper, observed_at=when, upvotes=votes, source="hf-json"
        )
    UpvoteObservation.objects.create(paper=other, observed_at=old, upvotes=3, source="hf-json")
    feed = Feed.objects.create(name="arxiv", url="https://rss.arxiv.org/rss/cs")
    for when in (old, old + timedelta(hours=1)):
        IngestRun.objects.create(source=feed.url, feed=feed, started_at=when)
    IngestRun.objects.create(source="dump.txt", started_at=old)
    IngestRun.objects.create(source="dump2.txt", started_at=new)
    ada = make_subscriber("ada@example.org", "attention")
    subscription = ada.subscriptions.get()
    Match.objects.create(subscription=subscription, paper=paper, created_at=new)
    Match.objects.create(subscription=subscription, paper=other, created_at=old)
    for period, status in ((date.today() - timedelta(days=300), "sent"),
                           (date.today() - timedelta(days=299), "pending"),
                           (date.today() - timedelta(days=3), "sent")):  # fmt: skip
        Digest.objects.create(subscriber=ada, period=period, frequency="daily",
                              scheduled_for=now, status=status)  # fmt: skip
    DeliveryEvent.objects.create(event_id="old", esp_name="test", event_type="delivered")
    DeliveryEvent.objects.filter(event_id="old").update(received_at=old)
    DeliveryEvent.objects.create(event_id="new", esp_name="test", event_type="delivered")
    for when, status in ((old, "read"), (old, "queued"), (new, "read")):
        upload = LibraryUpload.objects.create(subscriber=ada, name="x.bib", status=status)
        LibraryUpload.objects.filter(pk=upload.pk).update(created_at=when)
    for when in (old, new):
        request = SignupRequest.objects.create(subscriber=ada, rules=["x"])
        SignupRequest.objects.filter(pk=request.pk).update(created_at=when)
    return paper, other, feed


def test_prune_deletes_what_is_past_its_retention_and_keeps_what_is_shown(aged):
    paper, other, feed = aged
    pruned = prune_old_rows.delay().get()
    assert pruned == {
        "upvote observations": 1, "ingest runs": 2, "matches": 1, "digests": 1,
        "delivery events": 1, "signup requests": 1, "library uploads": 1,
    }  # fmt: skip
    # Each paper keeps its last count before the cutoff (its growth's baseline) and what came after.
    assert list(paper.upvote_history.values_list("upvotes", flat=True)) == [2, 9]
    assert list(other.upvote_history.values_list("upvotes", flat=True)) == [3]
    assert feed.runs.count() == 1  # the feed's latest run, whatever its age
    assert set(IngestRun.objects.values_list("source", flat=True)) == {feed.url, "dump2.txt"}
    assert set(Digest.objects.values_list("status", flat=True)) == {"pending", "sent"}
    assert Digest.objects.count() == 2
    assert list(DeliveryEvent.objects.values_list("event_id", flat=True)) == ["new"]
    assert LibraryUpload.objects.filter(status="queued").count() == 1
    assert prune_old_rows.delay().get() == dict.fromkeys(pruned, 0)  # nothing left to do


def test_retention_follows_its_settings(aged, settings):
    settings.NEWSLETTER_MATCH_RETENTION_DAYS = 1
    settings.NEWSLETTER_DIGEST_RETENTION_DAYS = 1
    pruned = prune_old_rows.delay().get()
    assert pruned["matches"] == 2 and pruned["digests"] == 2  # the pending one stays
    assert Digest.objects.get().status == "pending"


def test_deletes_go_in_batches_within_a_limit(make_paper):
    paper = make_paper("Counted")
    for n in range(10):
        UpvoteObservation.objects.create(paper=paper, upvotes=n, source="hf-json")
    rows = UpvoteObservation.objects.all()
    assert delete_in_batches(rows, batch=3, limit=6) == 6
    assert delete_in_batches(rows, batch=3) == 4
    assert not rows.exists()


def test_the_prune_is_a_declared_periodic_task():
    [schedule] = [s for s in declared_schedules() if s.name == "Prune old rows"]
    assert schedule.task == "config.tasks.prune_old_rows"
