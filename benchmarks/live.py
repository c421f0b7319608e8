#!/usr/bin/env python
"""Live sources and end-to-end ingest, as `benchmarks/ingest.py --live` and `--end-to-end` run them.

- `fetch_figures`: a loopback HTTP server serves the real arXiv day (1,504 items) and a week of
  Hugging Face listing days (the real response, one set of ids per day); a fresh database fetches
  the arXiv feed (target ≤ 1 s), polls the Hugging Face feed (today and 7 days before), then polls
  it again with nothing changed (target ≤ 0.5 s).
- `end_to_end_figures`: `python manage.py ingest FILE` on a fresh, migrated SQLite database, timed
  from the command's start to its exit, beside a floor measured in the same run: the same file's
  lines stored as bare rows with Python's sqlite3 in one transaction.
"""

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "feeds"
TARGETS = {
    "arxiv_day_s": 1.0,  # at most
    "hf_repoll_7_days_s": 0.5,  # at most
    "end_to_end_papers_per_s": 15_000,  # at least
    "end_to_end_over_floor": 3.1,  # at most
}


def serve(routes: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = routes.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def hf_week(today: date) -> dict[str, bytes]:
    """Eight listing days: the real response, with each day's own ids and dates."""
    items = json.loads((SHARED / "hf-daily-papers.json").read_text())
    days = {}
    for n in range(8):
        day = today - timedelta(days=n)
        listing = json.loads(json.dumps(items))
        for number, item in enumerate(listing):
            item["paper"]["id"] = f"{day:%y%m}.{n:02d}{number:03d}"
            item["paper"]["submittedOnDailyAt"] = f"{day}T00:00:00.000Z"
        days[f"/api/daily_papers?date={day}"] = json.dumps(listing).encode()
    return days


def fetch_figures(workdir: Path) -> dict:
    """Runs in a child process: Django on a fresh SQLite database under `workdir`."""
    today = date.today()
    routes = {
        "/rss/cs.AI+cs.CL+cs.CV+cs.LG": (SHARED / "arxiv-rss-all-2024-11-28.xml").read_bytes()
    }
    routes.update(hf_week(today))
    server, base = serve(routes)
    os.environ.update(
        DATABASE_URL=f"sqlite:///{workdir}/live.sqlite3",
        PAPERS_HF_DAILY_URL=f"{base}/api/daily_papers",
        PAPERS_ARXIV_RSS_URL=f"{base}/rss/",
    )
    import django

    django.setup()
    from django.core.management import call_command

    from config.setup import setup_run
    from papers.models import Feed, Paper
    from papers.services.feeds import feed_fetch

    call_command("migrate", verbosity=0)
    setup_run()
    arxiv, hf = Feed.objects.get(kind="arxiv"), Feed.objects.get(kind="hf-json")
    timings = {}
    for name, feed in (("arxiv_day_s", arxiv), ("hf_first_poll_8_days_s", hf)):
        start = time.perf_counter()
        report = feed_fetch(feed=feed)
        timings[name] = round(time.perf_counter() - start, 3)
        assert not report.error, report.error
    start = time.perf_counter()
    report = feed_fetch(feed=hf)
    timings["hf_repoll_7_days_s"] = round(time.perf_counter() - start, 3)
    assert report.unchanged_days == 8 and not report.runs, report
    timings["papers"] = Paper.objects.count()
    server.shutdown()
    return timings


def floor_seconds(path: Path, workdir: Path) -> float:
    """The file's lines stored as bare rows with Python's sqlite3, in one transaction."""
    database = workdir / "floor.sqlite3"
    database.unlink(missing_ok=True)
    start = time.perf_counter()
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE line (text TEXT)")
    with open(path, encoding="utf-8") as lines:
        connection.executemany("INSERT INTO line VALUES (?)", ((line,) for line in lines))
    connection.commit()
    connection.close()
    return time.perf_counter() - start


def end_to_end_seconds(path: Path, workdir: Path, environment: dict, eager: bool) -> float:
    """`manage.py ingest FILE` on a fresh migrated database, from the command's start to its exit."""
    database = workdir / "e2e.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    env = {
        **environment,
        "DATABASE_URL": f"sqlite:///{database}",
        "CELERY_TASK_ALWAYS_EAGER": "1" if eager else "0",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    start = time.perf_counter()
    done = subprocess.run(
        [*manage, "ingest", str(path), "--no-progress"], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"ingest failed:\n{done.stdout}\n{done.stderr}")
    return seconds
