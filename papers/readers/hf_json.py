"""Hugging Face's daily papers JSON (`/api/daily_papers`): a list of items, each with a `paper`.

An API response holds one day's listing (tens of items), so it is parsed whole. A Paperwire's
own API (`papers/api.py`) answers in the same shape; a paper it has no arXiv id for carries an id
of its own (`pw-<number>`), read here as no arXiv id at all (the paper is then known by its title).
"""

import io
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, BinaryIO

from core.kinds import SourceKind
from core.text import clean_text
from papers.readers.base import PaperRecord, ReaderError, RecordError, http_url

HUB = "https://huggingface.co"
PAPER_PAGE = HUB + "/papers/{}"
MAX_KEYWORDS = 20
OWN_ID_RE = re.compile(r"pw-(\d{1,12})")  # a Paperwire's id for a paper with no arXiv id


def sniff(head: str) -> bool:
    return head.startswith(("[", "{"))


def read(stream: BinaryIO, *, year: int | None = None) -> Iterator[PaperRecord | RecordError]:
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
    except ValueError as exc:  # a number of more than 4,300 digits
        raise ReaderError(f"not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise ReaderError(
            f"expected a list of daily papers items, found a JSON {type(data).__name__}"
        )
    for number, item in enumerate(data, start=1):
        yield _record(item, number)


def _record(item: Any, number: int) -> PaperRecord | RecordError:
    """The item's paper; or, when it has no paper with an id and a title, why not."""
    paper = item.get("paper") if isinstance(item, dict) else None
    if not isinstance(paper, dict):
        return RecordError("expected an object with a 'paper' object", item=number)
    raw_id = paper.get("id")
    arxiv_id = clean_text(raw_id) if isinstance(raw_id, str) else ""
    if not arxiv_id:
        return RecordError("the paper has no 'id'", item=number)
    own_id = OWN_ID_RE.fullmatch(arxiv_id) is not None
    if own_id:
        arxiv_id = ""
    title = clean_text(_text(paper.get("title") or item.get("title")))
    if not title:
        return RecordError(f"the paper {arxiv_id or raw_id} has no title", item=number)
    dropped: list[str] = []
    organization = _typed(paper.get("organization") or item.get("organization"), dict,
                          "organization", "an object", dropped)  # fmt: skip
    authors = _typed(paper.get("authors"), list, "authors", "a list", dropped)
    keywords = _typed(paper.get("ai_keywords"), list, "ai_keywords", "a list", dropped)
    record = PaperRecord(
        title=title,
        abstract=clean_text(_text(paper.get("summary") or item.get("summary"))),
        arxiv_id=arxiv_id,
        authors=[
            name
            for a in authors
            if isinstance(a, dict) and (name := clean_text(_text(a.get("name"))))
        ],
        org_handle=clean_text(_text(organization.get("name"))) or None,
        org_name=clean_text(_text(organization.get("fullname") or organization.get("name")))
        or None,
        org_avatar_url=_hub_url(organization.get("avatar")),
        published_on=_day(paper, "publishedAt", dropped),
        listed_on=_day(paper, "submittedOnDailyAt", dropped),
        upvotes=_count(paper, "upvotes", dropped),
        code_url=http_url(_text(paper.get("githubRepo"))),
        github_stars=_count(paper, "githubStars", dropped),
        project_url=http_url(_text(paper.get("projectPage"))),
        url=http_url(_text(item.get("url"))) if own_id else PAPER_PAGE.format(arxiv_id),
        thumbnail_url=_hub_url(item.get("thumbnail")),
        ai_summary=clean_text(_text(paper.get("ai_summary"))),
        ai_keywords=[
            keyword for k in keywords if isinstance(k, str) and (keyword := clean_text(k))
        ][:MAX_KEYWORDS],
        comment_count=_count(item, "numComments", dropped),
        submitted_by=_submitter(item.get("submittedBy") or paper.get("submittedOnDailyBy")),
        source=SourceKind.HF_JSON,
    )
    record.warnings[:0] = dropped
    return record


def _text(value: Any) -> str:
    """A text field's value: a string, or a number written as one; anything else is no text."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value) if abs(value) < 10**30 else ""
    return ""


def _typed(value: Any, kind: type, name: str, expected: str, dropped: list[str]):
    """An optional object or list; of any other type, it is dropped with a warning."""
    if value in (None, "", [], {}):
        return kind()
    if not isinstance(value, kind):
        dropped.append(f"{name} dropped: {_shown(value)} is not {expected}")
        return kind()
    return value


def _count(holder: dict, name: str, dropped: list[str]) -> int | None:
    """A count that may be absent; one that is no whole number is dropped with a warning."""
    value = holder.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        dropped.append(f"{name} dropped: {_shown(value)} is not a whole number")
        return None
    return value  # one out of a column's range is dropped by the record, with a warning


def _hub_url(value: Any) -> str:
    """An absolute URL; the API gives some avatars as paths on the hub ("/avatars/…")."""
    text = _text(value).strip()
    if text.startswith("/") and not text.startswith("//"):
        text = HUB + text
    return http_url(text)


def _submitter(user: Any) -> str:
    if not isinstance(user, dict):
        return ""
    return clean_text(_text(user.get("fullname") or user.get("name")))[:100]


def _day(holder: dict, name: str, dropped: list[str]) -> date | None:
    value = holder.get(name)
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(value).date()
    except (TypeError, ValueError):
        dropped.append(f"{name} dropped: {_shown(value)} is not a date")
        return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
