"""Hugging Face's daily papers JSON (`/api/daily_papers`): a list of items, each with a `paper`.

An API response holds one day's listing (tens of items), so it is parsed whole.
"""

import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, BinaryIO

from papers.models import SourceKind
from papers.readers.base import PaperRecord, ReaderError, clean_text

PAPER_PAGE = "https://huggingface.co/papers/{}"


def sniff(head: str) -> bool:
    return head.startswith(("[", "{"))


def read(stream: BinaryIO, *, year: int | None = None) -> Iterator[PaperRecord]:
    try:
        data = json.load(io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict"))
    except UnicodeDecodeError as exc:
        raise ReaderError(f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x})") from None
    except json.JSONDecodeError as exc:
        raise ReaderError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None
    if not isinstance(data, list):
        raise ReaderError(
            f"expected a list of daily papers items, found a JSON {type(data).__name__}"
        )
    for number, item in enumerate(data, start=1):
        yield _record(item, number)


def _record(item: Any, number: int) -> PaperRecord:
    paper = item.get("paper") if isinstance(item, dict) else None
    if not isinstance(paper, dict):
        raise ReaderError("expected an object with a 'paper' object", item=number)
    arxiv_id, title = (
        paper.get("id"),
        clean_text(str(paper.get("title") or item.get("title") or "")),
    )
    if not isinstance(arxiv_id, str) or not arxiv_id.strip():
        raise ReaderError("the paper has no 'id'", item=number)
    if not title:
        raise ReaderError(f"the paper {arxiv_id} has no title", item=number)
    upvotes = paper.get("upvotes")
    if upvotes is not None and (not isinstance(upvotes, int) or upvotes < 0):
        raise ReaderError(f"'upvotes' must be a whole number, not {upvotes!r}", item=number)
    organization = paper.get("organization") or {}
    if not isinstance(organization, dict):
        raise ReaderError("'organization' must be an object", item=number)
    authors = paper.get("authors") or []
    if not isinstance(authors, list):
        raise ReaderError("'authors' must be a list", item=number)
    return PaperRecord(
        title=title,
        abstract=clean_text(str(paper.get("summary") or item.get("summary") or "")),
        arxiv_id=arxiv_id.strip(),
        authors=[
            clean_text(str(a["name"])) for a in authors if isinstance(a, dict) and a.get("name")
        ],
        org_handle=clean_text(str(organization.get("name") or "")) or None,
        org_name=clean_text(str(organization.get("fullname") or organization.get("name") or ""))
        or None,
        published_on=_day(paper.get("publishedAt"), "publishedAt", number),
        listed_on=_day(paper.get("submittedOnDailyAt"), "submittedOnDailyAt", number),
        upvotes=upvotes,
        code_url=_http_url(paper.get("githubRepo")),
        url=PAPER_PAGE.format(arxiv_id.strip()),
        source=SourceKind.HF_JSON,
    )


def _http_url(value: Any) -> str:
    text = str(value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else ""


def _day(value: Any, name: str, number: int) -> date | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        raise ReaderError(f"'{name}' is not a date: {value!r}", item=number) from None
