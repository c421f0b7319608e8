"""Writes for a reader's library and ranking, shared by the manage page, the commands and tasks."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from scipy import sparse

from core.text import surface_words
from newsletter.feedback import taste_changed
from newsletter.models import Feedback, LibraryEntry, ReaderModel, Subscriber
from newsletter.personal.library import MAX_ENTRIES, LibraryError, LibraryRecord, library_read
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
from newsletter.services import SUPPRESSED
from papers.models import Paper
from papers.readers.base import title_key


@dataclass
class ImportLine:
    """What became of one record: "arxiv" or "title" (matched a stored paper that way), "new"
    (not stored: its own title and abstract count) or "duplicate"."""

    record: LibraryRecord
    outcome: str
    paper_id: int | None = None
    title: str = ""


@dataclass
class LibraryReport:
    format: str = ""
    lines: list[ImportLine] = field(default_factory=list)
    skipped: int = 0

    def count(self, outcome: str) -> int:
        return sum(line.outcome == outcome for line in self.lines)

    @property
    def imported(self) -> int:
        return len(self.lines) - self.count("duplicate")

    def summary(self) -> str:
        parts = [
            f"{self.imported:,} entr{'y' if self.imported == 1 else 'ies'} added",
            f"{self.count('arxiv') + self.count('title'):,} matched papers we have "
            f"({self.count('arxiv'):,} by arXiv id, {self.count('title'):,} by title)",
            f"{self.count('new'):,} not stored here (their own title and abstract count)",
        ]
        if self.count("duplicate"):
            parts.append(f"{self.count('duplicate'):,} already in the library")
        if self.skipped:
            parts.append(f"{self.skipped:,} without a title or identifier skipped")
        return "; ".join(parts) + "."


def library_import(
    *, subscriber: Subscriber, data: bytes | str, name: str = "", format: str = ""
) -> LibraryReport:
    """Read a library file or pasted text and add its papers to the reader's library, all or
    nothing: a bad file raises `LibraryError` (naming the line) and nothing is saved."""
    read = library_read(data, name=name, format=format)
    report = LibraryReport(format=read.format, skipped=read.skipped)
    with transaction.atomic():
        Subscriber.objects.select_for_update().filter(pk=subscriber.pk).first()  # one at a time
        known = set(subscriber.library.values_list("identity", flat=True))
        by_arxiv, by_title = _stored_papers(read.records)
        entries = []
        for record in read.records:
            paper = by_arxiv.get(record.arxiv_id) or by_title.get(title_key(record.title))
            identity = f"arxiv:{paper[1]}" if paper and paper[1] else record.identity
            if identity in known:
                report.lines.append(ImportLine(record, "duplicate"))
                continue
            known.add(identity)
            outcome = "new" if paper is None else ("arxiv" if record.arxiv_id else "title")
            report.lines.append(
                ImportLine(record, outcome, paper[0] if paper else None, paper[2] if paper else "")
            )
            entries.append(
                LibraryEntry(
                    subscriber=subscriber,
                    paper_id=paper[0] if paper else None,
                    identity=identity[:300],
                    arxiv_id=record.arxiv_id or ((paper[1] or "") if paper else ""),
                    doi=record.doi,
                    title=record.title or (paper[2] if paper else ""),
                    abstract=record.abstract,
                    source=read.format,
                )
            )
        if len(known) > MAX_ENTRIES:
            raise LibraryError(
                f"A library holds at most {MAX_ENTRIES:,} papers: this would make it "
                f"{len(known):,}. Remove some first."
            )
        LibraryEntry.objects.bulk_create(entries, batch_size=1000)
        if entries:
            taste_changed(subscriber)
    return report


def library_remove(*, subscriber: Subscriber, entry_ids: list[int] | None = None) -> int:
    """Remove these entries of the reader's library (all of it with None); how many."""
    entries = subscriber.library.all()
    if entry_ids is not None:
        entries = entries.filter(pk__in=entry_ids)
    removed, _ = entries.delete()
    if removed:
        taste_changed(subscriber)
    return removed


def _stored_papers(records: list[LibraryRecord]):
    """The stored papers that records name, by arXiv id and by title key: (id, arXiv id, title)."""
    arxiv_ids = {r.arxiv_id for r in records if r.arxiv_id}
    keys = {title_key(r.title) for r in records if r.title and not r.arxiv_id}
    by_arxiv, by_title = {}, {}
    ids = list(arxiv_ids)
    for start in range(0, len(ids), 500):
        for pk, arxiv_id, title in Paper.objects.filter(
            arxiv_id__in=ids[start : start + 500]
        ).values_list("pk", "arxiv_id", "title"):
            by_arxiv[arxiv_id] = (pk, arxiv_id, title)
    keys_list = [key for key in keys if key]
    for start in range(0, len(keys_list), 500):
        for pk, arxiv_id, title, key in Paper.objects.filter(
            title_key__in=keys_list[start : start + 500]
        ).values_list("pk", "arxiv_id", "title", "title_key"):
            by_title.setdefault(key, (pk, arxiv_id, title))
    return by_arxiv, by_title


# -- The ranking ------------------------------------------------------------------------------

FEATURE_DAYS = 30  # the recent papers that features are fitted over and negatives drawn from
CORPUS_MAX = 20_000
TRAIN_BATCH = 500
DEBOUNCE = timedelta(minutes=1)  # clicks in a row train once, after the last
_features_cache: dict = {}


def reader_model_outdated(subscriber: Subscriber) -> bool:
    model = ReaderModel.objects.filter(subscriber=subscriber).only("trained_at").first()
    changed = subscriber.taste_changed_at
    return changed is not None and (model is None or model.trained_at < changed)


def recent_papers(since: datetime) -> QuerySet:
    """The visible papers listed (or, unlisted, first seen) since then."""
    return Paper.objects.filter(
        Q(listed_on__gte=since.date()) | Q(listed_on__isnull=True, first_seen_at__gte=since),
        hidden=False,
    )


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
    Digests read it in their batch's query (content.py); `corpus_key_of` reads it alone."""
    return (since.date(),)


def corpus_key_of(since: datetime) -> tuple:
    row = recent_papers(since).aggregate(
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
        recent_papers(since)
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
    examples = _examples(subscriber_ids)
    texts = _Texts(features)
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


def _examples(subscriber_ids: list[int]) -> dict[int, tuple[list[Example], list[Example]]]:
    """Per subscriber, their positives (library, oldest first, then 👍, oldest first) and
    negatives (👎), in two queries."""
    found: dict[int, tuple[list[Example], list[Example]]] = {pk: ([], []) for pk in subscriber_ids}
    entries = (
        LibraryEntry.objects.filter(subscriber_id__in=subscriber_ids)
        .order_by("added_at", "pk")
        .values_list(
            "subscriber_id", "paper_id", "title", "abstract", "paper__title", "paper__abstract"
        )
    )
    for subscriber_id, paper_id, title, abstract, paper_title, paper_abstract in entries:
        shown = paper_title or title
        text = paper_text(paper_title, paper_abstract) if paper_id else paper_text(title, abstract)
        if shown or abstract:
            found[subscriber_id][0].append(("library", shown, paper_id, text))
    ratings = (
        Feedback.objects.filter(subscriber_id__in=subscriber_ids)
        .order_by("updated_at", "pk")
        .values_list("subscriber_id", "verdict", "paper_id", "paper__title", "paper__abstract")
    )
    for subscriber_id, verdict, paper_id, title, abstract in ratings:
        example = ("liked", title, paper_id, paper_text(title, abstract))
        found[subscriber_id][0 if verdict > 0 else 1].append(example)
    return found


class _Texts:
    """Examples as feature rows: a corpus paper's row as fitted, any other text transformed once
    per batch."""

    def __init__(self, features: Features) -> None:
        self.features = features
        self.index = {pk: n for n, pk in enumerate(features.ids)}
        self.transformed: dict[tuple, sparse.csr_matrix] = {}

    def matrix(self, examples: list[Example]) -> sparse.csr_matrix:
        if not examples:
            return sparse.csr_matrix((0, len(self.features.vocabulary)), dtype=np.float32)
        rows = []
        for _kind, title, paper_id, text in examples:
            if paper_id in self.index:
                rows.append(self.features.matrix[self.index[paper_id]])
                continue
            key = (paper_id,) if paper_id else (title, len(text))
            if key not in self.transformed:
                self.transformed[key] = self.features.transform([text])
            rows.append(self.transformed[key])
        return sparse.vstack(rows).tocsr()


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
    from newsletter.digests.content import lookback

    now = timezone.now()
    since = since or now - lookback()
    features = corpus_features(now=now, since=min(since, now - timedelta(days=FEATURE_DAYS)))
    if (
        reader_model_outdated(subscriber)
        or not ReaderModel.objects.filter(subscriber=subscriber).exists()
    ):
        reader_models_train(subscriber_ids=[subscriber.pk], features=features, now=now)
    model = ReaderModel.objects.filter(subscriber=subscriber).first()
    if model is None:
        return []
    recent = set(recent_papers(since).values_list("pk", flat=True))
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
