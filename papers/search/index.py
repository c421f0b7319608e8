"""Writing the search index: each visible paper's text as the analyzer's terms.

The terms are written from Python (the database never tokenizes text itself, so it cannot
disagree with the matcher), in two parts (see engines.py): the title and abstract, which rank,
and the authors and organization, which only filter.

- PostgreSQL: `SearchEntry`, one narrow row per visible paper: `vector` (the title at weight A,
  the abstract at B), `names` (the authors at A, the organization at B), both GIN-indexed, the
  featured flag and the upvotes.
- SQLite: the FTS5 tables `papers_search` (rowid = the paper's id; columns title, body, extra
  for the abstract's joined forms and the featured marker, title_extra for the title's joined
  forms) and `papers_search_names` (author, org). A hidden paper has no entry.

Runs never meet: in a tsvector a gap of one position stands between two runs (the title and its
joined forms, two authors); in FTS5 a separator term stands there (`SEPARATOR`, which no text
yields), so that no phrase spans two authors, as none does for a rule.

A paper is indexed when it is saved (a post_save receiver), after each ingest (a task on the
ingest hook), and by a periodic sweep that finds any paper whose text changed since it was
indexed (`Paper.search_indexed_at` older than `Paper.text_changed_at`). `manage.py search_index`
catches up by hand, and `setup` runs it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.text import analyze
from papers.models import Paper
from papers.search.engines import lexeme

INDEX_BATCH = 2000  # papers per transaction
# tsvector positions stop at 16,383; a text longer than that keeps its first terms.
MAX_POSITION = 16_383
# Terms no text yields (the analyzer splits them no further): a featured paper's mark in SQLite,
# and what stands between two runs that a phrase must not span.
FEATURED_TERM = "zzpaperwirefeaturedzz"
SEPARATOR = "zzpaperwireseparatorzz"
INDEX_FIELDS = ("pk", "title", "abstract", "authors", "organization__handle",
                "organization__name", "featured", "hidden", "upvotes")  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One paper's text as the index holds it."""

    paper_id: int
    title: tuple[str, ...]
    body: tuple[str, ...]
    extra: tuple[str, ...]  # joined forms of compounds and numbers with units, title's first
    title_extra: int  # how many of `extra` come from the title
    authors: tuple[tuple[str, ...], ...] = ()  # one run per author
    org: tuple[str, ...] = ()  # the organization's handle and name
    names_extra: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # authors', org's joined

    @classmethod
    def of(cls, paper_id: int, title: str, abstract: str, authors=(), org: str = "") -> "Entry":
        title_text, body_text = analyze(title), analyze(abstract)
        title_joined = sorted(title_text.joined)
        author_texts = [analyze(name) for name in authors or ()]
        org_text = analyze(org)
        return cls(
            paper_id=paper_id,
            title=title_text.runs[0],
            body=body_text.runs[0],
            extra=tuple(title_joined + sorted(body_text.joined)),
            title_extra=len(title_joined),
            authors=tuple(t.runs[0] for t in author_texts if t.runs[0]),
            org=org_text.runs[0],
            names_extra=(
                tuple(sorted(frozenset().union(*(t.joined for t in author_texts)))),
                tuple(sorted(org_text.joined)),
            ),
        )

    def tsvector(self) -> str:
        """The title and abstract: each term with its positions, the title's at weight A.

        Joined forms stand a position apart from the runs, so that no phrase runs into them."""
        return _tsvector(
            (
                (self.title, "A"),
                (self.extra[: self.title_extra], "A"),
                (self.body, "B"),
                (self.extra[self.title_extra :], "B"),
            )
        )

    def names_tsvector(self) -> str:
        """The authors (weight A), each a run of its own, and the organization (weight B); every
        joined form stands alone."""
        author_joined, org_joined = self.names_extra
        return _tsvector(
            [
                *((run, "A") for run in self.authors),
                *(((j,), "A") for j in author_joined),
                (self.org, "B"),
                *(((j,), "B") for j in org_joined),
            ]
        )

    def fts5_names(self) -> tuple[str, str]:
        """The author and org columns of papers_search_names: runs and joined forms apart."""
        author_joined, org_joined = self.names_extra
        authors = [" ".join(run) for run in self.authors] + list(author_joined)
        org = [" ".join(self.org)] if self.org else []
        return f" {SEPARATOR} ".join(authors), f" {SEPARATOR} ".join(org + list(org_joined))


def _tsvector(parts) -> str:
    """A tsvector value of runs of terms, each at its weight, a position apart."""
    positions: dict[str, list[str]] = {}
    position = 0
    for terms, weight in parts:
        for term in terms:
            position += 1
            if position > MAX_POSITION:
                break
            positions.setdefault(term, []).append(f"{position}{weight}")
        position += 1  # a gap: no phrase spans two parts
    return " ".join(f"{lexeme(term)}:{','.join(at)}" for term, at in positions.items())


def papers_index(paper_ids: Iterable[int]) -> int:
    """Write the index entries of these papers (the ones that still exist); how many."""
    ids = list(dict.fromkeys(paper_ids))
    written = 0
    for start in range(0, len(ids), INDEX_BATCH):
        written += _index_batch(Paper.objects.filter(pk__in=ids[start : start + INDEX_BATCH]))
    return written


def papers_unindexed() -> QuerySet:
    """Papers never indexed, or whose text changed since."""
    return Paper.objects.filter(
        Q(search_indexed_at__isnull=True) | Q(search_indexed_at__lt=F("text_changed_at"))
    )


def papers_index_pending(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Index every paper that needs it, a batch at a time; how many. `progress(done, total)`
    is called after each batch. A paper that changes meanwhile waits for the next call."""
    ids = list(papers_unindexed().order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), INDEX_BATCH):
        done += papers_index(ids[start : start + INDEX_BATCH])
        if progress:
            progress(min(start + INDEX_BATCH, len(ids)), len(ids))
    return done


def index_rebuild(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Forget every entry and index every paper again (after a change to the analyzer)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            for table in _tables():
                cursor.execute(f"DELETE FROM {table}")
        Paper.objects.update(search_indexed_at=None)
    return papers_index_pending(progress=progress)


def _tables() -> tuple[str, ...]:
    if connection.vendor == "sqlite":
        return ("papers_search", "papers_search_names")
    return ("papers_searchentry",)


def _index_batch(papers: QuerySet) -> int:
    indexed_at = timezone.now()  # before reading: a change made after it is seen as pending
    rows = list(papers.values_list(*INDEX_FIELDS))
    if not rows:
        return 0
    entries = [
        Entry.of(pk, title, abstract, authors, f"{handle or ''} {name or ''}")
        for pk, title, abstract, authors, handle, name, *_ in rows
    ]
    featured = {row[0] for row in rows if row[6]}
    hidden = {row[0] for row in rows if row[7]}
    upvotes = {row[0]: row[8] for row in rows}
    shown = [e for e in entries if e.paper_id not in hidden]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _write_postgresql(cursor, shown, featured, upvotes, hidden)
        else:
            _write_sqlite(cursor, shown, featured, hidden)
        Paper.objects.filter(pk__in=[e.paper_id for e in entries]).update(
            search_indexed_at=indexed_at
        )
    return len(entries)


def _write_postgresql(cursor, shown: list[Entry], featured, upvotes, hidden) -> None:
    if shown:
        values = ", ".join(["(%s, %s::tsvector, %s::tsvector, %s, %s)"] * len(shown))
        cursor.execute(
            "INSERT INTO papers_searchentry (paper_id, vector, names, featured, upvotes) "
            f"VALUES {values} ON CONFLICT (paper_id) DO UPDATE SET vector = EXCLUDED.vector, "
            "names = EXCLUDED.names, featured = EXCLUDED.featured, upvotes = EXCLUDED.upvotes",
            [
                value
                for e in shown
                for value in (
                    e.paper_id,
                    e.tsvector(),
                    e.names_tsvector(),
                    e.paper_id in featured,
                    upvotes[e.paper_id],
                )
            ],
        )
    if hidden:
        cursor.execute("DELETE FROM papers_searchentry WHERE paper_id = ANY(%s)", [list(hidden)])


def _write_sqlite(cursor, shown: list[Entry], featured, hidden) -> None:
    cursor.executemany(
        "INSERT OR REPLACE INTO papers_search (rowid, title, body, extra, title_extra) "
        "VALUES (%s, %s, %s, %s, %s)",
        [
            (e.paper_id, " ".join(e.title), " ".join(e.body),
             " ".join((*e.extra[e.title_extra :], FEATURED_TERM) if e.paper_id in featured
                      else e.extra[e.title_extra :]),
             " ".join(e.extra[: e.title_extra]))
            for e in shown
        ],
    )  # fmt: skip
    named = [(e.paper_id, *e.fts5_names()) for e in shown]
    cursor.executemany(
        "INSERT OR REPLACE INTO papers_search_names (rowid, author, org) VALUES (%s, %s, %s)",
        [row for row in named if row[1] or row[2]],
    )
    nameless = [(row[0],) for row in named if not (row[1] or row[2])]
    gone = [(pk,) for pk in hidden]
    for table, rows in (("papers_search", gone), ("papers_search_names", gone + nameless)):
        if rows:
            cursor.executemany(f"DELETE FROM {table} WHERE rowid = %s", rows)


# On SQLite, a deleted paper's entries go with it. Django rebuilds a SQLite table to alter it
# (create, copy, drop, rename), which drops the table's triggers: the migration that added
# `similar` to papers_paper dropped this one, and deleted papers' entries stayed in the index
# (a search counted them, and its pages skipped them). So it is put back after every migrate.
SQLITE_DELETE_TRIGGER = (
    "CREATE TRIGGER papers_search_delete AFTER DELETE ON papers_paper BEGIN "
    "DELETE FROM papers_search WHERE rowid = old.id; "
    "DELETE FROM papers_search_names WHERE rowid = old.id; END"
)


def keep_delete_trigger(sender, using: str = "default", **kwargs) -> None:
    """post_migrate: on SQLite, the trigger that removes a deleted paper's search entries exists,
    and entries left by papers deleted while it did not are removed."""
    database = connections[using]
    if database.vendor != "sqlite":
        return  # PostgreSQL's entries are rows with a cascading foreign key
    with database.cursor() as cursor:
        tables = set(database.introspection.table_names(cursor))
        if not {"papers_paper", "papers_search", "papers_search_names"} <= tables:
            return  # migrated back to before the index
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'papers_search_delete'"
        )
        if cursor.fetchone():
            return
        with transaction.atomic(using=using):
            cursor.execute(SQLITE_DELETE_TRIGGER)
            for table in ("papers_search", "papers_search_names"):
                cursor.execute(
                    f"DELETE FROM {table} WHERE rowid NOT IN (SELECT id FROM papers_paper)"
                )


def index_saved_paper(sender, instance: Paper, raw: bool = False, **kwargs) -> None:
    """post_save: a paper saved one at a time (the admin, a test) is searchable at once."""
    if not raw:
        papers_index([instance.pk])
