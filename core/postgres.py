"""PostgreSQL connections that read timestamps at C speed.

Django (5.2, on psycopg 3) reads every `timestamptz` through a loader of its own that subclasses
psycopg's pure-Python one (the compiled one cannot be subclassed), to set the connection's time
zone on each value: Django ticket #36960, psycopg issue #1273. A sending process reads ten of
them per digest (its row and its subscriber's), and parsing them in Python was a tenth of its
time on PostgreSQL (py-spy). The loader here reads PostgreSQL's ISO output (its default
DateStyle, which Django leaves alone) with `datetime.fromisoformat`, written in C, and hands
anything else (another DateStyle, a date BC, infinity, a year past 9999) to psycopg's own loader:
each value comes out exactly as Django's loader gives it, time zone included.

`fast_timestamps` is a `connection_created` receiver (connected by the site's AppConfig).
"""

from datetime import datetime

from psycopg.pq import Format
from psycopg.types.datetime import TimestamptzLoader

TIMESTAMPTZ = "timestamptz"


class IsoTimestamptzLoader(TimestamptzLoader):
    """psycopg's loader, with the ISO form read by `datetime.fromisoformat`; `timezone` is set
    on the value as Django's loader sets it (None: a naive value)."""

    timezone = None

    def load(self, data):
        try:
            value = datetime.fromisoformat(bytes(data).decode("ascii"))
        except ValueError:  # not the ISO form: psycopg knows every form PostgreSQL writes
            value = super().load(data)
        return value.replace(tzinfo=self.timezone)


def fast_timestamps(sender, connection, **kwargs) -> None:
    """On a new PostgreSQL connection, read `timestamptz` with `IsoTimestamptzLoader`, for the
    time zone Django's loader was registered with."""
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    current = adapters.get_loader(adapters.types[TIMESTAMPTZ].oid, Format.TEXT)
    if current is None or issubclass(current, IsoTimestamptzLoader):
        return
    loader = type(
        "ConnectionTimestamptzLoader",
        (IsoTimestamptzLoader,),
        {"timezone": getattr(current, "timezone", None)},
    )
    adapters.register_loader(TIMESTAMPTZ, loader)
