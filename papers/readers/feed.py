"""Any other RSS or Atom feed, read with feedparser.

feedparser is forgiving; we are not, where forgiving would lose papers silently: XML that does
not parse is an error, and so is a document that is not a feed at all.
"""

import xml.sax
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO

import feedparser
from django.utils.html import strip_tags

from core.kinds import SourceKind
from core.text import clean_text
from papers.readers.base import (
    PaperRecord,
    ReaderError,
    RecordError,
    author_names,
    parse_arxiv_id,
    refuse_xml_entities,
)

FEED_ROOTS = ("<rss", "<feed", "<rdf:RDF")


def sniff(head: str) -> bool:
    return head.startswith("<") and any(root in head for root in FEED_ROOTS)


def read(stream: BinaryIO, *, year: int | None = None) -> Iterator[PaperRecord | RecordError]:
    refuse_xml_entities(stream)  # feedparser's loose parser would expand them
    data = stream.read()
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXException):
        line = problem.getLineNumber() if hasattr(problem, "getLineNumber") else None
        raise ReaderError(f"malformed or truncated XML ({problem.getMessage()})", line=line)
    if not parsed.get("version"):
        raise ReaderError("not an RSS or Atom feed")
    for number, entry in enumerate(parsed.entries, start=1):
        yield _record(entry, number)


def _record(entry: feedparser.FeedParserDict, number: int) -> PaperRecord | RecordError:
    title = clean_text(strip_tags(entry.get("title", "")))
    if not title:
        return RecordError("the entry has no title", item=number)
    link = entry.get("link", "")
    arxiv_id = None
    if "arxiv.org" in link or "arxiv.org" in entry.get("id", ""):
        arxiv_id = parse_arxiv_id(entry.get("id", "")) or parse_arxiv_id(link)
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    return PaperRecord(
        title=title,
        abstract=clean_text(strip_tags(entry.get("summary", ""))),
        arxiv_id=arxiv_id,
        authors=author_names([a.get("name", "") for a in entry.get("authors", [])]),
        categories=[tag["term"] for tag in entry.get("tags", []) if tag.get("term")],
        published_on=_day(stamp),
        url=link,
        source=SourceKind.FEED,
    )


def _day(stamp) -> date | None:
    """The day of feedparser's parsed time; None for none, or for one no calendar has."""
    try:
        return date(*stamp[:3]) if stamp else None
    except (TypeError, ValueError):
        return None
