"""The trending score that orders a digest (after the featured papers).

    score = (upvotes + GROWTH_WEIGHT * growth + 1) / (age_days + 1) ** GRAVITY

- `upvotes`: the latest count.
- `growth`: upvotes gained over the last 24 hours, from the paper's upvote history, as
  `papers/trending.py` defines it (the site's Trending view orders by the same figure). A paper
  climbing today outranks one that collected the same votes last week.
- `age_days`: days (fractional) since the paper was listed (its listing day's midnight, UTC),
  or first seen when no listing is known. The +1 keeps a brand-new paper from dividing by zero;
  GRAVITY (as in Hacker News's ranking, there over hours) means a paper listed a week ago needs
  about 20 times the votes of one listed this morning to rank beside it.

The +1 in the numerator lets papers without votes still be ordered by age.
"""

from datetime import UTC, date, datetime, time

GROWTH_WEIGHT = 2.0
GRAVITY = 1.5


def trending_score(*, upvotes: int, growth: int, age_days: float) -> float:
    return (upvotes + GROWTH_WEIGHT * growth + 1) / (max(age_days, 0.0) + 1) ** GRAVITY


def age_days(*, listed_on: date | None, first_seen_at: datetime, now: datetime) -> float:
    born = datetime.combine(listed_on, time(0), tzinfo=UTC) if listed_on else first_seen_at
    return (now - born).total_seconds() / 86400
