"""Text folding shared by the paper readers and the topic rules (pure Python, no ORM)."""

import unicodedata


def fold(text: str) -> str:
    """Unicode-normalized (NFKC) and case-folded: full-width letters, ligatures and any case agree."""
    if text.isascii():  # nothing to normalize, and lower() is casefold() for ASCII
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold()
