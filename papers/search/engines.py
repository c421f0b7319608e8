"""A query (core/query) in each database's own search syntax.

The index keeps a paper's text in two places per database, so that author and organization
names never count in the relevance of words (an author list can be longer than an abstract):

- the title and abstract (SQLite: the FTS5 table `papers_search`; PostgreSQL: the tsvector
  `SearchEntry.vector`, the title at weight A and the abstract at B);
- the authors and the organization (SQLite: `papers_search_names`; PostgreSQL:
  `SearchEntry.names`, the authors at weight A and the organization at B).

A clause whose terms are all of the title and abstract joins the relevance query (`fts5()`,
`tsquery()`), which ranks the matches; a clause that names an author or an organization is a
condition beside it (`conditions()`). A query with no clause of the first kind is ordered by
upvotes alone.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from core.query import Clause, Query, parse

# The index's columns for each field of the query language, per database.
FTS5_COLUMNS = {
    "text": "",  # every column of papers_search
    "title": "{title title_extra}",
    "abstract": "{body extra}",
    "author": "{author}",
    "org": "{org}",
}
TSQUERY_WEIGHTS = {"text": "", "title": ":A", "abstract": ":B", "author": ":A", "org": ":B"}
NAME_FIELDS = frozenset(("author", "org"))


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search and its forms for the index."""

    query: Query

    @property
    def text(self) -> str:
        return self.query.text

    @property
    def problem(self) -> str:
        return self.query.problem

    @property
    def ranked(self) -> tuple[Clause, ...]:
        """The included clauses of title and abstract words: what relevance is computed from."""
        return tuple(c for c in self.query.included if not _names_in(c))

    @property
    def unranked_excluded(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.query.excluded if not _names_in(c))

    @property
    def named(self) -> tuple[Clause, ...]:
        """The clauses (included or excluded) that name an author or an organization."""
        return tuple(c for c in self.query.clauses if _names_in(c))

    def fts5(self) -> str:
        """The relevance query in SQLite FTS5's syntax, every term quoted (so nothing is an
        operator); "" when no clause of title and abstract words is included."""
        if not self.ranked:
            return ""
        expression = " AND ".join(map(_fts5_clause, self.ranked))
        for excluded in self.unranked_excluded:
            expression = f"({expression}) NOT {_fts5_clause(excluded)}"
        return expression

    def tsquery(self) -> str:
        """The relevance query as a PostgreSQL tsquery value: terms quoted, phrases with <->."""
        parts = [_tsquery_clause(c) for c in self.ranked]
        parts += ["!" + _tsquery_clause(c) for c in self.unranked_excluded]
        return " & ".join(parts) if self.ranked else ""

    def conditions(self, vendor: str, id_column: str) -> tuple[list[str], list]:
        """SQL conditions (and their parameters) for what the relevance query leaves out: each
        clause that names an author or organization, and, without a relevance query, the
        excluded clauses of title and abstract words. SQLite's are on `id_column` (a paper id);
        PostgreSQL's on the row of papers_searchentry aliased `p`."""
        clauses = list(self.named)
        if not self.ranked:
            clauses += self.unranked_excluded
        sql, params = [], []
        for clause in clauses:
            found, values = (
                _sqlite_condition(clause, id_column)
                if vendor == "sqlite"
                else _postgresql_condition(clause)
            )
            sql.append(f"NOT ({found})" if clause.excluded else found)
            params += values
        return sql, params


def parse_query(text: str) -> SearchQuery:
    """What the search box holds, read leniently (it never fails; see core/query/parser.py)."""
    return SearchQuery(parse(" ".join((text or "").split()), lenient=True))


def _names_in(clause: Clause) -> bool:
    return any(term.field in NAME_FIELDS for term in clause.terms)


def _alternatives(clause: Clause, fields=None) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(field, words) of each way the index may hold a clause's terms (those of `fields`, when
    given): a term's words in a row, or written as one ("visionlanguag")."""
    for term in clause.terms:
        if fields is None or term.field in fields:
            yield term.field, term.words
            if term.joined:
                yield term.field, (term.joined,)


def _fts5_clause(clause: Clause, fields=None) -> str:
    def alternative(field: str, words: tuple[str, ...]) -> str:
        phrase = '"' + " ".join(words) + '"'
        return f"{FTS5_COLUMNS[field]}: {phrase}" if FTS5_COLUMNS[field] else phrase

    found = (alternative(*each) for each in _alternatives(clause, fields))
    return "(" + " OR ".join(dict.fromkeys(found)) + ")"


def _tsquery_clause(clause: Clause, fields=None) -> str:
    found = (
        " <-> ".join(lexeme(word) + TSQUERY_WEIGHTS[field] for word in words)
        for field, words in _alternatives(clause, fields)
    )
    return "(" + " | ".join(dict.fromkeys(found)) + ")"


def _sqlite_condition(clause: Clause, id_column: str) -> tuple[str, list]:
    """A clause as a condition on a paper id: found in the names table, the words table, or
    (for an OR of both kinds) either."""
    parts, params = [], []
    names = [t for t in clause.terms if t.field in NAME_FIELDS]
    words = [t for t in clause.terms if t.field not in NAME_FIELDS]
    for table, terms in (("papers_search_names", names), ("papers_search", words)):
        if terms:
            parts.append(f"SELECT rowid FROM {table} WHERE {table} MATCH %s")
            params.append(_fts5_clause(clause, {t.field for t in terms}))
    return f"{id_column} IN ({' UNION '.join(parts)})", params


def _postgresql_condition(clause: Clause) -> tuple[str, list]:
    parts, params = [], []
    names = {t.field for t in clause.terms if t.field in NAME_FIELDS}
    words = {t.field for t in clause.terms if t.field not in NAME_FIELDS}
    for column, fields in (("names", names), ("vector", words)):
        if fields:
            parts.append(f"p.{column} @@ %s::tsquery")
            params.append(_tsquery_clause(clause, fields))
    return "(" + " OR ".join(parts) + ")", params


def lexeme(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'"
