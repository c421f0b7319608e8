"""Rate limits count in a cache every process shares (the database without Redis), with an
increment that loses nothing, against the client's address taken from X-Forwarded-For only
behind a configured number of trusted proxies (hardening issue, item 4)."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client, RequestFactory

from config.cache import AtomicDatabaseCache, client_ip

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.process
def test_without_redis_the_cache_is_the_shared_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", PAPERWIRE_VAR_DIR=str(tmp_path))
    code = "from django.conf import settings as s; print(s.CACHES['default']['BACKEND'])"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert out.strip() == "config.cache.AtomicDatabaseCache"
    check = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert "django_ratelimit.E003" not in check.stdout + check.stderr


def test_concurrent_increments_lose_no_count():
    if not isinstance(caches["default"], AtomicDatabaseCache):
        pytest.skip("the suite runs with Redis as its cache")
    cache.set("hits", 0, 60)
    errors = []

    def hit():
        try:
            for _ in range(25):
                caches["default"].incr("hits")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and cache.get("hits") == 200


def request(remote="192.0.2.1", forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_forwarded_for_is_believed_only_behind_trusted_proxies(settings):
    settings.TRUSTED_PROXIES = 0
    assert client_ip(request(forwarded="198.51.100.7")) == "192.0.2.1"
    settings.TRUSTED_PROXIES = 1
    assert client_ip(request(forwarded="198.51.100.7")) == "198.51.100.7"
    assert client_ip(request(forwarded="6.6.6.6, 198.51.100.7")) == "198.51.100.7"  # spoofed left
    assert client_ip(request(forwarded="not-an-address")) == "192.0.2.1"
    settings.TRUSTED_PROXIES = 2
    assert client_ip(request(forwarded="6.6.6.6, 198.51.100.7, 10.0.0.2")) == "198.51.100.7"
    assert client_ip(request(forwarded="198.51.100.7")) == "192.0.2.1"  # fewer hops than proxies


def test_a_client_cannot_escape_the_signup_limit_with_forged_headers(settings):
    cache.clear()
    settings.TRUSTED_PROXIES = 0
    client = Client()
    codes = [
        client.post(
            "/subscribe/", {"email": f"r{n}@example.org", "rules": "llm", "frequency": "daily",
                            "send_weekday": 0, "send_hour": 8, "timezone": "UTC", "max_papers": 10},
            REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.1.{n}.1",
        ).status_code
        for n in range(22)
    ]  # fmt: skip
    assert codes[:20].count(429) == 0 and codes[20:] == [429, 429]


def test_a_count_keeps_its_window_and_survives_many_other_keys():
    """Django's database cache culls a third of its rows past 300 entries and resets a key's
    expiry on every increment: either would forget a client's count."""
    shared = caches["default"]
    if not isinstance(shared, AtomicDatabaseCache):
        pytest.skip("the suite runs with Redis as its cache")
    shared.set("window", 1, 3600)
    for n in range(400):
        shared.set(f"other-{n}", n, 3600)
    assert shared.incr("window") == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM paperwire_cache WHERE cache_key LIKE %s", ["%window"])
        expires = cursor.fetchone()[0]
    from datetime import UTC, datetime, timedelta

    from django.utils import timezone

    if isinstance(expires, str):
        expires = datetime.fromisoformat(expires)
    if timezone.is_naive(expires):
        expires = expires.replace(tzinfo=UTC)
    assert expires > timezone.now() + timedelta(minutes=50)  # still the hour, not 5 minutes
