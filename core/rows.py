"""`RawRows`: a `values_list` query's rows as the database driver gives them, converted on demand.

Django converts every value of every row it reads (a date or datetime parsed from SQLite's text,
a JSON column decoded, a flag turned into a bool) before the caller sees it. A reader that keeps
what it made from each row, and reads mostly the same rows again and again (a sending process
reads the same 2,000 papers' cards for every batch of 500 digests), only needs the conversions of
the rows that changed since: it compares the raw row with the one it kept, and converts when
they differ:

    rows = RawRows(Paper.objects.filter(...).values_list("pk", "title", "authors"))
    for raw in rows:
        if kept.get(raw[0], (None,))[0] != raw:
            kept[raw[0]] = (raw, make(rows.convert(raw)))

`rows.convert(raw)` is the tuple `values_list` would have given for that row, through Django's
own converters. The query runs when a `RawRows` is made, and its rows are read whole.
"""

from itertools import chain

from django.db.models.query import ValuesListIterable
from django.db.models.sql.constants import MULTI


class RawRows:
    def __init__(self, queryset) -> None:
        if queryset._iterable_class is not ValuesListIterable:
            raise TypeError("RawRows reads a values_list() query (not flat, not named)")
        compiler = queryset.query.get_compiler(queryset.db)
        self._chunks = compiler.execute_sql(MULTI)  # the query's select is set up by now
        self._compiler = compiler
        self._converters = compiler.get_converters(
            [column[0] for column in compiler.select[: compiler.col_count]]
        )

    def __iter__(self):
        return chain.from_iterable(self._chunks)

    def convert(self, raw) -> tuple:
        """The row as `values_list` gives it."""
        if not self._converters:
            return tuple(raw)
        return tuple(next(self._compiler.apply_converters([list(raw)], self._converters)))

    def column(self, raw, index: int):
        """Column `index` of the row as `values_list` gives it, the other columns left alone."""
        value = raw[index]
        found = self._converters.get(index)
        if found is not None:
            converters, expression = found
            for converter in converters:
                value = converter(value, expression, self._compiler.connection)
        return value
