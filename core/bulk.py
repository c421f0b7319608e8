"""A leaner `bulk_create` for the ingest hot path.

`QuerySet.bulk_create` compiles every value through the generic field machinery, which costs more
than the database's own work when a file brings 100,000 papers (measured: 14,000 rows/s for
Paper, against a target of 10,000 papers/s for the whole ingest). This helper converts only the
values that need it (JSON, dates, times); plain strings, numbers and booleans go to the driver as
they are. On SQLite it sends multi-row INSERT ... RETURNING statements; on PostgreSQL it takes ids
from the table's sequence and sends the rows with COPY, which measured 5.6 times faster than the
same rows as INSERTs. Objects get their primary keys, as with bulk_create; signals and `save()`
are skipped, as with bulk_create.
"""

import contextlib
import functools
import gc
import itertools
import json
import operator
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connections, models, router, transaction

PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.AutoField,
)


def insert_many(model: type[models.Model], objects: Sequence[Any]) -> None:
    """INSERT `objects` in as few statements as the database allows, setting their pks.

    An object is a model instance or anything with the model's field attnames as attributes.
    """
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    if not connection.features.can_return_rows_from_bulk_insert:
        model.objects.bulk_create(objects)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    converters = [_converter(field, connection) for field in fields]
    attnames = [field.attname for field in fields]
    if connection.vendor == "postgresql":
        _copy(connection, model, fields, converters, objects)
        return
    quote = connection.ops.quote_name
    # "?" rather than "%s" when no one records the queries: Django's SQLite cursor rewrites each
    # "%s" of a statement with a regular expression, and a statement of a thousand rows has tens
    # of thousands of them (5% of a 100,000-paper ingest); it finds none here and leaves the
    # statement as it is. A recording cursor (DEBUG, tests) writes the values into "%s" itself.
    mark = "?" if connection.vendor == "sqlite" and not connection.queries_logged else "%s"
    row_sql = "(" + ", ".join([mark] * len(fields)) + ")"
    head = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES "
    )
    tail = f" RETURNING {quote(model._meta.pk.column)}"
    rows_per_statement = max(1, _max_parameters(connection) // len(fields))
    values_of = _values_getter(attnames, converters)
    with connection.cursor() as cursor:
        for start in range(0, len(objects), rows_per_statement):
            chunk = objects[start : start + rows_per_statement]
            params: list = []
            for obj in chunk:
                params += values_of(obj)
            cursor.execute(head + ", ".join([row_sql] * len(chunk)) + tail, params)
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = pk
                if isinstance(obj, models.Model):
                    obj._state.adding = False
                    obj._state.db = connection.alias


def _values_getter(
    attnames: list[str], converters: list[Callable[[Any], Any]]
) -> Callable[[Any], Sequence[Any]]:
    """The function that gives an object's values for the database, in `attnames`' order: all
    read at once (`attrgetter`), and only those whose field needs it converted (a paper has 34
    fields, and 22 go to the driver as they are)."""
    if len(attnames) == 1:  # attrgetter of one name gives the value, not a tuple
        (name,) = attnames

        def read(obj: Any) -> tuple[Any]:
            return (getattr(obj, name),)
    else:
        read = operator.attrgetter(*attnames)
    special = [(i, convert) for i, convert in enumerate(converters) if convert is not _same]
    if not special:
        return read

    def values(obj: Any) -> list[Any]:
        row = list(read(obj))
        for i, convert in special:
            row[i] = convert(row[i])
        return row

    return values


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while the block runs, and put back as it was after.

    A bulk load allocates hundreds of thousands of objects that live until their batch is
    written (records, rows, their parameters), and the collector, started by allocations alone,
    walks them again and again without finding a cycle: a tenth of an ingest of 100,000 papers
    (py-spy); matching's index of 100,000 rules is built in 1.6 s paused, 3.4 s without. The
    block's own garbage is freed by reference counting as usual; cycles, if any, wait for the
    next collection after the block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def page_cache(megabytes: int, using: str = "default") -> Iterator[None]:
    """On SQLite, let this connection keep up to `megabytes` of pages while the block runs.

    SQLite's default cache is 2 MB. A transaction that writes a large table with several indexes
    (an ingest of 100,000 papers: 360 MB) inserts into each index at random places, and with a
    small cache it evicts, spills and reads the same pages again and again (benchmarks/README.md,
    "ingest", has what a larger cache measured). The size goes back afterwards, so a long-lived
    web or worker connection does not keep the memory. Elsewhere, nothing changes."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(megabytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def update_many(
    model: type[models.Model], objects: Sequence[models.Model], names: list[str]
) -> None:
    """UPDATE the fields `names` of `objects`, each row with its own values, in one statement.

    `bulk_update` builds a CASE expression per field and row through the ORM, which measured
    slower than the database's work (5.6 s of 10.4 s for 2,000 digests on PostgreSQL), and on
    SQLite it splits a batch by Django's assumed limit of 999 parameters. This sends
    `UPDATE ... FROM` a table of the new values instead: on PostgreSQL, one array per column
    (`UNNEST`), so that the statement is short and the same for any number of rows (psycopg
    parses a statement's placeholders and quotes each parameter: with a `VALUES` row per object,
    13% of a sending worker's time went to that for 500 digests); elsewhere a `VALUES` list, in
    as few statements as the parameter limit allows.
    """
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor not in ("sqlite", "postgresql"):
        model.objects.bulk_update(objects, names)
        return
    fields = [model._meta.get_field(name) for name in names]
    converters = [_converter(field, connection) for field in fields]
    # the row's values: its pk, then the fields', converted where a field needs it
    values = _values_getter(["pk", *(f.attname for f in fields)], [_same, *converters])
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    columns = ", ".join(["pk", *(quote(f.column) for f in fields)])
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [model._meta.pk.db_type(connection), *(f.db_type(connection) for f in fields)]
            arrays = ", ".join(f"%b::{kind}[]" for kind in types)
            by_column = [list(column) for column in zip(*map(values, objects), strict=True)]
            with _server_binding(cursor) as binding:
                binding.execute(
                    f"UPDATE {table} SET {sets} FROM UNNEST({arrays}) AS v({columns}) "
                    f"WHERE {table}.{pk} = v.pk",
                    by_column,
                )
            return
        width = len(fields) + 1
        row_sql = "(" + ", ".join(["%s"] * width) + ")"
        rows_per_statement = max(1, _max_parameters(connection) // width)
        for start in range(0, len(objects), rows_per_statement):
            chunk = objects[start : start + rows_per_statement]
            params = []
            for obj in chunk:
                params.extend(values(obj))
            cursor.execute(
                f"WITH v({columns}) AS (VALUES {', '.join([row_sql] * len(chunk))}) "
                f"UPDATE {table} SET {sets} FROM v WHERE {table}.{pk} = v.pk",
                params,
            )


@contextlib.contextmanager
def _server_binding(cursor) -> Iterator[Any]:
    """A cursor beside Django's `cursor` (a psycopg 3 one) that sends its parameters apart from
    the statement (PostgreSQL's extended protocol), in the same wrapper as Django's: its
    statements are counted, logged and timed as every other.

    Django's cursor binds parameters on the client (psycopg's `ClientCursor`): each value of
    each array quoted and escaped into the statement's text, in Python. For `update_many`'s
    13 arrays of 500 values, that was 9% of a sending worker's time on PostgreSQL (py-spy);
    bound on the server, each array is sent in PostgreSQL's binary form."""
    import psycopg

    binding = psycopg.Cursor(cursor.cursor.connection)
    try:
        yield type(cursor)(binding, cursor.db)
    finally:
        binding.close()


def insert_rows_missing(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    order_by: Sequence[str] = (),
) -> None:
    """INSERT `rows` (tuples of `columns`' values, ready for the database: JSON as its text,
    datetimes as `connection.ops.adapt_datetimefield_value` gives them) into `model`'s table,
    leaving out those a unique constraint already holds (ON CONFLICT DO NOTHING).

    `rows` may be a generator, and is read once, as it is written: a caller that makes millions
    of rows (a day's matches at a million readers) never holds them, nor a model instance per
    row. On PostgreSQL they are COPYed into a temporary table and inserted from it in one
    statement, sorted by `order_by` (rows that are read together land in the same pages, and the
    indexes are filled in their order); `bulk_create(ignore_conflicts=True)` spent more time
    quoting parameters than PostgreSQL spent inserting. Elsewhere, an INSERT OR IGNORE a batch.
    """
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    if connection.vendor != "postgresql":
        sql = (
            f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))}) "
            "ON CONFLICT DO NOTHING"
        )
        rows = iter(rows)
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            while batch := list(itertools.islice(rows, 5_000)):
                cursor.executemany(sql, batch)
        return
    order = ""
    if order_by:
        order = " ORDER BY " + ", ".join(quote(model._meta.get_field(c).column) for c in order_by)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE paperwire_missing ON COMMIT DROP AS "
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY paperwire_missing ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({names}) "
            f"SELECT {names} FROM paperwire_missing{order} ON CONFLICT DO NOTHING"
        )
        # Inside a caller's transaction, ON COMMIT is only at its end: drop it now, so the
        # next call in the same transaction can make it again.
        cursor.execute("DROP TABLE paperwire_missing")


def column_defaults(
    model: type[models.Model], given: Sequence[str], connection
) -> tuple[list[str], list[Any]]:
    """The names of `model`'s columns that `given` leaves out (its primary key aside), and each
    one's default as `insert_rows_missing` takes it (JSON as its text, a date or time adapted
    for the database): what a row needs beside the values a caller has. A field without a
    default gets None (NULL), as the database would refuse for a NOT NULL column."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in given or field.attname in given:
            continue
        value = field.get_default()
        if isinstance(field, models.JSONField):
            value = None if value is None else json.dumps(value, cls=field.encoder)
        elif value is not None:
            value = field.get_db_prep_save(value, connection)
        names.append(field.name)
        values.append(value)
    return names, values


def _copy(connection, model, fields, converters, objects) -> None:
    quote = connection.ops.quote_name
    table, pk = model._meta.db_table, model._meta.pk
    columns = ", ".join(quote(column) for column in [pk.column, *(f.column for f in fields)])
    values_of = _values_getter([f.attname for f in fields], converters)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(objects)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for obj, pk_value in zip(objects, ids, strict=True):
                copy.write_row((pk_value, *values_of(obj)))
    for obj, pk_value in zip(objects, ids, strict=True):
        obj.pk = pk_value
        if isinstance(obj, models.Model):
            obj._state.adding = False
            obj._state.db = connection.alias


def _converter(field: models.Field, connection) -> Callable[[Any], Any]:
    if isinstance(field, PLAIN_FIELDS) and not isinstance(field, models.JSONField):
        return _same
    if (
        isinstance(field, models.JSONField)
        and field.encoder is None
        and connection.vendor == "sqlite"
    ):
        # What Django's adapt_json_value does on SQLite for a plain encoder, without its layers:
        # most values are short lists of strings, and many are empty.
        return _json

    def convert(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    if isinstance(field, models.DateField):  # and DateTimeField: a batch repeats a few values
        return functools.lru_cache(maxsize=256)(convert)
    return convert


def _same(value: Any) -> Any:
    return value


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return "[]" if value == [] else json.dumps(value)


def _max_parameters(connection) -> int:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535


def delete_in_batches(queryset, *, batch: int = 5000, limit: int = 10_000_000) -> int:
    """Delete the rows of `queryset` a batch of primary keys at a time, each batch its own short
    transaction (a large delete never holds the tables for long); how many rows went. Rows that
    other rows point to with CASCADE go with them, as with `QuerySet.delete`. At most `limit`
    rows in one call: a periodic caller takes the rest next time."""
    deleted = 0
    model = queryset.model
    while deleted < limit:
        ids = list(queryset.values_list("pk", flat=True)[:batch])
        if not ids:
            break
        deleted += model._base_manager.filter(pk__in=ids).delete()[1].get(model._meta.label, 0)
    return deleted
