#!/usr/bin/env python
"""Hostile library uploads: how fast each is answered, how long the worker takes to read what
passes the checks, and how `/` fares while three are uploaded at once.

Starts gunicorn with 3 workers (as docker-compose does) and a Celery worker (one process) on a
fresh SQLite database, with Redis on 127.0.0.1:6379 as the broker, and posts, through a reader's
manage page as a browser would:
1. each hostile file, alone: 10 MB of 120,000 BibTeX entries with TeX titles, of 400,000 plain
   entries, a RIS file of 200,000 records, a Zotero CSV of 300,000 rows, a million pasted ids,
   3,000,000 braces in 5,000 entries, one title of a million braces, and the worst file that
   passes the checks (5,000 entries' worth of TeX in every title and abstract, 10 MB);
2. three of the worst readable file at once, from three readers, while a fourth client requests
   `/` without pause until the worker has read all three.

Targets (issue 19): every upload answered in <= 2 s; the p95 of `/` under 200 ms during the
three. Prints each figure with its ratio to the target, and a last line of JSON. Bounded: a
fixed number of uploads, every request a timeout, the wait for the worker at most 120 s.

    python benchmarks/uploads.py
"""

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import django_environment  # noqa: E402
from benchmarks.web import gunicorn  # noqa: E402
from config.queues import queue_names  # noqa: E402

TARGET_ANSWER_S = 2.0
TARGET_HOME_P95_MS = 200
MB = 1024 * 1024
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def fill(entry, limit: int = 10 * MB - 4096) -> bytes:
    parts, size, n = [], 0, 0
    while True:
        part = entry(n).encode()
        if size + len(part) > limit:
            return b"".join(parts)
        parts.append(part)
        size, n = size + len(part), n + 1


def worst_readable() -> bytes:
    """As much TeX as the checks let through: 59 braces an entry, math and accents throughout."""
    title = ("\\emph{x} " * 25 + "$\\alpha_i^2$ \\'e " * 200)[:1900]
    abstract = "$\\alpha_i^2 + \\beta$ \\'e \\ss " * 400
    return fill(lambda n: f"@article{{k{n}, title={{{title}}}, abstract={{{abstract}}}}}\n")


HOSTILE = {
    "120,000 TeX BibTeX entries": (
        "tex.bib",
        lambda: fill(lambda n: f"@article{{k{n}, title={{$O(n^2)$ \\emph{{x{n}}}}}}}\n"),
    ),
    "400,000 plain BibTeX entries": (
        "plain.bib",
        lambda: fill(lambda n: f"@misc{{k{n},title={{T}}}}\n"),
    ),
    "200,000 RIS records": ("big.ris", lambda: fill(lambda n: f"TY  - JOUR\nTI  - T{n}\nER  - \n")),
    "300,000 CSV rows": (
        "big.csv",
        lambda: b"Title,Url\n" + fill(lambda n: f'"$x$ T{n}",https://arxiv.org/abs/1\n'),
    ),
    "a million pasted ids": ("ids.txt", lambda: fill(lambda n: f"2401.{n % 99999:05d}\n")),
    "3,000,000 braces": (
        "braces.bib",
        lambda: "".join(
            f"@article{{k{n},title={{{'{a}' * 600}}}}}\n" for n in range(5000)
        ).encode(),
    ),
    "a million nested braces": (
        "deep.bib",
        lambda: ("@article{k, title={" + "{" * 10**6 + "}" * 10**6 + "}}\n").encode(),
    ),
    "worst readable (TeX, 10 MB)": ("worst.bib", worst_readable),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--setup", nargs=1, help=argparse.SUPPRESS)
    parser.add_argument("--reads", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        return setup(int(args.setup[0]))
    if args.reads:
        return reads()
    with tempfile.TemporaryDirectory(prefix="paperwire-uploads-") as workdir:
        queue = f"bench-uploads-{uuid.uuid4().hex[:8]}"
        env = django_environment(
            f"sqlite:///{workdir}/uploads.sqlite3", workdir, ALLOWED_HOSTS="127.0.0.1,localhost",
            CELERY_BROKER_URL=args.broker, CELERY_TASK_DEFAULT_QUEUE=queue, REDIS_URL="",
            CELERY_QUEUE_PREFIX=f"{queue}.",
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            ANYMAIL_WEBHOOK_SECRET="bench:bench", SITE_URL="http://127.0.0.1", LOG_LEVEL="ERROR",
        )  # fmt: skip
        manage = [sys.executable, str(ROOT / "manage.py")]
        for command in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
            subprocess.run([*manage, *command], env=env, check=True, cwd=ROOT, timeout=600)
        paths = json.loads(run_self(env, "--setup", "4"))
        files = {name: (filename, make()) for name, (filename, make) in HOSTILE.items()}
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
             "--queues", ",".join([queue, *queue_names(f"{queue}.").values()]), "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            with gunicorn(env, 3) as base:
                alone = [(name, *post(base, paths[0], *files[name])) for name in files]
                wait_for_reads(env, 1)
                together = three_at_once(base, paths[1:], files["worst readable (TeX, 10 MB)"], env)
            read_times = json.loads(run_self(env, "--reads"))
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    report(alone, together, read_times)


def run_self(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, __file__, *args], env=env, cwd=ROOT, check=True, capture_output=True,
        text=True, timeout=300,
    ).stdout  # fmt: skip


def setup(readers: int) -> None:
    import django

    django.setup()
    from newsletter.models import Subscriber, Subscription
    from newsletter.tokens import manage_token

    paths = []
    for n in range(readers):
        reader = Subscriber.objects.create(email=f"reader{n}@example.org", status="active")
        Subscription.objects.create(subscriber=reader, rule="attention")
        paths.append(f"/manage/{manage_token(reader)}/")
    print(json.dumps(paths))


def reads() -> None:
    import django

    django.setup()
    from newsletter.models import LibraryUpload

    print(json.dumps([
        [u.name, u.status, (u.finished_at - u.created_at).total_seconds() if u.finished_at else None]
        for u in LibraryUpload.objects.order_by("pk")
    ]))  # fmt: skip


def wait_for_reads(env: dict, pending_allowed: int = 0, limit: float = 120) -> float:
    """Seconds until the worker has read every queued upload (at most `limit`)."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        states = json.loads(run_self(env, "--reads"))
        if all(state != "queued" for _, state, _ in states):
            return time.perf_counter() - started
        time.sleep(0.2)
    return limit


def connect(base: str) -> http.client.HTTPConnection:
    host, port = base.removeprefix("http://").split(":")
    return http.client.HTTPConnection(host, int(port), timeout=60)


def post(
    base: str, path: str, filename: str, data: bytes, extra: dict | None = None
) -> tuple[int, float]:
    """One upload through the manage page, as a browser sends it: (status, seconds)."""
    connection = connect(base)
    connection.request("GET", path, headers={"Host": "127.0.0.1", **(extra or {})})
    response = connection.getresponse()
    page = response.read().decode()
    cookie = "; ".join(
        v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"
    )
    token = CSRF_RE.search(page)[1]
    boundary = uuid.uuid4().hex
    body = b"".join([
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="action"\r\n\r\nlibrary_add\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="library_file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode(), data, f"\r\n--{boundary}--\r\n".encode(),
    ])  # fmt: skip
    headers = {
        "Host": "127.0.0.1", "Cookie": cookie, "Referer": f"{base}{path}",
        "Content-Type": f"multipart/form-data; boundary={boundary}", **(extra or {}),
    }  # fmt: skip
    started = time.perf_counter()
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    seconds = time.perf_counter() - started
    connection.close()
    return response.status, seconds


def three_at_once(base: str, paths: list[str], file: tuple[str, bytes], env: dict) -> dict:
    """Three uploads at once while another client requests `/` until the worker read them."""
    home: list[float] = []
    answers: list[tuple[int, float]] = []
    stop = threading.Event()

    def browse() -> None:
        connection = connect(base)
        for _ in range(100_000):  # bounded; stopped when the reads are done
            if stop.is_set():
                break
            started = time.perf_counter()
            connection.request("GET", "/", headers={"Host": "127.0.0.1"})
            connection.getresponse().read()
            home.append(time.perf_counter() - started)
        connection.close()

    browser = threading.Thread(target=browse)
    browser.start()
    time.sleep(0.5)
    uploaders = [
        threading.Thread(target=lambda p=p: answers.append(post(base, p, *file))) for p in paths
    ]
    started = time.perf_counter()
    for thread in uploaders:
        thread.start()
    for thread in uploaders:
        thread.join(timeout=120)
    read_in = wait_for_reads(env)
    window = time.perf_counter() - started
    stop.set()
    browser.join(timeout=60)
    return {"answers": answers, "home": home, "window": window, "read_in": read_in}


def report(alone: list, together: dict, read_times: list) -> None:
    print(f"{'upload':32s} {'status':>6s} {'answer s':>9s} {'ratio':>6s}")
    for name, status, seconds in alone:
        print(f"{name:32s} {status:6d} {seconds:9.2f} {seconds / TARGET_ANSWER_S:6.2f}")
    slowest = max(s for _, _, s in alone)
    read = [t for name, state, t in read_times if t is not None and state == "read"]
    home = sorted(together["home"])
    p95 = statistics.quantiles(home, n=20)[18] * 1000 if len(home) >= 20 else float("nan")
    p50 = statistics.median(home) * 1000
    answers = [s for _, s in together["answers"]]
    print(f"slowest answer: {slowest:.2f} s ({slowest / TARGET_ANSWER_S:.2f} of the 2 s target)")
    print(
        "from upload to read by the worker (queue wait included): "
        f"{', '.join(f'{t:.2f}' for t in read)} s"
    )
    print(
        f"three at once: answered in {', '.join(f'{s:.2f}' for s in answers)} s, read within "
        f"{together['read_in']:.2f} s; / p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(home)} "
        f"requests ({p95 / TARGET_HOME_P95_MS:.2f} of the 200 ms target)"
    )
    print(json.dumps({
        "answers": {name: round(s, 3) for name, _, s in alone}, "statuses": [s for _, s, _ in alone],
        "slowest_answer_s": round(slowest, 3), "reads_s": [round(t, 3) for t in read],
        "three_answers_s": [round(s, 3) for s in answers], "home_p50_ms": round(p50, 1),
        "home_p95_ms": round(p95, 1), "home_requests": len(home),
        "three_read_within_s": round(together["read_in"], 2),
    }))  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    socket.setdefaulttimeout(60)
    main()
