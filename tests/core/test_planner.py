"""Fresh planner statistics after bulk writes: ANALYZE when autovacuum's rule says so, on
PostgreSQL; nothing elsewhere."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.planner import analyze_if_stale, past_the_rule
from newsletter.digests.delivery import digests_prepare
from newsletter.models import Digest, Subscriber

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="ANALYZE and its statistics are PostgreSQL's (set DATABASE_URL to a PostgreSQL URL)",
)


def reltuples(model) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [model._meta.db_table]
        )
        return cursor.fetchone()[0]


def subscribers(count: int, **fields) -> None:
    Subscriber.objects.bulk_create(
        Subscriber(email=f"r{n}-{timezone.now().timestamp()}@example.org", **fields)
        for n in range(count)
    )


@pytest.mark.skipif(connection.vendor == "postgresql", reason="what SQLite does")
def test_nothing_on_sqlite():
    subscribers(200)
    assert analyze_if_stale(Subscriber, written=200) is False


@pytest.mark.parametrize(
    ("rows", "changed", "due"),
    [(-1, 50, False), (-1, 51, True), (0, 51, True), (1000, 150, False), (1000, 151, True),
     (1_000_000, 100_050, False), (1_000_000, 100_051, True)],
)  # fmt: skip
def test_autovacuums_rule(rows, changed, due):
    assert past_the_rule(rows=rows, changed=changed) is due


@postgres_only
def test_a_table_written_past_the_rule_is_analyzed():
    subscribers(120)
    start = reltuples(Subscriber)
    assert analyze_if_stale(Subscriber, written=10**9) is True
    count = Subscriber.objects.count()
    assert reltuples(Subscriber) == count != start  # counted, this transaction's rows too
    subscribers(count // 10 + 51)
    assert analyze_if_stale(Subscriber, written=count // 10 + 51) is True
    assert reltuples(Subscriber) == Subscriber.objects.count()


@postgres_only
def test_sending_starts_with_statistics_that_know_the_new_digests():
    """The beat task's preparation creates the due digests, then ANALYZEs their table."""
    due = timezone.now() - timedelta(minutes=1)
    subscribers(120, status="active", confirmed_at=due, next_digest_at=due)
    prepared = digests_prepare(now=timezone.now())
    assert prepared.created == 120
    assert reltuples(Digest) == 120
