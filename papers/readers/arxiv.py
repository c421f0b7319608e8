"""arXiv listings and API responses: rss.arxiv.org RSS 2.0 and Atom, export.arxiv.org/api Atom.

A whole day of arXiv is thousands of items and a bulk API harvest far more, so this reader streams
with ElementTree's iterparse and drops every item once read; memory stays flat however large the
file. feedparser (see `feed.py`) reads every other RSS/Atom feed, which are small, and the tests
check that both readers agree on the real arXiv samples.
"""

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import BinaryIO

from core.kinds import SourceKind
from core.text import clean_text
from papers.readers.base import (
    PaperRecord,
    ReaderError,
    RecordError,
    author_names,
    parse_arxiv_id_version,
    refuse_xml_entities,
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


def read(stream: BinaryIO, *, year: int | None = None) -> Iterator[PaperRecord | RecordError]:
    root = container = None
    channel_title = None
    items = 0
    refuse_xml_entities(stream)  # never expanded: no billion laughs, no external entities
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
                (container if container is not None else root).clear()  # read: free it
            elif elem.tag in ("title", f"{ATOM}title") and items == 0 and channel_title is None:
                channel_title = clean_text(elem.text or "")
    except ET.ParseError as exc:
        line, column = exc.position
        raise ReaderError(
            f"malformed or truncated XML ({_expat_reason(exc)}, column {column})", line=line
        ) from None
    if items == 0 and channel_title and "error" in channel_title.lower():
        raise ReaderError(f"arXiv reports an error instead of papers: {channel_title!r}")


# An RSS item's and an Atom entry's children, by the field they give.
FIELD_TAGS = {
    "guid": "id", f"{ATOM}id": "id", "link": "link",
    "title": "title", f"{ATOM}title": "title",
    "description": "abstract", f"{ATOM}summary": "abstract",
    "pubDate": "date", f"{ATOM}published": "date", f"{ATOM}updated": "updated",
    f"{ARXIV}announce_type": "announce_type",
}  # fmt: skip


def _record(item: ET.Element, number: int) -> PaperRecord | RecordError:
    """The item's paper; or, when it names no arXiv id or has no title, why not."""
    fields, authors, categories, links = _children(item)
    identifier = fields.get("id") or fields.get("link", "")
    if API_ERROR_PREFIX in identifier:
        raise ReaderError(f"arXiv API error: {clean_text(fields.get('abstract', ''))}", item=number)
    arxiv_id, version = parse_arxiv_id_version(identifier)
    if not arxiv_id:
        arxiv_id, version = parse_arxiv_id_version(" ".join(links))
    if not arxiv_id:
        return RecordError(f"no arXiv id in the entry's id {_shown(identifier)}", item=number)
    title = clean_text(fields.get("title", ""))
    if not title:
        return RecordError(f"the entry for arXiv:{arxiv_id} has no title", item=number)

    abstract = fields.get("abstract", "")
    announce_type = fields.get("announce_type")
    if prefix := LISTING_PREFIX_RE.match(abstract):
        announce_type = announce_type or prefix["type"]
        abstract = abstract[prefix.end() :]
    dated = fields.get("date") or fields.get("updated", "")
    stamp = _parse_date(dated)
    listing = announce_type is not None
    record = PaperRecord(
        title=title,
        abstract=clean_text(abstract),
        arxiv_id=arxiv_id,
        arxiv_version=version,
        authors=author_names(authors),
        categories=list(dict.fromkeys(categories)),
        # A listing's date is the day arXiv announced the item; the API's `published` is v1's date.
        listed_on=stamp if listing else None,
        published_on=stamp if not listing or announce_type in ("new", "cross") else None,
        announce_type=announce_type,
        source=SourceKind.ARXIV,
    )
    if dated and stamp is None:
        record.warnings.insert(0, f"date dropped: {_shown(dated)} is not a date")
    return record


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "…")


def _children(item: ET.Element) -> tuple[dict[str, str], list[str], list[str], list[str]]:
    """One pass over an item's children: single fields, authors, categories, alternate links."""
    fields: dict[str, str] = {}
    authors: list[str] = []
    categories: list[str] = []
    links: list[str] = []
    for child in item:
        tag, text = child.tag, (child.text or "").strip()
        if name := FIELD_TAGS.get(tag):
            if text and name not in fields:
                fields[name] = text
        elif tag == f"{DC}creator":
            authors.append(text)
        elif tag == f"{ATOM}author":
            authors.append(child.findtext(f"{ATOM}name", ""))
        elif tag == "category" and text:
            categories.append(text)
        elif tag == f"{ATOM}category" and child.get("term"):
            categories.append(child.get("term").strip())
        elif tag == f"{ATOM}link" and child.get("rel", "alternate") == "alternate":
            links.append(child.get("href", ""))
    return fields, authors, categories, links


def _parse_date(value: str) -> date | None:
    """The day of an RSS or Atom date; None when there is none or it cannot be read."""
    if not value or len(value) > 100:
        return None
    try:
        return _date_of(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


@functools.lru_cache(maxsize=64)
def _date_of(value: str) -> date:
    """A listing repeats one date thousands of times: parse each once."""
    if value[:4].isdigit():
        return datetime.fromisoformat(value).date()
    return parsedate_to_datetime(value).date()


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _expat_reason(exc: ET.ParseError) -> str:
    return str(exc).split(":")[0]
