"""Run a real Celery worker process against the test database and a real broker."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection

from config.queues import queue_names

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the database the tests are using, for processes started by a test."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


def celery_env(broker_url: str, queue: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a worker or beat process on queues of its own (`queue` and the
    queues of each kind of work after it, as CELERY_QUEUE_PREFIX)."""
    queue = queue or f"paperwire-test-{uuid.uuid4().hex[:8]}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "tests-only-not-a-secret",
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_QUEUE_PREFIX": f"{queue}.",
        **extra,
    }


def all_queues(env: dict[str, str]) -> str:
    """Every queue of this environment, for a worker's --queues: one worker takes all work."""
    names = queue_names(env.get("CELERY_QUEUE_PREFIX", "")).values()
    return ",".join([env["CELERY_TASK_DEFAULT_QUEUE"], *names])


@contextmanager
def celery_worker(
    broker_url: str, *, log: Path, env: dict[str, str] | None = None
) -> Iterator[dict[str, str]]:
    """A worker (one process, the solo pool) on a queue of its own; yields the environment that
    sends tasks to it, with its process id as PAPERWIRE_WORKER_PID."""
    env = env or celery_env(broker_url)
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
        "--queues", all_queues(env), "--without-gossip", "--without-mingle",
        "--without-heartbeat", "--loglevel", "INFO",
    ]  # fmt: skip
    with _process(command, env, log) as worker:
        yield {**env, "PAPERWIRE_WORKER_PID": str(worker.pid)}


@contextmanager
def celery_beat(env: dict[str, str], *, log: Path) -> Iterator[subprocess.Popen]:
    """Beat with the database scheduler, sending to the queue in `env`."""
    command = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
               "--max-interval", "1"]  # fmt: skip
    with _process(command, env, log) as beat:
        yield beat


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with open(log, "ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def celery_call(env: dict[str, str], task: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "call", task, "--queue",
         env["CELERY_TASK_DEFAULT_QUEUE"], *args],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def wait_until(condition, *, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
