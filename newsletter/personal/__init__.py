"""What each reader teaches their digest: their library (library.py reads it;
services/library.py stores it) and the ranking learned from it and from their 👍 and 👎
(ranking.py, the model; training.py, the corpus and training; digests/personal.py, its part in a
batch of digests).

This module stays light (no scikit-learn): digests import it whether or not a reader has a
ranking, and load the rest only when one does.
"""

from datetime import datetime, timedelta

FEATURE_DAYS = 30  # the recent papers that features are fitted over and negatives drawn from


def corpus_since(now: datetime) -> datetime:
    return now - timedelta(days=FEATURE_DAYS)
