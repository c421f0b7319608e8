"""TeX in what arXiv writes: accents in author names ("Andr\\'e" -> "André"), and math and
commands in titles and abstracts, made readable text (`tex_to_text`)."""

import functools
import logging
import re
import unicodedata

COMBINING = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
LETTERS = {
    "l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ",
    "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "i": "\u0131", "j": "\u0237",
    "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ", "dj": "đ", "DJ": "Đ", "ng": "ŋ", "NG": "Ŋ",
}  # fmt: skip
ACCENT_RE = re.compile(
    r"\\(?P<accent>['`^\"~=.]|[uvHckr](?=[\s{]))\s*(?:\{\s*(?P<braced>\\?[A-Za-z])\s*\}|(?P<bare>\\?[A-Za-z]))"
)
LETTER_RE = re.compile(
    r"\\(?P<name>" + "|".join(sorted(LETTERS, key=len, reverse=True)) + r")(?![A-Za-z])"
)


def _accented(match: re.Match) -> str:
    base = match["braced"] or match["bare"]
    if base.startswith("\\"):  # \'{\i} is an accented dotless i: accent the plain letter
        base = base[1:]
    return base + COMBINING[match["accent"]]


def detex(text: str) -> str:
    if "\\" not in text and "{" not in text:
        return text
    text = ACCENT_RE.sub(_accented, text)
    text = LETTER_RE.sub(lambda match: LETTERS[match["name"]], text)
    text = text.replace("{", "").replace("}", "").replace("\\&", "&").replace("~", " ")
    return unicodedata.normalize("NFC", text)


# TeX in titles and abstracts: math between dollars (or \( \), \[ \]), commands with their
# arguments, and {\em ...} groups. Each such fragment goes through pylatexenc; the text around
# it is left as it is, so a "%" or a "~" in plain prose keeps its meaning.
FRAGMENT_RE = re.compile(
    r"\$\$.+?\$\$|\$[^$]+?\$|\\\(.+?\\\)|\\\[.+?\\\]"
    r"|\\[A-Za-z]+\*?(?:\[[^\]]*\])?(?:\{(?:[^{}]|\{[^{}]*\})*\})*"
    r"|\{\\[A-Za-z]+\s(?:[^{}]|\{[^{}]*\})*\}"
    r"|\\[%&_#$]",
    re.DOTALL,
)
MAX_FRAGMENT = 400
logging.getLogger("pylatexenc").setLevel(logging.WARNING)  # it reports every repair at INFO


QUICK_COMMAND_RE = re.compile(r"\\[A-Za-z]+\*?|\\(?=[^A-Za-z])")
QUICK_DROPPED = str.maketrans({"{": "", "}": "", "$": "", "~": " ", "^": "", "_": " "})


def tex_quick(text: str) -> str:
    """TeX made readable by rules alone, in time linear in the text: accents and letters as
    `detex` reads them, then every other command's name, math signs and braces dropped
    ("\\emph{sparse} $x_2$" -> "sparse x 2"). Rougher than `tex_to_text`, for text past what the
    converter may read."""
    text = LETTER_RE.sub(lambda match: LETTERS[match["name"]], ACCENT_RE.sub(_accented, text))
    text = QUICK_COMMAND_RE.sub(" ", text).translate(QUICK_DROPPED)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def has_tex(text: str) -> bool:
    return "$" in text or "\\" in text


def tex_to_text(text: str) -> str:
    """Readable text for a title or abstract written with TeX: "$O(n^2)$ time with
    \\textit{sparse} attention" -> "O(n^2) time with sparse attention". Text without TeX comes
    back as it is; a fragment pylatexenc cannot read is kept as written."""
    if not has_tex(text):
        return text
    text = LETTER_RE.sub(lambda match: LETTERS[match["name"]], ACCENT_RE.sub(_accented, text))
    text = FRAGMENT_RE.sub(lambda match: _fragment(match.group()), text)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def bibtex_value_to_text(value: str) -> str:
    """Readable text for a BibTeX field, which is TeX throughout (braces that keep case,
    "{\\TeX}", accents): "Attention Is {All} You Need" -> "Attention Is All You Need"."""
    if not any(char in value for char in "{}\\$~"):
        return " ".join(value.split())
    value = value.replace("\\LaTeX", "LaTeX").replace("\\TeX", "TeX")  # pylatexenc drops them
    try:
        text = _converter().latex_to_text(value)
    except Exception:  # as above: keep what was written, without its braces
        text = value.replace("{", "").replace("}", "")
    return unicodedata.normalize("NFC", " ".join(text.split()))


@functools.lru_cache(maxsize=4096)
def _fragment(fragment: str) -> str:
    if len(fragment) > MAX_FRAGMENT:
        return fragment
    try:
        return _converter().latex_to_text(fragment).strip() or fragment
    except Exception:  # pylatexenc raises several types on odd input: keep what was written
        return fragment


@functools.cache
def _converter():
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)
