"""The topic rule language (documented in newsletter/rules/__init__.py).

`parse` turns a rule's text into a `Rule` or raises `RuleError`, whose message is written for the
person who typed the rule and names the column where the problem is.
"""

import itertools
import re
from dataclasses import dataclass

from core.text import joined_form, plural_variant
from newsletter.rules.text import Document, words

MAX_LENGTH = 300
MAX_CLAUSES = 12
MAX_ALTERNATIVES = 10
FIELDS = {"title": "title", "author": "author", "org": "org"}
# A token: an optional "-", an optional field prefix, then a quoted phrase or a bare word.
TOKEN_RE = re.compile(
    r'(?P<minus>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<phrase>[^"]*)(?P<close>")?|(?P<word>[^\s"]+))?'
)


class RuleError(ValueError):
    """A rule that does not parse. `column` is 1-based, or None for the rule as a whole."""

    def __init__(self, message: str, column: int | None = None):
        self.message = message
        self.column = column
        super().__init__(f"{message} (at column {column})" if column else message)


@dataclass(frozen=True)
class Term:
    """A word or a phrase, as stemmed words, to find in one field of a paper."""

    field: str  # "text" (title and abstract), "title", "author" or "org"
    words: tuple[str, ...]
    text: str  # as the subscriber wrote it, for showing which terms matched
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
class Rule:
    """Clauses that must all hold: every included clause found, no excluded one."""

    clauses: tuple[Clause, ...]
    text: str

    @property
    def included(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.excluded)

    @property
    def excluded(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.excluded)

    def matches(self, document: Document) -> bool:
        return all(clause.found_in(document) != clause.excluded for clause in self.clauses)

    def matched_terms(self, document: Document) -> list[str]:
        """The subscriber's own words that a matching paper contains (empty if it does not match)."""
        if not self.matches(document):
            return []
        found = [t.text for c in self.included for t in c.terms if t.found_in(document)]
        return list(dict.fromkeys(found))

    def label(self) -> str:
        """A short name for the rule: its included terms, as written."""
        return ", ".join(" or ".join(t.text for t in c.terms) for c in self.included)


def parse(text: str) -> Rule:
    text = text or ""
    if len(text) > MAX_LENGTH:
        raise RuleError(f"The rule is too long: keep it under {MAX_LENGTH} characters.")
    if not text.strip():
        raise RuleError('The rule is empty: type a word or a "quoted phrase".')
    clauses: list[Clause] = []
    pending: list[Term] = []  # the terms of the clause being read
    excluded = False
    expect_term = False  # after OR
    position = 0
    while True:
        position = _skip_space(text, position)
        if position >= len(text):
            break
        column = position + 1
        if _is_or(text, position):
            if not pending or excluded or expect_term:
                raise RuleError(_or_error(excluded), column)
            expect_term = True
            position += 2
            continue
        match = TOKEN_RE.match(text, position)
        term, is_excluded = _term(match, column)
        position = match.end()
        if expect_term:
            if is_excluded:
                raise RuleError(
                    "An exclusion cannot be part of an OR group: write it on its own.", column
                )
            pending.append(term)
            expect_term = False
            continue
        if pending:
            clauses.append(Clause(tuple(pending), excluded))
        pending, excluded = [term], is_excluded
    if expect_term:
        raise RuleError("OR needs a term after it.", len(text.rstrip()))
    clauses.append(Clause(tuple(pending), excluded))
    _check_limits(clauses)
    return Rule(clauses=tuple(map(_with_plurals, clauses)), text=" ".join(text.split()))


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


def _term(match: re.Match, column: int) -> tuple[Term, bool]:
    if match["field"] is not None and match["field"].lower() not in FIELDS:
        raise RuleError(
            f'Unknown field "{match["field"]}:". Use title:, author: or org:, or leave it out.',
            column,
        )
    if match["phrase"] is not None and match["close"] is None:
        raise RuleError('This quote is never closed: add a " at the end of the phrase.', column)
    raw = match["phrase"] if match["phrase"] is not None else match["word"]
    if raw is None:
        what = "a field name" if match["field"] else '"-"'
        raise RuleError(f"Nothing follows {what}: add the word or phrase to look for.", column)
    found = words(raw)
    if not found:
        shown = f'"{raw}"' if match["phrase"] is not None else raw
        raise RuleError(f"{shown or 'These quotes'} has no letters or digits to look for.", column)
    field = FIELDS[match["field"].lower()] if match["field"] else "text"
    shown = match["phrase"] if match["phrase"] is not None else raw
    joined = joined_form(raw) if len(found) > 1 else ""
    term = Term(field=field, words=found, text=" ".join(shown.split()), joined=joined)
    return term, bool(match["minus"])


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


def _check_limits(clauses: list[Clause]) -> None:
    if not any(not clause.excluded for clause in clauses):
        raise RuleError(
            "The rule only excludes: add at least one word or phrase that papers must contain."
        )
    if len(clauses) > MAX_CLAUSES:
        raise RuleError(f"The rule has too many terms: use at most {MAX_CLAUSES}.")
    if any(len(clause.terms) > MAX_ALTERNATIVES for clause in clauses):
        raise RuleError(f"An OR group can hold at most {MAX_ALTERNATIVES} terms.")
