"""Searching the index: a query's visible papers, best first, a page at a time.

The order is the featured papers first, then relevance (SQLite's BM25 over the title, four times,
and the abstract; PostgreSQL's ts_rank), then upvotes, then the newest. A query that only names
authors or organizations has no relevance: its papers go by upvotes. A search shows and counts
its best RESULTS_MAX papers, as GitHub's does, so a page and a count cost the same for any query.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection

from papers.models import Paper
from papers.search.engines import SearchQuery, parse_query
from papers.search.index import FEATURED_TERM
from papers.selectors import visible_papers

RESULTS_MAX = 1000  # the papers a search shows and counts, best first
# BM25's weight of each column of papers_search: title, body, extra (the abstract's joined
# forms) and title_extra (the title's).
TITLE_WEIGHT, BODY_WEIGHT, EXTRA_WEIGHT = 4.0, 1.0, 1.0
BM25 = f"bm25(papers_search, {TITLE_WEIGHT}, {BODY_WEIGHT}, {EXTRA_WEIGHT}, {EXTRA_WEIGHT})"
UNRANKED_ORDER = "ORDER BY p.featured DESC, p.upvotes DESC, p.id DESC"


@dataclass
class SearchResults(Sequence):
    """The visible papers a query finds, best first: a sequence that `Paginator` pages through,
    reading one page of ids at a time."""

    query: SearchQuery
    _count: int | None = field(default=None, repr=False)

    def count(self) -> int:
        """How many papers the query finds, up to RESULTS_MAX; the count stops there."""
        if self._count is None:
            self._count = 0 if self.query.problem else _engine().count(self.query, RESULTS_MAX)
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
        ids = _engine().page(self.query, start, None if stop is None else stop - start)
        papers = visible_papers().in_bulk(ids)
        return [papers[pk] for pk in ids if pk in papers]

    def explain(self) -> str:
        """The database's plan for a page's first statement: what a test reads to see the
        index used."""
        sql, params = _engine().first_statement(self.query)
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql + " LIMIT 30", params)
            return "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())


def search_papers(text: str) -> SearchResults:
    return SearchResults(parse_query(text))


def found_ids(query: SearchQuery) -> tuple[str, list]:
    """SQL (and its parameters) selecting the id of every visible paper the index finds for
    `query`, in no order: a subquery for what must go by something else than relevance (a
    feed's newest papers). A paper not indexed yet is not in it."""
    if connection.vendor == "sqlite":
        fts = query.fts5()
        conditions, params = query.conditions("sqlite", "rowid" if fts else "p.id")
        if fts:
            where = " AND ".join(["papers_search MATCH %s", *conditions])
            return f"SELECT rowid FROM papers_search WHERE {where}", [fts, *params]
        where = " AND ".join(["NOT p.hidden", *conditions])
        return f"SELECT p.id FROM papers_paper p WHERE {where}", params
    where, params = _PostgreSQL._where(query)
    return f"SELECT p.paper_id FROM papers_searchentry p WHERE {where or 'true'}", params


def _engine():
    return _SQLite if connection.vendor == "sqlite" else _PostgreSQL


class _PostgreSQL:
    """One statement per page over papers_searchentry, a narrow table of the visible papers."""

    @staticmethod
    def _where(query: SearchQuery) -> tuple[str, list]:
        conditions, params = query.conditions("postgresql", "p.paper_id")
        if query.tsquery():
            conditions, params = (
                ["p.vector @@ %s::tsquery", *conditions],
                [query.tsquery(), *params],
            )
        return " AND ".join(conditions), params

    @classmethod
    def count(cls, query: SearchQuery, limit: int) -> int:
        where, params = cls._where(query)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM papers_searchentry p WHERE {where} LIMIT %s)"
        return _fetch(sql + " AS found", [*params, limit + 1])[0][0]

    @classmethod
    def first_statement(cls, query: SearchQuery) -> tuple[str, list]:
        where, params = cls._where(query)
        order = "p.featured DESC, "
        if query.tsquery():
            order += "ts_rank(p.vector, %s::tsquery) DESC, "
            params = [*params, query.tsquery()]
        sql = f"SELECT p.paper_id FROM papers_searchentry p WHERE {where} ORDER BY {order}"
        return sql + "p.upvotes DESC, p.paper_id DESC", params

    @classmethod
    def page(cls, query: SearchQuery, offset: int, limit: int | None) -> list[int]:
        sql, params = cls.first_statement(query)
        sql, params = sql + " OFFSET %s", [*params, offset]
        if limit is not None:
            sql, params = sql + " LIMIT %s", [*params, limit]
        return [row[0] for row in _fetch(sql, params)]


class _SQLite:
    """FTS5: a hidden paper has no entry, and a featured one carries FEATURED_TERM, so a page is
    read from the index alone: the featured matches (the query AND the term), then the others by
    rank (the query NOT the term); only the page's rows are read from papers_paper, for their
    upvotes where two ranks tie."""

    @staticmethod
    def count(query: SearchQuery, limit: int) -> int:
        fts = query.fts5()
        conditions, params = query.conditions("sqlite", "rowid" if fts else "p.id")
        if fts:
            where = " AND ".join(["papers_search MATCH %s", *conditions])
            sql = f"SELECT 1 FROM papers_search WHERE {where}"
            params = [fts, *params]
        else:
            sql = (
                f"SELECT 1 FROM papers_paper p WHERE {' AND '.join(['NOT p.hidden', *conditions])}"
            )
        return _fetch(f"SELECT count(*) FROM ({sql} LIMIT %s)", [*params, limit + 1])[0][0]

    @classmethod
    def first_statement(cls, query: SearchQuery) -> tuple[str, list]:
        fts = query.fts5()
        if fts:
            return _Ranked(query, fts).statement()
        conditions, params = query.conditions("sqlite", "p.id")
        where = " AND ".join(["NOT p.hidden", *conditions])
        return f"SELECT p.id FROM papers_paper p WHERE {where} {UNRANKED_ORDER}", params

    @classmethod
    def page(cls, query: SearchQuery, offset: int, limit: int | None) -> list[int]:
        fts = query.fts5()
        if not fts:
            sql, params = cls.first_statement(query)
            rows = _fetch(sql + " LIMIT %s OFFSET %s", [*params, -1 if limit is None else limit,
                                                        offset])  # fmt: skip
            return [row[0] for row in rows]
        featured = _Ranked(query, f"({fts}) AND {FEATURED_TERM}").ids(0, None)
        stop = None if limit is None else offset + limit
        if stop is not None and stop <= len(featured):
            return featured[offset:stop]
        rest = _Ranked(query, f"({fts}) NOT {FEATURED_TERM}").ids(
            max(0, offset - len(featured)),
            None if stop is None else stop - max(offset, len(featured)),
        )
        return featured[offset:stop] + rest


class _Ranked:
    """The matches of one FTS5 expression (with the query's other conditions), by rank."""

    def __init__(self, query: SearchQuery, fts: str) -> None:
        self.fts = fts
        self.conditions, self.params = query.conditions("sqlite", "papers_search.rowid")

    def statement(self, rank=None) -> tuple[str, list]:
        """(id, rank) of every match, best first; with `rank`, the ids of that rank's matches,
        by upvotes then newest."""
        where = ["papers_search MATCH %s", *self.conditions]
        params = [self.fts, *self.params]
        if rank is None:
            select, source, order = f"rowid, {BM25}", "papers_search", BM25
        else:
            where.append(f"{BM25} = %s")
            params.append(rank)
            select, order = "p.id", "p.upvotes DESC, p.id DESC"
            source = "papers_search JOIN papers_paper p ON p.id = papers_search.rowid"
        return f"SELECT {select} FROM {source} WHERE {' AND '.join(where)} ORDER BY {order}", params

    def ids(self, offset: int, limit: int | None) -> list[int]:
        """Matches from `offset`, best rank first, equal ranks by upvotes then newest.

        The index gives the ranks: the page's rows and one more are read from it. Upvotes are
        read for the ranks shared by several of those rows; when the page's last rank runs on
        past it, the papers of that rank come from one query that orders them by upvotes, so a
        page costs the same however many papers share a rank."""
        wanted = None if limit is None else offset + limit
        sql, params = self.statement()
        rows = _fetch(sql + " LIMIT %s", [*params, -1 if wanted is None else wanted + 1])
        if wanted is None or len(rows) <= wanted or rows[wanted][1] != rows[wanted - 1][1]:
            return [pk for pk, _ in _by_upvotes(rows)[offset:wanted]]
        last = rows[wanted - 1][1]
        first = next(n for n, row in enumerate(rows) if row[1] == last)
        return [pk for pk, _ in _by_upvotes(rows[:first])[offset:]] + self._tied(
            last, wanted - first
        )[max(0, offset - first) :]

    def _tied(self, rank, count: int) -> list[int]:
        """The first `count` matches of this rank, by upvotes, then newest."""
        sql, params = self.statement(rank)
        return [row[0] for row in _fetch(sql + " LIMIT %s", [*params, count])]


def _by_upvotes(rows: list[tuple]) -> list[tuple]:
    """(id, rank) rows in rank order, each run of equal ranks by upvotes, then newest first."""
    shared = {rank for rank, count in Counter(rank for _, rank in rows).items() if count > 1}
    tied = [pk for pk, rank in rows if rank in shared]
    upvotes = dict(Paper.objects.filter(pk__in=tied).values_list("pk", "upvotes")) if tied else {}
    return sorted(rows, key=lambda row: (row[1], -upvotes.get(row[0], 0), -row[0]))


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
