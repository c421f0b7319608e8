"""Papers like this one: each recent paper's nearest papers by the personal ranking's features,
kept on the paper (`Paper.similar`) for its page to show.

The features are those the ranking is trained with (TF-IDF of title and abstract through the
house analyzer, fitted over the recent papers: `training.corpus`), so "similar" means what a
reader's 👍 teaches. A paper's neighbours are worked out when it is new or its text changed, and
again once a day (papers that came since may be nearer). The words shown for a neighbour are the
terms that weigh most in both papers, as the paper writes them ("quantization", not "quantiz").
Hidden papers are never neighbours; one hidden later is left out when the page reads the list.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from core.bulk import update_many
from core.text import surface_words
from newsletter.personal.ranking import nearest
from newsletter.personal.training import corpus
from papers.models import Paper

REFRESH = timedelta(days=1)
BATCH = 2000  # papers worked out and written at a time


def papers_similar_due(*, now: datetime, ids: list[int]) -> list[int]:
    """Of `ids`, the papers whose neighbours are missing, older than their text, or a day old."""
    stale = (
        Q(similar_at__isnull=True)
        | Q(similar_at__lt=F("text_changed_at"))
        | Q(similar_at__lt=now - REFRESH)
    )
    due = set(Paper.objects.filter(stale, hidden=False).values_list("pk", flat=True))
    return [pk for pk in ids if pk in due]


def papers_similar_update(
    *,
    now: datetime | None = None,
    everything: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Work out and keep the neighbours of the recent papers that need them (all of them with
    `everything`); how many papers were written."""
    now = now or timezone.now()
    found = corpus(now=now)
    features = found.features
    ids = list(features.ids) if everything else papers_similar_due(now=now, ids=features.ids)
    done = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        papers = []
        for pk, neighbours in nearest(features, chunk).items():
            title, abstract = found.texts[pk]
            written = surface_words(
                f"{title} {abstract}", {t for _, _, shared in neighbours for t in shared}
            )
            similar = [
                [other, [written.get(term, term) for term in shared]]
                for other, _score, shared in neighbours
            ]
            papers.append(Paper(pk=pk, similar=similar, similar_at=now))
        update_many(Paper, papers, ["similar", "similar_at"])
        done += len(papers)
        if progress:
            progress(done, len(ids))
    return done
