"""Text as the rules see it: case-folded words, stemmed for English.

"Quantization", "quantized" and "QUANTIZE" all become "quantiz", so a rule finds every form of a
word. The same function reads rules and papers, so both sides always agree.
"""

import functools
import re
import unicodedata
from dataclasses import dataclass, field

import snowballstemmer

WORD_RE = re.compile(r"[^\W_]+")
_stemmer = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def words(text: str) -> tuple[str, ...]:
    """The stemmed, case-folded words of `text`, in order."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return tuple(stem(word) for word in WORD_RE.findall(folded))


@dataclass(frozen=True)
class Document:
    """A paper's searchable text: for each field, its runs of words (a phrase never spans two).

    Fields: `text` (title and abstract), `title`, `author` (one run per author) and `org` (the
    organization's handle and name).
    """

    fields: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    def runs(self, name: str) -> tuple[tuple[str, ...], ...]:
        return self.fields.get(name, ())

    def vocabulary(self) -> set[str]:
        return {word for runs in self.fields.values() for run in runs for word in run}


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
