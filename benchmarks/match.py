#!/usr/bin/env python
"""Matcher benchmark: 10,000 papers against 100,000 topic rules, in memory, on one core.

Papers are the real arXiv day in ../shared/feeds (1,504 items, reused as needed). Rules are drawn
like real topics: 1-3 ANDed terms taken from words found in 0.1-5% of those papers, a fifth of
them with a phrase, a fifth with an exclusion, a tenth with an OR group. Prints the time, the
number of matches, the speed-up over checking every rule against every paper (measured on a
1,000-paper x 10,000-rule slice), how time grows from 10,000 to 100,000 rules against how the
matches grow, each figure's ratio to its target, and a last line of JSON.

    python benchmarks/match.py
"""

import argparse
import gc
import json
import os
import random
import sys
import time
from collections import Counter
from itertools import cycle, islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import postgres_database  # noqa: E402

FEED = ROOT.parent / "shared" / "feeds" / "arxiv-rss-all-2024-11-28.xml"

TARGET_TOTAL_S = 10
TARGET_SPEEDUP = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--store",
        type=int,
        default=500_000,
        help="matches to write to each database (default 500,000)",
    )
    parser.add_argument("--postgres", metavar="URL", help="also store on this PostgreSQL server")
    parser.add_argument("--store-into", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.store_into:
        return store_into(*args.store_into)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark")
    import django

    django.setup()
    from core.query import document, parse
    from newsletter.matcher import Matcher, collector_paused
    from papers.readers import arxiv

    with open(FEED, "rb") as stream:
        records = list(arxiv.read(stream))
    docs = [
        document(title=r.title, abstract=r.abstract, authors=r.authors)
        for r in islice(cycle(records), args.papers)
    ]
    frequencies = Counter(word for doc in docs for word in doc.vocabulary())
    # The papers live as long as the run: keep the collector from walking them again and again
    # while rules are built (a long-running matcher process would do the same after loading).
    gc.freeze()
    rng = random.Random(args.seed)
    rule_texts = draw_rules(args.rules, docs, frequencies, rng)

    start = time.perf_counter()
    with collector_paused():  # as newsletter.services.matching does
        rules = [(n, parse(text)) for n, text in enumerate(rule_texts)]
    parsed_s = time.perf_counter() - start
    total_s, matches = run(Matcher, rules, docs, frequencies)
    total_s += parsed_s

    small_s, small_matches = run(Matcher, rules[: args.rules // 10], docs, frequencies)
    growth = (total_s - parsed_s) / small_s
    match_growth = matches / max(small_matches, 1)

    slice_rules, slice_docs = rules[:10_000], docs[:1_000]
    start = time.perf_counter()
    naive = sum(1 for doc in slice_docs for _, rule in slice_rules if rule.matches(doc))
    naive_s = time.perf_counter() - start
    indexed_s, indexed = run(Matcher, slice_rules, slice_docs, frequencies)
    assert indexed == naive, f"the index found {indexed} matches, checking every rule {naive}"
    speedup = naive_s / indexed_s

    figures = {
        "papers": args.papers, "rules": args.rules, "matches": matches,
        "parse_s": round(parsed_s, 2), "total_s": round(total_s, 2),
        "speedup_vs_naive": round(speedup, 1), "naive_slice_s": round(naive_s, 2),
        "indexed_slice_s": round(indexed_s, 3), "time_growth_10k_to_100k": round(growth, 2),
        "match_growth_10k_to_100k": round(match_growth, 2),
    }  # fmt: skip
    print(f"{args.papers:,} papers x {args.rules:,} rules: {matches:,} matches")
    print(
        f"  total (parse {parsed_s:.2f} s + index + match)  {total_s:.2f} s  ({total_s / TARGET_TOTAL_S:.2f}x target {TARGET_TOTAL_S} s{'' if total_s <= TARGET_TOTAL_S else ', MISSED'})"
    )
    print(
        f"  speed-up over every rule x every paper (1,000 x 10,000)  {speedup:.0f}x  ({speedup / TARGET_SPEEDUP:.2f}x target {TARGET_SPEEDUP}x{'' if speedup >= TARGET_SPEEDUP else ', MISSED'})"
    )
    limit = match_growth + 1
    print(
        f"  time(100k rules) / time(10k rules)  {growth:.2f}  (target at most matches ratio + 1 = {limit:.2f}{'' if growth <= limit else ', MISSED'})"
    )
    figures["store_rows_per_s"] = storing = store(rules, docs, frequencies, args)
    for backend, rate in storing.items():
        print(f"  storing {min(args.store, matches):,} matches in {backend}  {rate:,} rows/s")
    print(
        json.dumps(
            {
                "benchmark": "match",
                "targets": {"total_s": TARGET_TOTAL_S, "speedup": TARGET_SPEEDUP},
                "results": figures,
            }
        )
    )


def store(rules, docs, frequencies, args) -> dict[str, int]:
    """Rows/s of writing the first `--store` matches as Match rows, into each fresh database."""
    import pickle
    import subprocess
    import tempfile

    from newsletter.matcher import Matcher, collector_paused

    with collector_paused():
        matcher = Matcher(rules, frequencies=frequencies)
    texts = dict(rules)
    pairs = []
    for index, doc in enumerate(docs):
        pairs.extend((key, index, texts[key].matched_terms(doc)) for key in matcher.match(doc))
        if len(pairs) >= args.store:
            break
    pairs = pairs[: args.store]
    rates = {}
    with tempfile.TemporaryDirectory(prefix="paperwire-match-") as workdir:
        dump = Path(workdir) / "pairs.pickle"
        dump.write_bytes(pickle.dumps((pairs, len(docs), len(rules))))
        databases = {"sqlite": f"sqlite:///{workdir}/store.sqlite3"}
        if args.postgres:
            databases["postgresql"] = postgres_database(args.postgres, "bench_match")
        for backend, url in databases.items():
            env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "benchmark", "DEBUG": "0"}
            done = subprocess.run(
                [sys.executable, __file__, "--store-into", url, str(dump)],
                env=env, capture_output=True, text=True, timeout=1800, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                sys.exit(f"storing into {backend} failed:\n{done.stderr}")
            rates[backend] = json.loads(done.stdout.splitlines()[-1])["rows_per_s"]
    return rates


def store_into(database_url: str, dump: str) -> None:
    """In a child process on a fresh database: seed papers and subscriptions, then time writing
    the matches as `newsletter.services.matching` does (rows made as they are written, conflicts
    left out, sorted by subscription on PostgreSQL)."""
    import pickle

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from core.bulk import insert_rows_missing
    from newsletter.models import Match, Subscriber, Subscription
    from newsletter.services.matching import MATCH_COLUMNS
    from papers.models import Paper

    pairs, paper_count, rule_count = pickle.loads(Path(dump).read_bytes())
    call_command("migrate", verbosity=0)
    papers = Paper.objects.bulk_create(
        [Paper(title=f"Paper {i}", title_key=f"paper{i}") for i in range(paper_count)],
        batch_size=5000,
    )
    subscriber = Subscriber.objects.create(email="bench@example.org", status="active")
    subscriptions = Subscription.objects.bulk_create(
        [Subscription(subscriber=subscriber, rule=f"rule{i}") for i in range(rule_count)],
        batch_size=5000,
    )
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    start = time.perf_counter()
    for offset in range(0, len(pairs), 20_000):
        insert_rows_missing(
            Match,
            MATCH_COLUMNS,
            (
                (subscriptions[key].pk, papers[index].pk, json.dumps(terms), stamp)
                for key, index, terms in pairs[offset : offset + 20_000]
            ),
            order_by=("subscription", "paper"),
        )
    elapsed = time.perf_counter() - start
    assert Match.objects.count() == len(pairs)
    print(
        json.dumps(
            {
                "rows": len(pairs),
                "seconds": round(elapsed, 2),
                "rows_per_s": round(len(pairs) / elapsed),
            }
        )
    )


def run(matcher_class, rules, docs, frequencies) -> tuple[float, int]:
    from newsletter.matcher import collector_paused

    start = time.perf_counter()
    with collector_paused():
        matcher = matcher_class(rules, frequencies=frequencies)
    matches = sum(len(matcher.match(doc)) for doc in docs)
    return time.perf_counter() - start, matches


def draw_rules(count: int, docs, frequencies: Counter, rng: random.Random) -> list[str]:
    low, high = 0.001 * len(docs), 0.05 * len(docs)
    band = sorted(word for word, n in frequencies.items() if low <= n <= high and len(word) > 2)
    texts = []
    for _ in range(count):
        terms = rng.sample(band, rng.randint(1, 3))
        roll = rng.random()
        if roll < 0.2:  # a phrase: two words that stand together in some paper
            run = rng.choice(
                [r for r in rng.choice(docs).runs("text") if len(r) > 2] or [("a", "b")]
            )
            at = rng.randrange(len(run) - 1)
            terms[0] = f'"{run[at]} {run[at + 1]}"'
        elif roll < 0.4:
            terms.append("-" + rng.choice(band))
        elif roll < 0.5:
            terms[0] = f"{terms[0]} OR {rng.choice(band)}"
        texts.append(" ".join(terms))
    return texts


if __name__ == "__main__":
    main()
