"""/api/: an open API that speaks Hugging Face's daily papers API, so that a tool written for
`https://huggingface.co/api/daily_papers` works against a Paperwire by changing its base URL.

- `GET /api/daily_papers?date=|week=|month=&p=&limit=&sort=publishedAt|trending`: the listing's
  papers as Hugging Face's items (`paper.id`, `title`, `summary`, `authors[].name`, `upvotes`,
  `publishedAt`, `ai_summary`, `ai_keywords`, `githubRepo`, `githubStars`, `organization`,
  `thumbnail`, `numComments`, `submittedOnDailyAt`), plus `featured`, a flag of our own;
- `GET /api/papers/{id}`: one paper, by arXiv id or by our own id;
- `GET /api/search?q=`: the query language of rules, best first.

A paper with no arXiv id (many from page dumps) has an id of our own, `pw-<number>`, stable for
as long as the paper is stored, which `/api/papers/` and the hf-json reader accept back. Hidden
papers never appear. The schema is at `/api/schema/` (OpenAPI, built by django-ninja). Requests are rate-limited like the site's pages (per address), and every answer
carries `Access-Control-Allow-Origin: *`: it is public and read-only.
"""

import re
from datetime import UTC, date, datetime, time
from typing import Literal

from django.conf import settings
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import is_ratelimited
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import HttpError

from papers.models import Paper
from papers.readers.hf_json import OWN_ID_RE
from papers.search import search_papers
from papers.selectors import Period, papers_in_period, period_containing, visible_papers

OWN_ID = "pw-"
ARXIV_ID_RE = re.compile(r"(\d{4}\.\d{4,5})(v\d+)?|[a-z\-]+(\.[A-Z]{2})?/\d{7}(v\d+)?")
LIMIT_MAX = 100
PAGES_MAX = 1000
API_RATE = "120/m"


class Author(Schema):
    name: str


class Organization(Schema):
    name: str = Field(description="The organization's Hugging Face handle.")
    fullname: str
    avatar: str | None = None


class PaperOut(Schema):
    id: str = Field(description="The arXiv id, or ours (pw-<number>) for a paper without one.")
    title: str
    summary: str
    authors: list[Author]
    publishedAt: datetime | None
    submittedOnDailyAt: datetime | None
    upvotes: int
    ai_summary: str | None
    ai_keywords: list[str]
    githubRepo: str | None
    githubStars: int | None
    projectPage: str | None
    organization: Organization | None


class DailyPaper(Schema):
    paper: PaperOut
    title: str
    summary: str
    publishedAt: datetime | None
    submittedOnDailyAt: datetime | None
    thumbnail: str
    numComments: int
    organization: Organization | None
    featured: bool = Field(
        description="Featured by Paperwire's editors (ours, not Hugging Face's)."
    )
    url: str = Field(description="The paper's page on this Paperwire.")


class Problem(Schema):
    detail: str


class Invalid(Schema):
    detail: list[dict] = Field(description="What is wrong with each parameter.")


def _throttle(request: HttpRequest) -> None:
    """Past API_RATE requests a minute from one address: a 429, as the site's pages give."""
    if is_ratelimited(request, group="api", key="ip", rate=API_RATE, increment=True):
        raise HttpError(429, "Too many requests: slow down.")


api = NinjaAPI(
    title="Paperwire API",
    version="1",
    description=__doc__,
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url=None,  # Swagger UI loads from a CDN, which the site's CSP (and no network) forbid
)


@api.exception_handler(HttpError)
def _problem(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


def public_id(paper: Paper) -> str:
    return paper.arxiv_id or f"{OWN_ID}{paper.pk}"


def _moment(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=UTC) if day else None


def _organization(paper: Paper) -> dict | None:
    org = paper.organization
    if org is None:
        return None
    return {
        "name": org.handle,
        "fullname": org.name or org.handle,
        "avatar": org.avatar_url or None,
    }


def _paper(paper: Paper) -> dict:
    return {
        "id": public_id(paper),
        "title": paper.title,
        "summary": paper.abstract,
        "authors": [{"name": str(name)} for name in paper.authors or () if str(name).strip()],
        "publishedAt": _moment(paper.published_on),
        "submittedOnDailyAt": _moment(paper.listed_on),
        "upvotes": paper.upvotes,
        "ai_summary": paper.ai_summary or None,
        "ai_keywords": [str(k) for k in paper.ai_keywords or ()],
        "githubRepo": paper.code_url or None,
        "githubStars": paper.github_stars,
        "projectPage": paper.project_url or None,
        "organization": _organization(paper),
    }


def _item(paper: Paper) -> dict:
    inner = _paper(paper)
    return {
        "paper": inner,
        "title": paper.title,
        "summary": paper.abstract,
        "publishedAt": inner["publishedAt"],
        "submittedOnDailyAt": inner["submittedOnDailyAt"],
        "thumbnail": paper.thumbnail_url,
        "numComments": paper.comment_count or 0,
        "organization": inner["organization"],
        "featured": paper.featured,
        "url": f"{settings.SITE_URL}/papers/{paper.pk}/",
    }


def _period(date_: str | None, week: str | None, month: str | None) -> Period | None:
    """The period asked for, as Hugging Face spells it: 2024-11-28, 2024-W48, 2024-11."""
    given = [v for v in (date_, week, month) if v]
    if len(given) > 1:
        raise HttpError(400, "Give one of date, week and month.")
    try:
        if date_:
            return period_containing(date.fromisoformat(date_), "day")
        if week:
            found = re.fullmatch(r"(\d{4})-W(\d{2})", week)
            if not found:
                raise ValueError
            return period_containing(date.fromisocalendar(int(found[1]), int(found[2]), 1), "week")
        if month:
            found = re.fullmatch(r"(\d{4})-(\d{2})", month)
            if not found:
                raise ValueError
            return period_containing(date(int(found[1]), int(found[2]), 1), "month")
    except ValueError:
        raise HttpError(
            400, "Dates look like 2024-11-28, weeks like 2024-W48, months like 2024-11."
        ) from None
    return None


class Listing(Schema):
    date: str | None = Field(None, description="A day, 2024-11-28.", pattern=r"^\d{4}-\d{2}-\d{2}$")
    week: str | None = Field(None, description="An ISO week, 2024-W48.", pattern=r"^\d{4}-W\d{2}$")
    month: str | None = Field(None, description="A month, 2024-11.", pattern=r"^\d{4}-\d{2}$")
    p: int = Field(0, ge=0, le=PAGES_MAX, description="The page, from 0.")
    limit: int = Field(50, ge=1, le=LIMIT_MAX, description="Papers a page.")
    sort: Literal["publishedAt", "trending"] = Field(
        "publishedAt", description="Newest published first, or most upvoted first."
    )


@api.get(
    "/daily_papers",
    response={200: list[DailyPaper], 400: Problem, 422: Invalid, 429: Problem},
    summary="The daily papers of a day, a week or a month (the latest day by default)",
)
def daily_papers(request: HttpRequest, filters: Query[Listing]):
    _throttle(request)
    period = _period(filters.date, filters.week, filters.month)
    if period is None:
        latest = visible_papers().exclude(listed_on=None).order_by("-listed_on").first()
        if latest is None:
            return []
        period = period_containing(latest.listed_on, "day")
    papers = papers_in_period(period)
    if filters.sort == "publishedAt":
        papers = papers.order_by(
            F("published_on").desc(nulls_last=True), F("listed_on").desc(nulls_last=True), "-pk"
        )
    start = filters.p * filters.limit
    return [_item(paper) for paper in papers[start : start + filters.limit]]


@api.get(
    "/papers/{paper_id}",
    response={200: PaperOut, 400: Problem, 404: Problem, 422: Invalid, 429: Problem},
    summary="One paper, by arXiv id or by Paperwire's own id (pw-<number>)",
)
def paper(request: HttpRequest, paper_id: str):
    _throttle(request)
    found = paper_by_public_id(paper_id)
    if found is None:
        raise HttpError(404, f"No paper {paper_id[:40]!r} here.")
    return _paper(found)


def paper_by_public_id(paper_id: str) -> Paper | None:
    papers = visible_papers()
    own = OWN_ID_RE.fullmatch(paper_id)
    if own:
        return papers.filter(pk=int(own[1])).first()
    arxiv = ARXIV_ID_RE.fullmatch(paper_id)
    if arxiv is None:
        return None
    return papers.filter(arxiv_id=arxiv[1] or paper_id).first()


class SearchQuery(Schema):
    q: str = Field(..., min_length=1, max_length=200, description="A rule: words, \"phrases\", "
                   "OR, -exclusions, title:, abstract:, author:, org:.")  # fmt: skip
    limit: int = Field(50, ge=1, le=LIMIT_MAX)
    p: int = Field(0, ge=0, le=PAGES_MAX)


@api.get(
    "/search",
    response={200: list[DailyPaper], 400: Problem, 422: Invalid, 429: Problem},
    summary="Papers that a rule finds, best first",
)
def search(request: HttpRequest, filters: Query[SearchQuery]):
    _throttle(request)
    start = filters.p * filters.limit
    found = search_papers(" ".join(filters.q.split()))[start : start + filters.limit]
    return [_item(paper) for paper in found]
