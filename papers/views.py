"""The public site: the trending listing, search, and a paper's page."""

from datetime import date, timedelta

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from papers.people import (
    author_named,
    closest_authors,
    closest_organizations,
    organization_named,
    organization_papers,
)
from papers.search import search_papers
from papers.selectors import (
    SPANS,
    latest_listing_day,
    neighbour_periods,
    papers_in_period,
    period_containing,
    similar_papers,
    trending_now,
    visible_papers,
)
from papers.templatetags.paper_tags import author_url

PAGE_SIZE = 30


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if request.GET.get("q", "").strip():  # the search form's old address
        return search(request)
    span = request.GET.get("span", "day")
    if span not in SPANS:
        span = "day"
    day = _day(request.GET.get("date"))
    period = period_containing(day, span)
    earlier, later = neighbour_periods(period)
    page = Paginator(papers_in_period(period), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"period": period, "earlier": earlier, "later": later, "page": page, "spans": SPANS}
    return render(request, "papers/trending.html", context)


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Search, ranked by relevance then trending; a query reads like a topic rule, so each result
    page offers to email the papers like these."""
    query = request.GET.get("q", "").strip()[:200]
    context = {"query": query, "page": None, "problem": ""}
    if query:
        results = search_papers(query)
        context["page"] = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
        context["problem"] = results.query.problem
        context["more"] = results.more
    return render(request, "papers/search.html", context)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and feed readers ask for whatever the page says."""
    return FileResponse(
        open(settings.BASE_DIR / "static" / "favicon.ico", "rb"),
        content_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=604800"},
    )


@require_safe
def trending_view(request: HttpRequest) -> HttpResponse:
    """Papers of the last few listing days, by upvotes gained in the last 24 hours."""
    now = trending_now(now=timezone.now())
    page = Paginator(now.papers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"trending": now, "page": page, "spans": SPANS, "period": None}
    return render(request, "papers/trending.html", context)


@require_safe
def paper(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(visible_papers(), pk=pk)
    return render(request, "papers/paper.html", {"paper": found, "similar": similar_papers(found)})


@require_safe
def author(request: HttpRequest, name: str) -> HttpResponse:
    """An author's papers, newest first; an unknown name is a 404 with the closest known."""
    found = author_named(name)
    if found is None:
        closest = [(known, author_url(known)) for known in closest_authors(name)]
        context = {"kind": "author", "name": name[:200], "closest": [c for c in closest if c[1]]}
        return render(request, "papers/unknown_name.html", context, status=404)
    page = Paginator(found.papers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "heading": found.name,
        "what": "author",
        "page": page,
        "rule": f'author:"{found.name}"',
        "feed_url": reverse("feeds:author_atom", args=[found.name]),
    }
    return render(request, "papers/people.html", context)


@require_safe
def organization(request: HttpRequest, handle: str) -> HttpResponse:
    """An organization's papers, newest first; an unknown handle is a 404 with the closest."""
    org = organization_named(handle)
    if org is None:
        context = {"kind": "organization", "name": handle[:200], "closest": [
            (str(known), reverse("organization", args=[known.handle]))
            for known in closest_organizations(handle)
        ]}  # fmt: skip
        return render(request, "papers/unknown_name.html", context, status=404)
    page = Paginator(organization_papers(org), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "heading": str(org),
        "handle": org.handle,
        "org": org,
        "what": "organization",
        "page": page,
        "rule": f"org:{org.handle}",
        "feed_url": reverse("feeds:org_atom", args=[org.handle]),
    }
    return render(request, "papers/people.html", context)


# The days a listing can show: arXiv began in 1991, and nothing is listed a year ahead.
FIRST_DAY = date(1991, 1, 1)


def _day(text: str | None) -> date:
    """The day asked for, or the latest day with papers (today's listing may not be out yet).
    A day that is no date, or outside the listings' years, is a 404 with a page."""
    today = timezone.localdate()
    if text:
        try:
            day = date.fromisoformat(text[:10]) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise Http404("Dates look like 2026-11-23.")
        if not FIRST_DAY <= day <= today + timedelta(days=366):
            raise Http404(f"There are no listings on {day:%Y-%m-%d}.")
        return day
    return latest_listing_day(on_or_before=today) or today
