#!/usr/bin/env python
"""Ingest benchmark: N synthetic papers as a Daily Papers dump and as an arXiv RSS listing.

For each format and database, a fresh database ingests the file (first pass: every paper new),
then ingests it again (re-ingest: every paper unchanged). Each run is a child process, so its
peak RSS is its own. Prints papers/s and each figure's ratio to its target, and a last line of
JSON with every figure.

    python benchmarks/ingest.py                      # N=100,000 on SQLite
    python benchmarks/ingest.py --postgres postgres://postgres@127.0.0.1:5432/
    python benchmarks/ingest.py --live --end-to-end --no-loop   # the live and end-to-end lines

`--live` fetches a whole arXiv day and a week of Hugging Face days from a loopback server;
`--end-to-end` times `python manage.py ingest` on N papers from its start to its exit, beside a
floor (benchmarks/live.py says how each is measured).
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

from benchmarks import live  # noqa: E402
from benchmarks._common import django_environment, postgres_database  # noqa: E402

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
    parser.add_argument("--live", action="store_true", help="fetch from a loopback server")
    parser.add_argument("--end-to-end", action="store_true", help="time `manage.py ingest`")
    parser.add_argument("--no-loop", action="store_true", help="skip the in-process passes")
    parser.add_argument(
        "--shared-floor", action="store_true",
        help="../shared/bench: gen_dump.py N papers, floor.py's seconds, and `manage.py ingest` "
        "of that file (after migrate and setup) on first pass and re-ingest, side by side",
    )  # fmt: skip
    parser.add_argument(
        "--run", nargs=3, metavar=("FORMAT", "FILE", "DATABASE_URL"), help=argparse.SUPPRESS
    )
    parser.add_argument("--live-child", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        return child(*args.run)
    if args.live_child:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        print(json.dumps(live.fetch_figures(Path(args.live_child))))
        return None

    with tempfile.TemporaryDirectory(prefix="paperwire-bench-") as workdir:
        extra = {}
        if args.live:
            extra["live"] = live_run(workdir)
        if args.end_to_end:
            extra["end_to_end"] = end_to_end_run(workdir, args.n, args.repeat)
        if args.shared_floor:
            extra["shared_floor"] = shared_floor_run(Path(workdir), args.n, args.repeat)
        if args.no_loop:
            print(json.dumps({"benchmark": "ingest", "targets": live.TARGETS, **extra}))
            return None
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
        print(
            json.dumps(
                {
                    "benchmark": "ingest",
                    "targets": {**TARGETS, **live.TARGETS},
                    "results": results,
                    **extra,
                }
            )
        )


def live_run(workdir: str) -> dict:
    env = django_environment(f"sqlite:///{workdir}/unused.sqlite3", workdir)
    done = subprocess.run(
        [sys.executable, __file__, "--live-child", workdir],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"live run failed:\n{done.stderr}")
    figures = json.loads(done.stdout.splitlines()[-1])
    print(f"\nlive sources from a loopback server ({figures['papers']:,} papers stored)")
    print(f"  arXiv day (1,504 items)        {_at_most(figures['arxiv_day_s'], 'arxiv_day_s')}")
    print(f"  Hugging Face first poll, 8 days {figures['hf_first_poll_8_days_s']} s")
    print(
        f"  Hugging Face re-poll, unchanged {_at_most(figures['hf_repoll_7_days_s'], 'hf_repoll_7_days_s')}",
        flush=True,
    )
    return figures


SHARED_BENCH = ROOT.parent / "shared" / "bench"
FLOOR_TARGETS = {"first_pass_over_floor": 3.1, "reingest_over_floor": 2.33}  # at most


def shared_floor_run(workdir: Path, n: int, repeat: int) -> dict:
    """The reference of ../shared/bench: its generated dump, its floor, and `manage.py ingest`
    of that dump on a migrated SQLite database with `setup` done, end to end (first pass, then
    re-ingest), each ratio the best of `repeat` runs, the floor measured beside each."""
    big = workdir / "big.txt"
    with open(big, "w") as out:
        subprocess.run([sys.executable, str(SHARED_BENCH / "gen_dump.py"), str(n)], stdout=out,
                       check=True)  # fmt: skip
    env = django_environment("sqlite:///unused", str(workdir), CELERY_TASK_ALWAYS_EAGER="0")
    manage = [sys.executable, str(ROOT / "manage.py")]
    best = {}
    for _ in range(repeat):
        database = workdir / "shared-floor.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        run_env = {**env, "DATABASE_URL": f"sqlite:///{database}"}
        subprocess.run([*manage, "migrate", "-v0"], env=run_env, check=True)
        subprocess.run([*manage, "setup"], env=run_env, check=True, capture_output=True)
        for name in ("first_pass", "reingest"):
            floor_db = workdir / "floor.sqlite3"
            floor_db.unlink(missing_ok=True)
            floor = float(subprocess.run(
                [sys.executable, str(SHARED_BENCH / "floor.py"), str(big), str(floor_db)],
                check=True, capture_output=True, text=True,
            ).stdout.strip())  # fmt: skip
            start = time.perf_counter()
            done = subprocess.run([*manage, "ingest", str(big), "--no-progress"], env=run_env,
                                  capture_output=True, text=True)  # fmt: skip
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                sys.exit(f"ingest failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
            ratio = seconds / floor
            if name not in best or ratio < best[name][0]:
                best[name] = (ratio, seconds, floor)
    figures = {"papers": n, "file_mb": round(big.stat().st_size / 2**20, 1)}
    print(f"\n../shared/bench: {n:,} papers ({figures['file_mb']} MB), manage.py ingest end to "
          f"end against floor.py, best of {repeat}")  # fmt: skip
    for name, (ratio, seconds, floor) in best.items():
        target = FLOOR_TARGETS[f"{name}_over_floor"]
        verdict = "" if ratio <= target else f", MISSED by {ratio / target - 1:.0%}"
        print(f"  {name.replace('_', ' '):<11} {seconds:.2f} s, floor {floor:.2f} s: "
              f"{ratio:.2f}x the floor (target <= {target}{verdict})", flush=True)  # fmt: skip
        figures[f"{name}_s"] = round(seconds, 2)
        figures[f"{name}_floor_s"] = round(floor, 3)
        figures[f"{name}_over_floor"] = round(ratio, 2)
    return figures


def end_to_end_run(workdir: str, n: int, repeat: int) -> list[dict]:
    folder = Path(workdir) / "end-to-end"
    paths = write_inputs(folder, n)
    env = django_environment("sqlite:///unused", workdir)
    rows = []
    for kind, path in paths.items():
        for eager in (False, True):
            runs = []
            for _ in range(repeat):
                floor = live.floor_seconds(path, folder)
                seconds = live.end_to_end_seconds(path, folder, env, eager)
                runs.append((seconds / floor, seconds, floor))
            over_floor, seconds, floor = min(runs)
            row = {
                "format": kind,
                "match": "in the command (eager)" if eager else "queued for a worker",
                "papers": n,
                "seconds": round(seconds, 2),
                "end_to_end_papers_per_s": round(n / seconds),
                "floor_s": round(floor, 3),
                "end_to_end_over_floor": round(over_floor, 2),
            }
            rows.append(row)
            print(
                f"\nmanage.py ingest, {kind}, {n:,} papers, match {row['match']} (best of {repeat})"
            )
            print(
                f"  end to end   {row['seconds']} s, {_at_least(row['end_to_end_papers_per_s'], 'end_to_end_papers_per_s')} papers/s"
            )
            print(
                f"  floor        {row['floor_s']} s; end to end / floor {_at_most(row['end_to_end_over_floor'], 'end_to_end_over_floor', unit='')}",
                flush=True,
            )
    return rows


def _at_most(value: float, name: str, unit: str = " s") -> str:
    target = live.TARGETS[name]
    verdict = "" if value <= target else f", MISSED by {value / target - 1:.0%}"
    return f"{value}{unit} ({value / target:.2f}x the limit {target}{verdict})"


def _at_least(value: float, name: str) -> str:
    target = live.TARGETS[name]
    verdict = "" if value >= target else f", MISSED by {1 - value / target:.0%}"
    return f"{value:,} ({value / target:.2f}x target {target:,}{verdict})"


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
