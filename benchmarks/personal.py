#!/usr/bin/env python
"""Personal ranking benchmark: train every reader's model and score a day of new papers.

Seeds a fresh SQLite database (PostgreSQL too with --postgres) with the last 30 days of papers
(20,000 by default, on the sample's topics) plus a day of 2,000 new ones, and N subscribers,
each with 10-50 positives (library entries, a fifth of them 👍 instead) drawn from one topic and
0-20 👎. Then, timed from the start of the worker processes to the end of the last (as
`--workers` Celery workers would run the "Train reader rankings" batches):

- each worker fits the features over the recent papers once, trains its share of the models
  (`reader_models_train`, 500 readers a batch, written to the database), and scores the day's
  2,000 papers for each of its readers (the top 10 with their reasons, as digests do);
- the peak RSS of each worker;
- the cost of the "Recommended for you" section per digest: `personal_batch_rank` for a batch of 500
  readers with the features warm, divided by 500.

Prints each figure with its ratio to the target, for each N (10,000 and 100,000 by default, to
show how it grows), and a last line of JSON.

    python benchmarks/personal.py
    python benchmarks/personal.py --subscribers 100000 --postgres postgres://postgres@127.0.0.1:5432/
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import databases, django_environment  # noqa: E402

TARGETS = {"train_and_score_s": 300, "peak_rss_mb": 2048, "recommended_ms_per_digest": 1.0}
BATCH = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--subscribers", default="10000,100000", help="comma-separated sizes (default 10000,100000)"
    )
    parser.add_argument("--papers", type=int, default=20_000, help="recent papers (default 20,000)")
    parser.add_argument(
        "--new", type=int, default=2_000, help="the day's new papers (default 2,000)"
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument("--seed-only", nargs=3, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--digest-cost", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        return seed(*args.seed_only)
    if args.work:
        return work(*args.work)
    if args.digest_cost:
        return digest_cost()

    results = []
    for size in (int(n) for n in args.subscribers.split(",")):
        with tempfile.TemporaryDirectory(prefix="paperwire-personal-") as workdir:
            for backend, url in databases(workdir, args.postgres, "personal").items():
                env = django_environment(url, workdir)
                print(f"\n{backend}: seeding {args.papers + args.new:,} papers and {size:,} "
                      "subscribers", flush=True)  # fmt: skip
                started = time.perf_counter()
                run([sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v0"], env)
                run([sys.executable, __file__, "--seed-only", str(size), str(args.papers),
                     str(args.new)], env)  # fmt: skip
                print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
                row = {"database": backend, "subscribers": size, **measure(env, args.workers)}
                results.append(row)
                report(row)
    print(json.dumps({"benchmark": "personal", "targets": TARGETS, "results": results}))


def run(command: list[str], env: dict) -> str:
    done = subprocess.run(
        command, env=env, cwd=ROOT, check=True, timeout=3600, capture_output=True, text=True
    )
    return done.stdout


def measure(env: dict, workers: int) -> dict:
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--work", str(n), str(workers)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(workers)
    ]
    outputs = [json.loads(p.communicate(timeout=3600)[0].splitlines()[-1]) for p in processes]
    seconds = time.perf_counter() - started
    if any(p.returncode for p in processes):
        sys.exit("a worker failed")
    cost = json.loads(run([sys.executable, __file__, "--digest-cost"], env).splitlines()[-1])
    return {
        "train_and_score_s": round(seconds, 1),
        "models": sum(o["models"] for o in outputs),
        "scored": sum(o["scored"] for o in outputs),
        "fit_s": max(o["fit_s"] for o in outputs),
        "train_s": max(o["train_s"] for o in outputs),
        "score_s": max(o["score_s"] for o in outputs),
        "peak_rss_mb": round(sum(o["peak_rss_mb"] for o in outputs), 1),
        "peak_rss_mb_per_worker": max(o["peak_rss_mb"] for o in outputs),
        "recommended_ms_per_digest": cost["ms_per_digest"],
    }


def report(row: dict) -> None:
    print(f"  {row['models']:,} models trained and {row['scored']:,} readers scored over the "
          f"day's papers in {row['train_and_score_s']} s "
          f"({row['train_and_score_s'] / TARGETS['train_and_score_s']:.2f}x the limit "
          f"{TARGETS['train_and_score_s']} s)")  # fmt: skip
    print(
        f"    per worker: features {row['fit_s']} s, training {row['train_s']} s, "
        f"scoring {row['score_s']} s"
    )
    print(
        f"  peak RSS {row['peak_rss_mb']} MB for all workers "
        f"({row['peak_rss_mb'] / TARGETS['peak_rss_mb']:.2f}x the limit {TARGETS['peak_rss_mb']} MB)"
    )
    print(f"  'Recommended for you' per digest: {row['recommended_ms_per_digest']} ms "
          f"({row['recommended_ms_per_digest'] / TARGETS['recommended_ms_per_digest']:.2f}x the "
          f"limit {TARGETS['recommended_ms_per_digest']} ms)", flush=True)  # fmt: skip


def seed(subscribers: int, recent: int, new: int) -> None:
    import django

    django.setup()
    from datetime import timedelta
    from types import SimpleNamespace

    from django.utils import timezone

    from core.bulk import insert_many
    from newsletter.models import Feedback, LibraryEntry, Subscriber
    from papers.models import Paper
    from papers.sample import TOPICS, sample_papers
    from papers.services.ingest import _New

    rng = random.Random(11)
    now = timezone.now()
    today = now.date()
    batch = []
    for index, sample in enumerate(sample_papers(recent + new, today=today, seed=11)):
        listed = today if index >= recent else today - timedelta(days=1 + index % 29)
        batch.append(_New(
            title=sample.title, title_key=f"{index}-{sample.title.lower()}"[:500],
            abstract=sample.abstract, arxiv_id=sample.arxiv_id, authors=list(sample.authors),
            author_count=len(sample.authors), listed_on=listed, published_on=listed,
            sources="arxiv", first_seen_at=now, text_changed_at=now,
        ))  # fmt: skip
        if len(batch) == 5000:
            insert_many(Paper, batch)
            batch = []
    insert_many(Paper, batch)
    ids = list(
        Paper.objects.filter(listed_on__lt=today).order_by("pk").values_list("pk", flat=True)
    )
    by_topic = [ids[t :: len(TOPICS)] for t in range(len(TOPICS))]  # the sample cycles its topics
    people = Subscriber.objects.bulk_create(
        (Subscriber(email=f"reader{n}@example.org", status="active", confirmed_at=now,
                    taste_changed_at=now, token=f"bench-{n}") for n in range(subscribers)),
        batch_size=5000,
    )  # fmt: skip
    entries, ratings = [], []
    for person in people:
        liked = rng.sample(by_topic[rng.randrange(len(TOPICS))], rng.randint(10, 50))
        for position, pk in enumerate(liked):
            if position % 5 == 4:
                ratings.append(SimpleNamespace(subscriber_id=person.pk, paper_id=pk, verdict=1,
                                               created_at=now, updated_at=now))  # fmt: skip
            else:
                entries.append(SimpleNamespace(
                    subscriber_id=person.pk, paper_id=pk, identity=f"paper:{pk}", arxiv_id="",
                    doi="", title="", abstract="", source="ids", added_at=now,
                ))  # fmt: skip
        for pk in rng.sample(ids, rng.randint(0, 20)):
            if pk not in liked:
                ratings.append(SimpleNamespace(subscriber_id=person.pk, paper_id=pk, verdict=-1,
                                               created_at=now, updated_at=now))  # fmt: skip
        if len(entries) > 50_000:
            insert_many(LibraryEntry, entries)
            insert_many(Feedback, ratings)
            entries, ratings = [], []
    insert_many(LibraryEntry, entries)
    insert_many(Feedback, ratings)


def work(number: int, workers: int) -> None:
    """One worker: fit the features, train its share of the models, score the day's papers."""
    import resource

    import django

    django.setup()
    from django.utils import timezone

    from newsletter.models import ReaderModel, Subscriber
    from newsletter.personal.ranking import Candidates, recommend, scores
    from newsletter.personal.training import corpus, reader_models_train

    now = timezone.now()
    started = time.perf_counter()
    recent = corpus(now=now)
    fitted = time.perf_counter()
    ids = list(Subscriber.objects.order_by("pk").values_list("pk", flat=True))[number::workers]
    models = 0
    for start in range(0, len(ids), BATCH):
        models += reader_models_train(
            subscriber_ids=ids[start : start + BATCH], features=recent.features, now=now
        )
    trained = time.perf_counter()
    candidates = Candidates.of(recent.features, recent.since(now.date()))
    scored = 0
    for start in range(0, len(ids), BATCH):
        for model in ReaderModel.objects.filter(subscriber_id__in=ids[start : start + BATCH]):
            score = scores(candidates, model.weights, model.bias)
            recommend(candidates, score, model.weights, model.positives, limit=10,
                      exclude=set(model.known_ids))  # fmt: skip
            scored += 1
    done = time.perf_counter()
    print(json.dumps({
        "models": models, "scored": scored, "fit_s": round(fitted - started, 1),
        "train_s": round(trained - fitted, 1), "score_s": round(done - trained, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))  # fmt: skip


def digest_cost() -> None:
    """The "Recommended for you" section of 500 digests, features warm: per digest."""
    import django

    django.setup()
    from datetime import timedelta

    from django.utils import timezone

    from newsletter.digests.personal import personal_batch_rank
    from newsletter.models import ReaderModel
    from newsletter.personal import corpus_since
    from newsletter.personal.training import corpus_key_of

    now = timezone.now()
    key = corpus_key_of(corpus_since(now))
    models = {m.subscriber_id: m for m in ReaderModel.objects.order_by("pk")[:BATCH]}
    arguments = dict(key=key, now=now, window=timedelta(days=1), matched={}, skipped={},
                     shown=dict.fromkeys(models, 3))  # fmt: skip
    personal_batch_rank(models, **arguments)  # warm: the features are fitted once per process
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        personal_batch_rank(models, **arguments)
        best = min(best, time.perf_counter() - started)
    print(json.dumps({"ms_per_digest": round(best / len(models) * 1000, 3)}))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    main()
