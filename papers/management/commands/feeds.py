"""python manage.py feeds list | add URL | fetch [NAME…|--all] | backfill --days N [NAME…]."""

import sys
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from core.fetch import FetchError, PrivateAddressError, check_public_url
from core.kinds import SourceKind
from core.schedules import describe
from papers.models import Feed
from papers.services.feeds import can_backfill, feed_add, feed_backfill, feed_fetch

MAX_BACKFILL_DAYS = 366


class Command(BaseCommand):
    help = "List, add, fetch and backfill the feeds that papers come from."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("list", help="Each feed: kind, schedule, last success, failures.")
        add = actions.add_parser("add", help="Add a feed with a schedule of its own.")
        add.add_argument("url", metavar="URL")
        add.add_argument("--kind", choices=SourceKind.values(), default="", help="Its format.")
        add.add_argument(
            "--every", type=int, default=60, metavar="MINUTES", help="Fetch every N minutes."
        )
        add.add_argument("--name", default="", help="A name (default: from the URL).")
        fetch = actions.add_parser("fetch", help="Fetch feeds now, in this process.")
        fetch.add_argument("names", nargs="*", metavar="NAME", help="Feed names, ids or URLs.")
        fetch.add_argument("--all", action="store_true", help="Every enabled feed.")
        backfill = actions.add_parser(
            "backfill", help="Fetch the last N listing days (arXiv: the API by date range)."
        )
        backfill.add_argument("--days", type=int, required=True, metavar="N")
        backfill.add_argument("names", nargs="*", metavar="NAME", help="Default: every feed.")
        for sub in (fetch, backfill):
            sub.add_argument("--no-progress", action="store_true", help="Never show progress.")

    def handle(self, *args, **options) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _list(self, options) -> None:
        feeds = list(Feed.objects.select_related("schedule__interval", "schedule__crontab"))
        if not feeds:
            self.stdout.write("No feeds. Run `manage.py setup` or `manage.py feeds add URL`.")
            return
        rows = [("name", "kind", "schedule", "last success", "failures", "added")]
        for feed in feeds:
            rows.append(
                (
                    feed.name if feed.enabled else f"{feed.name} (disabled)",
                    feed.kind or "detect",
                    describe(feed.schedule),
                    _when(feed.last_success_at),
                    str(feed.consecutive_failures) + (" FAILING" if feed.failing else ""),
                    f"{feed.last_new_count:,}",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for number, row in enumerate(rows):
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())
            if number == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        for feed in feeds:
            if feed.last_error:
                self.stderr.write(f"{feed.name}: {feed.last_error}")

    def _add(self, options) -> None:
        if options["every"] < 1:
            raise CommandError("--every takes a number of minutes, at least 1.")
        url = options["url"]
        if not url.startswith(("http://", "https://")):
            raise CommandError(f"{url}: a feed is an http:// or https:// URL.")
        try:
            check_public_url(url)
        except PrivateAddressError as exc:
            raise CommandError(str(exc)) from None
        except FetchError as exc:  # DNS may answer later: the feed is added, and said so
            self.stderr.write(f"Warning: {exc}; adding it anyway.")
        try:
            feed = feed_add(
                url=url,
                name=options["name"],
                kind=options["kind"],
                every=timedelta(minutes=options["every"]),
            )
        except IntegrityError:
            raise CommandError(f"{url}: there is a feed with this URL already.") from None
        self.stdout.write(f"Added {feed.name}, fetched {describe(feed.schedule)}.")

    def _fetch(self, options) -> None:
        if options["all"] == bool(options["names"]):
            raise CommandError("Name the feeds to fetch, or give --all.")
        feeds = _chosen(options["names"]) if options["names"] else Feed.objects.filter(enabled=True)
        failed = 0
        for feed in feeds:
            report = feed_fetch(feed=feed)
            if report.error:
                failed += 1
                self.stderr.write(self.style.ERROR(f"{feed.name}: {report.error}"))
            elif report.not_modified or not report.runs:
                self.stdout.write(f"{feed.name}: not modified")
            else:
                unchanged = (
                    f", {report.unchanged_days} days unchanged" if report.unchanged_days else ""
                )
                self.stdout.write(
                    f"{feed.name}: {report.new:,} new, {report.updated:,} updated{unchanged}"
                )
        if failed:
            raise CommandError(f"{failed} feed{'s' if failed > 1 else ''} failed.")

    def _backfill(self, options) -> None:
        days = options["days"]
        if not 1 <= days <= MAX_BACKFILL_DAYS:
            raise CommandError(f"--days takes 1 to {MAX_BACKFILL_DAYS}.")
        feeds = _chosen(options["names"]) if options["names"] else Feed.objects.filter(enabled=True)
        feeds = [feed for feed in feeds if can_backfill(feed) or options["names"]]
        if not feeds:
            raise CommandError("No Hugging Face or arXiv feed to backfill: run `setup` first.")
        show = not options["no_progress"] and sys.stderr.isatty()
        errors = 0
        for feed in feeds:
            total = days if feed.by_listing_day else None
            with tqdm(total=total, desc=feed.name[:30], unit="req", disable=not show) as bar:
                report = feed_backfill(feed=feed, days=days, progress=lambda _: bar.update())
            self.stdout.write(
                f"{feed.name}: {report.requests} requests, {report.new:,} new, "
                f"{report.updated:,} updated"
            )
            for error in report.errors:
                self.stderr.write(self.style.ERROR(f"{feed.name}: {error}"))
            errors += len(report.errors)
        if errors:
            raise CommandError(f"{errors} request{'s' if errors > 1 else ''} failed.")


def _chosen(names: list[str]) -> list[Feed]:
    feeds = []
    for name in names:
        lookup = Q(name=name) | Q(url=name) | (Q(pk=int(name)) if name.isdigit() else Q())
        found = list(Feed.objects.filter(lookup))
        if not found:
            known = ", ".join(Feed.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No feed named {name!r} (feeds: {known}).")
        feeds.extend(found)
    return feeds


def _when(moment) -> str:
    if moment is None:
        return "never"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
