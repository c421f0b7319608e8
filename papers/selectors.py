"""Reads for the public site: the trending listing and a paper's page."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Max, Min, Q, QuerySet

from papers.models import Paper
from papers.trending import with_growth

SPANS = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    span: str
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.span == "day":
            return f"{self.start:%A, %B} {self.start.day}, {self.start.year}"
        if self.span == "week":
            return f"Week of {self.start:%B} {self.start.day}, {self.start.year}"
        return f"{self.start:%B %Y}"


def period_containing(day: date, span: str) -> Period:
    if span == "week":
        start = day - timedelta(days=day.weekday())
        return Period(span, start, start + timedelta(days=6))
    if span == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(span, day.replace(day=1), day.replace(day=last))
    return Period("day", day, day)


def listed_since(since: datetime) -> QuerySet:
    """Papers listed since that moment's day or, with no listing date, first seen since it."""
    return Paper.objects.filter(
        Q(listed_on__gte=since.date()) | Q(listed_on__isnull=True, first_seen_at__gte=since)
    )


def visible_papers() -> QuerySet:
    return Paper.objects.filter(hidden=False).select_related("organization")


def papers_in_period(period: Period) -> QuerySet:
    """Papers listed in the period: featured first, then by upvotes (hidden never)."""
    return (
        visible_papers()
        .filter(listed_on__range=(period.start, period.end))
        .order_by("-featured", "-upvotes", "-pk")
    )


@dataclass(frozen=True)
class TrendingNow:
    papers: QuerySet
    start: date | None = None
    end: date | None = None


def trending_now(*, now: datetime) -> TrendingNow:
    """The papers listed in the last PAPERS_TRENDING_DAYS listing days (up to the latest day with
    papers), by upvotes gained in the last 24 hours, then by upvotes."""
    end = latest_listing_day(on_or_before=now.date())
    if end is None:
        return TrendingNow(papers=Paper.objects.none())
    start = end - timedelta(days=settings.PAPERS_TRENDING_DAYS - 1)
    papers = with_growth(visible_papers().filter(listed_on__range=(start, end)), now=now)
    return TrendingNow(papers=papers.order_by("-growth", "-upvotes", "-pk"), start=start, end=end)


def latest_listing_day(*, on_or_before: date) -> date | None:
    return (
        visible_papers().filter(listed_on__lte=on_or_before).aggregate(day=Max("listed_on"))["day"]
    )


def neighbour_periods(period: Period) -> tuple[Period | None, Period | None]:
    """The nearest earlier and later periods that list any paper."""
    papers = Paper.objects.filter(hidden=False)
    before = papers.filter(listed_on__lt=period.start).aggregate(day=Max("listed_on"))["day"]
    after = papers.filter(listed_on__gt=period.end).aggregate(day=Min("listed_on"))["day"]
    return (
        period_containing(before, period.span) if before else None,
        period_containing(after, period.span) if after else None,
    )


SIMILAR_SHOWN = 6


def similar_papers(paper: Paper) -> list[tuple[Paper, list[str]]]:
    """The visible papers like `paper` (as "Find similar papers" last worked them out), nearest
    first, each with the words they share; SIMILAR_SHOWN at most."""
    rows = [row for row in paper.similar or () if isinstance(row, list) and len(row) == 2]
    found = visible_papers().select_related("organization").in_bulk([row[0] for row in rows])
    return [(found[pk], list(words)) for pk, words in rows if pk in found][:SIMILAR_SHOWN]
