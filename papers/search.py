"""The site's search, through the house's analyzer (`core/text.py`).

A search reads like a topic rule and finds what a rule with the same words would match in a
paper's title and abstract: "Quantised LLMs" finds "quantization of LLM", "vision-language"
finds "vision language" and "visionlanguage".

    speculative decoding      every word, in any form ("decoders", "Decoding")
    "speculative decoding"    the words next to each other
    pruning OR distillation   either word
    llm -survey               "llm" but not "survey"

The index holds each paper's title and abstract as the analyzer's terms, written from Python
(the database never tokenizes text itself, so it cannot disagree with the matcher):

- PostgreSQL: `SearchEntry`, one narrow row per visible paper: a tsvector with the title at
  weight A and the abstract at B, GIN-indexed, the featured flag and the upvotes; queries are
  tsquery values of the same terms, ranked with ts_rank, and a page is one query of that table
  (migration 0012: ranking whole paper rows took three times as long).
- SQLite: the FTS5 table `papers_search` (rowid = the paper's id; columns title, body, and extra
  for the joined forms of compounds), ranked with BM25, the title counting four times the body.
  A hidden paper has no entry, and a featured one carries FEATURED_TERM in `extra`, so that a page
  of results is read from the index alone: the featured matches (a query AND the term), then the
  others by rank (the query NOT the term), with no join over every match; only the page's rows
  are read from `papers_paper`, for their upvotes where two ranks tie.

A paper is indexed when it is saved (a post_save receiver), after each ingest (a task on the
ingest hook), and by a periodic sweep that finds any paper whose text changed since it was
indexed (`Paper.search_indexed_at` older than `Paper.text_changed_at`). `manage.py search_index`
catches up by hand, and `setup` runs it.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.text import analyze, joined_form, plural_variant
from papers.models import Paper
from papers.selectors import visible_papers

MAX_CLAUSES = 12  # as many terms as a topic rule may hold
RESULTS_MAX = 1000  # the papers a search shows and counts, best first
MAX_ALTERNATIVES = 10
INDEX_BATCH = 2000  # papers per transaction
# tsvector positions stop at 16,383; a text longer than that keeps its first terms.
MAX_POSITION = 16_383
TITLE_WEIGHT, BODY_WEIGHT, EXTRA_WEIGHT = 4.0, 1.0, 1.0  # BM25 column weights (SQLite)
# In a featured paper's SQLite entry: a term no text yields (the analyzer splits it no further).
FEATURED_TERM = "zzpaperwirefeaturedzz"
TOKEN_RE = re.compile(r'(?P<minus>-)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))')


# -- The query --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """Alternatives, any of which satisfies the clause; each alternative is a phrase of terms
    (one term for a word)."""

    alternatives: tuple[tuple[str, ...], ...]
    excluded: bool = False


@dataclass(frozen=True)
class Query:
    text: str
    clauses: tuple[Clause, ...] = ()
    # Why the query finds nothing without searching ("" when it can be searched).
    problem: str = ""

    @property
    def included(self) -> tuple[Clause, ...]:
        return tuple(clause for clause in self.clauses if not clause.excluded)

    @property
    def excluded(self) -> tuple[Clause, ...]:
        return tuple(clause for clause in self.clauses if clause.excluded)

    def fts5(self) -> str:
        """The query in SQLite FTS5's syntax: every term quoted, so nothing is an operator."""

        def clause(c: Clause) -> str:
            return "(" + " OR ".join('"' + " ".join(a) + '"' for a in c.alternatives) + ")"

        expression = " AND ".join(map(clause, self.included))
        for excluded in self.excluded:
            expression = f"({expression}) NOT {clause(excluded)}"
        return expression

    def tsquery(self) -> str:
        """The query as a PostgreSQL tsquery value: terms quoted, phrases with <->."""

        def clause(c: Clause) -> str:
            return "(" + " | ".join(" <-> ".join(map(_lexeme, a)) for a in c.alternatives) + ")"

        parts = [clause(c) for c in self.included] + ["!" + clause(c) for c in self.excluded]
        return " & ".join(parts)


def parse_query(text: str) -> Query:
    """A search as clauses of analyzer terms. Never fails: what cannot be searched is skipped,
    and a query with nothing left to find says why in `problem`."""
    text = " ".join((text or "").split())
    clauses: list[Clause] = []
    pending: list[tuple[str, ...]] = []
    excluded = join_next = False
    for token in TOKEN_RE.finditer(text):
        if token["word"] is not None and token["word"].upper() == "OR" and not token["minus"]:
            join_next = bool(pending) and not excluded
            continue
        raw = token["phrase"] if token["phrase"] is not None else token["word"]
        alternatives = _alternatives(raw or "")
        if not alternatives:
            continue
        if join_next and not token["minus"]:
            pending.extend(a for a in alternatives if a not in pending)
            join_next = False
            continue
        if pending:
            clauses.append(Clause(_bounded(pending), excluded))
        pending, excluded, join_next = list(alternatives), bool(token["minus"]), False
    if pending:
        clauses.append(Clause(_bounded(pending), excluded))
    clauses = clauses[:MAX_CLAUSES]
    problem = ""
    if not any(not clause.excluded for clause in clauses):
        problem = (
            "Type a word to look for: a search cannot only exclude."
            if clauses
            else "Type a word or a “quoted phrase” with letters or digits."
        )
    return Query(text=text, clauses=tuple(clauses), problem=problem)


def _alternatives(raw: str) -> list[tuple[str, ...]]:
    """A word or phrase as the index holds it: its terms in a row, or written as one word
    ("vision-language" ~ "visionlanguag"), or for a lowercase plural its singular ("llms")."""
    terms = analyze(raw).runs[0]
    if not terms:
        return []
    found = [terms]
    if len(terms) > 1:
        found.append((joined_form(raw),))
    elif variant := plural_variant(raw):
        found.append((variant,))
    return found


def _bounded(alternatives: list[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    return tuple(dict.fromkeys(alternatives))[:MAX_ALTERNATIVES]


def _lexeme(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'"


# -- Searching --------------------------------------------------------------------------------


@dataclass
class SearchResults(Sequence):
    """The visible papers a query finds, best first (featured, then by rank, then upvotes): a
    sequence that `Paginator` pages through, reading one page of ids at a time."""

    query: Query
    _count: int | None = field(default=None, repr=False)

    def count(self) -> int:
        """How many papers the query finds, up to RESULTS_MAX: a search shows its best
        thousand, as GitHub's does; the count stops there, so it costs the same for any query."""
        if self._count is None:
            if self.query.problem:
                self._count = 0
            elif connection.vendor == "sqlite":  # hidden papers have no entry
                self._count = _fetch(
                    "SELECT count(*) FROM (SELECT 1 FROM papers_search "
                    "WHERE papers_search MATCH %s LIMIT %s)",
                    [self.query.fts5(), RESULTS_MAX + 1],
                )[0][0]
            else:
                self._count = _fetch(
                    "SELECT count(*) FROM (SELECT 1 FROM papers_searchentry "
                    "WHERE vector @@ %s::tsquery LIMIT %s) AS found",
                    [self.query.tsquery(), RESULTS_MAX + 1],
                )[0][0]
        return min(self._count, RESULTS_MAX)

    @property
    def more(self) -> bool:
        """Whether the query finds more papers than a search shows."""
        self.count()
        return self._count > RESULTS_MAX

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, int):
            found = self[index : index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop = index.start or 0, index.stop
        if self.query.problem or (stop is not None and stop <= start):
            return []
        ids = self._ids(start, None if stop is None else stop - start)
        papers = visible_papers().in_bulk(ids)
        return [papers[pk] for pk in ids if pk in papers]

    def explain(self) -> str:
        """The database's plan for one page: what a test reads to see the index used."""
        sql, params = _statement(self.query, "SELECT 1", order=True)
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql + " LIMIT 30", params)
            return "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())

    def _ids(self, offset: int, limit: int | None) -> list[int]:
        if connection.vendor == "sqlite":
            return _sqlite_page(self.query.fts5(), offset, limit)
        sql, params = _statement(self.query, "SELECT p.paper_id", order=True)
        sql, params = sql + " OFFSET %s", [*params, offset]
        if limit is not None:
            sql, params = sql + " LIMIT %s", [*params, limit]
        return [row[0] for row in _fetch(sql, params)]


def search_papers(text: str) -> SearchResults:
    return SearchResults(parse_query(text))


BM25 = f"bm25(papers_search, {TITLE_WEIGHT}, {BODY_WEIGHT}, {EXTRA_WEIGHT})"


def _sqlite_page(fts: str, offset: int, limit: int | None) -> list[int]:
    """One page of ids from the FTS5 index: the featured matches by rank, then the others by rank;
    equal ranks by upvotes, then newest id."""
    featured = _ranked(f"({fts}) AND {FEATURED_TERM}", 0, None)
    stop = None if limit is None else offset + limit
    if stop is not None and stop <= len(featured):
        return featured[offset:stop]
    rest_offset = max(0, offset - len(featured))
    rest = _ranked(f"({fts}) NOT {FEATURED_TERM}", rest_offset,
                   None if stop is None else stop - max(offset, len(featured)))  # fmt: skip
    return featured[offset:stop] + rest


def _ranked(fts: str, offset: int, limit: int | None) -> list[int]:
    """Matches of an FTS5 query from `offset`, best rank first, equal ranks by upvotes then newest.

    The index gives the ranks: the page's rows and one more are read from it. Upvotes are read
    for the ranks shared by several of those rows; when the page's last rank runs on past it,
    the papers of that rank come from one query that orders them by upvotes, so a page costs the
    same however many papers share a rank."""
    wanted = None if limit is None else offset + limit
    rows = _SQLite.rows(fts, None if wanted is None else wanted + 1)
    if wanted is None or len(rows) <= wanted or rows[wanted][1] != rows[wanted - 1][1]:
        return [pk for pk, _ in _by_upvotes(rows)[offset:wanted]]
    last = rows[wanted - 1][1]
    first = next(n for n, row in enumerate(rows) if row[1] == last)
    return [pk for pk, _ in _by_upvotes(rows[:first])[offset:]] + _SQLite.tied(
        fts, last, wanted - first
    )[max(0, offset - first) :]


def _by_upvotes(rows: list[tuple]) -> list[tuple]:
    """(id, rank) rows in rank order, each run of equal ranks by upvotes, then newest first."""
    shared = {rank for rank, count in Counter(rank for _, rank in rows).items() if count > 1}
    tied = [pk for pk, rank in rows if rank in shared]
    upvotes = dict(Paper.objects.filter(pk__in=tied).values_list("pk", "upvotes")) if tied else {}
    return sorted(rows, key=lambda row: (row[1], -upvotes.get(row[0], 0), -row[0]))


class _SQLite:
    @staticmethod
    def rows(fts: str, read: int | None) -> list[tuple]:
        """(id, rank) of an FTS5 query's first `read` matches (all with None), best first."""
        sql = (
            f"SELECT rowid, {BM25} FROM papers_search WHERE papers_search MATCH %s ORDER BY {BM25}"
        )
        return _fetch(sql + " LIMIT %s", [fts, -1 if read is None else read])

    @staticmethod
    def tied(fts: str, rank, count: int) -> list[int]:
        """The first `count` matches of this rank, by upvotes, then newest."""
        return [row[0] for row in _fetch(
            "SELECT p.id FROM papers_search JOIN papers_paper p ON p.id = papers_search.rowid "
            f"WHERE papers_search MATCH %s AND {BM25} = %s "
            "ORDER BY p.upvotes DESC, p.id DESC LIMIT %s", [fts, rank, count],
        )]  # fmt: skip


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _statement(query: Query, select: str, *, order: bool) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        sql = f"{select} FROM papers_searchentry p WHERE p.vector @@ %s::tsquery"
        params: list = [query.tsquery()]
        if order:
            sql += (
                " ORDER BY p.featured DESC, ts_rank(p.vector, %s::tsquery) DESC, p.upvotes DESC,"
                " p.paper_id DESC"
            )
            params.append(query.tsquery())
        return sql, params
    sql = (
        f"{select} FROM papers_search JOIN papers_paper p ON p.id = papers_search.rowid "
        "WHERE papers_search MATCH %s AND NOT p.hidden"
    )
    if order:
        sql += (
            f" ORDER BY p.featured DESC,"
            f" bm25(papers_search, {TITLE_WEIGHT}, {BODY_WEIGHT}, {EXTRA_WEIGHT}),"
            " p.upvotes DESC, p.id DESC"
        )
    return sql, [query.fts5()]


# -- The index --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One paper's text as the index holds it."""

    paper_id: int
    title: tuple[str, ...]
    body: tuple[str, ...]
    extra: tuple[str, ...]  # joined forms of compounds and numbers with units, title's first
    title_extra: int  # how many of `extra` come from the title

    @classmethod
    def of(cls, paper_id: int, title: str, abstract: str) -> "Entry":
        title_text, body_text = analyze(title), analyze(abstract)
        title_joined = sorted(title_text.joined)
        body_joined = sorted(body_text.joined - title_text.joined)
        return cls(
            paper_id=paper_id,
            title=title_text.runs[0],
            body=body_text.runs[0],
            extra=tuple(title_joined + body_joined),
            title_extra=len(title_joined),
        )

    def tsvector(self) -> str:
        """A tsvector value: each term with its positions, the title's at weight A.

        Joined forms stand a position apart from the runs, so that no phrase runs into them."""
        positions: dict[str, list[str]] = {}
        position = 0

        def place(terms: Iterable[str], weight: str) -> None:
            nonlocal position
            for term in terms:
                position += 1
                if position > MAX_POSITION:
                    return
                positions.setdefault(term, []).append(f"{position}{weight}")
            position += 1  # a gap: no phrase spans two parts

        place(self.title, "A")
        place(self.extra[: self.title_extra], "A")
        place(self.body, "B")
        place(self.extra[self.title_extra :], "B")
        return " ".join(f"{_lexeme(term)}:{','.join(at)}" for term, at in positions.items())


def index_papers(paper_ids: Iterable[int]) -> int:
    """Write the index entries of these papers (the ones that still exist); how many."""
    ids = list(dict.fromkeys(paper_ids))
    written = 0
    for start in range(0, len(ids), INDEX_BATCH):
        written += _index_batch(Paper.objects.filter(pk__in=ids[start : start + INDEX_BATCH]))
    return written


def pending_papers() -> QuerySet:
    """Papers never indexed, or whose text changed since."""
    return Paper.objects.filter(
        Q(search_indexed_at__isnull=True) | Q(search_indexed_at__lt=F("text_changed_at"))
    )


def index_pending(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Index every paper that needs it, a batch at a time; how many. `progress(done, total)`
    is called after each batch. A paper that changes meanwhile waits for the next call."""
    ids = list(pending_papers().order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), INDEX_BATCH):
        done += index_papers(ids[start : start + INDEX_BATCH])
        if progress:
            progress(min(start + INDEX_BATCH, len(ids)), len(ids))
    return done


def index_rebuild(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Forget every entry and index every paper again (after a change to the analyzer)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            table = "papers_search" if connection.vendor == "sqlite" else "papers_searchentry"
            cursor.execute(f"DELETE FROM {table}")
        Paper.objects.update(search_indexed_at=None)
    return index_pending(progress=progress)


def _index_batch(papers: QuerySet) -> int:
    indexed_at = timezone.now()  # before reading: a change made after it is seen as pending
    rows = list(papers.values_list("pk", "title", "abstract", "featured", "hidden", "upvotes"))
    entries = [Entry.of(*row[:3]) for row in rows]
    if not entries:
        return 0
    featured = {row[0] for row in rows if row[3]}
    hidden = {row[0] for row in rows if row[4]}
    upvotes = {row[0]: row[5] for row in rows}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            shown = [e for e in entries if e.paper_id not in hidden]
            if shown:
                values = ", ".join(["(%s, %s::tsvector, %s, %s)"] * len(shown))
                cursor.execute(
                    "INSERT INTO papers_searchentry (paper_id, vector, featured, upvotes) "
                    f"VALUES {values} ON CONFLICT (paper_id) DO UPDATE SET vector = "
                    "EXCLUDED.vector, featured = EXCLUDED.featured, upvotes = EXCLUDED.upvotes",
                    [
                        v
                        for e in shown
                        for v in (
                            e.paper_id,
                            e.tsvector(),
                            e.paper_id in featured,
                            upvotes[e.paper_id],
                        )
                    ],
                )
            if hidden:
                cursor.execute(
                    "DELETE FROM papers_searchentry WHERE paper_id = ANY(%s)", [list(hidden)]
                )
            Paper.objects.filter(pk__in=[e.paper_id for e in entries]).update(
                search_indexed_at=indexed_at
            )
        else:
            cursor.executemany(
                "INSERT OR REPLACE INTO papers_search (rowid, title, body, extra) "
                "VALUES (%s, %s, %s, %s)",
                [
                    (e.paper_id, " ".join(e.title), " ".join(e.body),
                     " ".join((*e.extra, FEATURED_TERM) if e.paper_id in featured else e.extra))
                    for e in entries
                    if e.paper_id not in hidden
                ],
            )  # fmt: skip
            if hidden:
                cursor.executemany(
                    "DELETE FROM papers_search WHERE rowid = %s", [(pk,) for pk in hidden]
                )
            Paper.objects.filter(pk__in=[e.paper_id for e in entries]).update(
                search_indexed_at=indexed_at
            )
    return len(entries)


def index_saved_paper(sender, instance: Paper, raw: bool = False, **kwargs) -> None:
    """post_save: a paper saved one at a time (the admin, a test) is searchable at once."""
    if not raw:
        index_papers([instance.pk])
