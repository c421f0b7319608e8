"""Store what readers return: one row per paper, however many sources mention it.

A record joins an existing paper by arXiv id, else by normalized title (a dump has no ids). Each
file is one transaction: a record the reader cannot read is left out and reported, and a file that
is not what its format says writes nothing. Records go in batches: one query finds the
batch's existing papers, then bulk writes create and update them, so a file of any size needs a
few queries per thousand papers and memory for one batch.

How a record updates a paper it matches:
- title, abstract, authors, author count, organization, categories, code link, and what the
  Hugging Face listing adds (thumbnail, AI summary and keywords, GitHub stars, project page,
  comments, submitter): the latest source that gives one wins;
- arXiv id, URL, published date: filled in when the paper has none;
- arXiv version: the highest named (an arXiv `replace` is a new version of the paper);
- listed_on: the earliest listing day;
- upvotes: the latest known count; each change appends an UpvoteObservation.

An arXiv `replace` item is a new version of a paper announced before, not a new paper: it updates
the paper when it is stored, and is skipped (and counted as skipped) when it is not.
"""

import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import DatabaseError, transaction
from django.utils import timezone

from core.bulk import collector_paused, insert_many, page_cache
from core.kinds import SourceKind
from papers import readers
from papers.models import (
    Feed,
    IngestRun,
    Organization,
    Paper,
    UpvoteObservation,
)
from papers.readers import PaperRecord, ReaderError, RecordError
from papers.signals import papers_ingested

logger = logging.getLogger(__name__)
BATCH_SIZE = 1000
# SQLite's page cache for the ingest's one transaction (core.bulk.page_cache).
INGEST_CACHE_MB = 128
# What an ingest reads of an existing paper and may write back (curation flags are never touched).
MERGED_FIELDS = (
    "title", "title_key", "title_tex", "abstract", "abstract_tex", "arxiv_id", "arxiv_version", "authors", "author_count",
    "organization_id", "categories", "published_on", "listed_on", "upvotes", "code_url",
    "github_stars", "project_url", "url", "thumbnail_url", "ai_summary", "ai_keywords",
    "comment_count", "submitted_by", "sources",
)  # fmt: skip
# The latest source that gives a value wins (0 is a value for counts).
LATEST_WINS = (
    "title", "title_key", "abstract", "authors", "author_count", "categories", "code_url",
    "project_url", "thumbnail_url", "ai_summary", "ai_keywords", "submitted_by",
)  # fmt: skip
LATEST_COUNTS = ("github_stars", "comment_count")
# Announce types of an arXiv listing that name a new version of an earlier paper.
REPLACEMENTS = {"replace", "replace-cross"}


@dataclass
class IngestReport:
    source: str
    format: str = ""
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0
    error: str = ""
    # The records that could not be read, each with its position ("f.json:item 2: no 'id'").
    record_errors: list[str] = field(default_factory=list)
    # Per record, what was cut or dropped to fit ("record 12: code_url dropped: ...").
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None
    paper_ids: list[int] = field(default_factory=list, repr=False)

    @property
    def read(self) -> int:
        return self.new + self.updated + self.unchanged + self.skipped


def source_ingest(
    *,
    stream: BinaryIO,
    source: str,
    kind: str | None = None,
    year: int | None = None,
    dry_run: bool = False,
    feed: Feed | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Read one seekable input and store its papers.

    A record the reader cannot read is rejected alone, with its position, and the rest goes in;
    an input that is not what its format says (or that the database refuses) is rejected whole,
    and nothing of it is stored."""
    report = IngestReport(source=source)
    run = None if dry_run else IngestRun.objects.create(source=source[:1000], feed=feed)
    records_read = 0

    def counted(records: Iterable[PaperRecord | RecordError]) -> Iterator[PaperRecord]:
        nonlocal records_read
        for record in records:
            records_read += 1
            if isinstance(record, RecordError):
                report.record_errors.append(record.describe(source))
                continue
            if record.warnings:
                report.warnings.extend(f"record {records_read}: {w}" for w in record.warnings)
            yield record

    try:
        report.format = kind = SourceKind(kind) if kind else readers.detect(_peek(stream))
        with collector_paused(), page_cache(INGEST_CACHE_MB), transaction.atomic():
            upsert = _Upsert(kind, report)
            for batch in _batches(counted(readers.read(kind, stream, year=year)), BATCH_SIZE):
                upsert(batch)
                if progress:
                    progress(stream.tell())
            if dry_run:
                transaction.set_rollback(True)
    except ReaderError as exc:
        # The file is not what its format says: every record read before is rejected with it.
        _reject(report, exc.describe(source), rejected=records_read + 1)
    except DatabaseError as exc:
        _reject(report, f"{source}: the database refused the data: {exc}", rejected=records_read)
    except (RecursionError, OverflowError, MemoryError) as exc:  # hostile input: this file alone
        _reject(report, f"{source}: unreadable input ({exc.__class__.__name__})",
                rejected=records_read + 1)  # fmt: skip
    except BaseException as exc:  # a bug or an interrupt: the run still ends, as failed
        _reject(report, f"{source}: ingest stopped by {exc.__class__.__name__}: {exc}",
                rejected=records_read)  # fmt: skip
        if run is not None:
            _finish_run(run, report)
        raise
    if not report.error and report.record_errors:
        report.rejected = len(report.record_errors)
        logger.warning("%s: %d records rejected, the first: %s", source, report.rejected,
                       report.record_errors[0])  # fmt: skip
    if run is not None:
        _finish_run(run, report)
    return report


WARNINGS_KEPT = 100  # per run; the count of the rest is kept


def _kept(lines: list[str]) -> str:
    shown = lines[:WARNINGS_KEPT]
    more = len(lines) - len(shown)
    return "\n".join(shown) + (f"\n… and {more:,} more" if more else "")


def _batches(items: Iterable[PaperRecord], size: int) -> Iterator[list[PaperRecord]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _peek(stream: BinaryIO) -> bytes:
    head = stream.read(readers.SNIFF_BYTES)
    stream.seek(0)
    return head


def _reject(report: IngestReport, message: str, *, rejected: int) -> None:
    """Nothing of a bad file is stored, so none of it counts as new, updated or unchanged."""
    report.rejected = rejected
    report.new = report.updated = report.unchanged = report.skipped = 0
    report.paper_ids = []
    report.record_errors = []
    report.error = message


def _finish_run(run: IngestRun, report: IngestReport) -> None:
    run.format = report.format
    run.status = IngestRun.Status.FAILED if report.error else IngestRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.new_count, run.updated_count = report.new, report.updated
    run.unchanged_count, run.rejected_count = report.unchanged, report.rejected
    run.skipped_count = report.skipped
    run.errors = report.error or _kept(report.record_errors)
    run.warnings = _kept(report.warnings)
    run.save()
    report.run_id = run.pk
    if report.paper_ids:
        paper_ids = report.paper_ids
        transaction.on_commit(
            lambda: papers_ingested.send(sender=IngestRun, run_id=run.pk, paper_ids=paper_ids)
        )


NEW_PAPER_DEFAULTS = {
    field.attname: field.get_default
    for field in Paper._meta.concrete_fields
    if not field.primary_key
}
# The defaults that are plain values ("", 0, False, None) are set in one step; the others (a new
# list per paper, the time now) are called for each paper.
NEW_PAPER_CONSTANTS = {
    name: value
    for name, default in NEW_PAPER_DEFAULTS.items()
    if isinstance(value := default(), str | int | bool | type(None))
}
# A callable default (list, timezone.now) is called as it is, without `get_default`'s layers.
NEW_PAPER_CALLED = {
    field.attname: field.default if callable(field.default) else field.get_default
    for field in Paper._meta.concrete_fields
    if not field.primary_key and field.attname not in NEW_PAPER_CONSTANTS
}


# A change to these is a change of the paper's text: it is matched against the subscriptions again.
MATCHED_TEXT = {"title", "abstract", "authors", "organization_id"}


class _Stored:
    """An existing paper's merged fields: lighter than a model instance, made one if it changes."""

    FIELDS = ("pk", *MERGED_FIELDS, "text_changed_at")

    def __init__(self, row: tuple) -> None:
        self.__dict__.update(zip(self.FIELDS, row, strict=True))

    def as_paper(self, **extra) -> Paper:
        return Paper(**{name: getattr(self, name) for name in self.FIELDS}, **extra)


class _New(_Stored):
    """A paper this ingest creates: every column, with the model's defaults; `insert_many` writes it."""

    def __init__(self, **values) -> None:
        self.pk = None
        self.__dict__.update(NEW_PAPER_CONSTANTS)
        for name, default in NEW_PAPER_CALLED.items():
            if name not in values:
                setattr(self, name, default())
        self.__dict__.update(values)


class _Observation:
    """An UpvoteObservation row for `insert_many`: lighter than a model instance."""

    __slots__ = ("observed_at", "paper_id", "pk", "source", "upvotes")

    def __init__(self, paper_id: int, observed_at, upvotes: int, source: str) -> None:
        self.pk, self.paper_id, self.observed_at = None, paper_id, observed_at
        self.upvotes, self.source = upvotes, source


class _Upsert:
    """Upserts batches of records from one source, keeping an organization cache between them."""

    def __init__(self, kind: SourceKind, report: IngestReport):
        self.kind = kind
        self.report = report
        self.now = timezone.now()
        self.organizations: dict[str, Organization] = {}

    def __call__(self, records: list[PaperRecord]) -> None:
        self._load_organizations(records)
        by_id, by_key = self._existing(records)
        created: list[_New] = []
        changed: dict[int, tuple[_Stored, set[str]]] = {}
        upvotes_seen: list[tuple[_Stored, int]] = []
        for record in records:
            paper = _find(record, by_id, by_key)
            is_new = paper is None
            if is_new and record.announce_type in REPLACEMENTS:
                self.report.skipped += 1
                continue
            if is_new:
                paper = _New(first_seen_at=self.now, updated_at=self.now, text_changed_at=self.now)
                created.append(paper)
            old_key = paper.title_key
            fields = _merge(paper, record, self.organizations.get(record.org_handle or ""))
            if self.kind not in paper.sources.split():
                paper.sources = " ".join(sorted([*paper.sources.split(), self.kind]))
                fields.add("sources")
            if record.upvotes is not None and (is_new or record.upvotes != paper.upvotes):
                paper.upvotes = record.upvotes
                fields.add("upvotes")
                upvotes_seen.append((paper, record.upvotes))
            if paper.title_key != old_key:  # later records in this batch must find it
                by_key[paper.title_key].append(paper)
            if paper.arxiv_id:
                by_id[paper.arxiv_id] = paper
            self._count(paper, fields, is_new, changed)
        self._write(created, changed, upvotes_seen)

    def _existing(self, records: list[PaperRecord]):
        """The batch's stored papers: by arXiv id first, then by title for the records left.

        Two narrow lookups instead of one OR: on a re-ingest of a feed every record is found by
        id and the title lookup has nothing left to do.
        """
        by_id: dict[str, _Stored] = {}
        by_key: dict[str, list[_Stored]] = defaultdict(list)

        def load(**lookup) -> None:
            for row in Paper.objects.filter(**lookup).order_by().values_list(*_Stored.FIELDS):
                paper = _Stored(row)
                if paper.arxiv_id:
                    by_id[paper.arxiv_id] = paper
                by_key[paper.title_key].append(paper)

        ids = {r.arxiv_id for r in records if r.arxiv_id}
        if ids:
            load(arxiv_id__in=ids)
        keys = {r.title_key for r in records if not (r.arxiv_id and r.arxiv_id in by_id)}
        if keys:
            load(title_key__in=keys)
        return by_id, by_key

    def _count(self, paper, fields: set[str], is_new: bool, changed: dict) -> None:
        if is_new:
            self.report.new += 1
        elif fields:
            self.report.updated += 1
            if paper.pk:  # papers created earlier in this batch are written whole anyway
                if fields & MATCHED_TEXT:
                    paper.text_changed_at = self.now
                    fields = fields | {"text_changed_at"}
                changed.setdefault(paper.pk, (paper, set()))[1].update(fields)
        else:
            self.report.unchanged += 1

    def _load_organizations(self, records: list[PaperRecord]) -> None:
        names = {r.org_handle: r.org_name or r.org_handle for r in records if r.org_handle}
        avatars = {r.org_handle: r.org_avatar_url for r in records if r.org_avatar_url}
        missing = names.keys() - self.organizations.keys()
        if missing:
            found = Organization.objects.filter(handle__in=missing)
            self.organizations.update((org.handle, org) for org in found)
            Organization.objects.bulk_create(
                [
                    Organization(handle=h, name=names[h], avatar_url=avatars.get(h, ""))
                    for h in missing - self.organizations.keys()
                ],
                ignore_conflicts=True,
            )
            found = Organization.objects.filter(handle__in=missing - self.organizations.keys())
            self.organizations.update((org.handle, org) for org in found)
        for handle, name in names.items():
            organization = self.organizations[handle]
            avatar = avatars.get(handle) or organization.avatar_url
            if (organization.name, organization.avatar_url) != (name, avatar):
                organization.name, organization.avatar_url = name, avatar
                organization.save(update_fields=["name", "avatar_url"])

    def _write(self, created: list[_New], changed: dict, upvotes_seen: list) -> None:
        insert_many(Paper, created)
        if changed:
            fields = set().union(*(f for _, f in changed.values())) | {"updated_at"}
            papers = [stored.as_paper(updated_at=self.now) for stored, _ in changed.values()]
            Paper.objects.bulk_update(papers, sorted(fields))
        insert_many(
            UpvoteObservation,
            [
                _Observation(paper.pk, self.now, upvotes, self.kind)
                for paper, upvotes in upvotes_seen  # papers created above now have their pk
            ],
        )
        self.report.paper_ids.extend(p.pk for p in created)
        self.report.paper_ids.extend(changed)


def _find(record: PaperRecord, by_id: dict, by_key: dict) -> _Stored | None:
    if record.arxiv_id and (paper := by_id.get(record.arxiv_id)):
        return paper
    for candidate in by_key.get(record.title_key, ()):
        # Same title but two different arXiv ids: two papers.
        if not (record.arxiv_id and candidate.arxiv_id):
            return candidate
    return None


def _merge(paper: _Stored, record: PaperRecord, organization: Organization | None) -> set[str]:
    """Apply a record to a paper by the rules in this module's docstring; the fields it changed."""
    changed: set[str] = set()

    def put(name: str, value: object) -> None:
        if getattr(paper, name) != value:
            setattr(paper, name, value)
            changed.add(name)

    for name in LATEST_WINS:
        if value := getattr(record, name):
            put(name, value)
    for name in ("title", "abstract"):  # what was written goes with the text made of it
        if getattr(record, name):
            put(f"{name}_tex", getattr(record, f"{name}_tex"))
    organization_id = organization.pk if organization else None
    if organization_id:
        put("organization_id", organization_id)
    for name in LATEST_COUNTS:
        if (value := getattr(record, name)) is not None:
            put(name, value)
    if record.arxiv_version and (paper.arxiv_version or 0) < record.arxiv_version:
        put("arxiv_version", record.arxiv_version)
    for name in ("arxiv_id", "url", "published_on"):
        if not getattr(paper, name) and getattr(record, name):
            put(name, getattr(record, name))
    if record.listed_on and (paper.listed_on is None or record.listed_on < paper.listed_on):
        put("listed_on", record.listed_on)
    return changed
