"""Match many papers against many rules with an inverted index.

Every term is indexed under a key a paper can be asked for in constant time: a word under
(field, word), a phrase under (field, (first, second)), a pair of adjacent words (the rarest pair,
for a phrase of three words or more). The postings of an included clause's terms say which
clauses a paper satisfies; the postings of an excluded clause's terms veto the rule. A rule
matches when every included clause is hit and nothing vetoes it; only a phrase of three words or
more is then checked in full, with the clause's own `found_in`. That is the code `Rule.matches`
and the signup preview use, and a property test holds the matcher to a brute-force oracle, so the
index only ever saves work and never changes an answer.

Matching a paper costs one lookup per distinct word and pair it has, plus the postings found: it
does not grow with the number of rules that share nothing with the paper.
"""

import gc
import itertools
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager

from newsletter.rules.parser import Clause, Rule, Term
from newsletter.rules.text import Document

CLAUSE_BITS = 4  # a posting packs (rule number, clause number) into one int
MAX_CLAUSES = 1 << CLAUSE_BITS


@contextmanager
def collector_paused() -> Iterator[None]:
    """For parsing and indexing many rules at once: they make millions of objects that all live
    on, and the cyclic garbage collector would walk them again and again (measured: 100,000 rules
    parse in 1.6 s with it paused, 3.4 s without)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Matcher:
    def __init__(
        self,
        rules: Iterable[tuple[Hashable, Rule]],
        *,
        frequencies: Mapping[str, int] | None = None,
    ) -> None:
        self.frequencies = frequencies or {}
        self.keys: list[Hashable] = []
        self.required: list[int] = []  # included clauses per rule
        # Left to check once every included clause is hit: (clause, must be found).
        self.checks: dict[int, tuple[tuple[Clause, bool], ...]] = {}
        self.hits: dict[tuple, list[int]] = defaultdict(list)
        self.vetoes: dict[tuple, list[int]] = defaultdict(list)
        for key, rule in rules:
            self._add(key, rule)

    def __len__(self) -> int:
        return len(self.keys)

    def match(self, document: Document) -> list[Hashable]:
        """The keys of every rule the document matches."""
        hits: set[int] = set()
        vetoed: set[int] = set()
        for field, words in document.words.items():
            self._collect(((field, w) for w in words), hits, vetoed)
        for field, pairs in document.pairs.items():
            self._collect(((field, p) for p in pairs), hits, vetoed)
        satisfied = Counter(posting >> CLAUSE_BITS for posting in hits)
        required, checks, keys = self.required, self.checks, self.keys
        return [
            keys[number]
            for number, count in satisfied.items()
            if count == required[number]
            and number not in vetoed
            and (
                number not in checks
                or all(c.found_in(document) is wanted for c, wanted in checks[number])
            )
        ]

    def _collect(self, lookups, hits: set[int], vetoed: set[int]) -> None:
        index, vetoes = self.hits, self.vetoes
        for key in lookups:
            postings = index.get(key)
            if postings:
                hits.update(postings)
            postings = vetoes.get(key)
            if postings:
                vetoed.update(postings)

    def _add(self, key: Hashable, rule: Rule) -> None:
        number = len(self.keys)
        included = rule.included
        if len(included) > MAX_CLAUSES:
            raise ValueError(f"a rule has more than {MAX_CLAUSES} included clauses")
        self.keys.append(key)
        self.required.append(len(included))
        checks = []
        for clause_number, clause in enumerate(included):
            for term in clause.terms:
                self.hits[self._key(term)].append((number << CLAUSE_BITS) | clause_number)
            if any(len(t.words) > 2 for t in clause.terms):
                checks.append((clause, True))
        for clause in rule.excluded:
            if any(len(t.words) > 2 for t in clause.terms):
                checks.append((clause, False))  # a pair is not enough to veto a long phrase
            else:
                for term in clause.terms:
                    self.vetoes[self._key(term)].append(number)
        if checks:
            self.checks[number] = tuple(checks)

    def _key(self, term: Term) -> tuple:
        if len(term.words) == 1:
            return (term.field, term.words[0])
        pairs = list(itertools.pairwise(term.words))
        return (term.field, min(pairs, key=self._pair_rarity))

    def _pair_rarity(self, pair: tuple[str, str]) -> float:
        if self.frequencies:
            return min(self.frequencies.get(word, 0) for word in pair)
        return -len(pair[0]) - len(pair[1])  # without counts, longer words tend to be rarer
