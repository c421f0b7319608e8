"""What trending means, defined once for the site and the digests.

Growth: how many upvotes a paper gained over the last 24 hours, from its history. The history
keeps an observation only when the count changed, so the count a day ago is the latest
observation at or before that moment; a paper first seen within the day counts from its first
observation. Growth is the latest count minus that baseline (never below 0), and 0 for a paper
with no history. The site's "Trending now" orders by it.

The trending score that orders a digest (after the featured papers) weighs growth and age:

    score = (upvotes + GROWTH_WEIGHT * growth + 1) / (age_days + 1) ** GRAVITY

- `upvotes`: the latest count; `growth`: as above, so a paper climbing today outranks one that
  collected the same votes last week.
- `age_days`: days (fractional) since the paper was listed (its listing day's midnight, UTC),
  or first seen when no listing is known. The +1 keeps a brand-new paper from dividing by zero;
  GRAVITY (as in Hacker News's ranking, there over hours) means a paper listed a week ago needs
  about 20 times the votes of one listed this morning to rank beside it. The +1 in the
  numerator lets papers without votes still be ordered by age.
"""

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from papers.models import UpvoteObservation

GROWTH_WINDOW = timedelta(hours=24)
GROWTH_WEIGHT = 2.0
GRAVITY = 1.5


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


def trending_score(*, upvotes: int, growth: int, age_days: float) -> float:
    return (upvotes + GROWTH_WEIGHT * growth + 1) / (max(age_days, 0.0) + 1) ** GRAVITY


def age_days(*, listed_on: date | None, first_seen_at: datetime, now: datetime) -> float:
    born = datetime.combine(listed_on, time(0), tzinfo=UTC) if listed_on else first_seen_at
    return (now - born).total_seconds() / 86400
