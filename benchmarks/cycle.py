#!/usr/bin/env python
"""The day at size: a whole day of Paperwire for N subscribers on W real Celery workers.

    python benchmarks/cycle.py [--subscribers 1000000] [--workers 2] [--postgres URL]
                               [--broker URL] [--days 1]

On PostgreSQL (a database `bench_cycle` made anew on the server of --postgres), with W worker
processes (`celery worker`, each one process taking every queue) on a real broker (Redis by
default, RabbitMQ with --broker amqp://...), the cache and the sending journal on Redis.

Seeded first (not timed): 30 days of history (3,000 papers a day, the real arXiv day's papers
under other ids), N subscribers drawn as in benchmarks/match.py (1-5 rules each from one pool of
rules, spread over time zones, hours, daily and weekly schedules, every daily and a seventh of
the weekly ones due today), 10% with a library of 5 papers and 5% with 5 👍/👎, their rankings
trained, and 1% of all who changed something today (a library or a verdict), so their ranking is
trained again.

The day, through the real tasks and queues: the default feeds fetched by the real fetch task
from a loopback server (the real arXiv day and Hugging Face listing of ../shared/feeds, topped
up to 3,000 new papers), their papers indexed and matched against every subscription, the
changed rankings trained, and every due digest assembled, rendered and handed to anymail's test
backend. Beat's part (calling the periodic tasks) is played by this script: it calls each stage's
task and, while digests are being sent, calls `send_due_digests` again every 20 s, as beat's
5-minute schedule would. Prints each stage's wall time, digests per second, each worker's peak
RSS, queries per batch, the PostgreSQL tables' sizes, and a last line of JSON.

`exactly_once` is true when every due digest was sent, none is left pending or sending, and
the test backend received each sent digest exactly once (counted from the lines the workers'
backend wrote, beside the database's sent digests). The whole day's readers are due at once, so
a run across the top of an hour also meets readers whose send hour comes meanwhile: their next
period's digest is owed too, and is counted apart ("came due during the run").

With --days D it runs D days back to back: between two days the clock moves a day (every date
and time in the database moves a day back) and the periodic "Prune old rows" runs, with each
retention set to --retention-days (default 7), to show that past it the database stops growing.
--kill-worker-at F kills (SIGKILL) the first worker once a fraction F of the day's digests is
sent, and the others carry on; NEWSLETTER_SENDING_TIMEOUT_SECONDS is then 15 s, so the killed
worker's claimed batch is recovered within the run.
"""

import argparse
import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import django_environment, postgres_database  # noqa: E402

FEEDS = ROOT.parent / "shared" / "feeds"
ARXIV_DAY = FEEDS / "arxiv-rss-all-2024-11-28.xml"
HF_DAY = FEEDS / "hf-daily-papers.json"

TARGET_SECONDS = 600  # the day for 1,000,000 subscribers on 2 workers
TARGET_RSS_MB = 500
NEW_PAPERS = 3_000
HISTORY_DAYS = 30
STAGE_TIMEOUT = 7_200
# What "Prune old rows" keeps lean (papers and their search entries are the archive: kept).
PRUNED_TABLES = ("newsletter_match", "newsletter_digest", "papers_upvoteobservation",
                 "papers_ingestrun", "newsletter_deliveryevent")  # fmt: skip
POLL = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--postgres", metavar="URL", default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server (its database bench_cycle is made anew)",
    )  # fmt: skip
    parser.add_argument("--broker", metavar="URL", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--redis", metavar="URL", default="redis://127.0.0.1:6379/12",
                        help="the cache and the sending journal")  # fmt: skip
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--retention-days", type=int, default=7)
    parser.add_argument("--kill-worker-at", type=float, metavar="F")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh-seed", action="store_true",
                        help="seed anew even if today's seed of this size is kept")  # fmt: skip
    args = parser.parse_args()
    if not ARXIV_DAY.exists():
        raise SystemExit(f"{ARXIV_DAY} is missing: cycle.py reads ../shared/feeds")

    workdir = Path(tempfile.mkdtemp(prefix="paperwire-cycle-"))
    server = FeedServer()
    try:
        result = run(args, workdir, server)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result))
    if not result["exactly_once"]:
        sys.exit(1)


def run(args, workdir: Path, server: "FeedServer") -> dict:
    queue = f"cycle-{uuid.uuid4().hex[:8]}"
    outbox = workdir / "outbox"
    outbox.mkdir()
    database = postgres_database(args.postgres, "bench_cycle")
    template = f"bench_cycle_seed_{seed_key(args)}"
    reused = not args.fresh_seed and from_template(args.postgres, "bench_cycle", template)
    env = django_environment(
        database, str(workdir),
        EMAIL_BACKEND="benchmarks.cycle_worker.EmailBackend", CYCLE_OUTBOX_DIR=str(outbox),
        CELERY_BROKER_URL=args.broker, REDIS_URL=args.redis, NEWSLETTER_JOURNAL_URL=args.redis,
        CELERY_TASK_DEFAULT_QUEUE=queue, CELERY_QUEUE_PREFIX=f"{queue}.",
        PAPERS_HF_DAILY_URL=f"{server.url}/api/daily_papers",
        PAPERS_ARXIV_RSS_URL=f"{server.url}/rss/", PAPERS_ARXIV_API_URL=f"{server.url}/api/query",
        PAPERS_FETCH_ALLOW_PRIVATE="1", SITE_URL="https://paperwire.example.org",
        NEWSLETTER_SENDING_TIMEOUT_SECONDS="15" if args.kill_worker_at else "1800",
        **{name: str(args.retention_days) for name in (
            "PAPERS_UPVOTE_HISTORY_DAYS", "PAPERS_INGEST_RUN_RETENTION_DAYS",
            "NEWSLETTER_MATCH_RETENTION_DAYS", "NEWSLETTER_DIGEST_RETENTION_DAYS",
            "NEWSLETTER_EVENT_RETENTION_DAYS", "NEWSLETTER_REQUEST_RETENTION_DAYS")},
    )  # fmt: skip
    os.environ.update(env)
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    redis.Redis.from_url(args.redis).flushdb()
    call_command("migrate", "--no-input", verbosity=0)
    print(f"{args.subscribers:,} subscribers, {args.workers} workers, broker {args.broker}",
          flush=True)  # fmt: skip
    with _server(args.postgres) as conn:  # what keeps the planner's statistics fresh
        autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
    print(f"  PostgreSQL autovacuum: {autovacuum} (the day ANALYZEs its bulk writes itself: "
          "core/planner.py)", flush=True)  # fmt: skip
    started = time.perf_counter()
    if reused:
        feeds_to(server)
        print(f"  seeded from {template}, made today by this script for this size", flush=True)
    else:
        seeded = seed(args, server)
        print(f"  seeded in {time.perf_counter() - started:.0f} s: {seeded}", flush=True)
        save_template(args.postgres, template)

    days, sent_ids = [], Counter()
    with Workers(args.workers, env, workdir) as workers:
        for day in range(args.days):
            if day:
                next_day(args)
            server.day = day
            figures = one_day(args, workers, outbox, sent_ids, days_back=day)
            figures["sizes"] = table_sizes()
            days.append(figures)
            print_day(day, figures, args)
    first = days[0]
    digests = sum(d["digests"] for d in days)
    seconds = sum(d["seconds"] for d in days)
    return {
        "benchmark": "cycle",
        "targets": {"seconds": TARGET_SECONDS, "peak_rss_mb_per_worker": TARGET_RSS_MB},
        "subscribers": args.subscribers, "workers": args.workers, "broker": args.broker.split(":")[0],
        "days": args.days, "seconds": round(first["seconds"], 1), "digests": first["digests"],
        "digests_per_s": first["digests_per_s"],
        "peak_rss_mb_per_worker": max(max(d["peak_rss_mb"]) for d in days),
        "queries_per_batch_max": max(d["queries_per_batch_max"] for d in days),
        "exactly_once": all(d["exactly_once"] for d in days),
        "stages": first["stages"], "all_days_seconds": round(seconds, 1), "all_days_digests": digests,
        "database_mb_by_day": [d["sizes"]["total_mb"] for d in days],
        "pruned_tables_mb_by_day": {
            table: [d["sizes"]["all"].get(table, 0) for d in days] for table in PRUNED_TABLES
        },
        "pruned_tables_rows_by_day": {
            table: [d["sizes"]["rows"].get(table, 0) for d in days] for table in PRUNED_TABLES
        },
        "killed_worker": bool(args.kill_worker_at),
    }  # fmt: skip


# -- The loopback server: the default feeds' URLs ---------------------------------------------


class FeedServer:
    """Serves the day's arXiv RSS (the real day topped up to NEW_PAPERS new papers, on later
    days NEW_PAPERS papers new that day), the Hugging Face listing and the arXiv API answer."""

    def __init__(self):
        self.day = 0
        self.real = ARXIV_DAY.read_text()
        self.items = re.findall(r"<item>.*?</item>", self.real, flags=re.S)
        self.cache: dict[int, bytes] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = owner.body(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()

    def body(self, path: str) -> bytes:
        if path.startswith("/rss/"):
            return self.rss(self.day)
        if path.startswith("/api/daily_papers"):
            return HF_DAY.read_bytes()
        if path.startswith("/api/query"):
            return (FEEDS / "arxiv-api-query.xml").read_bytes()
        return b""

    def rss(self, day: int) -> bytes:
        if day not in self.cache:
            real_new = sum(">replace<" not in item for item in self.items)
            extra = NEW_PAPERS - (real_new if day == 0 else 0)
            items = "\n".join(self.variant(day + 1, n) for n in range(extra))
            self.cache = {day: self.real.replace("</channel>", items + "\n</channel>").encode()}
        return self.cache[day]

    def variant(self, day: int, n: int) -> str:
        """A real item as another paper: its own id and title, announced as new."""
        item = self.items[n % len(self.items)]
        arxiv_id = f"{9000 + day:04d}.{n:05d}"
        item = re.sub(r"\d{4}\.\d{4,5}", arxiv_id, item)
        item = item.replace("Announce Type: replace", "Announce Type: new")
        item = item.replace(">replace<", ">new<")
        return re.sub(r"<title>(.*?)</title>", rf"<title>\1 (study {day}-{n})</title>", item,
                      count=1, flags=re.S)  # fmt: skip

    def history(self, day: int, count: int):
        """The papers of `day` days ago, as records of the arXiv reader."""
        from papers.readers import arxiv

        body = "".join(self.variant(100 + day, n) for n in range(count))
        document = self.real.split("<item>")[0] + body + "\n</channel>\n</rss>\n"
        import io

        return list(arxiv.read(io.BytesIO(document.encode())))


# -- Seeding ----------------------------------------------------------------------------------


def seed_key(args) -> str:
    """What a kept seed depends on: the size, the seed, the day, the migrations, this script and
    the code that trains the seed's rankings (a seed made by older training code hides its
    changes: the seeding is where they run at this size)."""
    migrations = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/migrations/0*.py"))
    training = [p.read_bytes() for p in sorted((ROOT / "newsletter" / "personal").glob("*.py"))]
    made_of = (args.subscribers, args.seed, date.today().isoformat(), migrations,
               Path(__file__).read_bytes(), training)  # fmt: skip
    return hashlib.sha256(repr(made_of).encode()).hexdigest()[:12]


def _server(url: str):
    import psycopg

    return psycopg.connect(urlsplit(url)._replace(path="/postgres").geturl(), autocommit=True)


def from_template(url: str, name: str, template: str) -> bool:
    """Make database `name` a copy of the kept seed `template`, if there is one."""
    with _server(url) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone():
            return False
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return True


def save_template(url: str, template: str) -> None:
    """Keep the seeded database as `template` (the one kept seed: earlier ones are dropped)."""
    from django.db import connection

    connection.close()
    with _server(url) as conn:
        kept = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'bench_cycle_seed_%%'"
        ).fetchall()
        for (name,) in kept:
            conn.execute(f'DROP DATABASE "{name}"')
        conn.execute(f'CREATE DATABASE "{template}" TEMPLATE "bench_cycle"')


def feeds_to(server: "FeedServer") -> None:
    """A kept seed's feeds point at the loopback server of the run that made it."""
    from papers.models import Feed

    for feed in Feed.objects.all():
        parts = urlsplit(feed.url)
        feed.url = server.url + parts.path + (f"?{parts.query}" if parts.query else "")
        feed.save(update_fields=["url"])


def seed(args, server: FeedServer) -> str:
    from django.db import connection
    from django.utils import timezone

    from config.setup import setup_run

    setup_run()
    rng = random.Random(args.seed)
    now = timezone.now()
    papers = seed_history(server, now, rng)
    readers, rules = seed_subscribers(args, now, papers, rng)
    trained = seed_rankings(readers, now, rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return (f"{len(papers):,} papers over {HISTORY_DAYS} days, {args.subscribers:,} subscribers "
            f"with {rules:,} rules, {trained:,} rankings trained")  # fmt: skip


def seed_history(server: FeedServer, now, rng: random.Random) -> list:
    from django.utils import timezone

    from core.text import clean_text, title_key
    from newsletter.models import PaperMatchState
    from papers.models import Paper, UpvoteObservation
    from papers.search import papers_index_pending
    from papers.services.ingest import _New

    papers = []
    for back in range(1, HISTORY_DAYS + 1):
        listed = (now - timedelta(days=back)).date()
        day = [
            _New(title=r.title, title_key=title_key(r.title)[:500], abstract=clean_text(r.abstract),
                 arxiv_id=r.arxiv_id, authors=list(r.authors), author_count=len(r.authors),
                 listed_on=listed, upvotes=rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 21, 34]),
                 sources="arxiv")
            for r in server.history(back, NEW_PAPERS)
        ]  # fmt: skip
        insert(Paper, day)
        papers.extend(day)
    insert(UpvoteObservation, [
        UpvoteObservation(paper_id=p.pk, upvotes=p.upvotes, observed_at=now, source="hf-json")
        for p in papers if p.upvotes
    ])  # fmt: skip
    PaperMatchState.objects.bulk_create(  # its key is the paper's: not for insert_many
        [PaperMatchState(paper_id=p.pk, matched_at=timezone.now()) for p in papers],
        batch_size=5_000,
    )
    papers_index_pending()
    return papers


def seed_subscribers(args, now, papers: list, rng: random.Random) -> tuple[list, int]:
    """Subscribers in chunks; those with a library or verdicts, as (id, kind)."""
    from benchmarks.match import draw_rules
    from core.query import document
    from newsletter.models import Feedback, LibraryEntry, Subscriber, Subscription

    sample = papers[:: max(len(papers) // 10_000, 1)]
    docs = [document(title=p.title, abstract=p.abstract, authors=p.authors) for p in sample]
    frequencies = Counter(word for doc in docs for word in doc.vocabulary())
    pool = draw_rules(20_000, docs, frequencies, rng)
    zones = ["UTC", "Europe/Paris", "Europe/London", "America/New_York", "America/Los_Angeles",
             "Asia/Shanghai", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "America/Sao_Paulo",
             "Africa/Lagos", "Europe/Berlin"]  # fmt: skip
    readers, rules = [], 0
    for start in range(0, args.subscribers, 20_000):
        people = []
        for n in range(start, min(start + 20_000, args.subscribers)):
            weekly = rng.random() < 0.2
            due = not weekly or rng.random() < 1 / 7
            people.append(Subscriber(
                email=f"reader{n}@example.org", status="active", token=f"cycle-{n}-{uuid.uuid4().hex}",
                frequency="weekly" if weekly else "daily", send_weekday=rng.randrange(7),
                send_hour=rng.randrange(24), timezone=rng.choice(zones), confirmed_at=now,
                created_at=now - timedelta(days=60),
                next_digest_at=now - timedelta(minutes=rng.randint(1, 600)) if due
                else now + timedelta(days=rng.randint(1, 6)),
            ))  # fmt: skip
        insert(Subscriber, people)
        follows = [
            Subscription(subscriber_id=s.pk, rule=rule, created_at=now, updated_at=now,
                         matched_at=now)
            for s in people for rule in rng.sample(pool, rng.randint(1, 5))
        ]  # fmt: skip
        insert(Subscription, follows)
        rules += len(follows)
        entries, verdicts = [], []
        for s in people:
            roll = rng.random()
            if roll < 0.10:
                for p in rng.sample(papers, 5):
                    entries.append(LibraryEntry(
                        subscriber_id=s.pk, paper_id=p.pk, identity=f"arxiv:{p.arxiv_id}",
                        arxiv_id=p.arxiv_id, title=p.title, source="bibtex", added_at=now))  # fmt: skip
                readers.append(s.pk)
            elif roll < 0.15:
                for verdict, p in zip([1, 1, 1, -1, -1], rng.sample(papers, 5), strict=True):
                    verdicts.append(Feedback(subscriber_id=s.pk, paper_id=p.pk, verdict=verdict,
                                             created_at=now, updated_at=now))  # fmt: skip
                readers.append(s.pk)
        insert(LibraryEntry, entries)
        insert(Feedback, verdicts)
        print(f"  {min(start + 20_000, args.subscribers):,} subscribers seeded", flush=True)
    return readers, rules


def seed_rankings(readers: list[int], now, rng: random.Random) -> int:
    """Train every taste as the worker would have; then 1% of all readers changed theirs today."""
    from newsletter.models import Subscriber
    from newsletter.personal.training import reader_models_train

    yesterday = now - timedelta(days=1)
    Subscriber.objects.filter(pk__in=readers).update(taste_changed_at=yesterday)
    for start in range(0, len(readers), 5_000):
        reader_models_train(subscriber_ids=readers[start : start + 5_000], now=yesterday)
    changed = rng.sample(readers, min(len(readers), Subscriber.objects.count() // 100))
    for start in range(0, len(changed), 5_000):
        Subscriber.objects.filter(pk__in=changed[start : start + 5_000]).update(
            taste_changed_at=now - timedelta(minutes=5)
        )
    return len(readers)


def insert(model, objects: list) -> None:
    from core.bulk import insert_many

    for start in range(0, len(objects), 50_000):
        insert_many(model, objects[start : start + 50_000])


# -- The workers ------------------------------------------------------------------------------


class Workers:
    """W `celery worker` processes, each one process (the solo pool) taking every queue."""

    def __init__(self, count: int, env: dict[str, str], workdir: Path):
        from config.queues import queue_names

        queues = ",".join([env["CELERY_TASK_DEFAULT_QUEUE"],
                           *queue_names(env["CELERY_QUEUE_PREFIX"]).values()])  # fmt: skip
        self.command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
            "--queues", queues, "--include", "benchmarks.cycle_worker", "--without-gossip",
            "--without-mingle", "--loglevel", "WARNING",
        ]  # fmt: skip
        self.count, self.env, self.workdir = count, env, workdir
        self.processes: list[subprocess.Popen] = []
        self.peak_mb: dict[int, float] = {}

    def __enter__(self) -> "Workers":
        for n in range(self.count):
            log = open(self.workdir / f"worker-{n}.log", "ab")
            self.processes.append(subprocess.Popen(
                [*self.command, "--hostname", f"cycle{n}@%h"], cwd=ROOT, env=self.env,
                stdout=log, stderr=log,
            ))  # fmt: skip
        from config.celery import app

        deadline = time.monotonic() + 120
        while len(app.control.ping(timeout=1) or []) < self.count:
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                raise SystemExit("the workers did not start: " + self.log_tail())
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def sample(self) -> None:
        """Each worker's peak resident memory so far (VmHWM)."""
        for process in self.processes:
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{process.pid}/status").read_text()
                found = re.search(r"VmHWM:\s+(\d+) kB", status)
                if found:
                    self.peak_mb[process.pid] = round(int(found.group(1)) / 1024, 1)

    def kill_first(self) -> None:
        self.sample()
        os.kill(self.processes[0].pid, signal.SIGKILL)

    def check(self) -> None:
        alive = [p for p in self.processes if p.poll() is None]
        if not alive:
            raise SystemExit("every worker died: " + self.log_tail())

    def log_tail(self) -> str:
        return "\n".join(path.read_text()[-2000:] for path in self.workdir.glob("worker-*.log"))


# -- One day ----------------------------------------------------------------------------------


def one_day(args, workers: Workers, outbox: Path, sent_ids: Counter, days_back: int = 0) -> dict:
    from django.utils import timezone

    from config.celery import app
    from newsletter.models import Digest, Subscriber
    from newsletter.personal.training import reader_models_due
    from newsletter.selectors import papers_unmatched
    from papers.models import Feed, Paper
    from papers.search.index import papers_unindexed

    stages: dict[str, float] = {}
    day_start = timezone.now()
    papers_before = Paper.objects.count()
    due = Subscriber.objects.filter(status="active", next_digest_at__lte=day_start).count()
    feeds = Feed.objects.filter(enabled=True).count()
    start = time.perf_counter()

    def wait(name: str, done) -> None:
        deadline = time.monotonic() + STAGE_TIMEOUT
        while not done():
            workers.sample()
            workers.check()
            if time.monotonic() > deadline:
                raise SystemExit(f"{name}: not done in {STAGE_TIMEOUT} s\n" + workers.log_tail())
            time.sleep(POLL)
        stages[name] = round(time.perf_counter() - start - sum(stages.values()), 2)
        print(f"  {name}: {stages[name]:.1f} s", flush=True)

    app.send_task("papers.tasks.fetch_feeds")
    wait("fetch and ingest", lambda: Feed.objects.filter(
        enabled=True, last_fetched_at__gte=day_start).count() >= feeds)  # fmt: skip
    wait("index and match", lambda: not papers_unmatched().exists()
         and not papers_unindexed().exists())  # fmt: skip
    app.send_task("newsletter.tasks.train_due_reader_models")
    wait("train rankings", lambda: not reader_models_due().exists())

    send_start = timezone.now()
    app.send_task("newsletter.tasks.send_due_digests")
    open_digests = Digest.objects.filter(status__in=["pending", "sending"])
    last_call, killed = time.monotonic(), False

    def sent_all() -> bool:
        nonlocal last_call, killed
        if args.kill_worker_at and not killed:
            sent = Digest.objects.filter(sent_at__gte=send_start).count()
            if sent >= args.kill_worker_at * due:
                workers.kill_first()
                killed = True
        if time.monotonic() - last_call > 20:  # beat's part: the next tick
            app.send_task("newsletter.tasks.send_due_digests")
            last_call = time.monotonic()
        # The open digests first: their index answers at once, while the readers still due are
        # a scan of every subscriber (0.3-0.6 s at a million, twice a second, on the cores the
        # day is measured on); it runs only once no digest is open.
        return (
            not open_digests.exists()
            and not Subscriber.objects.filter(
                status="active", next_digest_at__lte=send_start
            ).exists()
        )

    wait("send digests", sent_all)
    seconds = time.perf_counter() - start
    workers.sample()

    today = Digest.objects.filter(created_at__gte=send_start)
    statuses = Counter(today.values_list("status", flat=True))
    sent_db = set(today.filter(status="sent").values_list("pk", flat=True))
    handed = Counter()
    for path in outbox.glob("outbox-*.txt"):
        handed.update(line.split()[0] for line in path.read_text().splitlines())
    handed = Counter({int(k): v for k, v in handed.items() if k != "-"}) - sent_ids
    sent_ids.update(handed)
    queries = [int(line) for p in outbox.glob("queries-*.txt") for line in p.read_text().split()]
    exactly_once = (
        set(handed) == sent_db and all(v == 1 for v in handed.values())
        and statuses.get("pending", 0) == 0 and statuses.get("sending", 0) == 0
        and statuses.get("failed", 0) == 0
        and not Subscriber.objects.filter(status="active", next_digest_at__lte=send_start).exists()
    )  # fmt: skip
    # The whole day's readers are due at once, so a run that crosses the top of an hour (or the
    # half hour, for readers in such time zones) meets readers whose send hour comes meanwhile:
    # beat owes them their next period's digest too. Those are a reader's second digest of the
    # run, counted apart; every reader due at the start has one (a digest created after the
    # boundary may be scheduled after the day began, so its schedule cannot tell them apart).
    readers = today.values("subscriber_id").distinct().count()
    came_due = today.count() - readers
    if not days_back:  # on later days, a reader whose period's digest exists gets none twice
        exactly_once = exactly_once and sum(statuses.values()) - came_due == due
    for path in outbox.glob("queries-*.txt"):
        path.unlink()
    digests = sum(statuses.values())
    return {
        "seconds": round(seconds, 1), "stages": stages, "due": due, "digests": digests,
        "sent": statuses.get("sent", 0), "statuses": dict(statuses),
        "digests_per_s": round(digests / max(stages["send digests"], 0.001)),
        "new_papers": Paper.objects.count() - papers_before,
        "peak_rss_mb": sorted(workers.peak_mb.values()),
        "queries_per_batch_max": max(queries, default=0),
        "queries_per_batch_median": sorted(queries)[len(queries) // 2] if queries else 0,
        "handed_over": sum(handed.values()), "exactly_once": exactly_once,
        "came_due_during_the_day": came_due,
    }  # fmt: skip


def next_day(args) -> None:
    """The clock moves a day: every date and time of the service's rows moves a day back (the
    digests' periods too); then the periodic "Prune old rows" runs, as beat would."""
    from django.apps import apps
    from django.db import connection, models, transaction

    from config.tasks import prune_old_rows

    with transaction.atomic(), connection.cursor() as cursor:
        for app_label in ("papers", "newsletter"):
            for model in apps.get_app_config(app_label).get_models():
                columns = [f.column for f in model._meta.concrete_fields
                           if isinstance(f, models.DateField)]  # fmt: skip
                if columns:
                    # Far away first, then back: a unique (reader, period) of consecutive days
                    # would otherwise collide with a row not yet moved.
                    table = connection.ops.quote_name(model._meta.db_table)
                    for shift in ("- interval '10001 days'", "+ interval '10000 days'"):
                        sets = ", ".join(f'"{c}" = "{c}" {shift}' for c in columns)
                        cursor.execute(f"UPDATE {table} SET {sets}")
    pruned = prune_old_rows()
    # The moves rewrote every row: reclaim them as autovacuum would, so that sizes show the
    # service's rows and not the time machine's dead ones.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  a day later: pruned {pruned}", flush=True)


def table_sizes() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c "
            "WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace "
            "ORDER BY pg_total_relation_size(c.oid) DESC"
        )
        rows = cursor.fetchall()
    mb = 1024 * 1024
    from django.apps import apps

    counts = {model._meta.db_table: model.objects.count()
              for label in ("papers", "newsletter") for model in apps.get_app_config(label).get_models()
              if model._meta.db_table in PRUNED_TABLES}  # fmt: skip
    return {
        "rows": counts,
        "total_mb": round(sum(t + i for _, t, i in rows) / mb, 1),
        "all": {name: round((t + i) / mb, 1) for name, t, i in rows},
        "tables": {name: [round(t / mb, 1), round(i / mb, 1)] for name, t, i in rows[:10]},
    }


def print_day(day: int, figures: dict, args) -> None:
    seconds, rss = figures["seconds"], max(figures["peak_rss_mb"])
    print(f"day {day + 1}: {figures['new_papers']:,} new papers, {figures['due']:,} digests due, "
          f"{figures['statuses']}")  # fmt: skip
    if figures["came_due_during_the_day"]:
        print(f"  of which {figures['came_due_during_the_day']:,} for send hours that came "
              "during the run")  # fmt: skip
    print(
        f"  whole day {seconds:.1f} s ({seconds / TARGET_SECONDS:.2f}x the target of "
        f"{TARGET_SECONDS} s for 1,000,000 on 2 workers)\n"
        f"  {figures['digests_per_s']:,} digests/s while sending; queries per batch: median "
        f"{figures['queries_per_batch_median']}, max {figures['queries_per_batch_max']}\n"
        f"  peak RSS per worker: {figures['peak_rss_mb']} MB ({rss / TARGET_RSS_MB:.2f}x the "
        f"target of {TARGET_RSS_MB} MB)\n"
        f"  handed to the backend: {figures['handed_over']:,}; exactly once: "
        f"{figures['exactly_once']}\n"
        f"  PostgreSQL: {figures['sizes']['total_mb']} MB; largest (table MB, index MB): "
        f"{figures['sizes']['tables']}\n"
        f"  rows that retention prunes: {figures['sizes']['rows']}",
        flush=True,
    )


if __name__ == "__main__":
    main()
