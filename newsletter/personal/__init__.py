"""What each reader teaches their digest: their library (library.py reads it, service.py stores
it) and the ranking learned from it and from their 👍 and 👎 (ranking.py, service.py, and
digest.py for a batch of digests).

This module stays light (no scikit-learn): digests import it whether or not a reader has a
ranking, and load the rest only when one does.
"""

from datetime import datetime, timedelta

from django.db.models import QuerySet

from papers.selectors import listed_since

FEATURE_DAYS = 30  # the recent papers that features are fitted over and negatives drawn from


def corpus_since(now: datetime) -> datetime:
    return now - timedelta(days=FEATURE_DAYS)


def visible_since(since: datetime) -> QuerySet:
    """The visible papers listed (or, unlisted, first seen) since then."""
    return listed_since(since).filter(hidden=False)
