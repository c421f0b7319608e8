"""arXiv listings and API responses: rss.arxiv.org RSS 2.0 and Atom, export.arxiv.org/api Atom.

A whole day of arXiv is thousands of items and a bulk API harvest far more, so this reader streams
with ElementTree's iterparse and drops every item once read; memory stays flat however large the
file. feedparser (see `feed.py`) reads every other RSS/Atom feed, which are small, and the tests
check that both readers agree on the real arXiv samples.
"""

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import BinaryIO

from papers.models import SourceKind
from papers.readers.base import (
    PaperRecord,
    ReaderError,
    author_names,
    clean_text,
    parse_arxiv_id,
)

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
ITEM_TAGS = {"item", f"{ATOM}entry"}
CONTAINER_TAGS = {"channel", f"{ATOM}feed"}
ROOT_TAGS = {"rss", f"{ATOM}feed"}
ARXIV_MARKERS = ("http://arxiv.org/schemas/atom", "arxiv.org/api/")
LISTING_PREFIX_RE = re.compile(
    r"^arXiv:\S+\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?", re.IGNORECASE
)
API_ERROR_PREFIX = "arxiv.org/api/errors"


def sniff(head: str) -> bool:
    return head.startswith("<") and any(marker in head for marker in ARXIV_MARKERS)


def read(stream: BinaryIO, *, year: int | None = None) -> Iterator[PaperRecord]:
    root = container = None
    channel_title = None
    items = 0
    events = ET.iterparse(stream, events=("start", "end"))
    try:
        for event, elem in events:
            if event == "start":
                if root is None:
                    root = elem
                    if elem.tag not in ROOT_TAGS:
                        raise ReaderError(
                            f"not an RSS or Atom feed: the document is <{_local(elem.tag)}>"
                        )
                if elem.tag in CONTAINER_TAGS:
                    container = elem
                continue
            if elem.tag in ITEM_TAGS:
                items += 1
                yield _record(elem, items)
                container.clear()  # the item is read: free it
            elif elem.tag in ("title", f"{ATOM}title") and items == 0 and channel_title is None:
                channel_title = clean_text(elem.text or "")
    except ET.ParseError as exc:
        line, column = exc.position
        raise ReaderError(
            f"malformed or truncated XML ({_expat_reason(exc)}, column {column})", line=line
        ) from None
    if items == 0 and channel_title and "error" in channel_title.lower():
        raise ReaderError(f"arXiv reports an error instead of papers: {channel_title!r}")


def _record(item: ET.Element, number: int) -> PaperRecord:
    def text(*tags: str) -> str:
        for tag in tags:
            found = item.find(tag)
            if found is not None and found.text and found.text.strip():
                return found.text.strip()
        return ""

    identifier = text("guid", f"{ATOM}id") or text("link")
    if API_ERROR_PREFIX in identifier:
        raise ReaderError(f"arXiv API error: {clean_text(text(f'{ATOM}summary'))}", item=number)
    arxiv_id = parse_arxiv_id(identifier) or parse_arxiv_id(_atom_link(item))
    if not arxiv_id:
        raise ReaderError(f"no arXiv id in the entry's id {identifier!r}", item=number)
    title = clean_text(text("title", f"{ATOM}title"))
    if not title:
        raise ReaderError(f"the entry for arXiv:{arxiv_id} has no title", item=number)

    abstract = text("description", f"{ATOM}summary")
    announce_type = text(f"{ARXIV}announce_type") or None
    if prefix := LISTING_PREFIX_RE.match(abstract):
        announce_type = announce_type or prefix["type"]
        abstract = abstract[prefix.end() :]
    stamp = _parse_date(text("pubDate", f"{ATOM}published", f"{ATOM}updated"), number)
    listing = announce_type is not None
    return PaperRecord(
        title=title,
        abstract=clean_text(abstract),
        arxiv_id=arxiv_id,
        authors=_authors(item),
        categories=_categories(item),
        # A listing's date is the day arXiv announced the item; the API's `published` is v1's date.
        listed_on=stamp if listing else None,
        published_on=stamp if not listing or announce_type in ("new", "cross") else None,
        announce_type=announce_type,
        source=SourceKind.ARXIV,
    )


def _authors(item: ET.Element) -> list[str]:
    names = [name.text or "" for name in item.iterfind(f"{ATOM}author/{ATOM}name")]
    return author_names(names or [el.text or "" for el in item.iterfind(f"{DC}creator")])


def _categories(item: ET.Element) -> list[str]:
    terms = [el.get("term") or "" for el in item.iterfind(f"{ATOM}category")]
    terms += [el.text or "" for el in item.iterfind("category")]
    return list(dict.fromkeys(term.strip() for term in terms if term.strip()))


def _atom_link(item: ET.Element) -> str:
    for link in item.iterfind(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate":
            return link.get("href", "")
    return ""


def _parse_date(value: str, number: int) -> date | None:
    if not value:
        return None
    try:
        if value[:4].isdigit():
            return datetime.fromisoformat(value).date()
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError):
        raise ReaderError(f"unreadable date {value!r}", item=number) from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _expat_reason(exc: ET.ParseError) -> str:
    return str(exc).split(":")[0]
