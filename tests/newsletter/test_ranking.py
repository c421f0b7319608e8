"""The personal ranking over the four real dumps: a reader whose library holds five papers on a
topic gets mostly that topic in their top ten, far above its share of all papers."""

import random
from datetime import UTC, datetime

import numpy as np
import pytest

from newsletter.models import ReaderModel
from newsletter.personal.ranking import Candidates, scores
from newsletter.personal.training import corpus_features, reader_ranking
from newsletter.services.feedback import feedback_record
from newsletter.services.library import library_import
from papers.models import Paper
from papers.services import source_ingest
from tests.newsletter.ranking_topics import TOPICS, library_csv

pytestmark = pytest.mark.django_db
SINCE = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def dumps(shared):
    for path in sorted((shared / "dumps").glob("*.txt")):
        with open(path, "rb") as stream:
            source_ingest(stream=stream, source=str(path), year=2025)
    assert Paper.objects.count() == 183


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_five_library_papers_bring_their_topic_first(dumps, make_subscriber, topic):
    on_topic = set(TOPICS[topic])
    reader = make_subscriber(f"{topic}@example.org", "placeholder")
    report = library_import(subscriber=reader, data=library_csv(TOPICS[topic][:5]), name="l.csv")
    assert report.count("title") == 5
    ranked = reader_ranking(subscriber=reader, since=SINCE, limit=10)
    hits = sum(r.title in on_topic for r in ranked)
    share = (len(on_topic) - 5) / (183 - 5)
    print(f"{topic}: precision@10 {hits / 10:.1f} against a share of {share:.2f}")
    for r in ranked:
        print(
            f"  {'+' if r.title in on_topic else ' '} {r.score:7.3f} {r.title[:70]} | {r.reason[:60]} | {r.terms}"
        )
    assert len(ranked) == 10
    assert hits >= 6 and hits / 10 >= 3 * share
    assert all(r.reason.startswith("like “") for r in ranked)


def thumbs_down_cases():
    """The three topics' first five papers, then random libraries of the benchmark's nine topics
    (benchmarks/ranking_topics.py), each with a random one of its top three disliked."""
    from benchmarks.ranking_topics import TOPICS as MORE

    cases = [pytest.param(TOPICS[t][:5], 0, id=t) for t in sorted(TOPICS)]
    for seed in range(6):
        rng = random.Random(seed)
        topic = rng.choice(sorted(MORE))
        library = rng.sample(MORE[topic], 5)
        cases.append(pytest.param(library, rng.randrange(3), id=f"{topic}-seed{seed}"))
    return cases


def model_order(reader) -> list[int]:
    """Every recent paper by the reader's stored model, best first, known ones included."""
    model = ReaderModel.objects.get(subscriber=reader)
    candidates = Candidates.of(corpus_features(since=SINCE))
    score = scores(candidates, model.weights, model.bias)
    return [candidates.ids[row] for row in np.argsort(-score, kind="stable")]


def test_a_thumbs_down_pushes_the_paper_and_its_kind_down(dumps, make_subscriber):
    """The ranking's pseudo-positives (the first fit's best papers, which join the library at a
    lower weight) never outvote a 👎: in every case the disliked paper falls in the reader's model
    by more than five places, and in most the three papers most like it among the reader's top
    twenty fall too (their places summed)."""
    fell = []
    for n, case in enumerate(thumbs_down_cases()):
        library, which = case.values
        reader = make_subscriber(f"reader{n}@example.org", "placeholder")
        library_import(subscriber=reader, data=library_csv(library), name="l.csv")
        top = [r.paper_id for r in reader_ranking(subscriber=reader, since=SINCE, limit=20)]
        disliked = top[which]
        before = model_order(reader)
        rest = [pk for pk in top if pk != disliked]
        features = corpus_features(since=SINCE)
        likeness = (features.rows(rest) @ features.rows([disliked]).T).toarray().ravel()
        nearest = [rest[row] for row in np.argsort(-likeness)[:3]]
        feedback_record(subscriber=reader, paper=Paper.objects.get(pk=disliked), verdict=-1)
        after_top = [r.paper_id for r in reader_ranking(subscriber=reader, since=SINCE, limit=40)]
        after = model_order(reader)
        assert disliked not in after_top
        assert after.index(disliked) > before.index(disliked) + 5, (case.id, before.index(disliked))
        was = sum(before.index(pk) for pk in nearest)
        now = sum(after.index(pk) for pk in nearest)
        fell.append(now > was)
    assert sum(fell) >= len(fell) - 2, fell


@pytest.mark.parametrize("seed", range(6))
def test_the_fit_is_scikit_learns_logistic_regression(seed, monkeypatch):
    """The ranking calls liblinear as LogisticRegression(**LOGISTIC) does, without the checks
    of its input: the same weights and bias, whichever class comes first; and the estimator
    serves when liblinear cannot be called so."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    from newsletter.personal import ranking

    rng = np.random.default_rng(seed)
    X = sparse.random(120, 900, density=0.05, format="csr", dtype=np.float32, random_state=seed)
    y = np.zeros(120, dtype=np.int8)
    y[rng.choice(120, size=int(rng.integers(3, 30)), replace=False)] = 1
    if seed % 2:
        y[0] = 1  # as a reader's examples come: their positives first
    weight = rng.uniform(0.2, 5.0, size=120)
    expected = LogisticRegression(**ranking.LOGISTIC).fit(X, y, sample_weight=weight)
    assert ranking._direct_fit_agrees()
    real = ranking._liblinear
    for liblinear in (real, None, NotLiblinear()):
        monkeypatch.setattr(ranking, "_liblinear", liblinear)
        ranking._direct_fit_agrees.cache_clear()
        coef, bias = ranking.logistic_regression(X, y, weight)
        assert np.allclose(coef, expected.coef_[0], atol=1e-6)
        assert bias == pytest.approx(float(expected.intercept_[0]), abs=1e-6)
        assert ranking._direct_fit_agrees() is (liblinear is real)
    ranking._direct_fit_agrees.cache_clear()


class NotLiblinear:
    """A liblinear whose function takes other arguments, as another scikit-learn's may."""

    @staticmethod
    def train_wrap(*arguments):
        raise TypeError(f"train_wrap() takes 13 arguments ({len(arguments)} given)")


@pytest.mark.parametrize("seed", range(8))
def test_a_recommendation_names_the_first_of_its_nearest_positives(seed):
    """The reason is the positive whose signature is nearest the paper's features (the first
    of equals), or none when no positive shares a term with it: drawn at random, against the
    definition written out."""
    from newsletter.personal.ranking import Features, recommend

    rng = random.Random(seed)
    words = [f"w{n}" for n in range(40)]
    texts = [" ".join(rng.choices(words, k=rng.randint(3, 12))) for _ in range(60)]
    features = Features.fit(list(range(60)), texts)
    candidates = Candidates.of(features)
    terms = features.terms
    positives = []
    for n in range(rng.randint(1, 12)):
        signature = {
            t: round(rng.uniform(0.05, 1), 3) for t in rng.sample(terms, rng.randint(0, 6))
        }
        if n and rng.random() < 0.2:
            signature = dict(positives[rng.randrange(n)][2])  # an equal of an earlier one
        positives.append([rng.choice(["library", "liked"]), f"paper {n}", signature])
    weights = {t: rng.uniform(-1, 1) for t in terms}
    score = scores(candidates, weights, 0.0)
    for found in recommend(candidates, score, weights, positives, limit=15):
        row = candidates.ids.index(found.paper_id)
        present = {
            terms[c]: float(v)
            for c, v in zip(candidates.rows[row].indices, candidates.rows[row].data, strict=True)
        }
        near = [sum(present.get(t, 0.0) * v for t, v in s.items()) for _, _, s in positives]
        if max(near) <= 0:
            assert found.reason == ""
            continue
        first = next(at for at, value in enumerate(near) if value >= max(near) - 1e-9)
        kind, title, _ = positives[first]
        assert title in found.reason and found.reason.startswith(
            "like “" if kind == "library" else "because you liked “"
        )


@pytest.mark.parametrize("seed", range(6))
def test_a_positives_signature_is_its_heaviest_terms(seed):
    """Each of the latest SIGNATURES_KEPT positives keeps its SIGNATURE_TERMS heaviest terms,
    rounded, in its own order: drawn at random, against the definition written out."""
    from scipy import sparse

    from newsletter.personal import ranking

    rng = np.random.default_rng(seed)
    rows = int(rng.integers(0, 70))
    matrix = sparse.random(rows, 300, density=rng.uniform(0.005, 0.2), format="csr",
                           dtype=np.float32, random_state=seed)  # fmt: skip
    terms = [f"term{n}" for n in range(300)]
    info = [ranking.Positive("library" if n % 3 else "liked", f"paper {n}") for n in range(rows)]
    signatures = ranking._signatures(matrix, info, terms)
    first = max(0, rows - ranking.SIGNATURES_KEPT)
    assert [s[:2] for s in signatures] == [[p.kind, p.title] for p in info[first:]]
    for row, (_, _, signature) in enumerate(signatures, start=first):
        own = {
            terms[c]: float(v) for c, v in zip(matrix[row].indices, matrix[row].data, strict=True)
        }
        assert len(signature) == min(len(own), ranking.SIGNATURE_TERMS)
        assert list(signature.values()) == sorted(signature.values(), reverse=True)
        left_out = max((v for t, v in own.items() if t not in signature), default=0.0)
        assert all(
            own[t] >= left_out and value == round(own[t], 3) for t, value in signature.items()
        )


def test_texts_outside_the_corpus_are_transformed_once_while_the_features_last(monkeypatch):
    """Their rows are the vectorizer's, in the order asked, repeats included; a text comes back
    from the features' own store, which is emptied when it would pass TEXTS_KEPT."""
    from newsletter.personal import ranking

    rng = random.Random(3)
    words = [f"w{n}" for n in range(30)]
    features = ranking.Features.fit(list(range(40)), [" ".join(rng.choices(words, k=8)) for _ in range(40)])  # fmt: skip
    texts = [" ".join(rng.choices(words, k=rng.randint(0, 9))) for _ in range(12)]
    asked = [*texts, texts[3], texts[0]]
    expected = features.transform(asked)
    calls = []
    transform = features.transform
    monkeypatch.setattr(features, "transform", lambda t: calls.append(len(t)) or transform(t))
    for _ in range(2):
        rows = features.rows_of_texts(asked)
        assert rows.shape == expected.shape and (rows != expected).nnz == 0
    assert calls == [12]  # each distinct text once
    assert features.rows_of_texts([]).shape == (0, len(features.terms))
    monkeypatch.setattr(ranking, "TEXTS_KEPT", 14)
    features.rows_of_texts(["w1 w2 w3", "w4 w5", "w6"])  # 15 would pass the bound: emptied first
    assert len(features.kept) == 3 and calls == [12, 3]
    # Emptied while a text asked is held: the texts asked are all transformed again.
    monkeypatch.setattr(ranking, "TEXTS_KEPT", 3)
    asked = ["w1 w2 w3", "w7 w8", "w1 w2 w3"]
    rows = features.rows_of_texts(asked)
    assert (rows != transform(asked)).nnz == 0 and calls == [12, 3, 2]
    assert set(features.kept) == {"w1 w2 w3", "w7 w8"}
