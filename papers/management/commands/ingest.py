"""python manage.py ingest PATH_OR_URL [...]: read dumps, feeds and JSON into the library."""

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from core.fetch import FetchError, http_fetch
from core.kinds import SourceKind
from papers.services import IngestReport, source_ingest

# What a directory contributes: the files that can hold papers, not READMEs or notes.
INPUT_SUFFIXES = {".txt", ".xml", ".rss", ".atom", ".json"}


class Command(BaseCommand):
    # An ingest touches no URL, template or admin: the full system checks would add a third of a
    # second to every run (`manage.py check` is there for them).
    requires_system_checks = []
    help = (
        "Ingest Daily Papers dumps, arXiv RSS/Atom/API responses, other RSS/Atom feeds and "
        "Hugging Face daily papers JSON from files, directories, URLs or '-' (standard input). "
        "An unreadable record is rejected alone; an input that is not what its format says is "
        "rejected whole, and the others still go in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("inputs", nargs="+", metavar="PATH_OR_URL")
        parser.add_argument(
            "--format",
            choices=SourceKind.values(),
            help="Read every input as this format instead of detecting it from the content.",
        )
        parser.add_argument(
            "--year",
            type=int,
            help="The capture year of dumps whose page shows no year (default: this year).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Read and count; write nothing.")
        parser.add_argument("--no-progress", action="store_true", help="Never show a progress bar.")

    def handle(self, *args, **options) -> None:
        show_progress = not options["no_progress"] and sys.stderr.isatty()
        reports = []
        for source in self._expand(options["inputs"]):
            try:
                with (
                    _open(source) as (stream, size),
                    _progress_bar(source, size, show_progress) as progress,
                ):
                    report = source_ingest(
                        stream=stream,
                        source=source,
                        kind=options["format"],
                        year=options["year"],
                        dry_run=options["dry_run"],
                        progress=progress,
                    )
            except (OSError, FetchError) as exc:
                report = IngestReport(source=source, rejected=1, error=_describe(source, exc))
            reports.append(report)
        self._summarize(reports, dry_run=options["dry_run"])
        rejected = sum(report.rejected for report in reports)
        if rejected:
            failed = sum(1 for report in reports if report.rejected)
            raise CommandError(
                f"{rejected:,} paper{'s' if rejected != 1 else ''} rejected from {failed} of "
                f"{len(reports)} input{'s' if len(reports) != 1 else ''}."
            )

    def _expand(self, inputs: list[str]) -> Iterator[str]:
        for item in inputs:
            path = Path(item)
            if item != "-" and not _is_url(item) and path.is_dir():
                files = sorted(p for p in path.rglob("*") if p.is_file())
                wanted = [p for p in files if p.suffix.lower() in INPUT_SUFFIXES]
                if skipped := [p.name for p in files if p not in wanted]:
                    self.stderr.write(
                        f"{item}: skipping {', '.join(skipped)} (not a data file)",
                        style_func=self.style.WARNING,
                    )
                yield from map(str, wanted)
            else:
                yield item

    def _summarize(self, reports: list[IngestReport], *, dry_run: bool) -> None:
        columns = ("new", "updated", "unchanged", "rejected", "skipped")
        width = max([len("source"), *(len(r.source) for r in reports)])
        header = f"{'source':<{width}}  {'format':<10}" + "".join(f"{c:>10}" for c in columns)
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for report in reports:
            counts = "".join(f"{getattr(report, c):>10,}" for c in columns)
            self.stdout.write(f"{report.source:<{width}}  {report.format or '?':<10}{counts}")
        totals = "".join(f"{sum(getattr(r, c) for r in reports):>10,}" for c in columns)
        self.stdout.write("-" * len(header))
        self.stdout.write(f"{'total':<{width}}  {'':<10}{totals}")
        for report in reports:
            if report.error:
                self.stderr.write(self.style.ERROR(f"rejected: {report.error}"))
            self._list("rejected", report.source, report.record_errors, self.style.ERROR,
                       more="more records")  # fmt: skip
            warnings = [f"{report.source}: {warning}" for warning in report.warnings]
            self._list("warning", report.source, warnings, self.style.WARNING, more="more")
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))

    def _list(self, label: str, source: str, lines: list[str], style, *, more: str) -> None:
        """The first lines of a list of problems, then how many more the IngestRun keeps."""
        for line in lines[:WARNINGS_SHOWN]:
            self.stderr.write(style(f"{label}: {line}"))
        if len(lines) > WARNINGS_SHOWN:
            self.stderr.write(f"{label}: {source}: … and {len(lines) - WARNINGS_SHOWN:,} {more} "
                              "(the IngestRun lists the first 100)")  # fmt: skip


WARNINGS_SHOWN = 20


def _is_url(item: str) -> bool:
    return item.startswith(("http://", "https://"))


def _describe(source: str, exc: Exception) -> str:
    if isinstance(exc, FetchError):
        return str(exc)
    return f"{source}: {getattr(exc, 'strerror', None) or exc}"


@contextmanager
def _open(source: str) -> Iterator[tuple[BinaryIO, int | None]]:
    """A seekable binary stream for a path, a URL or '-', with its size when known."""
    if source == "-":
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            while chunk := sys.stdin.buffer.read(64 * 1024):
                spool.write(chunk)
            size = spool.tell()
            spool.seek(0)
            yield spool, size
    elif _is_url(source):
        with http_fetch(source).body as body:
            size = body.seek(0, 2)
            body.seek(0)
            yield body, size
    else:
        with open(source, "rb") as stream:
            yield stream, Path(source).stat().st_size


@contextmanager
def _progress_bar(source: str, size: int | None, enabled: bool):
    if not enabled:
        yield None
        return
    with tqdm(
        total=size, desc=Path(source).name[:30], unit="B", unit_scale=True, leave=False
    ) as bar:

        def advance(position: int) -> None:
            bar.update(position - bar.n)

        yield advance
