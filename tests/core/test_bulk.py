"""core.bulk's row writer: what matching stores a day's matches with, on both databases."""

import gc
import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.bulk import (
    collector_paused,
    column_defaults,
    insert_many,
    insert_rows_missing,
    page_cache,
    update_many,
)
from newsletter.models import Digest, Match
from newsletter.services.matching import MATCH_COLUMNS
from papers.models import Paper

pytestmark = pytest.mark.django_db

ODD_TERMS = ["tab\there", "back\\slash", "new\nline", 'quote"d', "naïve", "\\N", ""]


@pytest.fixture
def pairs(make_paper, make_subscriber):
    papers = [make_paper(f"Paper {n}") for n in range(3)]
    readers = [make_subscriber(f"r{n}@example.org", f"rule{n}") for n in range(3)]
    subscriptions = [s for r in readers for s in r.subscriptions.all()]
    return subscriptions, papers


def stamp():
    return connection.ops.adapt_datetimefield_value(timezone.now())


def test_rows_are_written_once_and_conflicts_left_out(pairs):
    subscriptions, papers = pairs
    Match.objects.create(subscription=subscriptions[0], paper=papers[0], terms=["kept"])
    made = []

    def rows():  # a generator, read once as it is written
        for subscription in reversed(subscriptions):
            for paper in papers:
                made.append((subscription.pk, paper.pk))
                yield subscription.pk, paper.pk, json.dumps(["new"]), stamp()

    insert_rows_missing(Match, MATCH_COLUMNS, rows(), order_by=("subscription", "paper"))

    assert len(made) == 9
    stored = {(m.subscription_id, m.paper_id): m.terms for m in Match.objects.all()}
    assert set(stored) == set(made)
    assert stored[(subscriptions[0].pk, papers[0].pk)] == ["kept"]  # the row already there
    assert sum(terms == ["new"] for terms in stored.values()) == 8


def test_json_text_with_every_character_that_copy_escapes_round_trips(pairs):
    subscriptions, papers = pairs
    rows = [(subscriptions[0].pk, papers[0].pk, json.dumps(ODD_TERMS), stamp())]
    rows.append(
        (subscriptions[1].pk, papers[1].pk, json.dumps(ODD_TERMS, ensure_ascii=False), stamp())
    )

    insert_rows_missing(Match, MATCH_COLUMNS, iter(rows))

    assert [m.terms for m in Match.objects.order_by("pk")] == [ODD_TERMS, ODD_TERMS]


def test_rows_land_sorted_by_the_order_given(pairs):
    """On PostgreSQL the rows are inserted in `order_by`'s order, so the rows a digest reads
    together (one reader's matches) share pages; elsewhere they keep the order given. The order
    of insertion is read from the ids the rows were given, one after the other: where a row
    lands (its ctid) also depends on the free space that earlier tests' rolled-back rows left."""
    subscriptions, papers = pairs
    rows = [(s.pk, p.pk, "[]", stamp()) for p in reversed(papers) for s in reversed(subscriptions)]
    insert_rows_missing(Match, MATCH_COLUMNS, rows, order_by=("subscription", "paper"))
    order = "id" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT subscription_id, paper_id FROM {Match._meta.db_table} ORDER BY {order}"
        )
        physical = cursor.fetchall()
    if connection.vendor == "postgresql":
        assert physical == sorted(physical)
    else:
        assert physical == [row[:2] for row in rows]


def test_no_rows_writes_nothing(pairs):
    insert_rows_missing(Match, MATCH_COLUMNS, iter(()))
    assert not Match.objects.exists()


def test_column_defaults_are_the_fields_defaults_as_the_database_takes_them():
    names, values = column_defaults(Digest, ["subscriber", "period", "next_attempt_at"], connection)
    defaults = dict(zip(names, values, strict=True))
    assert "id" not in defaults and "subscriber" not in defaults and "period" not in defaults
    assert defaults["status"] == "pending" and defaults["attempts"] == 0
    assert defaults["items"] == "[]" and defaults["claim"] == ""  # JSON as its text
    assert defaults["sent_at"] is None and defaults["claimed_at"] is None
    # a callable default (the time now) is called, and adapted for the database
    assert defaults["created_at"] is not None


def _papers(n: int, prefix: str) -> list[Paper]:
    return [Paper(title=f"{prefix} {i}", title_key=f"{prefix} {i}", abstract="a") for i in range(n)]


@pytest.mark.parametrize("recorded", [False, True], ids=["plain", "recorded"])
def test_insert_many_sets_every_pk_whether_or_not_queries_are_recorded(recorded):
    papers = _papers(2500, f"insert {recorded}")  # more rows than one SQLite statement takes
    if recorded:
        with CaptureQueriesContext(connection) as queries:
            insert_many(Paper, papers)
        if connection.vendor == "sqlite":  # PostgreSQL sends them with COPY
            assert "insert True 0" in queries[0]["sql"]  # the values written in, as DEBUG shows
    else:
        insert_many(Paper, papers)
    stored = dict(Paper.objects.filter(pk__in=[p.pk for p in papers]).values_list("pk", "title"))
    assert stored == {p.pk: p.title for p in papers}
    assert all(p._state.adding is False for p in papers)


def cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a page cache of SQLite's own")
def test_page_cache_is_larger_inside_and_what_it_was_after_even_on_error():
    before = cache_size()
    with page_cache(64):
        assert cache_size() == -64 * 1024
    assert cache_size() == before
    with pytest.raises(ZeroDivisionError), page_cache(32):
        raise ZeroDivisionError
    assert cache_size() == before


def test_the_collector_is_held_off_inside_and_put_back_after_even_on_error():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), collector_paused():
        raise ZeroDivisionError
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_objects_values_are_read_in_order_and_only_those_that_need_it_converted():
    from types import SimpleNamespace

    from core.bulk import _same, _values_getter

    obj = SimpleNamespace(a=1, b=[2], c="three")
    assert _values_getter(["a"], [_same])(obj) == (1,)
    assert tuple(_values_getter(["c", "a"], [_same, _same])(obj)) == ("three", 1)
    assert list(_values_getter(["a", "b", "c"], [_same, json.dumps, str.upper])(obj)) == [
        1, "[2]", "THREE",
    ]  # fmt: skip


@pytest.mark.parametrize("count", [1, 3, 1200])
def test_update_many_writes_each_rows_own_values_in_one_statement(make_subscriber, count):
    reader = make_subscriber("bulk@example.org", "rule")
    now = timezone.now().replace(microsecond=0)
    digests = Digest.objects.bulk_create(
        Digest(subscriber=reader, period=date(2026, 1, 1) + timedelta(days=n), frequency="daily",
               scheduled_for=now, next_attempt_at=now)
        for n in range(count)
    )  # fmt: skip
    untouched = Digest.objects.create(
        subscriber=reader, period=date(2030, 1, 1), frequency="daily", scheduled_for=now,
        next_attempt_at=now, subject="kept",
    )  # fmt: skip
    odd = ["{", "}", ",", "NULL", "null", *ODD_TERMS]
    for n, digest in enumerate(digests):
        digest.status = ["sent", "empty", "failed"][n % 3]
        digest.reason = odd[n % len(odd)]
        digest.subject = f"Subject {n} ‘quoted’ {odd[(n + 1) % len(odd)]}"
        digest.items = [[n, "title", odd[n % len(odd)]]] if n % 2 else []
        digest.more = {"a": odd[(n + 2) % len(odd)], "n": n}
        digest.total = n
        digest.sent_at = None if n % 2 else now - timedelta(minutes=n)
        digest.next_attempt_at = now + timedelta(seconds=n)
    names = ["status", "reason", "subject", "items", "more", "total", "sent_at", "next_attempt_at"]
    with CaptureQueriesContext(connection) as queries:
        update_many(Digest, digests, names)
    if connection.vendor == "postgresql":
        assert len(queries) == 1
    stored = {d.pk: d for d in Digest.objects.filter(pk__in=[d.pk for d in digests])}
    for digest in digests:
        got = stored[digest.pk]
        assert [getattr(got, name) for name in names] == [getattr(digest, name) for name in names]
    assert Digest.objects.get(pk=untouched.pk).subject == "kept"


def test_update_many_writes_columns_that_are_all_empty_or_all_null(make_subscriber):
    """A batch whose every digest failed: no send time, no items, no claim time, for all of
    them (a column of NULLs alone has no type of its own to send; the statement gives it)."""
    reader = make_subscriber("empty@example.org", "rule")
    now = timezone.now().replace(microsecond=0)
    digests = Digest.objects.bulk_create(
        Digest(subscriber=reader, period=date(2026, 2, 1) + timedelta(days=n), frequency="daily",
               scheduled_for=now, next_attempt_at=now, sent_at=now, claimed_at=now, total=5,
               items=[[1, ["x"], [0]]], subject="before")
        for n in range(4)
    )  # fmt: skip
    for digest in digests:
        digest.sent_at = digest.claimed_at = digest.total = None
        digest.items, digest.subject = [], ""
    names = ["sent_at", "claimed_at", "total", "items", "subject"]
    update_many(Digest, digests, names)
    for got in Digest.objects.filter(pk__in=[d.pk for d in digests]):
        assert [getattr(got, name) for name in names] == [None, None, None, [], ""]
