"""Fixtures shared by the whole suite: the real inputs in ../shared, services, a loopback server,
and builders for papers, subscribers and digests."""

import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DUMPS = SHARED / "dumps"
FEEDS = SHARED / "feeds"


# `make test-fast` is the quick loop: property tests draw a quarter of their examples there, and
# all of them in `make test`.
QUICK = os.environ.get("PAPERWIRE_QUICK_TESTS") == "1"


def examples(count: int) -> int:
    """How many examples a property test draws: `count`, or a quarter in the quick loop."""
    return max(count // 4, 10) if QUICK else count


def pytest_collection_modifyitems(items):
    """The slowest tests first (processes of their own, then the browser): in a parallel run,
    the quick ones then fill the gaps while those wait on their processes, instead of all
    waiting together at the end."""

    def weight(item) -> int:
        return 0 if item.get_closest_marker("process") else 1 if "browser" in item.nodeid else 2

    items.sort(key=weight)


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_modify_db_settings) -> bool:
    """On SQLite, each test process's database starts as a copy of one migrated template, made
    once for the migrations as they are (parallel workers would otherwise each migrate a
    database of their own); the copy is then kept as it is, its migrations all applied."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if request.config.getvalue("reuse_db") or not database["ENGINE"].endswith("sqlite3"):
        return request.config.getvalue("reuse_db")
    target = Path(database["TEST"]["NAME"])
    for suffix in ("", "-wal", "-shm", "-journal"):  # never a stale journal beside the copy
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(migrated_template(settings.VAR_DIR), target)
    return True


def migrated_template(var_dir: Path) -> Path:
    """A SQLite database with every migration applied, named by what it was made from (the
    migration files and Django's version); made by the first process that needs it."""
    import django

    sources = sorted(ROOT.glob("*/migrations/*.py"))
    digest = hashlib.sha256(django.__version__.encode())
    for path in sources:
        digest.update(path.name.encode() + path.read_bytes())
    template = var_dir / f"test-template-{digest.hexdigest()[:16]}.sqlite3"
    with open(var_dir / "test-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait for the first
        if not template.exists():
            partial = template.with_suffix(".partial")
            partial.unlink(missing_ok=True)
            env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings",
                   "DATABASE_URL": f"sqlite:///{partial}"}  # fmt: skip
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
                cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
            )  # fmt: skip
            partial.rename(template)
            for old in var_dir.glob("test-template-*.sqlite3"):
                if old != template:
                    old.unlink(missing_ok=True)
    return template


@pytest.fixture(autouse=True)
def _process_state_of_its_own():
    """Each test sends as a new worker process would: nothing kept from another test's batches,
    whose database is gone (a worker keeps cards and its last look at the recent papers)."""
    from newsletter.digests.assembly import forget_process_state

    forget_process_state()


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (DUMPS.is_dir() and FEEDS.is_dir()):
        pytest.skip(f"the real inputs are not at {SHARED} (clone the repo beside shared/)")
    return SHARED


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a service is absent on a laptop; fail when CI says every service must be there."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError as exc:
        reason = f"{name} is not reachable at {host}:{port} ({exc})"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}, and REQUIRE_SERVICES=1 requires it")
        pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return "redis://127.0.0.1:6379/14"


@pytest.fixture
def amqp_url() -> str:
    require_service("RabbitMQ", "127.0.0.1", 5672)
    return "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture(params=["redis", "rabbitmq"])
def broker_url(request) -> str:
    """Each broker Paperwire supports, in turn: Redis and RabbitMQ."""
    return request.getfixturevalue("redis_url" if request.param == "redis" else "amqp_url")


@dataclass
class Route:
    body: bytes
    status: int = 200
    etag: str = ""
    last_modified: str = ""
    delay: float = 0.0
    content_type: str = "application/xml"
    drip: float = 0.0  # seconds between bytes: a server that sends a byte at a time
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class LoopbackServer:
    """An HTTP server on 127.0.0.1 serving routes by path and query, honouring conditional GETs,
    logging requests (path, headers) and when each came (`times`, monotonic)."""

    base_url: str
    routes: dict[str, list[Route]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def serve(self, path: str, body: bytes, **options) -> str:
        """Answer GET `path` (with its query, if any) with `body`, every time."""
        self.routes[path] = [Route(body=body, **options)]
        return self.base_url + path

    def serve_in_turn(self, path: str, *routes: Route) -> str:
        """Answer `path` with each route in turn; the last one answers every later request."""
        self.routes[path] = list(routes)
        return self.base_url + path

    def serve_any_query(self, path: str, body: bytes, **options) -> str:
        """Answer GET `path` with any query (one not served exactly) with `body`."""
        self.routes[path + "?*"] = [Route(body=body, **options)]
        return self.base_url + path

    def route_for(self, path: str) -> Route | None:
        routes = self.routes.get(path) or self.routes.get(path.split("?")[0] + "?*")
        if not routes:
            return None
        return routes.pop(0) if len(routes) > 1 else routes[0]


@pytest.fixture
def http_server(settings, monkeypatch) -> Iterator[LoopbackServer]:
    """A loopback server for fetches: fetching it is allowed on purpose, in this process and in
    the processes a test starts (a loopback address is refused otherwise)."""
    settings.PAPERS_FETCH_ALLOW_PRIVATE = True
    monkeypatch.setenv("PAPERS_FETCH_ALLOW_PRIVATE", "1")
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            server.requests.append((self.path, dict(self.headers)))
            server.times.append(time.monotonic())
            route = server.route_for(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.delay:
                stop.wait(route.delay)
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not route.drip:
                self.wfile.write(route.body)
                return
            for index in range(len(route.body)):
                if stop.wait(route.drip):
                    return
                try:
                    self.wfile.write(route.body[index : index + 1])
                    self.wfile.flush()
                except OSError:  # the client hung up: what a drip test expects
                    return

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server = LoopbackServer(base_url=f"http://127.0.0.1:{httpd.server_port}")
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    stop.set()
    httpd.shutdown()
    httpd.server_close()


# Builders for digest tests (newsletter and browser): papers, subscribers with rules, and the
# anymail test backend.
@pytest.fixture
def fresh_rate_limits():
    """An empty cache before and after: the rate limits count in it, and a test of signups or of
    the API starts with none spent (used by those modules with `pytest.mark.usefixtures`)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_paper():
    from core.text import title_key
    from papers.models import Organization, Paper

    def make(title: str, **fields) -> Paper:
        org = fields.pop("org", None)
        if org:
            fields["organization"], _ = Organization.objects.get_or_create(
                handle=org, defaults={"name": org.title()}
            )
        fields.setdefault("listed_on", date.today())
        fields.setdefault("abstract", f"An abstract about {title.lower()}.")
        return Paper.objects.create(title=title, title_key=title_key(title), **fields)

    return make


@pytest.fixture
def make_subscriber():
    from newsletter.models import Subscriber, Subscription

    def make(email: str, *rules: str, status: str = "active", **preferences) -> Subscriber:
        subscriber = Subscriber.objects.create(
            email=email, status=status, confirmed_at=timezone.now(), **preferences
        )
        Subscription.objects.bulk_create(
            Subscription(subscriber=subscriber, rule=rule) for rule in rules
        )
        return subscriber

    return make


@pytest.fixture
def outbox(settings) -> list:
    """anymail's own test backend: what an ESP would have been handed."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    return mail.outbox


@pytest.fixture
def due_now():
    """Match what is unmatched, then make these subscribers' digests due at once."""
    from newsletter.services.matching import matches_update
    from newsletter.services.schedule import digests_create_now

    def make_due(*subscribers) -> None:
        matches_update()
        digests_create_now(subscriber_ids=[s.pk for s in subscribers], now=timezone.now())

    return make_due
