"""Feeds: add one with its own schedule, fetch one, backfill one; the outcome is kept on the Feed.

A feed is fetched one of two ways:
- most feeds: one conditional GET (ETag / Last-Modified), then ingest;
- Hugging Face's daily papers API (`Feed.by_listing_day`): one GET per listing day, today and
  the PAPERS_HF_REPOLL_DAYS days before, so that upvotes keep being recorded as they grow after
  the day a paper was listed. A day whose answer is byte for byte the last one stores nothing.

Each outcome is kept on the feed: status, error, consecutive failures (at
PAPERS_FEED_FAILURES_ALERT the feed is flagged in the admin and logged as an error), the last
success, and the papers its last fetch added. The command `feeds`, the admin and the Celery tasks
all call these functions.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.fetch import FetchError, http_fetch
from core.kinds import SourceKind
from core.schedules import Crontab, Schedule, schedule_write
from papers.models import Feed, IngestRun
from papers.services.ingest import IngestReport, source_ingest

logger = logging.getLogger(__name__)

DEFAULT_EVERY = timedelta(hours=1)
# arXiv's terms of use: one API request every three seconds, one at a time.
ARXIV_API_INTERVAL = 3.0
ARXIV_API_PAGE = 500
ARXIV_API_MAX_PAGES = 100  # 50,000 entries: a bound on one backfill, never reached by a week
# arXiv announces new submissions at 20:00 US Eastern, Sunday to Thursday, and its RSS listings
# change at midnight: fetch at 00:30, Monday to Friday.
ARXIV_DAILY = Crontab(minute="30", hour="0", day_of_week="1-5", timezone="America/New_York")


@dataclass(kw_only=True)
class _Ingests:
    feed: Feed
    runs: list[IngestReport] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(report.new for report in self.runs)

    @property
    def updated(self) -> int:
        return sum(report.updated for report in self.runs)


@dataclass(kw_only=True)
class FetchReport(_Ingests):
    """What one fetch of a feed did: its ingests (one per listing day polled, for by-day feeds)."""

    unchanged_days: int = 0
    not_modified: bool = False
    error: str = ""

    @property
    def run_id(self) -> int | None:
        return self.runs[-1].run_id if self.runs else None


def feed_fetch(*, feed: Feed, today: date | None = None) -> FetchReport:
    """Fetch and ingest a feed now. Never raises for a bad feed: the error is recorded."""
    report = FetchReport(feed=feed)
    feed.last_fetched_at = timezone.now()
    if feed.by_listing_day:
        today = today or timezone.now().date()
        days = [today - timedelta(days=n) for n in range(settings.PAPERS_HF_REPOLL_DAYS + 1)]
        for day in days:
            if not _fetch_day(feed, day, report):
                break  # the source is failing: the days left wait for the next poll
        cutoff = days[-1].isoformat()
        feed.day_digests = {d: h for d, h in feed.day_digests.items() if d >= cutoff}
    else:
        _fetch_conditional(feed, report)
    _record(feed, report)
    return report


def _fetch_conditional(feed: Feed, report: FetchReport) -> None:
    try:
        result = http_fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
    except FetchError as exc:
        report.runs.append(_failed_run(feed, feed.url, str(exc)))
        report.error = str(exc)
        return
    if result.not_modified:
        run = IngestRun.objects.create(
            source=feed.url, feed=feed, format=feed.kind, status=IngestRun.Status.NOT_MODIFIED,
            finished_at=timezone.now(),
        )  # fmt: skip
        report.runs.append(IngestReport(source=feed.url, format=feed.kind, run_id=run.pk))
        report.not_modified = True
        return
    with result.body:
        ingest = source_ingest(
            stream=result.body, source=feed.url, kind=feed.kind or None, feed=feed
        )
    report.runs.append(ingest)
    if ingest.error:
        report.error = ingest.error
    else:
        # Keep the validators only for a body we stored, so a failed one is fetched again.
        feed.etag, feed.last_modified = result.etag[:500], result.last_modified[:100]


def _fetch_day(feed: Feed, day: date, report: FetchReport) -> bool:
    """Poll one listing day; False when the source could not be reached."""
    url = listing_day_url(feed.url, day)
    try:
        result = http_fetch(url)
    except FetchError as exc:
        report.runs.append(_failed_run(feed, url, str(exc)))
        report.error = report.error or str(exc)
        return False
    with result.body:
        digest = hashlib.sha256(result.body.read()).hexdigest()
        if feed.day_digests.get(day.isoformat()) == digest:
            report.unchanged_days += 1
            return True
        result.body.seek(0)
        ingest = source_ingest(stream=result.body, source=url, kind=SourceKind.HF_JSON, feed=feed)
    report.runs.append(ingest)
    if ingest.error:
        report.error = report.error or ingest.error
    else:
        feed.day_digests[day.isoformat()] = digest
    return True


def listing_day_url(url: str, day: date) -> str:
    """The API's URL for one listing day: `?date=2026-11-30` added to the feed's URL."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "date"] + [("date", str(day))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _failed_run(feed: Feed, source: str, error: str) -> IngestReport:
    run = IngestRun.objects.create(
        source=source[:1000], feed=feed, format=feed.kind, status=IngestRun.Status.FAILED,
        finished_at=timezone.now(), errors=error,
    )  # fmt: skip
    return IngestReport(source=source, error=error, run_id=run.pk)


def _record(feed: Feed, report: FetchReport) -> None:
    if report.error:
        feed.last_status, feed.last_error = Feed.Status.ERROR, report.error
        feed.consecutive_failures += 1
        if feed.failing:
            logger.error(
                "Feed %s has failed %d times in a row: %s",
                feed.name, feed.consecutive_failures, report.error,
            )  # fmt: skip
        else:
            logger.warning("Feed %s failed: %s", feed.name, report.error)
    else:
        nothing_new = report.not_modified or not report.runs
        feed.last_status = Feed.Status.NOT_MODIFIED if nothing_new else Feed.Status.OK
        feed.last_error = ""
        feed.consecutive_failures = 0
        feed.last_success_at = feed.last_fetched_at
    feed.last_new_count = report.new
    feed.save(
        update_fields=[
            "last_fetched_at", "last_status", "last_error", "etag", "last_modified",
            "consecutive_failures", "last_success_at", "last_new_count", "day_digests",
        ]
    )  # fmt: skip


# Adding feeds and their schedules.


def feed_add(
    *,
    url: str,
    name: str = "",
    kind: str = "",
    every: timedelta | None = DEFAULT_EVERY,
    crontab: Crontab | None = None,
) -> Feed:
    """A new enabled feed with a schedule of its own (hourly unless told otherwise)."""
    with transaction.atomic():
        feed = Feed.objects.create(url=url, name=name or _name_for(url), kind=kind)
        feed_schedule_write(feed, every=every, crontab=crontab)
    return feed


def feed_schedule_write(
    feed: Feed,
    *,
    every: timedelta | None = DEFAULT_EVERY,
    crontab: Crontab | None = None,
    reset: bool = True,
) -> None:
    """Give the feed its own periodic task (papers.tasks.fetch_feed with its id), or, with
    `reset`, make the one it has fetch on this schedule again."""
    if crontab is not None:
        every = None
    schedule = Schedule(
        name=feed_schedule_name(feed),
        task="papers.tasks.fetch_feed",
        args=[feed.pk],
        description=f"Fetch the feed {feed.name} ({feed.url}).",
        every=every,
        crontab=crontab,
    )
    task, _ = schedule_write(schedule, reset=reset)
    if feed.schedule_id != task.pk:
        feed.schedule = task
        feed.save(update_fields=["schedule"])
    if task.enabled != feed.enabled:
        task.enabled = feed.enabled
        task.save(update_fields=["enabled"])


def feed_schedule_name(feed: Feed) -> str:
    return f"Fetch feed {feed.pk}: {feed.name}"[:200]


def feed_schedule_sync(feed: Feed) -> None:
    """After an edit in the admin: the feed's task follows its name and its enabled flag."""
    if feed.schedule is None:
        feed_schedule_write(feed, reset=False)
        return
    task = feed.schedule
    if (task.name, task.enabled) != (feed_schedule_name(feed), feed.enabled):
        task.name, task.enabled = feed_schedule_name(feed), feed.enabled
        task.save(update_fields=["name", "enabled"])


def _name_for(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or url}{parts.path}"[:200]


# Backfill.


@dataclass(kw_only=True)
class BackfillReport(_Ingests):
    requests: int = 0
    errors: list[str] = field(default_factory=list)


def can_backfill(feed: Feed) -> bool:
    return feed.by_listing_day or bool(arxiv_categories(feed))


def feed_backfill(
    *,
    feed: Feed,
    days: int,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> BackfillReport:
    """Fetch the last `days` listing days of a Hugging Face feed, or, for an arXiv listing, the
    arXiv API's submissions of those days in its categories; one request at a time."""
    today = today or timezone.now().date()
    report = BackfillReport(feed=feed)
    if feed.by_listing_day:
        _backfill_days(feed, [today - timedelta(days=n) for n in range(days)], report, progress)
    elif categories := arxiv_categories(feed):
        _backfill_arxiv(feed, categories, today - timedelta(days=days - 1), today, report, progress)
    else:
        report.errors.append(f"{feed.name}: only Hugging Face and arXiv feeds can be backfilled")
    return report


def _backfill_days(feed: Feed, days: list[date], report: BackfillReport, progress) -> None:
    """Each listing day as a poll fetches it (a day unchanged since it was last read is skipped),
    going on past a day that fails."""
    for day in days:
        report.requests += 1
        polled = FetchReport(feed=feed)
        _fetch_day(feed, day, polled)
        report.runs.extend(run for run in polled.runs if not run.error)
        if polled.error:
            report.errors.append(polled.error)
        if progress:
            progress(str(day))
    feed.save(update_fields=["day_digests"])


def arxiv_categories(feed: Feed) -> list[str]:
    """The categories of an arXiv RSS listing: `…/rss/cs.AI+cs.CL` -> ["cs.AI", "cs.CL"]."""
    parts = urlsplit(feed.url)
    is_arxiv = "arxiv.org" in (parts.hostname or "") or feed.url.startswith(
        settings.PAPERS_ARXIV_RSS_URL
    )
    if feed.kind not in ("", SourceKind.ARXIV) or not is_arxiv or "/api/" in parts.path:
        return []
    segment = parts.path.rstrip("/").rpartition("/")[2]
    return [category for category in segment.split("+") if category]


def arxiv_api_url(categories: list[str], start_day: date, end_day: date, offset: int) -> str:
    query = "({}) AND submittedDate:[{}0000 TO {}2359]".format(
        " OR ".join(f"cat:{c}" for c in categories),
        start_day.strftime("%Y%m%d"),
        end_day.strftime("%Y%m%d"),
    )
    params = {
        "search_query": query,
        "start": offset,
        "max_results": ARXIV_API_PAGE,
        "sortBy": "submittedDate",
        "sortOrder": "descending",
    }
    return f"{settings.PAPERS_ARXIV_API_URL}?{urlencode(params)}"


def _backfill_arxiv(feed, categories, start_day, end_day, report, progress) -> None:
    last_call = None
    for page in range(ARXIV_API_MAX_PAGES):
        if last_call is not None:  # counted from the end of the last call: never closer
            time.sleep(max(ARXIV_API_INTERVAL - (time.monotonic() - last_call), 0))
        url = arxiv_api_url(categories, start_day, end_day, page * ARXIV_API_PAGE)
        report.requests += 1
        try:
            result = http_fetch(url, min_wait=ARXIV_API_INTERVAL)
        except FetchError as exc:
            report.errors.append(str(exc))
            return
        finally:
            last_call = time.monotonic()
        with result.body:
            ingest = source_ingest(stream=result.body, source=url, kind=SourceKind.ARXIV, feed=feed)
        report.runs.append(ingest)
        if progress:
            progress(f"page {page + 1}")
        if ingest.error:
            report.errors.append(ingest.error)
            return
        if ingest.read < ARXIV_API_PAGE:
            return
