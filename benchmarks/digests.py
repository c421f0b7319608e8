#!/usr/bin/env python
"""Digest benchmark: build, render and hand to anymail's test backend the digests of 100,000
subscribers with about 8 new papers each, as the Celery batches do, on 2 processes.

The database is seeded first (not timed): a pool of papers listed in the last three days with
upvote history, the subscribers, one subscription each, 8 matches each drawn from the pool, and
one pending digest each. Then P processes (default 2, one per core) each take every P-th batch
of 500 subscriber ids and call `digests_send` on it, exactly as the `send_digest_batch` task
does. Prints digests/s, queries per batch and each process's peak RSS, with the ratio of each to
its target, and a last line of JSON.

    python benchmarks/digests.py [--postgres postgres://postgres@127.0.0.1:5432/postgres]
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import databases, django_environment  # noqa: E402

TARGET_DIGESTS_PER_S = 2000
TARGET_QUERIES_PER_BATCH = 5
TARGET_RSS_MB = 500
BATCH = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--papers-each", type=int, default=8)
    parser.add_argument("--pool", type=int, default=3_000, help="papers to draw from")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument("--seed-only", nargs=3, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--send-part", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        return seed(*args.seed_only)
    if args.send_part:
        return send_part(*args.send_part)

    results = []
    with tempfile.TemporaryDirectory(prefix="paperwire-digests-") as workdir:
        for backend, url in databases(workdir, args.postgres, "digests").items():
            env = environment(url, f"{workdir}/{backend}")
            print(f"\n{backend}: seeding {args.subscribers:,} subscribers", flush=True)
            started = time.perf_counter()
            prepare(env, args)
            print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
            row = {"database": backend, **measure(env, args)}
            results.append(row)
            print_row(row)
    print(
        json.dumps(
            {
                "benchmark": "digests",
                "targets": {
                    "digests_per_s": TARGET_DIGESTS_PER_S,
                    "queries_per_batch": TARGET_QUERIES_PER_BATCH,
                    "peak_rss_mb": TARGET_RSS_MB,
                },
                "results": results,
            }
        )
    )


def environment(database_url: str, workdir: str) -> dict[str, str]:
    return django_environment(
        database_url, workdir,
        EMAIL_BACKEND="anymail.backends.test.EmailBackend",
        NEWSLETTER_JOURNAL_URL=f"{workdir}/journal",
        SITE_URL="https://paperwire.example.org",
        REDIS_URL="",
        CELERY_BROKER_URL="memory://",
    )  # fmt: skip


def prepare(env: dict[str, str], args) -> None:
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    seed_args = [str(args.subscribers), str(args.papers_each), str(args.pool)]
    subprocess.run(
        [sys.executable, __file__, "--seed-only", *seed_args], env=env, check=True, cwd=ROOT
    )


def seed(subscribers: int, papers_each: int, pool: int) -> None:
    import django

    django.setup()
    from datetime import date, timedelta

    from django.utils import timezone

    from core.bulk import insert_many
    from newsletter.models import Digest, Match, Subscriber, Subscription
    from papers.models import Paper, UpvoteObservation
    from papers.sample import sample_papers
    from papers.services.ingest import _New

    rng = random.Random(5)
    today, now = date.today(), timezone.now()
    papers = [
        _New(
            title=sample.title, title_key=f"{index}-{sample.title.lower()}"[:500],
            abstract=sample.abstract, arxiv_id=sample.arxiv_id, authors=list(sample.authors),
            author_count=len(sample.authors), listed_on=today - timedelta(days=index % 3),
            upvotes=rng.choice([0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]), sources="arxiv",
            code_url=f"https://github.com/example/repo{index}" if index % 3 == 0 else "",
            featured=index % 400 == 0,
        )
        for index, sample in enumerate(sample_papers(pool, today=today, seed=5))
    ]  # fmt: skip
    insert_many(Paper, papers)
    insert_many(
        UpvoteObservation,
        [UpvoteObservation(paper_id=p.pk, upvotes=max(p.upvotes - rng.randint(0, 5), 0),
                           observed_at=now - timedelta(hours=rng.randint(1, 20)), source="hf-json")
         for p in papers],
    )  # fmt: skip
    terms = ["quantization", "verilog", "speculative decoding", "agents", "diffusion", "moe"]
    for start in range(0, subscribers, 10_000):
        people = [
            Subscriber(email=f"reader{n}@example.org", status="active", token=f"bench-{n}",
                       confirmed_at=now, created_at=now)
            for n in range(start, min(start + 10_000, subscribers))
        ]  # fmt: skip
        insert_many(Subscriber, people)
        follows = [
            Subscription(subscriber_id=s.pk, rule=rng.choice(terms), created_at=now, updated_at=now)
            for s in people
        ]
        insert_many(Subscription, follows)
        insert_many(
            Match,
            [Match(subscription_id=f.pk, paper_id=paper.pk, created_at=now,
                   terms=[f.rule])
             for f in follows for paper in rng.sample(papers, papers_each)],
        )  # fmt: skip
        insert_many(
            Digest,
            [Digest(subscriber_id=s.pk, period=today, frequency="daily", scheduled_for=now,
                    next_attempt_at=now, created_at=now)
             for s in people],
        )  # fmt: skip
    # A live database has statistics (PostgreSQL's autovacuum gathers them within a minute of a
    # bulk load); without them, PostgreSQL plans the batch's matches query as a scan of the whole
    # table (93 ms a batch instead of 2 ms).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(env: dict[str, str], args) -> dict:
    processes = [
        subprocess.Popen(
            [sys.executable, __file__, "--send-part", str(part), str(args.processes)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for part in range(args.processes)
    ]
    parts = []
    for process in processes:
        out, _ = process.communicate(timeout=3600)
        if process.returncode:
            raise SystemExit(f"a sending process failed ({process.returncode})")
        parts.append(json.loads(out.strip().splitlines()[-1]))
    seconds = max(p["end"] for p in parts) - min(p["start"] for p in parts)
    digests = sum(p["digests"] for p in parts)
    return {
        "digests": digests,
        "messages": sum(p["messages"] for p in parts),
        "seconds": round(seconds, 2),
        "digests_per_s": round(digests / seconds),
        "batches": sum(p["batches"] for p in parts),
        "queries_per_batch_max": max(p["queries_max"] for p in parts),
        "queries_per_batch_min": min(p["queries_min"] for p in parts),
        "peak_rss_mb_per_process": max(p["peak_rss_mb"] for p in parts),
        "processes": args.processes,
    }


def send_part(part: int, parts: int) -> None:
    """One process: every `parts`-th batch, sent as the Celery task sends it."""
    import django

    django.setup()
    from django.core import mail
    from django.db import connection

    from newsletter.digests.delivery import digests_send
    from newsletter.models import Subscriber

    ids = list(Subscriber.objects.order_by("pk").values_list("pk", flat=True))
    batches = [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)][part::parts]
    counts = []

    def count(execute, sql, params, many, context):
        counts[-1] += 1
        return execute(sql, params, many, context)

    digests = messages = 0
    mail.outbox = []
    start = time.time()
    with connection.execute_wrapper(count):
        for batch in batches:
            counts.append(0)
            report = digests_send(subscriber_ids=batch)
            digests += report.sent + report.empty + report.failed + report.retrying
            messages += len(mail.outbox)
            mail.outbox.clear()  # the test backend keeps every message; an ESP would not
    end = time.time()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "start": start, "end": end, "digests": digests, "messages": messages,
        "batches": len(batches), "queries_max": max(counts), "queries_min": min(counts),
        "peak_rss_mb": round(peak_mb, 1),
    }))  # fmt: skip


def print_row(row: dict) -> None:
    rate, queries, rss = (
        row["digests_per_s"], row["queries_per_batch_max"], row["peak_rss_mb_per_process"]
    )  # fmt: skip
    print(
        f"  {row['digests']:,} digests ({row['messages']:,} messages) in {row['seconds']} s "
        f"on {row['processes']} processes\n"
        f"  {rate:,} digests/s: {rate / TARGET_DIGESTS_PER_S:.2f}x the target of "
        f"{TARGET_DIGESTS_PER_S:,}\n"
        f"  queries per batch of {BATCH}: {row['queries_per_batch_min']}-{queries} "
        f"(target <= {TARGET_QUERIES_PER_BATCH}: ratio {queries / TARGET_QUERIES_PER_BATCH:.2f})\n"
        f"  peak RSS per process: {rss} MB (target <= {TARGET_RSS_MB}: ratio "
        f"{rss / TARGET_RSS_MB:.2f})",
        flush=True,
    )


if __name__ == "__main__":
    main()
