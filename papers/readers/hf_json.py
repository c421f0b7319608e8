"""Hugging Face's daily papers JSON (`/api/daily_papers`): a list of items, each with a `paper`.

An API response holds one day's listing (tens of items), so it is parsed whole.
"""

import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, BinaryIO

from core.kinds import SourceKind
from papers.readers.base import PaperRecord, ReaderError, clean_text, http_url

HUB = "https://huggingface.co"
PAPER_PAGE = HUB + "/papers/{}"
MAX_KEYWORDS = 20


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
    except RecursionError:
        raise ReaderError("JSON nested too deeply to read") from None
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
    organization = paper.get("organization") or item.get("organization") or {}
    if not isinstance(organization, dict):
        raise ReaderError("'organization' must be an object", item=number)
    authors = paper.get("authors") or []
    if not isinstance(authors, list):
        raise ReaderError("'authors' must be a list", item=number)
    keywords = paper.get("ai_keywords") or []
    if not isinstance(keywords, list):
        raise ReaderError("'ai_keywords' must be a list", item=number)
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
        org_avatar_url=_hub_url(organization.get("avatar")),
        published_on=_day(paper.get("publishedAt"), "publishedAt", number),
        listed_on=_day(paper.get("submittedOnDailyAt"), "submittedOnDailyAt", number),
        upvotes=_count(paper, "upvotes", number),
        code_url=http_url(paper.get("githubRepo")),
        github_stars=_count(paper, "githubStars", number),
        project_url=http_url(paper.get("projectPage")),
        url=PAPER_PAGE.format(arxiv_id.strip()),
        thumbnail_url=_hub_url(item.get("thumbnail")),
        ai_summary=clean_text(str(paper.get("ai_summary") or "")),
        ai_keywords=[
            keyword for k in keywords if isinstance(k, str) and (keyword := clean_text(k))
        ][:MAX_KEYWORDS],
        comment_count=_count(item, "numComments", number),
        submitted_by=_submitter(item.get("submittedBy") or paper.get("submittedOnDailyBy")),
        source=SourceKind.HF_JSON,
    )


def _count(holder: dict, name: str, number: int) -> int | None:
    """A count that may be absent; present, it is a whole number that a database column holds."""
    value = holder.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ReaderError(f"'{name}' must be a whole number, not {value!r}", item=number)
    return value  # one out of a column's range is dropped from its record, with a warning


def _hub_url(value: Any) -> str:
    """An absolute URL; the API gives some avatars as paths on the hub ("/avatars/…")."""
    text = str(value or "").strip()
    if text.startswith("/") and not text.startswith("//"):
        text = HUB + text
    return http_url(text)


def _submitter(user: Any) -> str:
    if not isinstance(user, dict):
        return ""
    return clean_text(str(user.get("fullname") or user.get("name") or ""))[:100]


def _day(value: Any, name: str, number: int) -> date | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        raise ReaderError(f"'{name}' is not a date: {value!r}", item=number) from None
