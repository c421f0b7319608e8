"""Text as the rules see it: case-folded words, stemmed for English.

"Quantization", "quantized" and "QUANTIZE" all become "quantiz", so a rule finds every form of a
word. The same function reads rules and papers, so both sides always agree.
"""

import functools
import itertools
import re
from dataclasses import dataclass, field

import snowballstemmer

from papers.text import fold

WORD_RE = re.compile(r"[^\W_]+")
_stemmer = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def words(text: str) -> tuple[str, ...]:
    """The stemmed, case-folded words of `text`, in order."""
    folded = fold(text or "")
    return tuple(stem(word) for word in WORD_RE.findall(folded))


@dataclass(frozen=True)
class Document:
    """A paper's searchable text: for each field, its runs of words (a phrase never spans two).

    Fields: `text` (title and abstract), `title`, `author` (one run per author) and `org` (the
    organization's handle and name).
    """

    fields: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    # Each field's distinct words and pairs of adjacent words: most terms are answered by a
    # membership test, and a phrase by its pairs before any scan. Derived from `fields`.
    words: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)
    pairs: dict[str, frozenset[tuple[str, str]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        words = {n: frozenset(w for run in runs for w in run) for n, runs in self.fields.items()}
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
    title_words = words(title)
    return Document(
        fields={
            "title": (title_words,),
            "text": (title_words, words(abstract)),
            "author": tuple(words(name) for name in authors),
            "org": (words(org),),
        }
    )
