"""Numbers from URLs and forms, bounded: a database key is a 64-bit integer, and a number that
does not fit one is no key at all (SQLite raises OverflowError on it, PostgreSQL DataError)."""

MAX_ID = 2**63 - 1
MAX_ID_DIGITS = 18  # every number of 18 digits fits in 63 bits


def bounded_int(text: str | None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """`text` as an integer within [low, high], or None when it is not one."""
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > len(str(high)) + 1:
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return value if low <= value <= high else None


class IdConverter:
    """`<id:pk>` in a URL: a positive database key; a longer number never matches (404)."""

    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
