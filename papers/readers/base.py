"""What every reader returns: plain records, and one error type that says where input went wrong."""

import re
from dataclasses import dataclass, field
from datetime import date

from core.kinds import SourceKind
from core.text import fold
from papers.readers.tex import detex, has_tex, tex_to_text

GITHUB_URL_RE = re.compile(r"https?://(?:www\.)?github\.com/[\w.-]+/[\w.-]+", re.IGNORECASE)
ARXIV_ID_RE = re.compile(
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?"
)
TITLE_KEY_MAX = 500
NOT_ALPHANUMERIC_RE = re.compile(r"[\W_]+")
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


def title_key(title: str) -> str:
    """Case, punctuation and white space ignored: "LFM2: Technical report" == "lfm2 technical REPORT"."""
    return NOT_ALPHANUMERIC_RE.sub("", fold(title))[:TITLE_KEY_MAX]


def clean_text(text: str) -> str:
    """Collapse runs of white space (feeds wrap titles and abstracts over several lines).

    NUL characters go too: JSON may carry them and PostgreSQL refuses them in text.
    """
    # Most text is clean: skip the copy. isprintable() is False for every white space character
    # but the plain space, and for NUL.
    if text.isprintable() and "  " not in text:
        return text.strip()
    return " ".join(text.replace("\x00", "").split())


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
    return text if text.lower().startswith(("https://", "http://")) else ""


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
