"""A paper's text as the rules see it, through the house's analyzer (`core/text.py`).

"Quantization", "quantized" and "QUANTISE" all become "quantiz", "LLMs" becomes "llm", and
"vision-language" is found as "vision language" and as "visionlanguage". The same analyzer reads
rules and papers, so both sides always agree.
"""

import itertools
from dataclasses import dataclass, field

from core.text import analyze, terms

__all__ = ["Document", "document", "words"]

words = terms  # the terms of a text, in order: what a rule's word or phrase becomes


@dataclass(frozen=True)
class Document:
    """A paper's searchable text: for each field, its runs of terms (a phrase never spans two),
    and the joined forms of its compounds ("visionlanguag" for "vision-language").

    Fields: `text` (title and abstract), `title`, `author` (one run per author) and `org` (the
    organization's handle and name).
    """

    fields: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    joined: dict[str, frozenset[str]] = field(default_factory=dict, compare=False)
    # Each field's distinct terms (joined forms included) and pairs of adjacent terms: most terms
    # are answered by a membership test, and a phrase by its pairs before any scan.
    words: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)
    pairs: dict[str, frozenset[tuple[str, str]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        joined = self.joined
        words = {
            n: frozenset(w for run in runs for w in run).union(joined.get(n, ()))
            for n, runs in self.fields.items()
        }
        pairs = {
            n: frozenset(p for run in runs for p in itertools.pairwise(run))
            for n, runs in self.fields.items()
        }
        object.__setattr__(self, "words", words)
        object.__setattr__(self, "pairs", pairs)

    def runs(self, name: str) -> tuple[tuple[str, ...], ...]:
        return self.fields.get(name, ())

    def has(self, name: str, word: str) -> bool:
        return word in self.words.get(name, ())

    def has_pair(self, name: str, first: str, second: str) -> bool:
        return (first, second) in self.pairs.get(name, ())

    def vocabulary(self) -> set[str]:
        return set().union(*self.words.values())


def document(
    *, title: str, abstract: str = "", authors: list[str] | tuple[str, ...] = (), org: str = ""
) -> Document:
    title_text, abstract_text = analyze(title), analyze(abstract)
    author_texts = [analyze(name) for name in authors]
    org_text = analyze(org)
    return Document(
        fields={
            "title": title_text.runs,
            "text": title_text.runs + abstract_text.runs,
            "author": tuple(run for a in author_texts for run in a.runs),
            "org": org_text.runs,
        },
        joined={
            "title": title_text.joined,
            "text": title_text.joined | abstract_text.joined,
            "author": frozenset().union(*(a.joined for a in author_texts)),
            "org": org_text.joined,
        },
    )
