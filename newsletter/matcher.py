"""Match many papers against many rules with an inverted index.

Every term is indexed under a key a paper can be asked for in constant time: a word under
its field and itself, a phrase under its field and a pair of adjacent words (the rarest pair, for
a phrase of three words or more). The postings of an included clause's terms say which
clauses a paper satisfies; the postings of an excluded clause's terms veto the rule. A rule
matches when every included clause is hit and nothing vetoes it; only a phrase of three words or
more is then checked in full, with the clause's own `found_in`. That is the code `Query.matches`
and the signup preview use, and a property test holds the matcher to a brute-force oracle, so the
index only ever saves work and never changes an answer.

Matching a paper costs one lookup per distinct word and pair it has, plus the postings found: it
does not grow with the number of rules that share nothing with the paper.
"""

import itertools
import operator
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping

from core.query import Clause, Document, Query, Term
from core.query.document import LAZY_FIELDS

# A posting packs (rule number, clause number) into one int. A subscription's rule can join a
# topic's: 2 x parser.MAX_CLAUSES (12) included clauses at most, within 2 ** 5.
CLAUSE_BITS = 5
MAX_CLAUSES = 1 << CLAUSE_BITS


class Matcher:
    def __init__(
        self,
        rules: Iterable[tuple[Hashable, Query]],
        *,
        frequencies: Mapping[str, int] | None = None,
    ) -> None:
        self.frequencies = frequencies or {}
        self.keys: list[Hashable] = []
        self.required: list[int] = []  # included clauses per rule
        # Left to check once every included clause is hit: (clause, must be found).
        self.checks: dict[int, tuple[tuple[Clause, bool], ...]] = {}
        # Per field, a word or a pair of words → postings. A paper's words and pairs are
        # intersected with a field's keys in C (`keys() & words`), which is 2-3 times faster
        # than looking each of them up from Python.
        self.hits: dict[str, dict[Hashable, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.vetoes: dict[str, dict[Hashable, list[int]]] = defaultdict(lambda: defaultdict(list))
        for key, rule in rules:
            self._add(key, rule)
        self.lazy = (set(self.hits) | set(self.vetoes)) & LAZY_FIELDS

    def __len__(self) -> int:
        return len(self.keys)

    def match(self, document: Document) -> list[Hashable]:
        """The keys of every rule the document matches."""
        hits: set[int] = set()
        vetoed: set[int] = set()
        for name in self.lazy:  # a field some rule names, left for later by the document
            document.prepare(name)
        words, pairs = document.words, document.pairs
        for postings, found in ((self.hits, hits), (self.vetoes, vetoed)):
            for field, index in postings.items():  # the fields some rule names: often one
                for keys in (words.get(field), pairs.get(field)):
                    if keys:
                        found.update(*map(index.__getitem__, index.keys() & keys))
        satisfied = Counter(map(operator.rshift, hits, itertools.repeat(CLAUSE_BITS)))
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

    def _add(self, key: Hashable, rule: Query) -> None:
        number = len(self.keys)
        checks = []
        hits, vetoes, key_of = self.hits, self.vetoes, self._key
        included = 0
        for clause in rule.clauses:  # one pass: this runs for every rule of every subscriber
            if clause.excluded:
                if any(len(term.words) > 2 for term in clause.terms):
                    checks.append((clause, False))  # a pair is not enough to veto a long phrase
                else:
                    for term in clause.terms:
                        vetoes[term.field][key_of(term)].append(number)
                continue
            posting = (number << CLAUSE_BITS) | included
            included += 1
            long_phrase = False
            for term in clause.terms:
                words = term.words
                if len(words) == 1:
                    hits[term.field][words[0]].append(posting)
                else:
                    hits[term.field][key_of(term)].append(posting)
                    if term.joined:
                        hits[term.field][term.joined].append(posting)
                    long_phrase = long_phrase or len(words) > 2
            if long_phrase:
                checks.append((clause, True))
        if included > MAX_CLAUSES:
            raise ValueError(f"a rule has more than {MAX_CLAUSES} included clauses")
        self.keys.append(key)
        self.required.append(included)
        if checks:
            self.checks[number] = tuple(checks)

    def _key(self, term: Term) -> str | tuple[str, str]:
        """Within the term's field: its word, or the rarest pair of adjacent words."""
        if len(term.words) == 1:
            return term.words[0]
        return min(itertools.pairwise(term.words), key=self._pair_rarity)

    def _pair_rarity(self, pair: tuple[str, str]) -> float:
        if self.frequencies:
            return min(self.frequencies.get(word, 0) for word in pair)
        return -len(pair[0]) - len(pair[1])  # without counts, longer words tend to be rarer
