"""Fetch a Feed and ingest it, recording the outcome on the Feed and in an IngestRun."""

import logging

from django.utils import timezone

from papers.models import Feed, IngestRun
from papers.services.fetch import FetchError, http_fetch
from papers.services.ingest import IngestReport, source_ingest

logger = logging.getLogger(__name__)


def feed_fetch(*, feed: Feed) -> IngestReport:
    """One conditional GET and ingest. Never raises for a bad feed: the error is recorded."""
    feed.last_fetched_at = timezone.now()
    try:
        result = http_fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
    except FetchError as exc:
        report = IngestReport(source=feed.url, error=str(exc))
        run = IngestRun.objects.create(
            source=feed.url, feed=feed, format=feed.kind, status=IngestRun.Status.FAILED,
            finished_at=timezone.now(), errors=report.error,
        )  # fmt: skip
        report.run_id = run.pk
        _record(feed, Feed.Status.ERROR, report.error)
        return report
    if result.not_modified:
        run = IngestRun.objects.create(
            source=feed.url, feed=feed, format=feed.kind, status=IngestRun.Status.NOT_MODIFIED,
            finished_at=timezone.now(),
        )  # fmt: skip
        _record(feed, Feed.Status.NOT_MODIFIED, "")
        return IngestReport(source=feed.url, format=feed.kind, run_id=run.pk)
    with result.body:
        report = source_ingest(
            stream=result.body, source=feed.url, kind=feed.kind or None, feed=feed
        )
    if report.error:
        _record(feed, Feed.Status.ERROR, report.error)
    else:
        # Keep the validators only for a body we stored, so a failed one is fetched again.
        feed.etag, feed.last_modified = result.etag[:500], result.last_modified[:100]
        _record(feed, Feed.Status.OK, "")
    return report


def _record(feed: Feed, status: str, error: str) -> None:
    if status == Feed.Status.ERROR:
        logger.warning("Feed %s failed: %s", feed.url, error)
    feed.last_status, feed.last_error = status, error
    feed.save(
        update_fields=["last_fetched_at", "last_status", "last_error", "etag", "last_modified"]
    )
