"""Upvote growth: how many upvotes a paper gained over the last 24 hours, from its history.

The history keeps an observation only when the count changed, so the count a day ago is the
latest observation at or before that moment; a paper first seen within the day counts from its
first observation. Growth is the latest count minus that baseline (never below 0), and 0 for a
paper with no history. The site's Trending view orders by it; the digest's score weighs it.
"""

from datetime import datetime, timedelta

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from papers.models import UpvoteObservation

GROWTH_WINDOW = timedelta(hours=24)


def upvotes_baseline(now: datetime) -> Coalesce:
    """An expression over papers: their upvote count one GROWTH_WINDOW before `now`."""
    since = now - GROWTH_WINDOW
    history = UpvoteObservation.objects.filter(paper=OuterRef("pk")).values("upvotes")
    before = history.filter(observed_at__lte=since).order_by("-observed_at")[:1]
    first_within = history.filter(observed_at__gt=since).order_by("observed_at")[:1]
    return Coalesce(Subquery(before), Subquery(first_within), output_field=IntegerField())


def with_growth(papers: QuerySet, *, now: datetime) -> QuerySet:
    """`papers` annotated with `growth`: upvotes gained in the GROWTH_WINDOW before `now`."""
    baseline = Coalesce(upvotes_baseline(now), F("upvotes"))
    return papers.annotate(
        growth=Greatest(F("upvotes") - baseline, Value(0), output_field=IntegerField())
    )


def upvote_growth(upvotes: int, baseline: int | None) -> int:
    """The same growth, for a count and a baseline read from the database."""
    return 0 if baseline is None else max(upvotes - baseline, 0)
