#!/usr/bin/env python
"""Ranking evaluation: does a library of 5 papers bring its topic first?

The 183 papers of the four dumps in ../shared/dumps are ingested into a fresh SQLite database.
For each topic of benchmarks/ranking_topics.py (9, written down by reading those papers) and
each seed, a library of 5 of the topic's papers is drawn at random; every other paper is ranked,
and the precision of the top K is the share of on-topic papers among them (K is 10, or what is
left of a smaller topic once its 5 are drawn: a topic of 9 can put at most 4 on-topic papers
first). Each case is judged twice: by the topic lists as first written (one topic per paper, but
for two), and as re-read (ranking_topics.ALSO: the papers squarely on a second topic count on it
too). Side by side on the same cases:

- paperwire: the personal ranking as a reader gets it (`reader_ranking`: the library imported,
  the reader's model trained, the recent papers ranked);
- centroid: a plain TF-IDF centroid (scikit-learn's TfidfVectorizer over title and abstract,
  papers by cosine to the mean of the library's rows);
- svm: arxiv-sanity-lite's way (TF-IDF of words and word pairs, English stop words, sublinear tf,
  and a LinearSVC with C=0.01 and balanced classes, the library against every other paper);
- random: the papers in a random order;
- oracle: not a way any reader could rank, but a measure of the evaluation itself: a logistic
  model (C=100, balanced) on arxiv-sanity's features, told the library as positives and, as
  negatives, every paper the topic lists put under another topic (about 150, where a reader gives
  none). What it still misses is what words cannot tell apart on these topics.

Prints each topic's mean precision per method, the means over every case under both judgments,
and a last line of JSON. Target: paperwire's mean precision at 10 >= 0.85, ahead of both
baselines.

    python benchmarks/ranking.py [--seeds 5] [--library 5]
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import django_environment  # noqa: E402

SHARED = ROOT.parent / "shared"
TARGET = 0.85
METHODS = ("paperwire", "centroid", "svm", "random", "oracle")
JUDGMENTS = {
    "listed": "Judged by the topic lists as first written",
    "reread": "Judged as re-read (a paper squarely on a second topic counts on it too)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="libraries drawn per topic")
    parser.add_argument("--library", type=int, default=5, help="papers in each library")
    parser.add_argument("--k", type=int, default=10, help="precision at this many")
    parser.add_argument(
        "--show", metavar="TOPIC", action="append", default=[],
        help="print this topic's libraries and paperwire's top papers, misses marked (repeatable)",
    )  # fmt: skip
    args = parser.parse_args()
    if not (SHARED / "dumps").is_dir():
        raise SystemExit(f"The dumps are not at {SHARED / 'dumps'}: clone the repo beside shared/.")
    with tempfile.TemporaryDirectory(prefix="paperwire-ranking-") as workdir:
        os.environ.update(
            django_environment(f"sqlite:///{workdir}/ranking.sqlite3", workdir, LOG_LEVEL="ERROR")
        )
        import django

        django.setup()
        results = evaluate(args)
    report(results, args)


def evaluate(args) -> dict:
    from datetime import UTC, datetime

    from django.core.management import call_command
    from django.utils import timezone

    from benchmarks.ranking_topics import ALSO, TOPICS
    from newsletter.models import Subscriber
    from newsletter.personal.training import reader_ranking
    from newsletter.services.library import library_import
    from papers.models import Paper
    from papers.services import source_ingest
    from tests.newsletter.ranking_topics import library_csv

    call_command("migrate", "--no-input", verbosity=0)
    for path in sorted((SHARED / "dumps").glob("*.txt")):
        with open(path, "rb") as stream:
            source_ingest(stream=stream, source=str(path), year=2025)
    papers = list(Paper.objects.order_by("pk").values_list("pk", "title", "abstract"))
    by_title = {title: pk for pk, title, _ in papers}
    missing = [
        t for titles in [*TOPICS.values(), *ALSO.values()] for t in titles if t not in by_title
    ]
    if missing:
        raise SystemExit(f"Topic papers not in the dumps: {missing[:3]}")
    ids = [pk for pk, _, _ in papers]
    texts = [f"{title}. {abstract}" for _, title, abstract in papers]
    baselines = Baselines(ids, texts)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    filed = {by_title[t] for titles in TOPICS.values() for t in titles}  # on some topic's list
    cases = []
    started = time.perf_counter()
    for topic, titles in sorted(TOPICS.items()):
        listed = {by_title[t] for t in titles}
        judged = {"listed": listed, "reread": listed | {by_title[t] for t in ALSO.get(topic, [])}}
        for seed in range(args.seeds):
            rng = random.Random(f"{topic}/{seed}")
            library = rng.sample(sorted(listed), args.library)
            ks = {j: min(args.k, len(on) - args.library) for j, on in judged.items()}
            k = max(ks.values())
            others = [pk for pk in ids if pk not in library]
            reader = Subscriber.objects.create(
                email=f"{topic}-{seed}@example.org", status="active", confirmed_at=timezone.now()
            )
            chosen = [t for t in titles if by_title[t] in library]
            library_import(subscriber=reader, data=library_csv(chosen), name="library.csv")
            ranked = {
                "paperwire": [r.paper_id for r in reader_ranking(
                    subscriber=reader, since=since, limit=k)],
                "centroid": baselines.centroid(library, others, k),
                "svm": baselines.svm(library, others, k),
                "random": rng.sample(others, k),
                "oracle": baselines.oracle(library, others, k, filed - judged["reread"]),
            }  # fmt: skip
            if topic in args.show:
                show(topic, seed, library, ranked["paperwire"][:k], judged, papers)
            for judgment, on_topic in judged.items():
                n = ks[judgment]
                cases.append({
                    "topic": topic, "seed": seed, "k": n, "judgment": judgment,
                    **{m: sum(pk in on_topic for pk in ranked[m][:n]) / n for m in METHODS},
                })  # fmt: skip
    return {"cases": cases, "seconds": round(time.perf_counter() - started, 1)}


def show(topic: str, seed: int, library, ranked, judged: dict, papers) -> None:
    """A case as a reader would see it: the library, then the ranking, each paper marked
    + (on the topic as listed), ~ (only as re-read) or - (off the topic)."""
    titles = {pk: title for pk, title, _ in papers}
    print(f"\n{topic}, seed {seed}: library")
    for pk in library:
        print(f"    {titles[pk][:100]}")
    for n, pk in enumerate(ranked, 1):
        mark = "+" if pk in judged["listed"] else "~" if pk in judged["reread"] else "-"
        print(f"  {n:>2} {mark} {titles[pk][:100]}")


class Baselines:
    """The two baselines over the same papers, fitted once."""

    def __init__(self, ids: list[int], texts: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.ids = ids
        self.row = {pk: n for n, pk in enumerate(ids)}
        self.plain = TfidfVectorizer().fit_transform(texts)
        # arxiv-sanity-lite's vectorizer, its document-frequency bounds scaled to 183 papers
        self.sanity = TfidfVectorizer(
            strip_accents="unicode", lowercase=True, stop_words="english",
            token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2),
            max_features=20000, sublinear_tf=True, max_df=0.1, min_df=2,
        ).fit_transform(texts)  # fmt: skip

    def _top(self, scores, others: list[int], k: int) -> list[int]:
        ranked = sorted(others, key=lambda pk: (-scores[self.row[pk]], pk))
        return ranked[:k]

    def centroid(self, library: list[int], others: list[int], k: int) -> list[int]:
        import numpy as np

        rows = self.plain[[self.row[pk] for pk in library]]
        center = np.asarray(rows.mean(axis=0)).ravel()
        return self._top(self.plain @ center, others, k)

    def svm(self, library: list[int], others: list[int], k: int) -> list[int]:
        import numpy as np
        from sklearn.svm import LinearSVC

        y = np.zeros(len(self.ids), dtype=int)
        y[[self.row[pk] for pk in library]] = 1
        model = LinearSVC(C=0.01, class_weight="balanced", max_iter=10_000, tol=1e-6)
        model.fit(self.sanity, y)
        return self._top(model.decision_function(self.sanity), others, k)

    def oracle(
        self, library: list[int], others: list[int], k: int, negatives: set[int]
    ) -> list[int]:
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        rows = [self.row[pk] for pk in library] + [self.row[pk] for pk in sorted(negatives)]
        y = np.zeros(len(rows), dtype=int)
        y[: len(library)] = 1
        model = LogisticRegression(C=100, class_weight="balanced", max_iter=10_000)
        model.fit(self.sanity[rows], y)
        return self._top(model.decision_function(self.sanity), others, k)


def report(results: dict, args) -> None:
    every = results["cases"]
    topics = sorted({c["topic"] for c in every})
    print(f"{len(every) // 2} cases: {len(topics)} topics x {args.seeds} libraries of "
          f"{args.library} papers, precision at {args.k} (or at what a smaller topic has left)")  # fmt: skip
    means = {}
    for judgment, heading in JUDGMENTS.items():
        cases = [c for c in every if c["judgment"] == judgment]
        print(f"\n{heading}\n{'topic':<16} {'k':>3} " + " ".join(f"{m:>10}" for m in METHODS))
        for topic in topics:
            mine = [c for c in cases if c["topic"] == topic]
            values = [sum(c[m] for c in mine) / len(mine) for m in METHODS]
            print(f"{topic:<16} {mine[0]['k']:>3} " + " ".join(f"{v:>10.2f}" for v in values))
        mean = {m: round(sum(c[m] for c in cases) / len(cases), 3) for m in METHODS}
        print(f"{'mean':<16} {'':>3} " + " ".join(f"{mean[m]:>10.3f}" for m in METHODS))
        means[judgment] = mean
    ahead = {j: m["paperwire"] > max(m["centroid"], m["svm"]) for j, m in means.items()}
    print()
    for judgment, mean in means.items():
        print(f"{judgment}: paperwire {mean['paperwire']:.3f}, "
              f"{mean['paperwire'] / TARGET:.2f}x the target of {TARGET}; "
              f"ahead of both baselines: {ahead[judgment]}")  # fmt: skip
    print(f"{results['seconds']} s")
    print(json.dumps({
        "benchmark": "ranking", "target": TARGET, "cases": len(every) // 2,
        "topics": len(topics), "seeds": args.seeds, "library": args.library,
        "mean_precision": means["listed"], "mean_precision_reread": means["reread"],
        "ahead_of_baselines": ahead["listed"], "ahead_of_baselines_reread": ahead["reread"],
        "seconds": results["seconds"],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
