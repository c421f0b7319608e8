"""`manage.py setup`: the default feeds and every periodic schedule, idempotently.

Run by `make run`, by docker compose before web, worker and beat start, and by hand on any
deployment. What it creates once is remembered (SetupRecord), so running it again never brings
back a default feed or a schedule that an operator deleted, and never undoes an edit; with
`reset_schedules` every schedule it owns is made as declared again, deleted ones included.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import PeriodicTask

from core.kinds import SourceKind
from core.schedules import Crontab, declared_schedules, schedule_write
from papers.models import Feed, SetupRecord
from papers.services.feeds import ARXIV_DAILY, feed_add, feed_schedule_write

# The schedule that fetched every feed hourly, before each feed had a schedule of its own.
LEGACY_FETCH_ALL = "papers.tasks.fetch_feeds"


@dataclass(frozen=True)
class DefaultFeed:
    key: str
    name: str
    url: str
    kind: str
    every: timedelta | None = None
    crontab: Crontab | None = None


def default_feeds() -> list[DefaultFeed]:
    feeds = [
        DefaultFeed(
            key="hf-daily",
            name="Hugging Face Daily Papers",
            url=settings.PAPERS_HF_DAILY_URL,
            kind=SourceKind.HF_JSON,
            every=timedelta(hours=1),
        )
    ]
    if categories := settings.PAPERS_ARXIV_CATEGORIES:
        feeds.append(
            DefaultFeed(
                key="arxiv-new",
                name=f"arXiv new submissions ({', '.join(categories)})",
                url=settings.PAPERS_ARXIV_RSS_URL.rstrip("/") + "/" + "+".join(categories),
                kind=SourceKind.ARXIV,
                crontab=ARXIV_DAILY,
            )
        )
    return feeds


@dataclass
class SetupReport:
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)


@transaction.atomic
def setup_run(*, reset_schedules: bool = False) -> SetupReport:
    report = SetupReport()
    _retire_fetch_all(report)
    for schedule in declared_schedules():
        key = f"schedule:{schedule.name}"
        if _recorded(key) and not reset_schedules:
            if PeriodicTask.objects.filter(name=schedule.name).exists():
                report.say(f"Schedule {schedule.name!r}: kept as it is")
            else:
                report.say(
                    f"Schedule {schedule.name!r}: deleted by an operator, left deleted "
                    "(--reset-schedules restores it)"
                )
            continue
        task, written = schedule_write(schedule, reset=reset_schedules)
        _record(key, task.pk)
        report.say(f"Schedule {schedule.name!r}: {'written' if written else 'kept as it is'}")
    for default in default_feeds():
        _default_feed(default, report, reset_schedules)
    return report


def _default_feed(default: DefaultFeed, report: SetupReport, reset: bool) -> None:
    key = f"feed:{default.key}"
    record = SetupRecord.objects.filter(key=key).first()
    if record is None:
        feed = Feed.objects.filter(url=default.url).first()
        if feed is None:
            feed = feed_add(
                url=default.url, name=default.name, kind=default.kind,
                every=default.every, crontab=default.crontab,
            )  # fmt: skip
            report.say(f"Feed {feed.name!r}: created ({feed.url})")
        else:
            report.say(f"Feed {feed.name!r}: already there ({feed.url})")
        _record(key, feed.pk)
        return
    feed = Feed.objects.filter(pk=record.object_id).first()
    if feed is None:
        report.say(f"Feed {default.name!r}: deleted by an operator, left deleted")
        return
    if reset:
        feed_schedule_write(feed, every=default.every, crontab=default.crontab)
        report.say(f"Feed {feed.name!r}: schedule restored")
    else:
        report.say(f"Feed {feed.name!r}: kept as it is")


def _retire_fetch_all(report: SetupReport) -> None:
    """Upgrading from one hourly fetch of every feed: each feed gets an hourly schedule of its own."""
    legacy = PeriodicTask.objects.filter(task=LEGACY_FETCH_ALL)
    if not legacy.exists():
        return
    legacy.delete()
    for feed in Feed.objects.filter(schedule=None):
        feed_schedule_write(feed)
    report.say("Replaced the schedule that fetched every feed with one schedule per feed")


def _recorded(key: str) -> bool:
    return SetupRecord.objects.filter(key=key).exists()


def _record(key: str, object_id: int | None) -> None:
    SetupRecord.objects.update_or_create(key=key, defaults={"object_id": object_id})
