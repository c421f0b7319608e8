#!/usr/bin/env python
"""Soak test: 10,000 signup and preview requests from 50 concurrent clients against gunicorn with
2 workers on 127.0.0.1, as a flood behind a proxy would send them, with hostile library uploads
in the mix.

Each client has an address of its own (sent as X-Forwarded-For, with TRUSTED_PROXIES=1 as behind
one proxy) and sends 200 requests: 25 signups with distinct addresses (the limit is 20 an hour
per client address) and 175 previews (120 a minute). Signups are processed in the web process
(CELERY_TASK_ALWAYS_EAGER), so the subscriber table can be counted at the end.

Beside them, 5 readers each upload 12 library files through their manage page, from addresses
of their own: 10 MB files of hundreds of thousands of entries or millions of braces (refused
before parsing, a 400) and a small real library (a 302), in turn. The limit is 10 an hour per
reader: the last 2 of each get a 429. Every upload must be answered within 2 s.

Prints the rate held, the p95 latency, the answers by status, whether every request over a limit
got a 429 (and none under it), and whether any subscriber row was lost or duplicated; a last line
of JSON. Exits 1 if a check fails. Bounded: every loop has a fixed count, every request a timeout.

    python benchmarks/soak.py
"""

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import django_environment  # noqa: E402
from benchmarks.uploads import HOSTILE, post  # noqa: E402
from benchmarks.web import gunicorn  # noqa: E402

SIGNUP_LIMIT = 20  # an hour per address (newsletter.views.SIGNUP_IP_RATE)
PREVIEW_LIMIT = 120  # a minute per address (PREVIEW_RATE)
PASSED = {"signup": 302, "preview": 200}  # the answer to a request under its limit
UPLOAD_LIMIT = 10  # an hour per reader (LIBRARY_READER_RATE)
UPLOAD_ANSWER_S = 2.0
SMALL_LIBRARY = (
    "small.bib",
    b"@article{a, title={Attention is all you need}, eprint={1706.03762}}\n"
    b"@article{b, title={{LoRA}: Low-Rank Adaptation}, doi={10.48550/arXiv.2106.09685}}\n",
)
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--signups", type=int, default=25, help="per client (default 25)")
    parser.add_argument("--previews", type=int, default=175, help="per client (default 175)")
    parser.add_argument("--uploaders", type=int, default=5, help="readers uploading (default 5)")
    parser.add_argument("--uploads", type=int, default=12, help="per reader (default 12)")
    parser.add_argument("--count-rows", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_rows:
        return count_rows()
    with tempfile.TemporaryDirectory(prefix="paperwire-soak-") as workdir:
        env = django_environment(
            f"sqlite:///{workdir}/soak.sqlite3", workdir, ALLOWED_HOSTS="127.0.0.1,localhost",
            TRUSTED_PROXIES="1", CELERY_TASK_ALWAYS_EAGER="1", REDIS_URL="",
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            ANYMAIL_WEBHOOK_SECRET="soak:soak", SITE_URL="http://127.0.0.1", LOG_LEVEL="ERROR",
        )  # fmt: skip
        manage = [sys.executable, str(ROOT / "manage.py")]
        for command in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
            subprocess.run([*manage, *command], env=env, check=True, cwd=ROOT, timeout=600)
        readers = json.loads(
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "uploads.py"), "--setup",
                            str(args.uploaders)], env=env, cwd=ROOT, check=True,
                           capture_output=True, text=True, timeout=120).stdout
        )  # fmt: skip
        files = [(name, make()) for name, make in (v for k, v in HOSTILE.items()
                 if not k.startswith("worst"))] + [SMALL_LIBRARY]  # fmt: skip
        with gunicorn(env, 2) as base:
            started = time.perf_counter()
            with ThreadPoolExecutor(args.clients + args.uploaders) as pool:
                uploading = [pool.submit(uploader, base, n, path, files, args.uploads)
                             for n, path in enumerate(readers)]  # fmt: skip
                runs = list(pool.map(lambda n: client(base, n, args), range(args.clients)))
                uploads = [future.result() for future in uploading]
            seconds = time.perf_counter() - started
        rows = json.loads(
            subprocess.run([sys.executable, __file__, "--count-rows"], env=env, cwd=ROOT,
                           check=True, capture_output=True, text=True, timeout=120).stdout
        )  # fmt: skip
    report(runs, rows, seconds, args, uploads)


def uploader(base: str, number: int, path: str, files: list, count: int) -> list[tuple]:
    """One reader uploading library files in turn, from an address of its own."""
    extra = {"X-Forwarded-For": f"10.200.{number}.9"}
    return [post(base, path, *files[n % len(files)], extra=extra) for n in range(count)]


def client(base: str, number: int, args) -> dict:
    """One client: its own address, a session for the form's CSRF token, then its requests."""
    host = urlsplit(base)
    address = f"10.{number // 250}.{number % 250}.7"
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    headers = {"X-Forwarded-For": address, "Host": "127.0.0.1"}
    status, body, cookie = request(connection, "GET", "/subscribe/", headers)
    token = CSRF_RE.search(body).group(1)
    headers = {**headers, "Cookie": cookie, "Referer": f"{base}/subscribe/"}
    results = []  # (kind, status, seconds, minute)
    for n in range(args.signups + args.previews):
        if n < args.signups:
            form = {"csrfmiddlewaretoken": token, "email": f"c{number}-{n}@example.org",
                    "rules": "quantization", "frequency": "daily", "send_weekday": 0,
                    "send_hour": 8, "timezone": "UTC", "max_papers": 10}  # fmt: skip
            kind, method, path, data = "signup", "POST", "/subscribe/", urlencode(form)
        else:
            kind, method, path, data = "preview", "GET", "/subscribe/preview/?rule=llm", None
        sent, started = time.time(), time.perf_counter()
        status, _, _ = request(connection, method, path, headers, data)
        results.append((kind, status, time.perf_counter() - started, sent))
    connection.close()
    return {"address": address, "results": results}


def request(connection, method: str, path: str, headers: dict, data: str | None = None):
    headers = dict(headers)
    if data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    cookie = "; ".join(
        value.split(";", 1)[0] for name, value in response.getheaders() if name == "Set-Cookie"
    )
    return response.status, body, cookie


def window(value: str, period: int, at: float) -> int:
    """django-ratelimit's window for a key at a moment: windows start at an offset of their own
    per key (its CRC), so a limit's hour may turn over during the run."""
    ts = int(at)
    start = ts - (ts % period) + (zlib.crc32(value.encode()) % period)
    return start + period if start < ts else start


def count_rows() -> None:
    import django

    django.setup()
    from django.db.models import Count

    from newsletter.models import Subscriber

    signups = Subscriber.objects.exclude(email__startswith="reader")  # the uploaders
    duplicated = signups.values("email").annotate(n=Count("pk")).filter(n__gt=1).count()
    print(json.dumps({"rows": signups.count(), "duplicated": duplicated,
                      "emails": list(signups.values_list("email", flat=True))}))  # fmt: skip


def report(runs: list[dict], rows: dict, seconds: float, args, uploads: list[list]) -> None:
    latencies = sorted(r[2] for run in runs for r in run["results"])
    statuses = Counter((r[0], r[1]) for run in runs for r in run["results"])
    requests = len(latencies)
    limits_held = True
    accepted = set()
    for number, run in enumerate(runs):
        for kind, limit, period in (("signup", SIGNUP_LIMIT, 3600), ("preview", PREVIEW_LIMIT, 60)):
            windows: dict[int, list[int]] = {}
            for r in run["results"]:
                if r[0] == kind:
                    # A signup that passes is redirected to "check your inbox" (302).
                    passed_as = 200 if r[1] == PASSED[kind] else r[1]
                    windows.setdefault(window(run["address"], period, r[3]), []).append(passed_as)
            for answers in windows.values():
                # In each window of the limit, the first `limit` pass and every later one is a
                # 429, nothing else. A request sent as a window turns over may be counted in the
                # other window by the server: at the turn, one pass fewer, or one late pass
                # (the next window's first) after the 429s, is its doing, not a leak.
                if len(answers) > 1 and answers[-1] == 200 and answers[-2] == 429:
                    answers = answers[:-1]
                passed = answers.count(200)
                limited = answers.count(429)
                in_order = answers == [200] * passed + [429] * limited
                full = passed in (limit, limit - 1) if limited else True
                if not (in_order and passed + limited == len(answers) and passed <= limit and full):
                    limits_held = False
                    print(f"  {run['address']} {kind}: {passed} passed, {limited} limited, "
                          f"in order: {in_order}")  # fmt: skip
        accepted.update(f"c{number}-{n}@example.org" for n, r in enumerate(run["results"])
                        if r[0] == "signup" and r[1] == PASSED["signup"])  # fmt: skip
    stored = set(rows["emails"])
    figures = {
        "requests": requests,
        "clients": len(runs),
        "seconds": round(seconds, 1),
        "requests_per_s": round(requests / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(requests * 0.95) - 1] * 1000, 1),
        "statuses": {
            f"{kind} {status}": count for (kind, status), count in sorted(statuses.items())
        },
        "every_over_limit_request_got_429": limits_held,
        "signups_accepted": len(accepted),
        "subscriber_rows": rows["rows"],
        "rows_lost": len(accepted - stored),
        "rows_unexpected": len(stored - accepted),
        "rows_duplicated": rows["duplicated"],
        "uploads": sum(map(len, uploads)),
        "upload_statuses": dict(Counter(status for run in uploads for status, _ in run)),
        "uploads_limited_in_order": all(
            [s == 429 for s, _ in run] == [n >= UPLOAD_LIMIT for n in range(len(run))]
            for run in uploads
        ),
        "slowest_upload_answer_s": round(max(s for run in uploads for _, s in run), 2),
    }
    print(f"{requests:,} requests from {len(runs)} clients in {figures['seconds']} s: "
          f"{figures['requests_per_s']} requests/s, p50 {figures['p50_ms']} ms, "
          f"p95 {figures['p95_ms']} ms")  # fmt: skip
    for name, count in figures["statuses"].items():
        print(f"  {name}: {count:,}")
    print(f"  every request over a limit got a 429, and none under it: {limits_held}")
    print(f"  signups accepted {len(accepted):,}; subscriber rows {rows['rows']:,}; lost "
          f"{figures['rows_lost']}, unexpected {figures['rows_unexpected']}, duplicated "
          f"{rows['duplicated']}")  # fmt: skip
    print(f"  uploads {figures['uploads']}: {figures['upload_statuses']}; over the limit got a "
          f"429, in order: {figures['uploads_limited_in_order']}; slowest answer "
          f"{figures['slowest_upload_answer_s']} s "
          f"({figures['slowest_upload_answer_s'] / UPLOAD_ANSWER_S:.2f} of 2 s)")  # fmt: skip
    print(json.dumps({"benchmark": "soak", **figures}))
    healthy = limits_held and not (figures["rows_lost"] or figures["rows_unexpected"]
                                   or rows["duplicated"])  # fmt: skip
    healthy = healthy and figures["uploads_limited_in_order"]
    healthy = healthy and figures["slowest_upload_answer_s"] <= UPLOAD_ANSWER_S
    sys.exit(0 if healthy else 1)


if __name__ == "__main__":
    main()
