"""The Hugging Face Daily Papers page, saved as plain text (see ../shared/dumps/README.md).

A dump is a header ending with the page date, then one block per paper, fields separated by blank
lines: title, abstract, and an optional metadata block (an author count or an organization, a lone
middle dot, and a date line with the upvotes). Dates may lack their year; they are in the year the
page was captured, which is one more than the largest explicit year on the page. Finding that year
needs the whole page, so the reader reads the stream twice (it must be seekable) and keeps only a
few lines in memory.
"""

import calendar
import re
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO

from core.kinds import SourceKind
from papers.readers.base import INT_MAX, SHORT_FIELDS, PaperRecord, ReaderError, RecordError

HEADER_LINES = ("new", "Get trending papers in your email inbox!", "Subscribe", "Daily Papers")
HEADER_END = "byAK and the research community"
MIDDLE_DOT = "·"
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
DATE_RE = re.compile(
    r"(?P<month>[A-Za-z]{3,4})\.? (?P<day>\d{1,2})(?:, (?P<year>\d{4}))?"
    r"(?: (?P<upvotes>\d[\d,]*|\d+(?:\.\d+)?k))?"
)
# What a date line with its year has, in bytes: ", " then a digit, in ASCII or the first byte of
# a UTF-8 sequence (DATE_RE's \d takes any script's digits).
YEAR_HINT = re.compile(rb", [0-9\xc2-\xf4]")
AUTHORS_RE = re.compile(r"•\s*(?P<count>\d[\d,]*)\s+authors?", re.IGNORECASE)
ORG_HANDLE_MAX, ORG_NAME_MAX = dict(SHORT_FIELDS)["org_handle"], dict(SHORT_FIELDS)["org_name"]
# How far into the file the header may end; a longer preamble is not a dump.
HEADER_MAX_LINES = 12


def sniff(head: str) -> bool:
    return HEADER_END in head and head.lstrip().startswith("new")


def read(stream: BinaryIO, *, year: int | None = None) -> Iterator[PaperRecord | RecordError]:
    capture_year = _capture_year(stream, fallback=year)
    stream.seek(0)
    lines = _lines(stream)
    page_date = _read_header(lines, capture_year)
    yield from _read_papers(lines, capture_year, page_date)


def _lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """Non-blank lines, stripped, with their line numbers; rejects text that is not UTF-8."""
    for number, raw in enumerate(stream, start=1):
        if raw.isspace():  # a blank line in ASCII (a third of a dump's lines): nothing to decode
            continue
        if b"\x00" in raw:
            raise ReaderError("binary data (a NUL byte), not a text dump", line=number)
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise ReaderError(
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                "save the page as UTF-8",
                line=number,
            ) from None
        if text.startswith("\ufeff"):
            # A byte-order mark on a line of its own is a blank line, not a paper's title.
            text = text.lstrip("\ufeff").strip()
        if text:
            yield number, text


def _capture_year(stream: BinaryIO, *, fallback: int | None) -> int:
    """The year after the latest year a date line spells out (a dump's dates mostly leave it
    out). Only a line with ", " before a digit can spell one out: the others are not decoded."""
    explicit = [
        int(match.group("year"))
        for raw in stream
        if YEAR_HINT.search(raw)
        and (match := DATE_RE.fullmatch(raw.decode("utf-8", "replace").strip()))
        and match["year"]
    ]
    if explicit:
        return max(explicit) + 1
    return fallback or date.today().year


def _read_header(lines: Iterator[tuple[int, str]], capture_year: int) -> date:
    for number, text in lines:
        if text == HEADER_END:
            break
        if text not in HEADER_LINES or number > HEADER_MAX_LINES:
            raise ReaderError(
                f"not a Daily Papers dump: expected the page header ending with {HEADER_END!r}, "
                f"found {_shorten(text)!r}",
                line=number,
            )
    else:
        raise ReaderError("not a Daily Papers dump: the page header is missing or cut short")
    for number, text in lines:
        return _parse_date(text, number, capture_year, what="page date")[0]
    raise ReaderError("the dump ends before its page date")


def _read_papers(
    lines: Iterator[tuple[int, str]], capture_year: int, page_date: date
) -> Iterator[PaperRecord | RecordError]:
    pending = _Lookahead(lines)
    while (title := pending.next()) is not None:
        title_line, title_text = title
        abstract = pending.next()
        if abstract is None:
            yield RecordError(
                f"the paper {_shorten(title_text)!r} has no abstract: the dump is cut short",
                line=title_line,
            )
            return
        record = PaperRecord(
            title=title_text,
            abstract=abstract[1],
            source=SourceKind.DAILY_DUMP,
            listed_on=page_date,
        )
        if _metadata_follows(pending):
            problem = _read_metadata(pending, record, capture_year)
            if problem is not None:
                yield problem
                continue
        yield record


def _metadata_follows(pending: "_Lookahead") -> bool:
    first, second = pending.peek(0), pending.peek(1)
    if first is None:
        return False
    return bool(AUTHORS_RE.fullmatch(first[1])) or (second is not None and second[1] == MIDDLE_DOT)


def _read_metadata(
    pending: "_Lookahead", record: PaperRecord, capture_year: int
) -> RecordError | None:
    """Fill in the record from its metadata block; or say why the block cannot be read.

    A date line that does not parse loses the paper its date and upvotes, with a warning. A block
    without its middle dot is read when a date line follows it; else the paper is rejected and
    reading goes on at the line where the dot should be, the next paper's title."""
    number, text = pending.next()
    if match := AUTHORS_RE.fullmatch(text):
        record.author_count = int(match["count"].replace(",", "")[:12])
    else:
        handle, _, name = text.partition(" ")
        record.org_handle, record.org_name = handle, (name.strip() or handle)
    dot = pending.peek(0)
    if dot is not None and dot[1] == MIDDLE_DOT:
        pending.next()
    elif dot is not None and DATE_RE.fullmatch(dot[1]):
        record.warnings.append(f"no lone {MIDDLE_DOT!r} after {_shorten(text)!r} (line {number})")
    else:
        return RecordError(
            f"expected a lone {MIDDLE_DOT!r} after {_shorten(text)!r}",
            line=dot[0] if dot else number,
        )
    date_line = pending.next()
    if date_line is None:
        return RecordError("the dump ends before the paper's date line", line=number)
    try:
        record.published_on, record.upvotes = _parse_date(
            date_line[1], date_line[0], capture_year, what="date line"
        )
    except ReaderError as exc:
        record.warnings.append(f"date and upvotes dropped: {exc.message} ({exc.where})")
    # The record checked its fields when it was made; the metadata's are checked now (cheaply:
    # a count too large for its column, a name too long for it).
    if (
        (record.upvotes or 0) > INT_MAX
        or (record.author_count or 0) > INT_MAX
        or len(record.org_handle or "") > ORG_HANDLE_MAX
        or len(record.org_name or "") > ORG_NAME_MAX
    ):
        record._fit()
    return None


def _parse_date(text: str, number: int, capture_year: int, *, what: str) -> tuple[date, int]:
    match = DATE_RE.fullmatch(text)
    month = MONTHS.get(match["month"].lower()) if match else None
    if not match or month is None:
        raise ReaderError(
            f"broken {what} {_shorten(text)!r}: expected 'Mon D, YYYY' or 'Mon D', "
            "optionally followed by the upvotes",
            line=number,
        )
    try:
        day = date(int(match["year"] or capture_year), month, int(match["day"]))
        upvotes = _parse_upvotes(match["upvotes"])
    except ValueError as exc:
        raise ReaderError(f"broken {what} {_shorten(text)!r}: {exc}", line=number) from None
    return day, upvotes


def _parse_upvotes(text: str | None) -> int:
    if not text:
        return 0
    if text.endswith("k"):
        return round(float(text[:-1]) * 1000)
    return int(text.replace(",", ""))


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Lookahead:
    """An iterator of lines that can peek a couple of lines ahead."""

    def __init__(self, lines: Iterator[tuple[int, str]]):
        self._lines = lines
        self._buffer: list[tuple[int, str]] = []

    def peek(self, index: int) -> tuple[int, str] | None:
        while len(self._buffer) <= index:
            line = next(self._lines, None)
            if line is None:
                return None
            self._buffer.append(line)
        return self._buffer[index]

    def next(self) -> tuple[int, str] | None:
        if self._buffer:
            return self._buffer.pop(0)
        return next(self._lines, None)
