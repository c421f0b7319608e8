"""A reader's library, read from what they hand over: pasted arXiv ids and links (arXiv, Hugging
Face paper pages), a BibTeX or RIS file (Zotero, Mendeley, Google Scholar), or a Zotero CSV.

`library_read` knows the formats and returns plain records (title, abstract, arXiv id, DOI) or
raises `LibraryError` naming the line; it never touches the database. `library_import` (in
newsletter/services/library.py) deduplicates and stores them.
"""

import contextvars
import csv
import io
import logging
import re
from dataclasses import dataclass

import bibtexparser
import rispy

from core.text import clean_text, title_key
from core.uploads import UploadError, upload_text
from papers.readers.tex import bibtex_value_to_text, has_tex, tex_quick

MAX_BYTES = 10 * 1024 * 1024
# Bounds on the work a file may cost (a hostile 10 MB file is answered in well under 2 s): the
# braces bibtexparser walks, the characters of a value read before it is cut, and the
# characters of TeX a file may have converted by pylatexenc (about 200,000 a second).
MAX_BRACES = 300_000
RAW_PER_KEPT = 2
TEX_BUDGET = 150_000
NOT_TEXT = "This is a binary file, not a library export."
MAX_ENTRIES = 5000
FORMATS = ("ids", "bibtex", "ris", "zotero-csv")
# An arXiv id, alone or in a link: new style (2401.12345, with an optional version) or old
# (hep-th/9901001); a DOI; the links a reader pastes.
NEW_ID = r"\d{4}\.\d{4,5}"
OLD_ID = r"[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID_RE = re.compile(rf"^(?:arxiv:)?(?P<id>{NEW_ID}|{OLD_ID})(?:v\d+)?$", re.IGNORECASE)
LINK_RE = re.compile(
    rf"^https?://(?:www\.|export\.)?(?:arxiv\.org/(?:abs|pdf|html)|huggingface\.co/papers)/"
    rf"(?P<id>{NEW_ID}|{OLD_ID})(?:v\d+)?(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)
DOI_RE = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(?P<doi>10\.\d{4,9}/\S+)$", re.I)
ARXIV_DOI_RE = re.compile(rf"^10\.48550/arxiv\.(?P<id>{NEW_ID}|{OLD_ID})$", re.IGNORECASE)
ARXIV_IN_TEXT_RE = re.compile(rf"(?:arxiv[:\s/.]*|arxiv\.org/(?:abs|pdf)/)(?P<id>{NEW_ID})", re.I)
RIS_TAG_RE = re.compile(r"^[A-Z][A-Z0-9]  -( |$)")
TITLE_MAX = 1000
ABSTRACT_MAX = 10_000


class LibraryError(ValueError):
    """A file that cannot be read as a library; `line` is 1-based, or None for the whole file."""

    def __init__(self, message: str, line: int | None = None):
        self.message, self.line = message, line
        super().__init__(f"Line {line}: {message}" if line else message)


@dataclass(frozen=True)
class LibraryRecord:
    """One paper of a reader's library, as its file describes it."""

    title: str = ""
    abstract: str = ""
    arxiv_id: str = ""
    doi: str = ""
    line: int = 0  # where it starts in the file, 1-based

    @property
    def identity(self) -> str:
        """What makes two records the same paper: its arXiv id, else its DOI, else its title."""
        if self.arxiv_id:
            return f"arxiv:{self.arxiv_id}"
        if self.doi:
            return f"doi:{self.doi.lower()}"
        return f"title:{title_key(self.title)}" if self.title else ""


@dataclass
class LibraryRead:
    format: str
    records: list[LibraryRecord]
    skipped: int = 0  # items with neither a title nor an identifier (notes, attachments)


def library_read(data: bytes | str, *, name: str = "", format: str = "") -> LibraryRead:
    """The records of a pasted text or an uploaded file. The format is `format` if given, else
    told by the file's name (.bib, .ris, .csv) or its first lines."""
    text, format = library_check(data, name=name, format=format)
    budget = _tex_budget.set([TEX_BUDGET])
    try:
        records, skipped = READERS[format](text)
    finally:
        _tex_budget.reset(budget)
    _check_count(len(records))
    return LibraryRead(format=format, records=records, skipped=skipped)


def library_check(data: bytes | str, *, name: str = "", format: str = "") -> tuple[str, str]:
    """The text of a library file and its format, once what can be checked without parsing it
    holds (size, text, entry count, braces): the cheap half of `library_read`, which the manage
    page runs before it queues the reading. LibraryError says what is wrong."""
    if isinstance(data, bytes):
        try:
            text = upload_text(data, max_bytes=MAX_BYTES, binary=NOT_TEXT)
        except UploadError as exc:
            raise LibraryError(exc.message, exc.line) from None
    else:
        text = data
        if len(text.encode()) > MAX_BYTES:
            raise LibraryError(f"The text is over {MAX_BYTES // (1024 * 1024)} MB.")
        if "\x00" in text:
            raise LibraryError(NOT_TEXT, text[: text.index("\x00")].count("\n") + 1)
    format = format or _format_of(name, text)
    if format not in FORMATS:
        raise LibraryError(f"Unknown format {format!r}: use one of {', '.join(FORMATS)}.")
    # Counted before anything is parsed: a file of 400,000 entries is refused in a blink, not
    # after all of them are read.
    _check_count(COUNTERS[format](text))
    if format == "bibtex" and (braces := text.count("{")) > MAX_BRACES:
        raise LibraryError(
            f"This BibTeX file has {braces:,} braces: at most {MAX_BRACES:,} (about 60 an entry)."
        )
    return text, format


# What is left of the TeX budget of the file being read (a list, to be spent in place).
_tex_budget: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "tex_budget", default=None
)
# bibtexparser logs a warning and an info line per block it cannot read: a hostile file of
# 100,000 broken blocks would write 200,000 lines. The first bad block is said to the reader.
logging.getLogger("bibtexparser").setLevel(logging.ERROR)


def _check_count(count: int) -> None:
    if count > MAX_ENTRIES:
        raise LibraryError(f"The library has {count:,} entries: at most {MAX_ENTRIES:,}.")


# How many entries a file holds, counted without parsing it (at least as many as a parser
# finds that have a title or identifier, so nothing a reader may import is refused).
BIBTEX_ENTRY_RE = re.compile(r"@\s*([A-Za-z]+)\s*[{(]")
NOT_ENTRIES = {"comment", "string", "preamble"}
RIS_START_RE = re.compile(r"^TY  -", re.MULTILINE)
ID_SEPARATOR_RE = re.compile(r"[\s,;]+")


def _count_bibtex(text: str) -> int:
    return sum(m[1].lower() not in NOT_ENTRIES for m in BIBTEX_ENTRY_RE.finditer(text))


def _count_csv(text: str) -> int:
    if text.count("\n") <= MAX_ENTRIES:  # a row takes a line at least
        return 0
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        return sum(1 for _ in rows) - 1  # the header
    except csv.Error:
        return 0  # the reader says what is wrong, with its line


COUNTERS = {
    "ids": lambda text: sum(1 for token in ID_SEPARATOR_RE.split(text) if token),
    "bibtex": _count_bibtex,
    "ris": lambda text: len(RIS_START_RE.findall(text)),
    "zotero-csv": _count_csv,
}


def _format_of(name: str, text: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in ("bib", "bibtex"):
        return "bibtex"
    if suffix in ("ris", "txt") and RIS_TAG_RE.match(text.lstrip()):
        return "ris"
    if suffix == "ris":
        return "ris"
    head = text.lstrip()[:2000]
    if head.startswith("@") or re.search(r"^\s*@\w+\s*[{(]", head, re.MULTILINE):
        return "bibtex"
    if head.startswith("TY  -"):
        return "ris"
    first_line = head.split("\n", 1)[0]
    if suffix == "csv" or ("Title" in first_line and "," in first_line):
        return "zotero-csv"
    return "ids"


def _ids(text: str) -> tuple[list[LibraryRecord], int]:
    """Pasted arXiv ids, arXiv or Hugging Face links, or DOIs, separated by spaces, commas or
    lines."""
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        for token in re.split(r"[\s,;]+", line.strip()):
            token = token.strip("<>()[]\"'")
            if not token:
                continue
            match = ARXIV_ID_RE.match(token) or LINK_RE.match(token)
            if match:
                records.append(LibraryRecord(arxiv_id=_arxiv(match["id"]), line=number))
                continue
            doi = DOI_RE.match(token)
            if doi:
                records.append(_with_doi(LibraryRecord(line=number), doi["doi"]))
                continue
            shown = token if len(token) <= 60 else token[:57] + "…"
            raise LibraryError(
                f"“{shown}” is not an arXiv id (2401.12345), an arXiv or Hugging Face paper "
                "link, or a DOI.",
                number,
            )
    return records, 0


def _bibtex(text: str) -> tuple[list[LibraryRecord], int]:
    library = bibtexparser.parse_string(text)
    if library.failed_blocks:
        block = min(library.failed_blocks, key=lambda b: b.start_line or 0)
        reason = str(getattr(block, "error", "") or "").split("\n", 1)[0]
        raise LibraryError(
            "This BibTeX entry cannot be read" + (f" ({reason.strip()})" if reason else "") + ".",
            (block.start_line or 0) + 1,
        )
    records, skipped = [], 0
    for entry in library.entries:
        fields = {field.key.lower(): str(field.value) for field in entry.fields}
        arxiv = ""
        if fields.get("archiveprefix", "").lower() == "arxiv" or "eprint" in fields:
            match = ARXIV_ID_RE.match(fields.get("eprint", "").strip())
            arxiv = _arxiv(match["id"]) if match else ""
        if not arxiv:
            arxiv = _arxiv_in(
                fields.get("url", ""), fields.get("journal", ""), fields.get("note", "")
            )
        record = LibraryRecord(
            title=_text(fields.get("title", ""), TITLE_MAX),
            abstract=_text(fields.get("abstract", ""), ABSTRACT_MAX),
            arxiv_id=arxiv,
            line=(entry.start_line or 0) + 1,
        )
        record = _with_doi(record, fields.get("doi", ""))
        if record.identity:
            records.append(record)
        else:
            skipped += 1
    return records, skipped


def _ris(text: str) -> tuple[list[LibraryRecord], int]:
    lines = text.splitlines()
    starts = [n for n, line in enumerate(lines, 1) if line.startswith("TY  -")]
    if not starts:
        raise LibraryError("This is not a RIS file: no record starts with “TY  -”.", 1)
    for number, line in enumerate(lines, 1):
        if line.strip() and not RIS_TAG_RE.match(line) and number < starts[0]:
            raise LibraryError("A RIS file starts with a “TY  -” line.", number)
    try:
        entries = rispy.loads(text, skip_unknown_tags=True)
    except Exception as exc:  # rispy raises plain exceptions for malformed files
        raise LibraryError(f"This RIS file cannot be read ({exc}).") from None
    if len(entries) != len(starts):
        ends = [n for n, line in enumerate(lines, 1) if line.startswith("ER  -")]
        line = starts[len(ends)] if len(ends) < len(starts) else None
        raise LibraryError("A RIS record is not closed with “ER  -”.", line)
    records, skipped = [], 0
    for entry, line in zip(entries, starts, strict=True):
        title = (
            entry.get("title") or entry.get("primary_title") or entry.get("secondary_title") or ""
        )
        urls = entry.get("urls") or []
        record = LibraryRecord(
            title=_text(str(title), TITLE_MAX),
            abstract=_text(
                str(entry.get("abstract") or entry.get("notes_abstract") or ""), ABSTRACT_MAX
            ),
            arxiv_id=_arxiv_in(*map(str, urls)),
            line=line,
        )
        record = _with_doi(record, str(entry.get("doi") or ""))
        if record.identity:
            records.append(record)
        else:
            skipped += 1
    return records, skipped


def _zotero_csv(text: str) -> tuple[list[LibraryRecord], int]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = {name.strip().lower(): name for name in reader.fieldnames or []}
    if "title" not in columns:
        raise LibraryError("This CSV has no “Title” column (export it from Zotero as CSV).", 1)
    records, skipped = [], 0
    try:
        for row in reader:
            get = _getter(row, columns)
            if get("item type").lower() in ("note", "attachment"):
                skipped += 1
                continue
            record = LibraryRecord(
                title=_text(get("title"), TITLE_MAX),
                abstract=_text(get("abstract note") or get("abstract"), ABSTRACT_MAX),
                arxiv_id=_arxiv_in(get("url"), get("extra"), get("archive location")),
                line=reader.line_num,
            )
            record = _with_doi(record, get("doi"))
            if record.identity:
                records.append(record)
            else:
                skipped += 1
    except csv.Error as exc:
        raise LibraryError(f"This CSV cannot be read ({exc}).", reader.line_num) from None
    return records, skipped


def _getter(row: dict, columns: dict[str, str]):
    """A CSV row's value by its column's name in any case, "" when missing."""

    def get(name: str) -> str:
        key = columns.get(name)
        return (row.get(key) or "").strip() if key else ""

    return get


READERS = {"ids": _ids, "bibtex": _bibtex, "ris": _ris, "zotero-csv": _zotero_csv}


def _text(value: str, limit: int) -> str:
    """A title or abstract from a file: TeX in BibTeX values and in the others alike becomes
    readable text, cut to `limit` characters.

    The TeX work is bounded: a value is cut before it is converted (to what can be kept, with
    room for markup), braces alone are simply dropped, and TeX converter reads at most
    TEX_BUDGET characters a file; past that, the rules of `tex_quick` read it."""
    value = value[: limit * RAW_PER_KEPT]
    if has_tex(value):
        budget = _tex_budget.get() or [TEX_BUDGET]
        if budget[0] >= len(value):
            budget[0] -= len(value)
            value = bibtex_value_to_text(value)
        else:
            value = tex_quick(value)
    elif "{" in value or "}" in value or "~" in value:
        value = value.replace("{", "").replace("}", "").replace("~", " ")
    return clean_text(value)[:limit]


def _arxiv(identifier: str) -> str:
    return identifier if "/" in identifier else identifier.lower()


def _arxiv_in(*texts: str) -> str:
    """An arXiv id named in a URL or a note ("arXiv: 2401.12345", ".../abs/2401.12345")."""
    for text in texts:
        match = ARXIV_IN_TEXT_RE.search(text or "")
        if match:
            return match["id"]
    return ""


def _with_doi(record: LibraryRecord, doi: str) -> LibraryRecord:
    """The record with its DOI; an arXiv DOI (10.48550/arXiv.2401.12345) names its arXiv id."""
    doi = doi.strip().removeprefix("https://doi.org/").removeprefix("http://dx.doi.org/")
    if not doi:
        return record
    arxiv = ARXIV_DOI_RE.match(doi)
    return LibraryRecord(
        title=record.title,
        abstract=record.abstract,
        arxiv_id=record.arxiv_id or (_arxiv(arxiv["id"]) if arxiv else ""),
        doi=doi[:200],
        line=record.line,
    )
