"""`core.postgres`: PostgreSQL's timestamps read at C speed, each exactly as Django reads it."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader

from core.postgres import IsoTimestamptzLoader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's loaders (set DATABASE_URL)"
    ),
]

EDGES = [
    datetime(2026, 12, 5, 17, 1, 2, 123456, tzinfo=UTC),
    datetime(2026, 12, 5, 17, 1, 2, tzinfo=UTC),  # no fraction: PostgreSQL writes none
    datetime(2026, 12, 5, 17, 1, 2, 500000, tzinfo=UTC),  # written ".5"
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    datetime(2024, 2, 29, 12, tzinfo=UTC),
]


def values(rng: random.Random, count: int) -> list[datetime]:
    start = datetime(1900, 1, 1, tzinfo=UTC)
    span = int((datetime(2100, 1, 1, tzinfo=UTC) - start).total_seconds() * 1e6)
    return [start + timedelta(microseconds=rng.randrange(span)) for _ in range(count)]


def read(sql: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def test_a_connection_reads_timestamptz_with_the_iso_loader():
    connection.ensure_connection()
    adapters = connection.connection.adapters
    from psycopg.pq import Format

    loader = adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
    assert issubclass(loader, IsoTimestamptzLoader)
    assert loader.timezone == connection.timezone  # Django's own check, so it keeps ours


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_every_value_is_the_one_djangos_loader_gives(seed):
    rng = random.Random(seed)
    written = [*EDGES, *values(rng, 300)]
    got = read("SELECT unnest(%s::timestamptz[])", [written])
    assert got == written
    assert all(value.tzinfo == connection.timezone for value in got)
    # and read again by Django's own loader, on the same text
    texts = read("SELECT unnest(%s::timestamptz[])::text", [written])
    django = type("Loader", (BaseTzLoader,), {"timezone": connection.timezone})
    ours = type("Loader", (IsoTimestamptzLoader,), {"timezone": connection.timezone})
    with connection.cursor() as cursor:
        oid = connection.connection.adapters.types["timestamptz"].oid
        expected = [django(oid, cursor.cursor).load(t.encode()) for t in texts]
        assert [ours(oid, cursor.cursor).load(t.encode()) for t in texts] == expected


@pytest.mark.parametrize(
    "setting", ["SET TIME ZONE 'Asia/Kolkata'", "SET TIME ZONE 'America/St_Johns'",
                "SET DateStyle TO 'ISO, MDY'"],
)  # fmt: skip
def test_a_session_changed_by_hand_reads_as_djangos_loader_reads(setting):
    """Django sets the session's time zone to its own and leaves DateStyle at ISO; a session
    changed by hand (another zone, ISO's other orders) still reads what Django's loader reads."""
    written = [*EDGES[:3], *values(random.Random(9), 50)]
    django = type("Loader", (BaseTzLoader,), {"timezone": connection.timezone})
    try:
        with connection.cursor() as cursor:
            cursor.execute(setting)
            cursor.execute("SELECT unnest(%s::timestamptz[])", [written])
            got = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT unnest(%s::timestamptz[])::text", [written])
            texts = [row[0] for row in cursor.fetchall()]
            oid = connection.connection.adapters.types["timestamptz"].oid
            expected = [django(oid, cursor.cursor).load(t.encode()) for t in texts]
    finally:
        connection.close()  # the next test starts from Django's own session
    assert got == expected
    if "DateStyle" in setting:  # the same zone: the same instants
        assert got == written


@pytest.mark.parametrize("style", ["SQL, DMY", "German", "Postgres, MDY"])
def test_a_style_psycopg_cannot_read_fails_as_it_fails_with_djangos_loader(style):
    texts = {"SQL, DMY": "05/12/2026 17:01:02.5 UTC", "German": "05.12.2026 17:01:02.5 UTC",
             "Postgres, MDY": "Sat Dec 05 17:01:02.5 2026 UTC"}  # fmt: skip
    errors = []
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET DateStyle TO '{style}'")
            oid = connection.connection.adapters.types["timestamptz"].oid
            for kind in (BaseTzLoader, IsoTimestamptzLoader):
                loader = type("Loader", (kind,), {"timezone": connection.timezone})
                with pytest.raises(NotImplementedError) as error:
                    loader(oid, cursor.cursor).load(texts[style].encode())
                errors.append(str(error.value))
    finally:
        connection.close()
    assert errors[0] == errors[1] and style in errors[0]


@pytest.mark.parametrize("value", ["infinity", "-infinity", "0044-03-15 12:00:00+00 BC"])
def test_what_python_cannot_hold_fails_as_psycopg_fails(value):
    with pytest.raises(DataError):
        read(f"SELECT '{value}'::timestamptz")
