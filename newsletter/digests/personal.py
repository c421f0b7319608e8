"""The personal ranking in a batch of digests: for each reader with a model, the score of every
recent paper (which breaks ties in their topics' trending order) and the papers no topic matched
that it ranks highest ("Recommended for you"), each with its reason and the words behind it.

The recent papers' features are fitted once per process while those papers stay the same; the
batch learns whether they changed from the one query that reads its matches (assembly.py).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from newsletter.models import ReaderModel
from newsletter.personal import corpus_since
from newsletter.personal.ranking import Candidates, Recommendation, recommend, scores
from newsletter.personal.training import corpus, shown_terms


@dataclass
class Personal:
    """One reader's part of a batch: scores by paper, and the recommendations to show."""

    scores: dict[int, float] = field(default_factory=dict)
    recommended: list[Recommendation] = field(default_factory=list)


def personal_batch_rank(
    models: dict[int, ReaderModel],
    *,
    key: tuple,
    now: datetime,
    window: timedelta,
    matched: dict[int, set[int]],
    skipped: dict[int, set[int]],
    shown: dict[int, int],
) -> dict[int, Personal]:
    """Per reader with a model: scores of the recent papers, and up to `shown[reader]`
    recommendations among those no topic of theirs matched, never sent, 👎'd, rated or in their
    library."""
    if not models:
        return {}
    recent = corpus(now=now, since=corpus_since(now), key=key)
    candidates = Candidates.of(recent.features, recent.since((now - window).date()))
    index = {pk: row for row, pk in enumerate(candidates.ids)}
    found = {}
    for subscriber_id, model in models.items():
        vector = scores(candidates, model.weights, model.bias)
        own = matched.get(subscriber_id, set())
        personal = Personal(scores={pk: float(vector[index[pk]]) for pk in own if pk in index})
        exclude = own | skipped.get(subscriber_id, set()) | set(model.known_ids)
        picked = recommend(
            candidates, vector, model.weights, model.positives,
            limit=shown.get(subscriber_id, 0), exclude=exclude,
        )  # fmt: skip
        personal.recommended = [
            Recommendation(
                r.paper_id, r.score, r.reason, shown_terms(r.terms, *recent.texts[r.paper_id])
            )
            for r in picked
        ]
        found[subscriber_id] = personal
    return found
