"""A paper's text as queries see it, through the house's analyzer (`core/text.py`).

"Quantization", "quantized" and "QUANTISE" all become "quantiz", "LLMs" becomes "llm", and
"vision-language" is found as "vision language" and as "visionlanguage". The same analyzer reads
queries and papers, so both sides always agree.
"""

import itertools
from dataclasses import dataclass, field

from core.text import analyze, terms

__all__ = ["FIELDS", "Document", "document", "words"]

words = terms  # the terms of a text, in order: what a query's word or phrase becomes

# A document's fields: `text` (title and abstract), `title`, `abstract`, `author` (one run per
# author) and `org` (the organization's handle and name).
FIELDS = ("text", "title", "abstract", "author", "org")
LAZY_FIELDS = frozenset(("abstract",))  # most of a paper's text, and few queries name it


@dataclass(frozen=True)
class Document:
    """A paper's searchable text: for each field, its runs of terms (a phrase never spans two),
    and the joined forms of its compounds ("visionlanguag" for "vision-language")."""

    fields: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    joined: dict[str, frozenset[str]] = field(default_factory=dict, compare=False)
    # Each field's distinct terms (joined forms included) and pairs of adjacent terms: most terms
    # are answered by a membership test, and a phrase by its pairs before any scan. Those of the
    # abstract, most of a paper's text and seldom asked for alone, are worked out when first
    # asked for (`prepare`).
    words: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)
    pairs: dict[str, frozenset[tuple[str, str]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        eager = [name for name in self.fields if name not in LAZY_FIELDS]
        object.__setattr__(self, "words", {name: self._words(name) for name in eager})
        object.__setattr__(self, "pairs", {name: self._pairs(name) for name in eager})

    def prepare(self, name: str) -> frozenset[str]:
        """A field's terms and pairs, worked out now if they were left for later; its terms."""
        found = self.words.get(name)
        if found is None:
            found = self.words[name] = self._words(name)
            self.pairs[name] = self._pairs(name)
        return found

    def _words(self, name: str) -> frozenset[str]:
        runs = self.fields.get(name, ())
        found = frozenset(runs[0]) if len(runs) == 1 else frozenset(w for r in runs for w in r)
        joined = self.joined.get(name)
        return found.union(joined) if joined else found

    def _pairs(self, name: str) -> frozenset[tuple[str, str]]:
        return frozenset(p for run in self.fields.get(name, ()) for p in itertools.pairwise(run))

    def runs(self, name: str) -> tuple[tuple[str, ...], ...]:
        return self.fields.get(name, ())

    def has(self, name: str, word: str) -> bool:
        found = self.words.get(name)
        return word in (found if found is not None else self.prepare(name))

    def has_pair(self, name: str, first: str, second: str) -> bool:
        if name not in self.pairs:
            self.prepare(name)
        return (first, second) in self.pairs[name]

    def vocabulary(self) -> set[str]:
        return set().union(*(self.prepare(name) for name in self.fields))


def document(
    *, title: str, abstract: str = "", authors: list[str] | tuple[str, ...] = (), org: str = ""
) -> Document:
    title_text, abstract_text = analyze(title), analyze(abstract)
    author_texts = [analyze(name) for name in authors]
    org_text = analyze(org)
    return Document(
        fields={
            "title": title_text.runs,
            "abstract": abstract_text.runs,
            "text": title_text.runs + abstract_text.runs,
            "author": tuple(run for a in author_texts for run in a.runs),
            "org": org_text.runs,
        },
        joined={
            "title": title_text.joined,
            "abstract": abstract_text.joined,
            "text": title_text.joined | abstract_text.joined,
            "author": frozenset().union(*(a.joined for a in author_texts)),
            "org": org_text.joined,
        },
    )
