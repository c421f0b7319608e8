"""Turn the TeX accents arXiv leaves in author names into Unicode: "Andr\\'e" -> "André"."""

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
