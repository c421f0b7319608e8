"""One reader per format. A reader turns bytes into `PaperRecord`s and never touches the database.

`detect` names the format from the first bytes; `read` dispatches to the reader.
"""

from collections.abc import Iterator
from typing import BinaryIO

from core.kinds import SourceKind
from papers.readers import arxiv, daily_dump, feed, hf_json
from papers.readers.base import PaperRecord, ReaderError, RecordError

__all__ = ["PaperRecord", "ReaderError", "RecordError", "detect", "read"]

READERS = {
    SourceKind.DAILY_DUMP: daily_dump,
    SourceKind.ARXIV: arxiv,
    SourceKind.HF_JSON: hf_json,
    SourceKind.FEED: feed,
}
SNIFF_ORDER = (SourceKind.ARXIV, SourceKind.FEED, SourceKind.HF_JSON, SourceKind.DAILY_DUMP)
SNIFF_BYTES = 8192


def detect(head: bytes) -> SourceKind:
    """The format of an input, from its first bytes."""
    if not head.strip():
        raise ReaderError("the input is empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReaderError("UTF-16 text: save the input as UTF-8")
    if b"\x00" in head:
        raise ReaderError("binary data, not a dump, a feed or JSON")
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    for kind in SNIFF_ORDER:
        if READERS[kind].sniff(text):
            return kind
    if text.startswith("<"):
        raise ReaderError("XML or HTML that is not an RSS or Atom feed")
    raise ReaderError(
        "cannot tell the format: expected a Daily Papers dump, an RSS/Atom feed or "
        "Hugging Face daily papers JSON (name it with --format)"
    )


def read(
    kind: SourceKind, stream: BinaryIO, *, year: int | None = None
) -> Iterator[PaperRecord | RecordError]:
    """The input's records, in order; in place of one that cannot be read, a `RecordError`.

    Raises `ReaderError` for an input that is not what its format says."""
    return READERS[SourceKind(kind)].read(stream, year=year)
