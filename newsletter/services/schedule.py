"""When digests fall due, and the pending Digest rows that say so.

A subscriber's `next_digest_at` is the next time their digest is due: daily at `send_hour` in
their time zone, or weekly at that hour on `send_weekday`. Beat asks every few minutes who is
due; each due subscriber gets one pending digest for the period (their local date of the send)
and a new `next_digest_at`. If beat was down for days, one digest covers the gap, not one a day.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connections, router, transaction
from django.db.models import QuerySet

from core.bulk import column_defaults, insert_rows_missing, update_many
from core.lookups import IdsIn
from newsletter.models import Digest, Subscriber

CHUNK = 2000
SCHEDULE_FIELDS = ("pk", "next_digest_at", "frequency", "send_weekday", "send_hour", "timezone")


def _send_times(
    *, around: datetime, frequency: str, weekday: int, hour: int, tz: str, step: int
) -> Iterable[datetime]:
    """The send times on the local days from `around`'s, one day at a time in `step`'s direction."""
    zone = ZoneInfo(tz)
    day = around.astimezone(zone).date()
    for offset in range(-1, 9):
        candidate_day = day + timedelta(days=offset * step)
        if frequency == Subscriber.Frequency.WEEKLY and candidate_day.weekday() != weekday:
            continue
        yield datetime.combine(candidate_day, time(hour), tzinfo=zone).astimezone(UTC)


def next_send_after(
    *, after: datetime, frequency: str, weekday: int, hour: int, tz: str
) -> datetime:
    """The first send time strictly after `after` (UTC)."""
    times = _send_times(
        around=after, frequency=frequency, weekday=weekday, hour=hour, tz=tz, step=1
    )
    return next(t for t in times if t > after)


def last_send_at_or_before(
    *, moment: datetime, frequency: str, weekday: int, hour: int, tz: str
) -> datetime:
    """The latest send time at or before `moment` (UTC)."""
    times = _send_times(
        around=moment, frequency=frequency, weekday=weekday, hour=hour, tz=tz, step=-1
    )
    return next(t for t in times if t <= moment)


def period_of(moment: datetime, tz: str) -> date:
    """A digest's period: the subscriber's local date of its send."""
    return moment.astimezone(ZoneInfo(tz)).date()


def subscriber_next_digest_at(subscriber: Subscriber, *, after: datetime) -> datetime:
    return next_send_after(
        after=after,
        frequency=subscriber.frequency,
        weekday=subscriber.send_weekday,
        hour=subscriber.send_hour,
        tz=subscriber.timezone,
    )


def digests_schedule(*, now: datetime) -> int:
    """Create a pending digest for every active subscriber whose send time has come; how many.

    Safe to run twice at once: a digest is unique per subscriber and period, and a subscriber
    whose `next_digest_at` moved meanwhile is left to the run that moved it.
    """
    _schedule_unscheduled(now=now)
    created = 0
    due = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE, next_digest_at__lte=now)
    # Readers share schedules (a frequency, a weekday, an hour, a zone): each distinct one is
    # worked out once per run, not once per reader (a million readers have a few thousand).
    times: dict[tuple, tuple[datetime, date, datetime]] = {}
    for chunk in _chunks(due):
        digests, advanced = [], []
        for pk, due_at, frequency, weekday, hour, tz in chunk:
            key = (frequency, weekday, hour, tz)
            if key not in times:
                timing = {"frequency": frequency, "weekday": weekday, "hour": hour, "tz": tz}
                send_at = last_send_at_or_before(moment=now, **timing)
                times[key] = (send_at, period_of(send_at, tz), next_send_after(after=now, **timing))
            send_at, period, next_at = times[key]
            if send_at < due_at:  # the schedule changed after this was computed
                send_at, period = due_at, period_of(due_at, tz)
            digests.append((pk, period, frequency, send_at))
            advanced.append(_NextDigest(pk, next_at))
        with transaction.atomic():
            created += _insert_new(digests, now=now)
            update_many(Subscriber, advanced, ["next_digest_at"])
    return created


class _NextDigest:
    """A subscriber's new `next_digest_at`, for `update_many`: lighter than a model instance."""

    __slots__ = ("next_digest_at", "pk")

    def __init__(self, pk: int, next_digest_at: datetime) -> None:
        self.pk, self.next_digest_at = pk, next_digest_at


def digests_create_now(*, subscriber_ids: Iterable[int], now: datetime) -> int:
    """A digest for today's period for each of these active subscribers, due at once (`--now`,
    the admin's "send digest now"); one that already has today's digest keeps it."""
    active = Subscriber.objects.filter(pk__in=list(subscriber_ids), status=Subscriber.Status.ACTIVE)
    created = 0
    for chunk in _chunks(active):
        created += _insert_new(
            [(pk, period_of(now, tz), frequency, now) for pk, _, frequency, _, _, tz in chunk],
            now=now,
        )
    return created


# A new digest's row: these columns from the schedule, every other one its field's default.
PENDING_COLUMNS = ("subscriber", "period", "frequency", "scheduled_for", "next_attempt_at",
                   "created_at")  # fmt: skip


def _insert_new(digests: list[tuple[int, date, str, datetime]], *, now: datetime) -> int:
    """Insert a pending digest, due now, for each (subscriber, period, frequency, send time)
    whose subscriber has none for that period yet; how many were new. Written as rows, not
    model instances: a day at a million readers creates 800,000 of them before the first is
    sent (`bulk_create` took 30 s of every 100,000)."""
    existing = set(
        Digest.objects.filter(
            IdsIn("subscriber_id", [pk for pk, *_ in digests]),
            period__in={period for _, period, *_ in digests},
        ).values_list("subscriber_id", "period")
    )
    new = [row for row in digests if (row[0], row[1]) not in existing]
    if not new:
        return 0
    connection = connections[router.db_for_write(Digest)]
    columns, defaults = column_defaults(Digest, PENDING_COLUMNS, connection)
    day, moment = connection.ops.adapt_datefield_value, connection.ops.adapt_datetimefield_value
    stamp = moment(now)
    rows = (
        (pk, day(period), frequency, moment(send_at), stamp, stamp, *defaults)
        for pk, period, frequency, send_at in new
    )
    # A scheduler running at the same moment may insert the same rows: the constraint wins.
    insert_rows_missing(Digest, [*PENDING_COLUMNS, *columns], rows)
    return len(new)


def _schedule_unscheduled(*, now: datetime) -> None:
    """Active subscribers without a next send time (confirmed before digests existed, or edited
    in SQL) get one; their first digest comes at their next send time."""
    unscheduled = Subscriber.objects.filter(
        status=Subscriber.Status.ACTIVE, next_digest_at__isnull=True
    )
    for chunk in _chunks(unscheduled):
        Subscriber.objects.bulk_update(
            [
                Subscriber(
                    pk=pk,
                    next_digest_at=next_send_after(
                        after=now, frequency=frequency, weekday=weekday, hour=hour, tz=tz
                    ),
                )
                for pk, _, frequency, weekday, hour, tz in chunk
            ],
            ["next_digest_at"],
        )


def _chunks(subscribers: QuerySet) -> Iterable[list[tuple]]:
    """Keyset pages of SCHEDULE_FIELDS by pk: updating a page never shifts the next one."""
    last = 0
    while rows := list(
        subscribers.filter(pk__gt=last).order_by("pk").values_list(*SCHEDULE_FIELDS)[:CHUNK]
    ):
        yield rows
        last = rows[-1][0]
