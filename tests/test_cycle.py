"""The day at 20,000 subscribers on two real workers, one of them killed (SIGKILL) halfway through
sending: every due digest is still handed over exactly once, and the other worker carries on.

It runs `benchmarks/cycle.py` as an operator would (PostgreSQL, Redis as broker, cache and
journal), on the PostgreSQL server of the suite's database: in the suite's PostgreSQL pass.
"""

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests.conftest import SHARED, require_service

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.process, pytest.mark.services]


def test_a_worker_killed_in_the_middle_of_the_day_loses_nothing_and_sends_nothing_twice():
    if connection.vendor != "postgresql":
        pytest.skip("the day at size runs on PostgreSQL: run the suite with DATABASE_URL set")
    require_service("Redis", "127.0.0.1", 6379)
    db = connection.settings_dict
    login = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    server = f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    assert (SHARED / "feeds").is_dir()
    done = subprocess.run(
        [sys.executable, "benchmarks/cycle.py", "--subscribers", "20000", "--workers", "2",
         "--kill-worker-at", "0.5", "--postgres", server],
        cwd=ROOT, capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["killed_worker"] and result["exactly_once"], done.stdout[-3000:]
    # The day's due digests (every daily reader, a seventh of the weekly ones): all sent or
    # empty, which the surviving worker alone could finish.
    assert result["digests"] > 10_000
