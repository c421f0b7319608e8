"""Infrastructure the settings name: the cache that rate limits count in without Redis, and the
client's address behind trusted proxies."""

import base64
import ipaddress
import pickle

from django.conf import settings
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction


class AtomicDatabaseCache(DatabaseCache):
    """Django's database cache, shared by every process on the database (as Redis would be), with
    an increment that cannot lose a count: rate limits add to a counter from many processes.

    Django's own `incr` reads, then writes the sum with a fresh default timeout, in two steps.
    Here both happen in one transaction that holds the row (`SELECT ... FOR UPDATE` on
    PostgreSQL; on SQLite the settings make every transaction take the write lock up front), and
    the write keeps the row's expiry: a count lasts as long as its rate limit's window."""

    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        cache_key = self.make_and_validate_key(key, version=version)
        with transaction.atomic(using=db), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE", [cache_key]
                )
            value = self.get(key, version=version)
            if value is None:
                raise ValueError(f"Key '{key}' not found")
            value += delta
            stored = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET value = %s WHERE cache_key = %s", [stored, cache_key]
            )
        return value


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or with TRUSTED_PROXIES = N the address the outermost
    trusted proxy saw, N places from the right of X-Forwarded-For. What a client writes further
    left is never believed."""
    # No address at all (a server on a unix socket, a WSGI test client): one shared bucket,
    # never an error from the rate limits' address arithmetic.
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
