"""The personal ranking, as arxiv-sanity-lite does it: TF-IDF features of title and abstract
(through the house analyzer, so a 👍 on "LLMs" and a library of "LLM" papers agree), and per
reader a linear model with balanced classes, trained with their library and 👍 as positives
and their 👎 plus a sample of recent papers as negatives.

A model is kept as its most weighted terms and its bias (`TrainedModel`), never as a pickle, so
it outlives the features it was trained with: a run fits its features once (`Features.fit`,
over the recent papers) and scores any stored model against them by term.

Pure computation: no ORM here (training.py reads and writes the database).
"""

import functools
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

try:  # what LogisticRegression(solver="liblinear") calls in the end (see logistic_regression)
    from sklearn.svm import _liblinear
except ImportError:  # pragma: no cover - a scikit-learn that moved it: the estimator serves
    _liblinear = None

from core.text import analyze

TOP_TERMS = 300  # the terms a stored model keeps
SIGNATURE_TERMS = 12  # a positive's own top terms, for "because you liked ..."
SIGNATURES_KEPT = 40  # the latest positives kept to explain recommendations
NEGATIVES_SAMPLED = 100
# Pseudo-relevance feedback (Rocchio's, as search engines expand a query): the recent papers the
# first fit ranks highest join the positives at a lower weight, and the model is fitted again.
# Five library papers rarely say all their subject says; their nearest neighbours fill it in, so
# the words the library shares outweigh one paper's rare word (benchmarks/ranking.py: +0.04).
# Only for a small library: its gain falls from +0.05 at 3-5 positives to +0.01 at 10 and more
# (benchmarks/README.md), while a second fit costs as much as the first.
PSEUDO_POSITIVES = 5
PSEUDO_BELOW = 10  # positives: from this many on, a reader's model is fitted once
PSEUDO_WEIGHT = 0.5
PSEUDO_TERMS = TOP_TERMS
REASON_TERMS = 3
TEXTS_KEPT = 5_000  # texts outside the corpus whose rows a process keeps (about 2 KB each)
C = 1.0
# The fit: liblinear's dual solver (a reader has a hundred-odd examples and hundreds of terms,
# where the dual's work is the smaller: 1.6 ms a reader against 2.8 for the primal, the same
# model to 1e-4), its coordinates visited in a fixed order of their own (random_state).
LOGISTIC = {
    "C": C, "solver": "liblinear", "dual": True, "tol": 1e-4, "max_iter": 1000, "random_state": 0,
}  # fmt: skip


def text_terms(text: str) -> list[str]:
    """A paper's features: the analyzer's terms and the joined forms of its compounds."""
    analysis = analyze(text)
    return [*analysis.runs[0], *analysis.joined]


def paper_text(title: str, abstract: str) -> str:
    return f"{title}. {title}. {abstract}"  # the title counts twice, as a reader reads it first


@dataclass
class Features:
    """TF-IDF features fitted over a corpus of recent papers, and that corpus's matrix."""

    vectorizer: TfidfVectorizer
    matrix: sparse.csr_matrix  # one row per corpus paper, in `ids` order
    ids: list[int]
    terms: list[str] = field(init=False, repr=False)  # the term of each column
    index: dict[int, int] = field(init=False, repr=False)  # a corpus paper's row
    kept: dict[str, tuple] = field(init=False, repr=False)  # see `rows_of_texts`

    def __post_init__(self) -> None:
        # a list, not numpy's array of them: a model names its terms one at a time
        self.terms = self.vectorizer.get_feature_names_out().tolist()
        self.index = {pk: row for row, pk in enumerate(self.ids)}
        self.kept = {}

    @classmethod
    def fit(cls, ids: Sequence[int], texts: Sequence[str]) -> "Features":
        empty = not any(texts)
        if empty:
            texts = ["nothing"]  # no paper: features that know one word, and no row
        analyzed = [text_terms(text) for text in texts]
        vectorizer = TfidfVectorizer(
            analyzer=_given,
            min_df=2 if len(texts) >= 50 else 1,
            max_df=0.5 if len(texts) >= 50 else 1.0,
            sublinear_tf=True,
            dtype=np.float32,
        )
        matrix = vectorizer.fit_transform(analyzed).tocsr()
        if empty:
            return cls(vectorizer=vectorizer, matrix=matrix[:0], ids=[])
        return cls(vectorizer=vectorizer, matrix=matrix, ids=list(ids))

    @property
    def vocabulary(self) -> dict[str, int]:
        return self.vectorizer.vocabulary_

    def transform(self, texts: Iterable[str]) -> sparse.csr_matrix:
        return self.vectorizer.transform([text_terms(text) for text in texts]).tocsr()

    def rows_of_texts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The rows of texts outside the corpus, one per text, each transformed once while these
        features last (up to TEXTS_KEPT of them): the older papers of readers' libraries come
        back in every batch that trains one of their readers."""
        distinct = list(dict.fromkeys(texts))
        missing = [text for text in distinct if text not in self.kept]
        if missing:
            if len(self.kept) + len(missing) > TEXTS_KEPT:
                self.kept.clear()  # and the texts asked that it held are transformed again
                missing = distinct
            matrix = self.transform(missing)
            for n, text in enumerate(missing):
                start, end = matrix.indptr[n], matrix.indptr[n + 1]
                self.kept[text] = (matrix.data[start:end].copy(), matrix.indices[start:end].copy())
        rows = [self.kept[text] for text in texts]
        indptr = np.zeros(len(rows) + 1, dtype=np.int32)
        np.cumsum([len(data) for data, _ in rows], out=indptr[1:])
        data = np.concatenate([d for d, _ in rows]) if rows else np.zeros(0, np.float32)
        columns = np.concatenate([c for _, c in rows]) if rows else np.zeros(0, np.int32)
        return sparse.csr_matrix((data, columns, indptr), shape=(len(rows), len(self.terms)))

    @functools.cached_property
    def by_term(self) -> sparse.csc_matrix:
        """The corpus matrix by column, to score it with a model's few terms."""
        return self.matrix.tocsc()

    def rows(self, ids: Iterable[int]) -> sparse.csr_matrix:
        return self.matrix[[self.index[pk] for pk in ids if pk in self.index]]


def _given(terms: list[str]) -> list[str]:
    return terms  # the texts arrive analyzed


@dataclass
class Positive:
    kind: str  # "library" or "liked"
    title: str


@dataclass
class TrainedModel:
    weights: dict[str, float]
    bias: float
    positives: list[list]  # [kind, title, {term: weight}] of the latest positives
    positive_count: int
    negative_count: int


def train(
    features: Features,
    positives: sparse.csr_matrix,
    positive_info: Sequence[Positive],
    negatives: sparse.csr_matrix,
    *,
    seed: int,
    exclude: Iterable[int] = (),
) -> TrainedModel | None:
    """A reader's model, or None without a positive. `negatives` are their 👎; a sample of the
    corpus (never a positive, never `exclude`d) is added, drawn from `seed`. With fewer than
    PSEUDO_BELOW positives, fitted twice: the second time with the first fit's best corpus
    papers as pseudo-positives."""
    if positives.shape[0] == 0:
        return None
    exclude = set(exclude)
    sample = _sample(features, seed, exclude)
    if negatives.shape[0] + len(sample) == 0:  # only positives: nothing to tell them from
        return None
    used, coef, bias = _fit(positives, negatives, features.matrix, sample)
    pseudo = []
    if positives.shape[0] < PSEUDO_BELOW:
        pseudo = _pseudo_positives(features, coef, exclude, positives, negatives)
    taken = set(pseudo)
    kept = [row for row in sample if row not in taken]
    if pseudo and negatives.shape[0] + len(kept):
        used, coef, bias = _fit(positives, negatives, features.matrix, kept, pseudo)
    # a column no example has keeps a zero weight: the strongest among the `used`
    top = used[np.argsort(-np.abs(coef[used]), kind="stable")[:TOP_TERMS]]
    terms = features.terms
    weights = {
        terms[i]: w for i, w in zip(top.tolist(), np.round(coef[top], 4).tolist(), strict=True) if w
    }
    return TrainedModel(
        weights=weights,
        bias=round(bias, 4),
        positives=_signatures(positives, positive_info, terms),
        positive_count=positives.shape[0],
        negative_count=negatives.shape[0] + (len(kept) if pseudo else len(sample)),
    )


def _fit(
    positives: sparse.csr_matrix,
    negatives: sparse.csr_matrix,
    corpus: sparse.csr_matrix,
    sample: Sequence[int],
    pseudo: Sequence[int] = (),
) -> tuple[np.ndarray, np.ndarray, float]:
    """The columns the examples use, and a logistic regression's weights (over every column) and
    bias: the examples are the positives, the `pseudo` rows of the corpus, the negatives and
    the `sample` rows of the corpus, in this order. The classes are balanced by their weight (a
    pseudo-positive counts PSEUDO_WEIGHT), here: scikit-learn's own check of them costs more
    than the fit. A 👎 is said as plainly as a library paper: it weighs what one positive does,
    not what one of the sampled papers does."""
    parts = [_entries(positives), _entries(corpus, pseudo), _entries(negatives),
             _entries(corpus, sample)]  # fmt: skip
    data, columns, lengths = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    rows, extra = len(lengths), len(pseudo)
    weight = np.ones(rows, dtype=np.float64)
    weight[positives.shape[0] : positives.shape[0] + extra] = PSEUDO_WEIGHT
    y = np.zeros(rows, dtype=np.int8)
    y[: positives.shape[0] + extra] = 1
    for label in (0, 1):
        chosen = y == label
        weight[chosen] *= len(y) / (2 * weight[chosen].sum())
    first = positives.shape[0] + extra
    weight[first : first + negatives.shape[0]] = weight[0]
    # Fitted over the columns the examples use (a few thousand of the corpus's tens of thousands):
    # the same model, since a column no example has keeps a zero weight, and liblinear's work
    # grows with the columns it is given.
    used, renumbered = np.unique(columns, return_inverse=True)
    indptr = np.zeros(rows + 1, dtype=np.int32)
    np.cumsum(lengths, out=indptr[1:])
    X = sparse.csr_matrix(
        (data.astype(np.float64), renumbered.astype(np.int32), indptr), (rows, len(used))
    )
    weights, bias = logistic_regression(X, y, weight)
    coef = np.zeros(corpus.shape[1], dtype=np.float64)
    coef[used] = weights
    return used, coef, bias


def _entries(
    matrix: sparse.csr_matrix, rows: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The values, columns and row lengths of `matrix` (of its `rows`, in their order), as
    arrays to join: slicing a matrix builds one, which costs more than reading its arrays."""
    if rows is None:
        start, end = matrix.indptr[0], matrix.indptr[-1]
        return matrix.data[start:end], matrix.indices[start:end], np.diff(matrix.indptr)
    rows = np.asarray(rows, dtype=np.intp)
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    at = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(lengths.sum())
    return matrix.data[at], matrix.indices[at], lengths


def logistic_regression(
    X: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, float]:
    """scikit-learn's LogisticRegression(**LOGISTIC) fitted with these sample weights (`y` of 0
    and 1, both there): its weights and bias. The estimator's checks of its input, and those of
    the function it calls, cost four times the fit of a reader's hundred examples, so liblinear
    is called as that function calls it, as long as it answers what the estimator answers (the
    first call in a process asks both)."""
    if _direct_fit_agrees():
        return _direct_fit(X, y, weight)
    return _estimator_fit(X, y, weight)


L2R_LR_DUAL = 7  # liblinear's solver: L2-regularized logistic regression, dual


@functools.cache
def _direct_seed() -> int:
    # the seed the estimator draws for liblinear from its random_state
    return int(np.random.RandomState(LOGISTIC["random_state"]).randint(np.iinfo("i").max))


def _direct_fit(
    X: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, float]:
    X = sparse.csr_matrix(X, dtype=np.float64)
    raw, _ = _liblinear.train_wrap(
        X, np.require(y, np.float64, "CW"), True, L2R_LR_DUAL, LOGISTIC["tol"], 1.0,
        LOGISTIC["C"], np.ones(2), LOGISTIC["max_iter"], _direct_seed(), 0.1,
        np.require(weight, np.float64, "C"),
    )  # fmt: skip
    return raw[0, :-1], float(raw[0, -1])  # the bias is the last column (intercept_scaling 1)


def _estimator_fit(
    X: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, float]:
    model = LogisticRegression(**LOGISTIC)
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        model.fit(X, y, sample_weight=weight)
    return model.coef_[0], float(model.intercept_[0])


@functools.cache
def _direct_fit_agrees() -> bool:
    """Whether calling liblinear directly gives the estimator's model, on a problem of a
    reader's shape: false in a scikit-learn whose internals changed, which the estimator
    then serves (slower, never wrong)."""
    if _liblinear is None:
        return False
    rng = np.random.default_rng(0)
    X = sparse.random(60, 200, density=0.05, format="csr", dtype=np.float64, random_state=0)
    y = np.zeros(60)
    y[:8] = 1
    weight = rng.uniform(0.5, 2.0, size=60)
    try:
        _liblinear.set_verbosity_wrap(0)  # as the estimator sets it: liblinear prints nothing
        coef, bias = _direct_fit(X, y, weight)
    except Exception:  # any change of its signature: the estimator serves
        return False
    expected, expected_bias = _estimator_fit(X, y, weight)
    return bool(np.allclose(coef, expected, atol=1e-9) and abs(bias - expected_bias) < 1e-9)


def _pseudo_positives(
    features: Features,
    coef: np.ndarray,
    exclude: set[int],
    positives: sparse.csr_matrix,
    negatives: sparse.csr_matrix,
) -> list[int]:
    """The corpus rows a first model ranks highest, never a paper the reader knows, nor one more
    like one of their 👎 than like any of their positives (a 👎 keeps pushing its kind down)."""
    if not PSEUDO_POSITIVES or not features.ids:
        return []
    # scored by the model's strongest positive terms: what makes a paper a candidate at all
    top = np.argpartition(-coef, min(PSEUDO_TERMS, len(coef) - 1))[:PSEUDO_TERMS]
    top = top[coef[top] > 0]
    score = features.by_term[:, top] @ coef[top].astype(np.float32)
    wanted = min(len(score) - 1, 2 * PSEUDO_POSITIVES + len(exclude))
    best = np.argpartition(-score, wanted)[: wanted + 1] if wanted > 0 else np.arange(len(score))
    best = [int(row) for row in best[np.argsort(-score[best], kind="stable")]]
    best = [row for row in best if features.ids[row] not in exclude]
    if negatives.shape[0] and best:
        rows = features.matrix[best]  # the vectorizer's rows are unit length: a product is a cosine
        nearest_positive = (rows @ positives.T).toarray().max(axis=1)
        nearest_negative = (rows @ negatives.T).toarray().max(axis=1)
        best = [row for row, p, n in zip(best, nearest_positive, nearest_negative, strict=True)
                if n < p]  # fmt: skip
    return best[:PSEUDO_POSITIVES]


def _sample(features: Features, seed: int, exclude: set[int]) -> list[int]:
    """A reader's own sample of recent papers (their rows) as negatives: never one they know."""
    size = len(features.ids)
    if not size:
        return []
    index = features.index
    skip = [index[pk] for pk in exclude if pk in index]
    rng = np.random.default_rng(seed)
    drawn = rng.choice(size, size=min(size, NEGATIVES_SAMPLED + len(skip)), replace=False)
    if skip:
        drawn = drawn[~np.isin(drawn, skip)]
    return drawn[:NEGATIVES_SAMPLED].tolist()


def _signatures(matrix: sparse.csr_matrix, info: Sequence[Positive], terms) -> list[list]:
    """The latest positives (the last rows) with their own top terms: all rows' terms sorted
    at once, by row and then by weight, heaviest first."""
    first = max(0, matrix.shape[0] - SIGNATURES_KEPT)
    kept = matrix[first:] if first else matrix
    lengths = np.diff(kept.indptr)
    order = np.lexsort((-kept.data, np.repeat(np.arange(kept.shape[0]), lengths)))
    within = np.arange(len(order)) - np.repeat(kept.indptr[:-1], lengths)  # place in its row
    chosen = order[within < SIGNATURE_TERMS]
    names = [terms[c] for c in kept.indices[chosen].tolist()]
    values = np.round(kept.data[chosen].astype(np.float64), 3).tolist()
    signatures, at = [], 0
    for row, count in enumerate(np.minimum(lengths, SIGNATURE_TERMS).tolist(), start=first):
        signature = dict(zip(names[at : at + count], values[at : at + count], strict=True))
        signatures.append([info[row].kind, info[row].title, signature])
        at += count
    return signatures


@dataclass
class Candidates:
    """The papers a run ranks (the recent ones), as features by term, ready for any model."""

    ids: list[int]
    rows: sparse.csr_matrix  # papers by terms: scored by a model, read for reasons
    vocabulary: dict[str, int]
    terms: list[str]

    @classmethod
    def of(cls, features: Features, ids: Sequence[int] | None = None) -> "Candidates":
        rows = features.matrix if ids is None else features.rows(ids)
        kept = features.ids if ids is None else [pk for pk in ids if pk in features.index]
        return cls(
            ids=list(kept),
            rows=rows.tocsr(),
            vocabulary=features.vocabulary,
            terms=features.terms,
        )


@dataclass(frozen=True)
class Recommendation:
    paper_id: int
    score: float
    reason: str  # "like <title> in your library", "because you liked <title>"
    terms: tuple[str, ...]  # the terms that drove it


def scores(candidates: Candidates, weights: dict[str, float], bias: float) -> np.ndarray:
    """A stored model's score of every candidate."""
    vocabulary = candidates.vocabulary
    pairs = [(vocabulary[t], w) for t, w in weights.items() if t in vocabulary]
    if not pairs:
        return np.full(len(candidates.ids), bias, dtype=np.float32)
    columns, values = zip(*pairs, strict=True)
    # the candidates' rows times the model as a vector over every term (most of it zeros): one
    # pass over the rows' entries, cheaper than gathering the model's columns into a matrix
    model = np.zeros(candidates.rows.shape[1], dtype=np.float32)
    model[list(columns)] = values
    return candidates.rows @ model + np.float32(bias)


def recommend(
    candidates: Candidates,
    score: np.ndarray,
    weights: dict[str, float],
    positives: list[list],
    *,
    limit: int,
    exclude: set[int] = frozenset(),
) -> list[Recommendation]:
    """The best candidates by a model's `score` (from `scores`), best first, each with its
    nearest positive and the terms that drove it."""
    if limit <= 0 or not candidates.ids:
        return []
    wanted = limit * 2 + len(exclude)
    if wanted < len(score):  # the few best, without sorting them all
        best = np.argpartition(-score, wanted)[: wanted + 1]
        order = best[np.argsort(-score[best], kind="stable")]
        if sum(candidates.ids[row] not in exclude for row in order) < limit:
            order = np.argsort(-score, kind="stable")
    else:
        order = np.argsort(-score, kind="stable")
    found = []
    postings = _postings(positives)
    for row in order:
        pk = candidates.ids[row]
        if pk in exclude:
            continue
        found.append(_explained(candidates, row, float(score[row]), weights, positives, postings))
        if len(found) >= limit:
            break
    return found


def _postings(positives: list[list]) -> dict[str, list[tuple[int, float]]]:
    """Each term of the positives' signatures: the positives that have it, with its weight."""
    postings: dict[str, list[tuple[int, float]]] = {}
    for at, (_kind, _title, signature) in enumerate(positives):
        for term, value in signature.items():
            postings.setdefault(term, []).append((at, value))
    return postings


def _explained(candidates, row: int, score: float, weights, positives, postings) -> Recommendation:
    rows = candidates.rows
    start, end = rows.indptr[row], rows.indptr[row + 1]
    terms = candidates.terms
    present = dict(
        zip(
            [terms[c] for c in rows.indices[start:end].tolist()],
            rows.data[start:end].tolist(),
            strict=True,
        )
    )
    drivers = sorted(
        (
            (v * w, t)
            for t, v in present.items()  # a paper's few terms, not the model's hundreds
            if (w := weights.get(t, 0.0)) > 0 and not t.isdigit()
        ),
        reverse=True,
    )
    terms = tuple(t for _, t in drivers[:REASON_TERMS])
    # the nearest positive by their signatures (the first of the nearest), through the paper's
    # own terms: a few dozen lookups, not one per term of every positive
    similarity = [0.0] * len(positives)
    for term, value in present.items():
        for at, weight in postings.get(term, ()):
            similarity[at] += value * weight
    reason = ""
    nearest = max(range(len(positives)), key=similarity.__getitem__, default=None)
    if nearest is not None and similarity[nearest] > 0:
        kind, title, _ = positives[nearest]
        reason = (
            f"like “{title}” in your library" if kind == "library"
            else f"because you liked “{title}”"
        )  # fmt: skip
    return Recommendation(
        paper_id=candidates.ids[row], score=round(score, 4), reason=reason, terms=terms
    )


SIMILAR_KEPT = 12  # neighbours kept per paper: a page shows 6, some may be hidden later
SHARED_TERMS = 3
SIMILAR_CHUNK = 256  # papers compared at once: a chunk's scores are 256 x the corpus floats


def nearest(
    features: Features, ids: Sequence[int], *, kept: int = SIMILAR_KEPT
) -> dict[int, list[tuple[int, float, tuple[str, ...]]]]:
    """For each of `ids` in the corpus, the `kept` other corpus papers nearest to it by the
    ranking's features (the cosine of their TF-IDF rows, which the vectorizer normalizes), best
    first, each with the terms that weigh most in both (digits aside)."""
    matrix, terms = features.matrix, features.terms
    rows = [features.index[pk] for pk in ids if pk in features.index]
    found: dict[int, list[tuple[int, float, tuple[str, ...]]]] = {}
    transposed = matrix.T.tocsc()
    for start in range(0, len(rows), SIMILAR_CHUNK):
        chunk = rows[start : start + SIMILAR_CHUNK]
        similarity = (matrix[chunk] @ transposed).toarray()
        for offset, row in enumerate(chunk):
            score = similarity[offset]
            score[row] = 0.0
            best = np.argpartition(-score, min(kept, len(score) - 1))[: kept + 1]
            best = [j for j in best[np.argsort(-score[best], kind="stable")] if score[j] > 0]
            found[features.ids[row]] = [
                (features.ids[j], round(float(score[j]), 4), _shared(matrix, row, j, terms))
                for j in best[:kept]
            ]
    return found


def _shared(matrix: sparse.csr_matrix, first: int, second: int, terms) -> tuple[str, ...]:
    both = matrix[first].multiply(matrix[second]).tocoo()
    order = np.argsort(-both.data, kind="stable")
    shared = [terms[c] for c in both.col[order].tolist()]
    return tuple(t for t in shared if not t.isdigit())[:SHARED_TERMS]


def seed_of(subscriber_id: int) -> int:
    """A reader's own, stable sample of negatives."""
    return zlib.crc32(str(subscriber_id).encode())
