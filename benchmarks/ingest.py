#!/usr/bin/env python
"""Ingest benchmark: N synthetic papers as a Daily Papers dump and as an arXiv RSS listing.

For each format and database, a fresh database ingests the file (first pass: every paper new),
then ingests it again (re-ingest: every paper unchanged). Each run is a child process, so its
peak RSS is its own. Prints papers/s and each figure's ratio to its target, and a last line of
JSON with every figure.

    python benchmarks/ingest.py                      # N=100,000 on SQLite
    python benchmarks/ingest.py --postgres postgres://postgres@127.0.0.1:5432/
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import postgres_database  # noqa: E402

TARGETS = {
    "first_pass_papers_per_s": 10_000,  # at least
    "reingest_papers_per_s": 20_000,  # at least
    "peak_rss_mb": 400,  # at most
    "scaling_ratio": 12,  # time(N) / time(N/10), at most
}
FORMATS = {"daily-dump": "papers.txt", "arxiv": "papers.xml"}
DAY = date(2026, 11, 23)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="papers per file (default 100,000)")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each measurement; the fastest counts (default 3)",
    )
    parser.add_argument(
        "--run", nargs=3, metavar=("FORMAT", "FILE", "DATABASE_URL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.run:
        return child(*args.run)

    with tempfile.TemporaryDirectory(prefix="paperwire-bench-") as workdir:
        files = {n: write_inputs(Path(workdir) / str(n), n) for n in (args.n, args.n // 10)}
        databases = {"sqlite": lambda name: f"sqlite:///{workdir}/{name}.sqlite3"}
        if args.postgres:
            databases["postgresql"] = lambda name: postgres_database(args.postgres, name)
        results = []
        print(f"{args.n:,} papers; fastest of {args.repeat} runs on fresh databases", flush=True)
        for backend, make_url in databases.items():
            for kind in FORMATS:
                runs = {
                    n: best_of(args.repeat, kind, files[n][kind], make_url, f"bench_{kind}_{n}")
                    for n in files
                }
                big, small = runs[args.n], runs[args.n // 10]
                results.append(
                    {
                        "database": backend,
                        "format": kind,
                        "papers": args.n,
                        "first_pass_papers_per_s": round(args.n / big["first_pass_s"]),
                        "reingest_papers_per_s": round(args.n / big["reingest_s"]),
                        "peak_rss_mb": big["peak_rss_mb"],
                        "scaling_ratio": round(big["first_pass_s"] / small["first_pass_s"], 2),
                        "first_pass_s": big["first_pass_s"],
                        "reingest_s": big["reingest_s"],
                    }
                )
                print_row(results[-1])
        print(json.dumps({"benchmark": "ingest", "targets": TARGETS, "results": results}))


def write_inputs(folder: Path, n: int) -> dict[str, Path]:
    from papers.sample import sample_papers, write_arxiv_rss, write_daily_dump

    folder.mkdir(parents=True)
    paths = {kind: folder / name for kind, name in FORMATS.items()}
    with paths["daily-dump"].open("w", encoding="utf-8") as out:
        write_daily_dump(sample_papers(n, today=DAY), out, page_date=DAY)
    with paths["arxiv"].open("w", encoding="utf-8") as out:
        write_arxiv_rss(sample_papers(n, today=DAY), out, day=DAY)
    return paths


def best_of(repeat: int, kind: str, path: Path, make_url, name: str) -> dict:
    """The fastest of `repeat` runs, each on a fresh database; the largest peak RSS."""
    runs = [run_child(kind, path, make_url(f"{name}_{i}".replace("-", "_"))) for i in range(repeat)]
    return {
        "first_pass_s": min(r["first_pass_s"] for r in runs),
        "reingest_s": min(r["reingest_s"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def run_child(kind: str, path: Path, database_url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "benchmark", "DEBUG": "0"}
    done = subprocess.run(
        [sys.executable, __file__, "--run", kind, str(path), database_url],
        env=env, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"benchmark run failed ({kind}, {database_url}):\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def child(kind: str, path: str, database_url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from papers.models import Paper
    from papers.services import source_ingest

    call_command("migrate", verbosity=0)
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        with open(path, "rb") as stream:
            result = source_ingest(stream=stream, source=path, kind=kind)
        timings.append(time.perf_counter() - start)
        if result.error:
            sys.exit(result.error)
    expected = Paper.objects.count()
    if result.unchanged != expected:
        sys.exit(f"re-ingest was not idempotent: {result}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "first_pass_s": round(timings[0], 3),
        "reingest_s": round(timings[1], 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "papers": expected,
    }))  # fmt: skip


def print_row(row: dict) -> None:
    def ratio(name: str) -> str:
        value, target = row[name], TARGETS[name]
        good = value <= target if name in ("peak_rss_mb", "scaling_ratio") else value >= target
        verdict = "" if good else ", MISSED"
        return f"{value:>10,} ({value / target:.2f}x target {target:,}{verdict})"

    print(f"\n{row['database']} / {row['format']}: {row['papers']:,} papers")
    print(
        f"  first pass         {ratio('first_pass_papers_per_s')} papers/s, {row['first_pass_s']} s"
    )
    print(f"  re-ingest          {ratio('reingest_papers_per_s')} papers/s, {row['reingest_s']} s")
    print(f"  peak RSS           {ratio('peak_rss_mb')} MB")
    print(f"  time(N)/time(N/10) {ratio('scaling_ratio')}", flush=True)


if __name__ == "__main__":
    main()
