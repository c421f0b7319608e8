"""The query language (documented in core/query/__init__.py): text in, a `Query` out.

`parse(text)` is the strict reading that rules get: anything it cannot read raises `QueryError`,
whose message is written for the person who typed the rule and names the column where the
problem is. `parse(text, lenient=True)` is the site's search box: it reads the same grammar into
the same `Query`, but mends what a rule would refuse (an unclosed quote runs to the end, an
unknown `field:` is part of the word, a misplaced OR is a word gap, a token with no letters is
skipped, and what passes the limits is cut) and never raises. A search that has nothing left to
look for says why in `Query.problem`. Text that parses as a rule reads the same both ways, so a
search and a rule with the same text find the same papers.
"""

import itertools
import re
from dataclasses import dataclass

from core.query.document import Document, words
from core.text import joined_form, plural_variant, without_controls

MAX_LENGTH = 300
MAX_CLAUSES = 12
MAX_ALTERNATIVES = 10
# The field prefixes a term may carry, and the document field each searches ("text" without one).
FIELDS = {"title": "title", "abstract": "abstract", "author": "author", "org": "org"}
# A token: an optional "-", an optional field prefix, then a quoted phrase or a bare word.
TOKEN_RE = re.compile(
    r'(?P<minus>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<phrase>[^"]*)(?P<close>")?|(?P<word>[^\s"]+))?'
)
EMPTY_SEARCH = "Type a word or a “quoted phrase” with letters or digits."
ONLY_EXCLUDES_SEARCH = "Type a word to look for: a search cannot only exclude."


class QueryError(ValueError):
    """A query that does not parse. `column` is 1-based, or None for the query as a whole."""

    def __init__(self, message: str, column: int | None = None):
        self.message = message
        self.column = column
        super().__init__(f"{message} (at column {column})" if column else message)


@dataclass(frozen=True)
class Term:
    """A word or a phrase, as stemmed words, to find in one field of a paper."""

    field: str  # "text" (title and abstract), "title", "abstract", "author" or "org"
    words: tuple[str, ...]
    text: str  # as written, for showing which terms matched
    # A phrase's words written as one ("vision language" -> "visionlanguag"): found as well.
    joined: str = ""

    def found_in(self, document: Document) -> bool:
        words, size = self.words, len(self.words)
        if size == 1:
            return document.has(self.field, words[0])
        if self.joined and document.has(self.field, self.joined):
            return True
        if not all(document.has_pair(self.field, a, b) for a, b in itertools.pairwise(words)):
            return False
        if size == 2:
            return True
        return any(
            run[i : i + size] == self.words
            for run in document.runs(self.field)
            for i in range(len(run) - size + 1)
        )


@dataclass(frozen=True)
class Clause:
    """One or more terms joined by OR; an excluded clause must find none of them."""

    terms: tuple[Term, ...]
    excluded: bool = False

    def found_in(self, document: Document) -> bool:
        return any(term.found_in(document) for term in self.terms)


@dataclass(frozen=True)
class Query:
    """Clauses that must all hold: every included clause found, no excluded one. A lenient
    parse with nothing to look for has no clauses and says why in `problem`."""

    clauses: tuple[Clause, ...]
    text: str
    problem: str = ""

    @property
    def included(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.excluded)

    @property
    def excluded(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.excluded)

    def matches(self, document: Document) -> bool:
        if not self.clauses:
            return False
        return all(clause.found_in(document) != clause.excluded for clause in self.clauses)

    def matched_terms(self, document: Document) -> list[str]:
        """The query's own words that a matching paper contains (empty if it does not match)."""
        if not self.matches(document):
            return []
        found = [t.text for c in self.included for t in c.terms if t.found_in(document)]
        return list(dict.fromkeys(found))

    def label(self) -> str:
        """A short name for the query: its included terms, as written."""
        return ", ".join(" or ".join(t.text for t in c.terms) for c in self.included)

    def joined_with(self, other: "Query") -> "Query":
        """Both queries at once: every clause of each must hold."""
        return Query(clauses=self.clauses + other.clauses, text=f"{self.text} {other.text}")


def parse(text: str, *, lenient: bool = False) -> Query:
    """`text` as a Query; see the module's docstring for `lenient`."""
    return _Parser(text or "", lenient).query()


class _Parser:
    def __init__(self, text: str, lenient: bool) -> None:
        text = without_controls(text)  # never shown back, nor written into a feed
        if lenient:
            text = text[:MAX_LENGTH]
        self.text, self.lenient = text, lenient
        self.clauses: list[Clause] = []
        self.pending: list[Term] = []  # the terms of the clause being read
        self.excluded = False
        self.expect_term = False  # after OR

    def query(self) -> Query:
        text = self.text
        if len(text) > MAX_LENGTH:
            raise QueryError(f"The rule is too long: keep it under {MAX_LENGTH} characters.")
        if not text.strip():
            return self._nothing('The rule is empty: type a word or a "quoted phrase".')
        position = 0
        while True:
            position = _skip_space(text, position)
            if position >= len(text):
                break
            if _is_or(text, position):
                self._or(position + 1)
                position += 2
                continue
            match = TOKEN_RE.match(text, position)
            position = match.end()
            found = self._term(match, match.start() + 1)
            if found is not None:
                self._add(*found, column=match.start() + 1)
        if self.expect_term and not self.lenient:
            raise QueryError("OR needs a term after it.", len(text.rstrip()))
        if self.pending:
            self.clauses.append(Clause(tuple(self.pending), self.excluded))
        return self._checked()

    def _or(self, column: int) -> None:
        if not self.pending or self.excluded or self.expect_term:
            if not self.lenient:
                raise QueryError(_or_error(self.excluded), column)
            return  # a search reads a misplaced OR as a gap between words
        self.expect_term = True

    def _add(self, term: Term, excluded: bool, *, column: int) -> None:
        if self.expect_term:
            self.expect_term = False
            if not excluded:
                self.pending.append(term)
                return
            if not self.lenient:
                raise QueryError(
                    "An exclusion cannot be part of an OR group: write it on its own.", column
                )
        if self.pending:
            self.clauses.append(Clause(tuple(self.pending), self.excluded))
        self.pending, self.excluded = [term], excluded

    def _term(self, match: re.Match, column: int) -> tuple[Term, bool] | None:
        field_name, phrase, raw = match["field"], match["phrase"], None
        if field_name is not None and field_name.lower() not in FIELDS:
            if not self.lenient:
                raise QueryError(
                    f'Unknown field "{field_name}:". Use title:, abstract:, author: or org:, '
                    "or leave it out.",
                    column,
                )
            # "a:b" in a search box is a word with a colon in it.
            raw, field_name = match.group(0).removeprefix("-"), None
            phrase = None
        if raw is None:
            if phrase is not None and match["close"] is None and not self.lenient:
                raise QueryError(
                    'This quote is never closed: add a " at the end of the phrase.', column
                )
            raw = phrase if phrase is not None else match["word"]
        if raw is None:
            if self.lenient:
                return None
            what = "a field name" if field_name else '"-"'
            raise QueryError(f"Nothing follows {what}: add the word or phrase to look for.", column)
        found = words(raw)
        if not found:
            if self.lenient:
                return None
            shown = f'"{raw}"' if phrase is not None else raw
            raise QueryError(
                f"{shown or 'These quotes'} has no letters or digits to look for.", column
            )
        field = FIELDS[field_name.lower()] if field_name else "text"
        joined = joined_form(raw) if len(found) > 1 else ""
        term = Term(field=field, words=found, text=" ".join(raw.split()), joined=joined)
        return term, bool(match["minus"])

    def _checked(self) -> Query:
        clauses = self.clauses
        if not any(not clause.excluded for clause in clauses):
            if clauses:
                return self._nothing(
                    "The rule only excludes: add at least one word or phrase that papers must "
                    "contain.",
                    search=ONLY_EXCLUDES_SEARCH,
                )
            return self._nothing('The rule is empty: type a word or a "quoted phrase".')
        if self.lenient:
            clauses = [Clause(c.terms[:MAX_ALTERNATIVES], c.excluded) for c in clauses]
            clauses = clauses[:MAX_CLAUSES]
        elif len(clauses) > MAX_CLAUSES:
            raise QueryError(f"The rule has too many terms: use at most {MAX_CLAUSES}.")
        elif any(len(clause.terms) > MAX_ALTERNATIVES for clause in clauses):
            raise QueryError(f"An OR group can hold at most {MAX_ALTERNATIVES} terms.")
        return Query(clauses=tuple(map(_with_plurals, clauses)), text=" ".join(self.text.split()))

    def _nothing(self, message: str, *, search: str = EMPTY_SEARCH) -> Query:
        if not self.lenient:
            raise QueryError(message)
        return Query(clauses=(), text=" ".join(self.text.split()), problem=search)


def _with_plurals(clause: Clause) -> Clause:
    """A lowercase word that may be an acronym's plural ("llms") also finds its singular, which
    is what the analyzer makes of "LLMs" in a paper."""
    extra = [
        Term(field=term.field, words=(variant,), text=term.text)
        for term in clause.terms
        if len(term.words) == 1 and (variant := plural_variant(term.text))
    ]
    known = {term.words for term in clause.terms}
    extra = [term for term in extra if term.words not in known]
    return Clause(clause.terms + tuple(extra), clause.excluded) if extra else clause


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _is_or(text: str, position: int) -> bool:
    end = position + 2
    return text[position:end].upper() == "OR" and (end == len(text) or text[end].isspace())


def _or_error(after_exclusion: bool) -> str:
    if after_exclusion:
        return "An exclusion cannot be part of an OR group: write it on its own."
    return "OR needs a term before it."
