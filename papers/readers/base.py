"""What every reader returns: plain records, and one error type that says where input went wrong."""

import re
from dataclasses import dataclass, field
from datetime import date

from core.kinds import SourceKind
from core.text import clean_text, title_key, without_surrogates
from papers.readers.tex import detex, has_tex, tex_to_text

GITHUB_URL_RE = re.compile(r"https?://(?:www\.)?github\.com/[\w.-]+/[\w.-]+", re.IGNORECASE)
ARXIV_ID_RE = re.compile(
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?"
)
AUTHOR_SEPARATOR_RE = re.compile(r",|\s+and\s+")
AFFILIATION_RE = re.compile(r"\([^()]*\)")


class ReaderError(ValueError):
    """Input that is not what its format says. `where` is "line N" or "item N" when known."""

    def __init__(self, message: str, *, line: int | None = None, item: int | None = None):
        self.message = message
        self.line = line
        self.item = item
        super().__init__(self.describe())

    @property
    def where(self) -> str:
        if self.line is not None:
            return f"line {self.line}"
        if self.item is not None:
            return f"item {self.item}"
        return ""

    def describe(self, source: str = "") -> str:
        location = ":".join(str(part) for part in (source, self.where) if part)
        return f"{location}: {self.message}" if location else self.message


class RecordError(ReaderError):
    """One record a reader cannot read (no id, no title, not an object, cut short).

    Readers yield it in the record's place and read on: the rest of the file still goes in, and
    the ingest reports the record, with its position, as rejected. A `ReaderError` that is raised
    is about the whole file (not the format it claims, malformed XML or JSON), which fails alone.
    """


@dataclass(slots=True)
class PaperRecord:
    """One paper as a source describes it. None or empty means "this source does not say"."""

    title: str
    source: SourceKind
    abstract: str = ""
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    authors: list[str] = field(default_factory=list)
    author_count: int | None = None
    org_handle: str | None = None
    org_name: str | None = None
    org_avatar_url: str = ""
    categories: list[str] = field(default_factory=list)
    published_on: date | None = None
    listed_on: date | None = None
    upvotes: int | None = None
    code_url: str = ""
    github_stars: int | None = None
    project_url: str = ""
    url: str = ""
    thumbnail_url: str = ""
    ai_summary: str = ""
    ai_keywords: list[str] = field(default_factory=list)
    comment_count: int | None = None
    submitted_by: str = ""
    announce_type: str | None = None
    # The title and abstract as written, where they hold TeX; `title` and `abstract` are then
    # its readable text, which matching, search and every page and email use.
    title_tex: str = field(init=False, default="")
    abstract_tex: str = field(init=False, default="")
    title_key: str = field(init=False)
    # What was cut or dropped to fit (too long, a link that is no http(s), a number out of
    # range): the ingest reports each with the record's position.
    warnings: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if has_tex(self.title):
            self.title_tex, self.title = self.title, tex_to_text(self.title)
        if has_tex(self.abstract):
            self.abstract_tex, self.abstract = self.abstract, tex_to_text(self.abstract)
        self.title_key = title_key(self.title)
        if self.authors and self.author_count is None:
            self.author_count = len(self.authors)
        if not self.code_url:
            self.code_url = find_code_url(self.abstract)
        if not self.url and self.arxiv_id:
            self.url = f"https://arxiv.org/abs/{self.arxiv_id}"
        if self._needs_checking():
            self._fit()

    def _needs_checking(self) -> bool:
        """Most records fit: a few cheap looks decide whether to check each field."""
        if (
            len(self.title) > TITLE_MAX
            or len(self.abstract) > ABSTRACT_MAX
            or len(self.ai_summary) > SUMMARY_MAX
            or len(self.authors) > AUTHORS_MAX
            or len(self.categories) > LIST_MAX
            or len(self.ai_keywords) > LIST_MAX
            or (self.arxiv_id is not None and len(self.arxiv_id) > ARXIV_ID_MAX)
            or (self.org_handle is not None and len(self.org_handle) > 100)
            or (self.org_name is not None and len(self.org_name) > 200)
            or len(self.submitted_by) > 100
        ):
            return True
        for url in (self.code_url, self.project_url, self.url, self.thumbnail_url,
                    self.org_avatar_url):  # fmt: skip
            if url and not _is_web_url(url):
                return True
        for value, top in ((self.upvotes, INT_MAX), (self.github_stars, INT_MAX),
                           (self.comment_count, INT_MAX), (self.author_count, INT_MAX),
                           (self.arxiv_version, 32_767)):  # fmt: skip
            if value is not None and not _in_range(value, top):
                return True
        return any(len(str(name)) > NAME_MAX for name in self.authors)

    def _fit(self) -> None:
        """Cut what is too long, drop what cannot be stored, and say so for each."""
        for name, top in (("title", TITLE_MAX), ("abstract", ABSTRACT_MAX),
                          ("ai_summary", SUMMARY_MAX), *SHORT_FIELDS):  # fmt: skip
            value = getattr(self, name) or ""
            if len(value) > top:
                setattr(self, name, value[:top])
                self.warnings.append(f"{name} cut from {len(value):,} to {top:,} characters")
        if self.title_key != title_key(self.title):
            self.title_key = title_key(self.title)
        for name in URL_FIELDS:
            value = getattr(self, name)
            if value and not _is_web_url(value):
                setattr(self, name, "")
                self.warnings.append(f"{name} dropped: {_shown(value)} is no http(s) link of "
                                     f"at most {URL_MAX} characters")  # fmt: skip
        if self.arxiv_id is not None and len(self.arxiv_id) > ARXIV_ID_MAX:
            self.warnings.append(f"arxiv_id dropped: {_shown(self.arxiv_id)} is too long")
            self.arxiv_id = None
        for name, top in NUMBER_FIELDS:
            value = getattr(self, name)
            if not _in_range(value, top):
                setattr(self, name, None)
                self.warnings.append(f"{name} dropped: {_shown(str(value))} is out of range")
        if len(self.authors) > AUTHORS_MAX or any(len(str(a)) > NAME_MAX for a in self.authors):
            self.authors = [str(a)[:NAME_MAX] for a in self.authors[:AUTHORS_MAX]]
            self.warnings.append(f"authors cut to {AUTHORS_MAX:,} names of {NAME_MAX} characters")
        for name in ("categories", "ai_keywords"):
            values = getattr(self, name)
            if len(values) > LIST_MAX:
                setattr(self, name, values[:LIST_MAX])
                self.warnings.append(f"{name} cut to {LIST_MAX}")


# What a record may hold: the columns' sizes, and no more text than a paper has.
TITLE_MAX = 1_000
ABSTRACT_MAX = 20_000
SUMMARY_MAX = 5_000
URL_MAX = 500
ARXIV_ID_MAX = 40
NAME_MAX = 300
AUTHORS_MAX = 5_000
LIST_MAX = 100
URL_FIELDS = ("code_url", "project_url", "url", "thumbnail_url", "org_avatar_url")
SHORT_FIELDS = (("org_handle", 100), ("org_name", 200), ("submitted_by", 100))
INT_MAX = 2**31 - 1  # PositiveIntegerField on every database
NUMBER_FIELDS = (("upvotes", INT_MAX), ("github_stars", INT_MAX), ("comment_count", INT_MAX),
                 ("author_count", INT_MAX), ("arxiv_version", 32_767))  # fmt: skip


def _is_web_url(value: str) -> bool:
    return len(value) <= URL_MAX and value[:8].lower().startswith(("http://", "https://"))


def _in_range(value, top: int) -> bool:
    return value is None or (isinstance(value, int) and 0 <= value <= top)


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "…")


# XML's prolog, where a document type may declare entities: before the root element.
PROLOG_MAX = 64 * 1024
ENTITY_DECLARATION_RE = re.compile(rb"<!ENTITY", re.IGNORECASE)
ROOT_START_RE = re.compile(rb"<[A-Za-z_]")


def refuse_xml_entities(stream) -> None:
    """Refuse an XML document that declares entities, before any parser sees it.

    Entities are how an XML bomb ("billion laughs") expands a few kilobytes into gigabytes, and
    how an external entity reads a local file; feeds never declare any. Declarations can only
    stand in the prolog (the document type, before the root element), so reading the prolog is
    enough: an equivalent of defusedxml's forbid_entities, at no cost to the parse that follows.
    The stream is left where it was."""
    start = stream.tell()
    head = stream.read(PROLOG_MAX)
    stream.seek(start)
    root = None
    for match in ROOT_START_RE.finditer(head):
        if not head[: match.start()].endswith((b"<!", b"<?")):
            root = match.start()
            break
    prolog = head if root is None else head[:root]
    found = ENTITY_DECLARATION_RE.search(prolog)
    if found:
        line = prolog[: found.start()].count(b"\n") + 1
        raise ReaderError("the XML declares entities, which feeds never need", line=line)
    if root is None and b"<!DOCTYPE" in head.upper() and len(head) == PROLOG_MAX:
        raise ReaderError(f"the XML's document type runs past its first {PROLOG_MAX // 1024} KB")


def find_code_url(text: str) -> str:
    if not text or "github.com" not in text.casefold():  # cheap test first: most have none
        return ""
    match = GITHUB_URL_RE.search(text)
    return match.group(0).rstrip(".") if match else ""


def parse_arxiv_id(text: str) -> str | None:
    """The versionless arXiv id in an id, guid or URL: "oai:arXiv.org:2411.17700v1" -> "2411.17700"."""
    return parse_arxiv_id_version(text)[0]


def parse_arxiv_id_version(text: str) -> tuple[str | None, int | None]:
    """The arXiv id and version in an id, guid or URL: "…/abs/2411.17700v2" -> ("2411.17700", 2)."""
    match = ARXIV_ID_RE.search(text or "")
    if not match:
        return None, None
    version = match.group("version")
    return match.group("id"), int(version) if version else None


def http_url(value: object) -> str:
    """The value if it is an http(s) URL, else nothing: sources are not trusted to give safe links."""
    text = str(value or "").strip()
    if not text.lower().startswith(("https://", "http://")):
        return ""
    return text if text.isprintable() else without_surrogates(text.replace("\x00", ""))


def author_names(values: list[str]) -> list[str]:
    """Names from author strings that may each hold several: "A, B (Lab, Univ), C and D".

    Splits at top-level commas and "and", drops parenthesized affiliations, decodes TeX accents.
    """
    return [detex(name) for value in values for name in _split_authors(value)]


def _split_authors(creators: str) -> list[str]:
    if "(" not in creators:  # the common case, without affiliations
        return [
            name
            for part in AUTHOR_SEPARATOR_RE.split(clean_text(creators))
            if (name := part.strip())
        ]
    names, depth, current = [], 0, []
    for char in creators:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    return [
        name
        for raw in names
        for part in AUTHOR_SEPARATOR_RE.split(AFFILIATION_RE.sub("", raw))
        if (name := clean_text(part))
    ]
