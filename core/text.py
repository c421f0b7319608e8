"""The house's text vocabulary: one analyzer for the matcher, the signup preview, the site's search
and the personal ranking, so that they never disagree about what a word is.

`analyze(text)` turns text into runs of terms (a run never spans a sentence break it cannot see,
only what the tokenizer joins), plus the joined forms of compounds:

- case and accents are folded: "Über" ~ "uber", "QUANTIZE" ~ "quantize";
- possessives go ("model's", "models'"), and so does the plural "s"/"es" of acronyms and
  mixed-case words, which Snowball leaves alone: "LLMs" ~ "LLM", "GPUs", "NPUs", "MoEs", "CNNs'";
- British spellings meet American ones where Snowball keeps them apart: "quantisation" ~
  "quantization", "optimise" ~ "optimize", "analyse" ~ "analyze", "behaviour" ~ "behavior",
  "centre" ~ "center";
- a word in capitals throughout is an acronym of its own, plural or not: "TTS" (text-to-speech)
  is not "TT"s, and a rule typed in lowercase ("tts") is read as the papers write it (see
  `plural_variant`);
- words are stemmed for English (Snowball): "quantized" ~ "quantization";
- hyphenated and slashed compounds are split, and their joined form is kept beside them:
  "vision-language" gives the run ("vision", "languag") and the extra term "visionlanguag", so
  it is found by "vision language", "vision-language" and "visionlanguage" alike (a phrase of
  several words also finds its words written as one; one word is never split, so
  "visionlanguage" finds "vision-language" and "visionlanguage" but not "vision language");
- a number keeps its unit: "4-bit", "4 bit" and "4bit" all give the term "4bit".

The stemmer (Snowball's C build, PyStemmer, through snowballstemmer; the pure-Python one where
it is missing: both give the same stems) is not thread-safe: each thread has its own. Stems are
cached per process.
"""

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass

import snowballstemmer

# A chunk: word characters, joined by hyphens or slashes into a compound, with an optional
# possessive after it.
CHUNK_RE = re.compile(r"[^\W_]+(?:[-/\u2010\u2011][^\W_]+)*(?:['\u2019]s?(?![^\W_]))?")
PART_SPLIT_RE = re.compile(r"[-/\u2010\u2011]")
POSSESSIVE_RE = re.compile(r"['\u2019]s?$")
# British endings that Snowball does not bring to the American stem; applied to folded words.
BRITISH = (
    (re.compile(r"(?<=[a-z]{2})is(e|ed|es|ing|ation|ations|er|ers|able)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z])ys(e|ed|es|ing|er|ers)$"), r"yz\1"),
    (re.compile(r"(?<=[a-z]{3})our(s|ed|ing|ful|able|ite|ites)?$"), r"or\1"),
    (re.compile(r"(?<=[a-z]{2})(t|b)re(s)?$"), r"\1er\2"),
    (re.compile(r"(?<=[a-z]{2})(t|b)red$"), r"\1ered"),
)
# Any of those endings: one search before the five substitutions, which most words skip.
BRITISH_ANY = re.compile(
    r"(?:is|ys)(?:e|ed|es|ing|ation|ations|er|ers|able)$|our(?:s|ed|ing|ful|able|ite|ites)?$"
    r"|[tb]re[sd]?$"
)
_local = threading.local()
TITLE_KEY_MAX = 500
NOT_ALPHANUMERIC_RE = re.compile(r"[\W_]+")
SURROGATE_RE = re.compile("[\ud800-\udfff]")
# What no page, feed or database should carry: control characters (C0, DEL and C1; XML 1.0
# refuses most of them, so a feed with one cannot be written) and the two noncharacters XML
# refuses. Tab, line feed and carriage return are white space, kept as such.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def fold(text: str) -> str:
    """Unicode-normalized (NFKC) and case-folded: full-width letters, ligatures and any case agree.

    Accents are kept: this is the fold of a paper's title key. The analyzer folds accents too.
    """
    if text.isascii():  # nothing to normalize, and lower() is casefold() for ASCII
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold()


def fold_accents(text: str) -> str:
    """`fold`, and accents removed: "Über" -> "uber"."""
    if text.isascii():
        return text.lower()
    # Case-folded first: some marks fold to letters ("ᾀ" -> "ἀι": the iota subscript is a
    # letter once folded, and would otherwise be dropped as an accent).
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFKC", plain).casefold()


def _stemmer():
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer


@functools.lru_cache(maxsize=200_000)
def term(word: str) -> str:
    """The term of one word as written (no spaces or hyphens): folded, de-pluralized, stemmed."""
    folded = fold_accents(_singular(word))
    if folded.isdigit():
        return folded
    if BRITISH_ANY.search(folded):
        for pattern, replacement in BRITISH:
            folded = pattern.sub(replacement, folded, count=1)
    return _stemmer().stemWord(folded)


def _singular(word: str) -> str:
    """An acronym's or mixed-case word's plural "s"/"es" removed: "LLMs" -> "LLM", "MoEs" -> "MoE".

    Only where the word has at least two capitals before the suffix, so "Transformers",
    "Bus" and "Gas" are left to the stemmer."""
    if len(word) < 3 or word[-1] != "s" or word.islower():
        return word
    stem = word[:-1]
    if word.endswith("es") and stem[:-1].isupper() and len(stem) > 2:
        return word[:-2]  # "BOXes"
    if sum(char.isupper() for char in stem) >= 2:
        return stem
    return word


@dataclass(frozen=True, slots=True)
class Analysis:
    """Text as terms: the runs of adjacent terms, and joined forms that stand beside them."""

    runs: tuple[tuple[str, ...], ...]
    joined: frozenset[str]

    def terms(self) -> tuple[str, ...]:
        return tuple(t for run in self.runs for t in run)


def analyze(text: str) -> Analysis:
    """The terms of `text`, in one run, with the joined forms of its compounds and numbers."""
    run: list[str] = []
    joined: set[str] = set()
    previous_number = ""
    text = text or ""
    if not text.isascii():  # compatibility forms first: "¼" reads as "1", "4"
        # The one mark that case folding makes a letter (the iota subscript, U+037A once
        # normalized) is read as that letter, as `fold` would read it.
        text = unicodedata.normalize("NFKC", text).replace("\u0345", "\u03b9")
    add, stem = run.append, term
    for chunk in CHUNK_RE.findall(text):
        if chunk.isalnum():  # most chunks: one word, nothing to split or strip
            if previous_number:  # "4 bit": the number and its unit, joined
                joined.add(stem(previous_number + chunk))
            add(stem(chunk))
            previous_number = chunk if chunk.isdigit() else ""
            continue
        chunk = POSSESSIVE_RE.sub("", chunk)
        parts = [part for part in PART_SPLIT_RE.split(chunk) if part]
        if not parts:
            continue
        if previous_number:
            joined.add(stem(previous_number + parts[0]))
        run.extend(map(stem, parts))
        if len(parts) > 1:
            joined.add(stem("".join(parts)))
        previous_number = parts[-1] if parts[-1].isdigit() else ""
    return Analysis(runs=(tuple(run),), joined=frozenset(joined))


def terms(text: str) -> tuple[str, ...]:
    """The terms of `text`, in order (without the joined forms)."""
    return analyze(text).runs[0]


def plural_variant(word: str) -> str:
    """For a rule's word written in lower case that may be an acronym's plural ("llms", "gpus",
    "fpgas"), the term of its singular ("llm"): a paper's "LLMs" becomes "llm", and a rule
    written before the analyzer knew acronyms must still find it. Empty when the stemmer already
    drops the "s" ("models"), the word is not a lowercase plural, or the papers write it as an
    acronym of its own ("tts": "TTS", text-to-speech, is not the plural of "TT", tensor-train),
    as the oracle set by `use_acronym_oracle` tells (the papers app's corpus counts)."""
    if len(word) < 3 or not word.endswith("s") or not word.islower() or not word.isalnum():
        return ""
    whole = term(word)
    singular = term(word[:-1])
    if not whole.endswith("s") or singular == whole:
        return ""
    oracle = _acronym_oracle
    if oracle is not None and oracle(word):
        return ""
    return singular


_acronym_oracle = None


def use_acronym_oracle(oracle) -> None:
    """`oracle(word)` (a lowercase word ending in s, "tts") is true when the corpus writes it as
    an acronym of its own rather than as a plural; None: every such word is a plural."""
    global _acronym_oracle
    _acronym_oracle = oracle


def joined_form(text: str) -> str:
    """The term of `text` written as one word: "vision language" -> "visionlanguag"."""
    parts = [
        part
        for chunk in CHUNK_RE.findall(text or "")
        for part in PART_SPLIT_RE.split(POSSESSIVE_RE.sub("", chunk))
        if part
    ]
    return term("".join(parts)) if parts else ""


def surface_words(text: str, wanted: set[str] | frozenset[str]) -> dict[str, str]:
    """For terms of `text`, the word it writes for each, as first written (lowercased, unless an
    acronym): in "Quantization of LLMs", "quantiz" reads "quantization" and "llm" "LLM"."""
    found: dict[str, str] = {}
    if not wanted:
        return found
    for chunk in CHUNK_RE.findall(unicodedata.normalize("NFKC", text or "")):
        chunk = POSSESSIVE_RE.sub("", chunk)
        parts = [part for part in PART_SPLIT_RE.split(chunk) if part]
        written = [(part, part) for part in parts]
        if len(parts) > 1:
            written.append(("".join(parts), chunk))  # a joined form reads as its compound
        for word, shown in written:
            stem = term(word)
            if stem in wanted and stem not in found:
                shown = _singular(shown)
                acronym = sum(char.isupper() for char in shown) >= 2
                found[stem] = shown if acronym else shown.lower()
        if len(found) == len(wanted):
            break
    return found


# -- Text as stored: clean, and one key per title -------------------------------------------


def clean_text(text: str) -> str:
    """Collapse runs of white space (feeds wrap titles and abstracts over several lines).

    Control characters go too (`without_controls`): JSON may carry NUL, which PostgreSQL
    refuses, and a title with U+0001 could not be written into an Atom feed.
    """
    # Most text is clean: skip the copy. isprintable() is False for every white space and
    # control character but the plain space.
    if text.isprintable() and "  " not in text:
        return text.strip()
    return " ".join(without_controls(text).split())


def without_controls(text: str) -> str:
    """`text` without control characters and XML's noncharacters, its lone surrogates U+FFFD
    (white space is kept): what a query, a form field or a stored text must never carry to a
    page, a feed or the database."""
    if text.isprintable():
        return text
    return without_surrogates(CONTROL_RE.sub("", text))


def without_surrogates(text: str) -> str:
    """JSON may spell a lone surrogate ("\\ud800"), which no database can store: U+FFFD instead."""
    return SURROGATE_RE.sub("\ufffd", text)


def title_key(title: str) -> str:
    """Case, punctuation and white space ignored: "LFM2: Technical report" == "lfm2 technical REPORT"."""
    return NOT_ALPHANUMERIC_RE.sub("", fold(title))[:TITLE_KEY_MAX]
