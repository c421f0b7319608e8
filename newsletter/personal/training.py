"""The personal ranking's services: the recent papers' features (once per process), training the
readers' models in batches, and a reader's ranking with reasons (`recommend`). Imports
scikit-learn: load it where a ranking is used, not on every request."""

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from scipy import sparse

from core.text import surface_words
from newsletter.content import digest_lookback
from newsletter.models import SUPPRESSED, Feedback, LibraryEntry, ReaderModel, Subscriber
from newsletter.personal import FEATURE_DAYS
from newsletter.personal.ranking import (
    Candidates,
    Features,
    Positive,
    paper_text,
    recommend,
    scores,
    seed_of,
    train,
)
from newsletter.selectors import papers_visible_since
from papers.models import Paper

CORPUS_MAX = 20_000
TRAIN_BATCH = 500
TEXTS_CHUNK = 5_000  # papers whose texts one query reads
DEBOUNCE = timedelta(minutes=1)  # clicks in a row train once, after the last
_features_cache: dict = {}


def reader_model_outdated(subscriber: Subscriber) -> bool:
    model = ReaderModel.objects.filter(subscriber=subscriber).only("trained_at").first()
    changed = subscriber.taste_changed_at
    return changed is not None and (model is None or model.trained_at < changed)


@dataclass
class Corpus:
    """The recent papers, fitted as features, with what a digest shows of a recommendation."""

    features: Features
    listed: dict[int, date]  # the day each was listed (or first seen)
    texts: dict[int, tuple[str, str]]  # title and abstract, for the words shown with a reason

    def since(self, day: date) -> list[int]:
        return [pk for pk in self.features.ids if self.listed[pk] >= day]


def corpus_key(since: datetime) -> tuple:
    """What tells whether the recent papers changed: their count, last id and last text change.
    Digests read it in their batch's query (digests/assembly.py); `corpus_key_of` reads it
    alone."""
    return (since.date(),)


def corpus_key_of(since: datetime) -> tuple:
    row = papers_visible_since(since).aggregate(
        count=Count("pk"), last=Max("pk"), changed=Max("text_changed_at")
    )
    return (*corpus_key(since), row["count"], row["last"], row["changed"])


def corpus_features(*, now: datetime | None = None, since: datetime | None = None) -> Features:
    return corpus(now=now, since=since).features


def corpus(
    *, now: datetime | None = None, since: datetime | None = None, key: tuple | None = None
) -> Corpus:
    """Features fitted over the recent papers (the last FEATURE_DAYS days, at most CORPUS_MAX of
    them), once per process while those papers stay the same (`key`, read here if not given)."""
    now = now or timezone.now()
    since = since or now - timedelta(days=FEATURE_DAYS)
    key = key or corpus_key_of(since)
    cached = _features_cache.get("corpus")
    if cached is not None and cached[0] == key:
        return cached[1]
    rows = list(
        papers_visible_since(since)
        .order_by("-pk")
        .values_list("pk", "title", "abstract", "listed_on", "first_seen_at")[:CORPUS_MAX]
        .iterator()
    )
    found = Corpus(
        features=Features.fit([r[0] for r in rows], [paper_text(r[1], r[2]) for r in rows]),
        listed={r[0]: r[3] or r[4].date() for r in rows},
        texts={r[0]: (r[1], r[2]) for r in rows},
    )
    _features_cache["corpus"] = (key, found)
    return found


def reader_models_due(*, now: datetime | None = None) -> QuerySet:
    """Subscribers whose taste changed since their model was trained (a minute ago at least,
    so that clicks in a row train once)."""
    now = now or timezone.now()
    return Subscriber.objects.filter(
        Q(reader_model__isnull=True) | Q(reader_model__trained_at__lt=F("taste_changed_at")),
        taste_changed_at__isnull=False,
        taste_changed_at__lte=now - DEBOUNCE,
    ).exclude(status__in=[Subscriber.Status.UNSUBSCRIBED, *SUPPRESSED])


def reader_models_train(
    *, subscriber_ids: list[int], features: Features | None = None, now: datetime | None = None
) -> int:
    """Train (again) the models of these subscribers; how many were written. A subscriber
    with no positive left has their model removed."""
    now = now or timezone.now()
    features = features or corpus_features(now=now)
    written = 0
    if not features.ids:  # no recent paper: nothing to learn against
        return 0
    for start in range(0, len(subscriber_ids), TRAIN_BATCH):
        written += _train_batch(subscriber_ids[start : start + TRAIN_BATCH], features, now)
    return written


def _train_batch(subscriber_ids: list[int], features: Features, now: datetime) -> int:
    examples = _examples(subscriber_ids, features.index)
    texts = _Texts(features)
    texts.prepare(e for pair in examples.values() for side in pair for e in side)
    models, empty = [], []
    for subscriber_id in subscriber_ids:
        positives, negatives = examples.get(subscriber_id, ([], []))
        trained = None
        if positives:
            trained = train(
                features,
                texts.matrix(positives),
                [Positive(kind, title) for kind, title, *_ in positives],
                texts.matrix(negatives),
                seed=seed_of(subscriber_id),
                exclude={p[2] for p in positives if p[2]} | {n[2] for n in negatives if n[2]},
            )
        if trained is None:
            empty.append(subscriber_id)
            continue
        known = sorted({e[2] for e in (*positives, *negatives) if e[2]})
        models.append(
            ReaderModel(
                subscriber_id=subscriber_id,
                weights=trained.weights,
                bias=trained.bias,
                positives=trained.positives,
                known_ids=known,
                positive_count=trained.positive_count,
                negative_count=trained.negative_count,
                trained_at=now,
            )
        )
    with transaction.atomic():
        ReaderModel.objects.filter(subscriber_id__in=empty).delete()
        ReaderModel.objects.bulk_create(
            models,
            update_conflicts=True,
            unique_fields=["subscriber"],
            update_fields=[
                "weights", "bias", "positives", "known_ids", "positive_count", "negative_count",
                "trained_at",
            ],
        )  # fmt: skip
    return len(models)


# An example: (kind, title, paper id or None, text).
Example = tuple[str, str, int | None, str]


def _examples(
    subscriber_ids: list[int], corpus: Container[int] = frozenset()
) -> dict[int, tuple[list[Example], list[Example]]]:
    """Per subscriber, their positives (library, oldest first, then 👍, oldest first) and
    negatives (👎), in two queries, and a third for the texts of their papers outside the
    `corpus`: a corpus paper's row is in the features already, its text is never read."""
    found: dict[int, tuple[list[Example], list[Example]]] = {pk: ([], []) for pk in subscriber_ids}
    unread: list[tuple[list[Example], int]] = []  # (examples, position): a paper's text to read
    entries = (
        LibraryEntry.objects.filter(subscriber_id__in=subscriber_ids)
        .order_by("added_at", "pk")
        .values_list("subscriber_id", "paper_id", "title", "abstract", "paper__title")
    )
    for subscriber_id, paper_id, title, abstract, paper_title in entries:
        shown = paper_title or title
        if not (shown or abstract):
            continue
        examples = found[subscriber_id][0]
        if paper_id is None:
            examples.append(("library", shown, None, paper_text(title, abstract)))
            continue
        if paper_id not in corpus:
            unread.append((examples, len(examples)))
        examples.append(("library", shown, paper_id, ""))
    ratings = (
        Feedback.objects.filter(subscriber_id__in=subscriber_ids)
        .order_by("updated_at", "pk")
        .values_list("subscriber_id", "verdict", "paper_id", "paper__title")
    )
    for subscriber_id, verdict, paper_id, title in ratings:
        examples = found[subscriber_id][0 if verdict > 0 else 1]
        if paper_id not in corpus:
            unread.append((examples, len(examples)))
        examples.append(("liked", title, paper_id, ""))
    if unread:
        wanted = sorted({examples[at][2] for examples, at in unread})
        texts = {}
        for start in range(0, len(wanted), TEXTS_CHUNK):  # within any database's bound on them
            chunk = wanted[start : start + TEXTS_CHUNK]
            for pk, title, abstract in Paper.objects.filter(pk__in=chunk).values_list(
                "pk", "title", "abstract"
            ):
                texts[pk] = paper_text(title, abstract)
        for examples, at in unread:
            kind, shown, paper_id, _ = examples[at]
            examples[at] = (kind, shown, paper_id, texts.get(paper_id) or paper_text(shown, ""))
    return found


class _Texts:
    """Examples as feature rows: a corpus paper's row as fitted, any other text's as the
    features transformed it (`Features.rows_of_texts`). Both are rows of one matrix (the
    corpus's, and the batch's other texts below it), so that a reader's examples are one slice
    of it."""

    def __init__(self, features: Features) -> None:
        self.features = features
        self.rows = features.matrix
        self.row_of: dict[tuple, int] = {}  # a text outside the corpus: its row in `rows`

    def prepare(self, examples: Iterable[Example]) -> None:
        """The rows of the batch's texts outside the corpus, at once (each call has a cost)."""
        index, pending = self.features.index, {}
        for _kind, title, paper_id, text in examples:
            if paper_id not in index:
                key = _text_key(title, paper_id, text)
                if key not in self.row_of:
                    pending[key] = text
        if pending:
            first = self.rows.shape[0]
            self.rows = sparse.vstack(
                [self.rows, self.features.rows_of_texts(list(pending.values()))], format="csr"
            )
            self.row_of.update((key, first + n) for n, key in enumerate(pending))

    def matrix(self, examples: list[Example]) -> sparse.csr_matrix:
        """One row per example, in their order (a positive's row names its title)."""
        index, row_of = self.features.index, self.row_of
        rows = []
        for _kind, title, paper_id, text in examples:
            if paper_id in index:
                rows.append(index[paper_id])
                continue
            key = _text_key(title, paper_id, text)
            if key not in row_of:
                self.prepare(examples)
            rows.append(row_of[key])
        return self.rows[rows]


def _text_key(title: str, paper_id: int | None, text: str) -> tuple:
    return (paper_id,) if paper_id else (title, len(text))


@dataclass(frozen=True)
class Ranked:
    paper_id: int
    title: str
    score: float
    reason: str
    terms: tuple[str, ...]


def reader_ranking(
    *, subscriber: Subscriber, since: datetime | None = None, limit: int = 20
) -> list[Ranked]:
    """The subscriber's recent papers by their model, best first, with reasons: never a paper of
    their library, 👍'd or 👎'd. Trains the model first if their taste changed since."""
    now = timezone.now()
    since = since or now - digest_lookback()
    features = corpus_features(now=now, since=min(since, now - timedelta(days=FEATURE_DAYS)))
    if (
        reader_model_outdated(subscriber)
        or not ReaderModel.objects.filter(subscriber=subscriber).exists()
    ):
        reader_models_train(subscriber_ids=[subscriber.pk], features=features, now=now)
    model = ReaderModel.objects.filter(subscriber=subscriber).first()
    if model is None:
        return []
    recent = set(papers_visible_since(since).values_list("pk", flat=True))
    candidates = Candidates.of(features, [pk for pk in features.ids if pk in recent])
    known = set(subscriber.library.exclude(paper=None).values_list("paper_id", flat=True))
    known |= set(subscriber.feedback.values_list("paper_id", flat=True))
    score = scores(candidates, model.weights, model.bias)
    found = recommend(candidates, score, model.weights, model.positives, limit=limit, exclude=known)
    texts = {
        pk: (title, abstract)
        for pk, title, abstract in Paper.objects.filter(
            pk__in=[r.paper_id for r in found]
        ).values_list("pk", "title", "abstract")
    }
    ranked = []
    for r in found:
        title, abstract = texts.get(r.paper_id, ("", ""))
        ranked.append(
            Ranked(r.paper_id, title, r.score, r.reason, shown_terms(r.terms, title, abstract))
        )
    return ranked


def shown_terms(terms: tuple[str, ...], title: str, abstract: str) -> tuple[str, ...]:
    """The terms that drove a recommendation, as the paper writes them."""
    words = surface_words(f"{title}. {abstract}", set(terms))
    return tuple(words.get(term, term) for term in terms)
