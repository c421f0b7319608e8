"""A reader's library: adding what they hand over (read by personal/library.py) and removing it;
shared by the manage page and `manage.py library_import`."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from core.text import title_key
from newsletter.models import LibraryEntry, LibraryUpload, Subscriber
from newsletter.personal.library import (
    MAX_ENTRIES,
    LibraryError,
    LibraryRecord,
    library_check,
    library_read,
)
from newsletter.services.feedback import taste_mark_changed
from newsletter.signals import library_upload_received
from papers.models import Paper

IDENTITY_MAX = LibraryEntry._meta.get_field("identity").max_length


@dataclass
class ImportLine:
    """What became of one record: "arxiv" or "title" (matched a stored paper that way), "new"
    (not stored: its own title and abstract count) or "duplicate"."""

    record: LibraryRecord
    outcome: str
    paper_id: int | None = None
    title: str = ""


@dataclass
class LibraryReport:
    format: str = ""
    lines: list[ImportLine] = field(default_factory=list)
    skipped: int = 0

    def count(self, outcome: str) -> int:
        return sum(line.outcome == outcome for line in self.lines)

    @property
    def imported(self) -> int:
        return len(self.lines) - self.count("duplicate")

    def summary(self) -> str:
        parts = [
            f"{self.imported:,} entr{'y' if self.imported == 1 else 'ies'} added",
            f"{self.count('arxiv') + self.count('title'):,} matched papers we have "
            f"({self.count('arxiv'):,} by arXiv id, {self.count('title'):,} by title)",
            f"{self.count('new'):,} not stored here (their own title and abstract count)",
        ]
        if self.count("duplicate"):
            parts.append(f"{self.count('duplicate'):,} already in the library")
        if self.skipped:
            parts.append(f"{self.skipped:,} without a title or identifier skipped")
        return "; ".join(parts) + "."


def library_import(
    *, subscriber: Subscriber, data: bytes | str, name: str = "", format: str = ""
) -> LibraryReport:
    """Read a library file or pasted text and add its papers to the reader's library, all or
    nothing: a bad file raises `LibraryError` (naming the line) and nothing is saved."""
    read = library_read(data, name=name, format=format)
    report = LibraryReport(format=read.format, skipped=read.skipped)
    with transaction.atomic():
        Subscriber.objects.select_for_update().filter(pk=subscriber.pk).first()  # one at a time
        known = set(subscriber.library.values_list("identity", flat=True))
        by_arxiv, by_title = _stored_papers(read.records)
        entries = []
        for record in read.records:
            paper = by_arxiv.get(record.arxiv_id) or by_title.get(title_key(record.title))
            identity = f"arxiv:{paper[1]}" if paper and paper[1] else record.identity
            identity = identity[:IDENTITY_MAX]  # compared as it is stored
            if identity in known:
                report.lines.append(ImportLine(record, "duplicate"))
                continue
            known.add(identity)
            outcome = "new" if paper is None else ("arxiv" if record.arxiv_id else "title")
            report.lines.append(
                ImportLine(record, outcome, paper[0] if paper else None, paper[2] if paper else "")
            )
            entries.append(
                LibraryEntry(
                    subscriber=subscriber,
                    paper_id=paper[0] if paper else None,
                    identity=identity,
                    arxiv_id=record.arxiv_id or ((paper[1] or "") if paper else ""),
                    doi=record.doi,
                    title=record.title or (paper[2] if paper else ""),
                    abstract=record.abstract,
                    source=read.format,
                )
            )
        if len(known) > MAX_ENTRIES:
            raise LibraryError(
                f"A library holds at most {MAX_ENTRIES:,} papers: this would make it "
                f"{len(known):,}. Remove some first."
            )
        LibraryEntry.objects.bulk_create(entries, batch_size=1000)
        if entries:
            taste_mark_changed(subscriber)
    return report


def library_add_papers(*, subscriber: Subscriber, paper_ids: list[int], source: str) -> int:
    """Add stored papers to the reader's library ("Email me papers like this"); how many were
    new to it. A paper it holds already, by arXiv id or title, is left as it is."""
    papers = Paper.objects.filter(pk__in=paper_ids, hidden=False)
    with transaction.atomic():
        Subscriber.objects.select_for_update().filter(pk=subscriber.pk).first()  # one at a time
        known = set(subscriber.library.values_list("identity", flat=True))
        entries = []
        for paper in papers:
            identity = f"arxiv:{paper.arxiv_id}" if paper.arxiv_id else f"title:{paper.title_key}"
            identity = identity[:IDENTITY_MAX]
            if identity in known or len(known) >= MAX_ENTRIES:
                continue
            known.add(identity)
            entries.append(LibraryEntry(
                subscriber=subscriber, paper=paper, identity=identity, arxiv_id=paper.arxiv_id,
                title=paper.title, abstract=paper.abstract, source=source,
            ))  # fmt: skip
        LibraryEntry.objects.bulk_create(entries)
        if entries:
            taste_mark_changed(subscriber)
    return len(entries)


def library_upload_receive(*, subscriber: Subscriber, data: bytes, name: str) -> LibraryUpload:
    """Check a library file at once (size, text, entries, braces: LibraryError says what is
    wrong) and keep it for a worker to read; the reader sees it being read on the manage page."""
    library_check(data, name=name)
    with transaction.atomic():
        upload = LibraryUpload.objects.create(subscriber=subscriber, name=name[:255], data=data)
        library_upload_received.send(sender=LibraryUpload, upload_id=upload.pk)
    return upload


def library_upload_read(*, upload_id: int) -> LibraryUpload | None:
    """Read a queued library file into its reader's library, all or nothing, and record what
    came of it; its bytes are dropped. None when there is nothing (left) to read."""
    upload = (
        LibraryUpload.objects.select_related("subscriber")
        .filter(pk=upload_id, status=LibraryUpload.Status.QUEUED)
        .first()
    )
    if upload is None:
        return None
    try:
        report = library_import(
            subscriber=upload.subscriber, data=bytes(upload.data), name=upload.name
        )
    except LibraryError as exc:
        upload.status, upload.summary = LibraryUpload.Status.FAILED, f"{exc} Nothing was added."
    else:
        upload.status, upload.summary = LibraryUpload.Status.READ, report.summary()
        upload.imported = report.imported
    upload.data, upload.finished_at = b"", timezone.now()
    upload.save(update_fields=["status", "summary", "imported", "data", "finished_at"])
    return upload


def library_remove(*, subscriber: Subscriber, entry_ids: list[int] | None = None) -> int:
    """Remove these entries of the reader's library (all of it with None); how many."""
    entries = subscriber.library.all()
    if entry_ids is not None:
        entries = entries.filter(pk__in=entry_ids)
    removed, _ = entries.delete()
    if removed:
        taste_mark_changed(subscriber)
    return removed


def _stored_papers(records: list[LibraryRecord]):
    """The stored papers that records name, by arXiv id and by title key: (id, arXiv id, title)."""
    arxiv_ids = {r.arxiv_id for r in records if r.arxiv_id}
    keys = {title_key(r.title) for r in records if r.title and not r.arxiv_id}
    by_arxiv, by_title = {}, {}
    ids = list(arxiv_ids)
    for start in range(0, len(ids), 500):
        for pk, arxiv_id, title in Paper.objects.filter(
            arxiv_id__in=ids[start : start + 500]
        ).values_list("pk", "arxiv_id", "title"):
            by_arxiv[arxiv_id] = (pk, arxiv_id, title)
    keys_list = [key for key in keys if key]
    for start in range(0, len(keys_list), 500):
        for pk, arxiv_id, title, key in Paper.objects.filter(
            title_key__in=keys_list[start : start + 500]
        ).values_list("pk", "arxiv_id", "title", "title_key"):
            by_title.setdefault(key, (pk, arxiv_id, title))
    return by_arxiv, by_title
