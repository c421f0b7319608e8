#!/usr/bin/env python
"""Web benchmark: the public pages under load, served by gunicorn on loopback.

Seeds a fresh database with 100,000 papers (about 100 listed a day, as on Daily Papers) and 10,000
subscribers, starts gunicorn on 127.0.0.1, and sends a bounded number of requests to `/` (the
latest day), a search, and paper pages. Prints p50 / p95 latency and requests/s for each, the
ratios of the p95 of `/` and of search to their targets (50 ms each), and a last line of JSON.

    python benchmarks/web.py
    python benchmarks/web.py --postgres postgres://postgres@127.0.0.1:5432/
"""

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import databases, django_environment  # noqa: E402

TARGET_HOME_P95_MS = 50
TARGET_SEARCH_P95_MS = 50  # with 100,000 papers, on SQLite and on PostgreSQL
PAPERS_PER_DAY = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400, help="per endpoint (default 400)")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument("--seed-only", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        return seed(int(args.seed_only[0]), int(args.seed_only[1]), int(args.seed_only[2]))

    results = []
    with tempfile.TemporaryDirectory(prefix="paperwire-web-") as workdir:
        for backend, url in databases(workdir, args.postgres, "web").items():
            env = environment(url, workdir)
            print(
                f"\n{backend}: seeding {args.papers:,} papers and {args.subscribers:,} subscribers",
                flush=True,
            )
            prepare(env, args)
            with gunicorn(env, args.workers) as base:
                row = {"database": backend, **measure(base, args)}
            results.append(row)
            print_row(row)
    print(
        json.dumps(
            {
                "benchmark": "web",
                "target_home_p95_ms": TARGET_HOME_P95_MS,
                "target_search_p95_ms": TARGET_SEARCH_P95_MS,
                "results": results,
            }
        )
    )


def environment(database_url: str, workdir: str) -> dict[str, str]:
    return django_environment(database_url, workdir, ALLOWED_HOSTS="127.0.0.1,localhost")


def prepare(env: dict[str, str], args) -> None:
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
        subprocess.run([*manage, *command], env=env, check=True, cwd=ROOT, timeout=600)
    subprocess.run(
        [sys.executable, __file__, "--seed-only", str(args.papers), str(args.subscribers), "7"],
        env=env, check=True, cwd=ROOT, timeout=1800,
    )  # fmt: skip
    started = time.perf_counter()
    subprocess.run(
        [*manage, "search_index", "--no-progress"], env=env, check=True, cwd=ROOT, timeout=1800
    )
    print(
        f"  search index: {args.papers:,} papers in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    # As a database in service is, after its autovacuum: statistics and visibility up to date.
    vacuum = "VACUUM ANALYZE" if "postgres" in env["DATABASE_URL"] else "ANALYZE"
    subprocess.run(
        [*manage, "shell", "-c",
         f"from django.db import connection; connection.cursor().execute({vacuum!r})"],
        env=env, check=True, cwd=ROOT, timeout=1800,
    )  # fmt: skip


def seed(papers: int, subscribers: int, rng_seed: int) -> None:
    import django

    django.setup()
    from datetime import date, timedelta

    from core.bulk import insert_many
    from newsletter.models import Subscriber, Subscription
    from papers.models import Organization, Paper
    from papers.sample import sample_papers
    from papers.services.ingest import _New

    rng = random.Random(rng_seed)
    today = date.today()
    orgs = [Organization.objects.get_or_create(handle=h, defaults={"name": n})[0]
            for h, n in (("deepseek-ai", "DeepSeek"), ("LiquidAI", "Liquid AI"), ("nvidia", "NVIDIA"))]  # fmt: skip
    batch = []
    for index, sample in enumerate(sample_papers(papers, today=today, seed=rng_seed)):
        listed = today - timedelta(days=index // PAPERS_PER_DAY)
        batch.append(
            _New(
                title=sample.title, title_key=f"{index}-{sample.title.lower()}"[:500],
                abstract=sample.abstract, arxiv_id=sample.arxiv_id, authors=list(sample.authors),
                author_count=len(sample.authors), organization_id=rng.choice(orgs).pk if index % 7 == 0 else None,
                listed_on=listed, published_on=listed - timedelta(days=rng.randint(0, 5)),
                upvotes=rng.choice([0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]), sources="arxiv",
                featured=index % 500 == 0,
            )
        )  # fmt: skip
        if len(batch) == 5000:
            insert_many(Paper, batch)
            batch = []
    insert_many(Paper, batch)
    people = [
        Subscriber(email=f"reader{n}@example.org", status="active", token=f"bench-token-{n}")
        for n in range(subscribers)
    ]
    Subscriber.objects.bulk_create(people, batch_size=2000)
    Subscription.objects.bulk_create(
        [Subscription(subscriber=s, rule=rng.choice(["quantization", "verilog rtl", '"speculative decoding"']))
         for s in Subscriber.objects.all()], batch_size=2000,
    )  # fmt: skip


class gunicorn:
    def __init__(self, env: dict[str, str], workers: int):
        self.env, self.workers = env, workers

    def __enter__(self) -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", str(self.workers), "--log-level", "warning"],
            env=self.env, cwd=ROOT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/", timeout=5).read()
                return self.base
            except OSError:
                time.sleep(0.5)
        self.process.kill()
        sys.exit("gunicorn did not start")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def measure(base: str, args) -> dict:
    ids = fetch_ids(base)
    endpoints = {
        "home": lambda i: "/",
        "search": lambda i: (
            "/search/?q=" + ["quantization", "speculative+decoding", "verilog"][i % 3]
        ),
        "paper": lambda i: f"/papers/{ids[i % len(ids)]}/",
    }
    figures = {}
    for name, path_for in endpoints.items():
        for i in range(20):  # warm-up
            get(base + path_for(i))
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            urls = [base + path_for(i) for i in range(args.requests)]
            latencies = list(pool.map(get, urls))
        elapsed = time.perf_counter() - started
        latencies.sort()
        figures[name] = {
            "requests": args.requests,
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
            "requests_per_s": round(args.requests / elapsed, 1),
        }
    return figures


def fetch_ids(base: str) -> list[int]:
    import re

    html = urllib.request.urlopen(base + "/", timeout=30).read().decode()
    return [int(i) for i in re.findall(r'href="/papers/(\d+)/"', html)] or [1]


def get(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
    return time.perf_counter() - start


def print_row(row: dict) -> None:
    for name in ("home", "search", "paper"):
        f = row[name]
        line = f"  {name:<7} p50 {f['p50_ms']:>6} ms   p95 {f['p95_ms']:>6} ms   {f['requests_per_s']:>7} req/s"
        target = {"home": TARGET_HOME_P95_MS, "search": TARGET_SEARCH_P95_MS}.get(name)
        if target:
            ratio = f["p95_ms"] / target
            line += f"   p95 {ratio:.2f}x target {target} ms{'' if ratio <= 1 else ', MISSED'}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
