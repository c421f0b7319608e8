"""When a digest falls due: daily at the subscriber's hour in their zone, or weekly on their day."""

from datetime import UTC, datetime, timedelta

import pytest

from newsletter.models import Digest, Subscriber
from newsletter.services.schedule import (
    digests_schedule,
    last_send_at_or_before,
    next_send_after,
)
from newsletter.services.subscribers import subscriber_confirm, subscriber_pause, subscriber_resume


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_daily_digest_is_due_at_the_subscribers_hour_in_their_zone():
    timing = {"frequency": "daily", "weekday": 0, "hour": 8, "tz": "Europe/Paris"}
    # 23 Nov 2026 is a Monday; Paris is UTC+1 in November.
    assert next_send_after(after=utc(2026, 11, 23, 6, 0), **timing) == utc(2026, 11, 23, 7, 0)
    assert next_send_after(after=utc(2026, 11, 23, 7, 0), **timing) == utc(2026, 11, 24, 7, 0)
    assert last_send_at_or_before(moment=utc(2026, 11, 23, 6, 59), **timing) == utc(
        2026, 11, 22, 7, 0
    )


def test_a_weekly_digest_is_due_on_the_subscribers_day():
    timing = {"frequency": "weekly", "weekday": 2, "hour": 18, "tz": "America/New_York"}
    # Wednesday 25 Nov 2026, 18:00 in New York (UTC-5) is 23:00 UTC.
    assert next_send_after(after=utc(2026, 11, 23, 12), **timing) == utc(2026, 11, 25, 23)
    assert next_send_after(after=utc(2026, 11, 25, 23), **timing) == utc(2026, 12, 2, 23)


def test_the_hour_follows_daylight_saving_time():
    timing = {"frequency": "daily", "weekday": 0, "hour": 8, "tz": "Europe/Berlin"}
    # Clocks go forward on 29 March 2026: 08:00 is 07:00 UTC before and 06:00 UTC after.
    assert next_send_after(after=utc(2026, 3, 28, 12), **timing) == utc(2026, 3, 29, 6)
    assert next_send_after(after=utc(2026, 3, 27, 12), **timing) == utc(2026, 3, 28, 7)


@pytest.mark.django_db
def test_confirming_and_resuming_schedule_the_next_digest(make_subscriber):
    subscriber = make_subscriber("ada@example.org", "llm", status="pending", send_hour=8)
    assert subscriber.next_digest_at is None
    subscriber_confirm(subscriber=subscriber)
    first = subscriber.next_digest_at
    assert first is not None and first.astimezone(UTC).hour == 8

    subscriber_pause(subscriber=subscriber)
    subscriber_resume(subscriber=subscriber)
    assert subscriber.next_digest_at == first


@pytest.mark.django_db
def test_each_due_subscriber_gets_one_pending_digest_per_period(make_subscriber):
    now = utc(2026, 11, 23, 9, 30)
    due = make_subscriber("due@example.org", "llm", send_hour=8, timezone="UTC")
    tokyo = make_subscriber("tokyo@example.org", "llm", send_hour=8, timezone="Asia/Tokyo")
    paused = make_subscriber("paused@example.org", "llm", status="paused")
    later = make_subscriber("later@example.org", "llm", send_hour=20)
    Subscriber.objects.filter(pk__in=[due.pk, tokyo.pk, paused.pk]).update(
        next_digest_at=utc(2026, 11, 23, 8)
    )
    Subscriber.objects.filter(pk=later.pk).update(next_digest_at=utc(2026, 11, 23, 20))

    assert digests_schedule(now=now) == 2
    assert digests_schedule(now=now) == 0  # a second run (or a second beat) adds nothing

    digests = {d.subscriber.email: d for d in Digest.objects.select_related("subscriber")}
    assert set(digests) == {"due@example.org", "tokyo@example.org"}
    assert digests["due@example.org"].period.isoformat() == "2026-11-23"
    # In Tokyo (UTC+9) the last 08:00 before 09:30 UTC was 23:00 UTC on the 22nd: the 23rd there.
    assert digests["tokyo@example.org"].period.isoformat() == "2026-11-23"
    assert all(d.status == "pending" for d in digests.values())
    due.refresh_from_db()
    assert due.next_digest_at == utc(2026, 11, 24, 8)


@pytest.mark.django_db
def test_a_scheduled_digest_is_the_row_the_model_would_make(make_subscriber):
    """Digests are written as rows, not model instances: every column the schedule does not set
    holds the field's default, as `Digest.objects.create` would store it."""
    now = utc(2026, 11, 23, 9, 30)
    subscriber = make_subscriber("ada@example.org", "llm", send_hour=8, timezone="Asia/Tokyo",
                                 frequency="weekly", send_weekday=0)  # fmt: skip
    Subscriber.objects.filter(pk=subscriber.pk).update(next_digest_at=utc(2026, 11, 22, 23))
    assert digests_schedule(now=now) == 1
    scheduled = Digest.objects.get()
    made = Digest.objects.create(
        subscriber=make_subscriber("bob@example.org", "llm"), period=scheduled.period,
        frequency="weekly", scheduled_for=utc(2026, 11, 22, 23), next_attempt_at=now,
        created_at=now,
    )  # fmt: skip
    made.refresh_from_db()
    skip = {"id", "subscriber"}
    fields = [f.attname for f in Digest._meta.concrete_fields if f.name not in skip]
    assert {f: getattr(scheduled, f) for f in fields} == {f: getattr(made, f) for f in fields}
    assert (scheduled.status, scheduled.items, scheduled.attempts) == ("pending", [], 0)
    assert scheduled.period.isoformat() == "2026-11-23"  # Monday in Tokyo


@pytest.mark.django_db
def test_after_days_without_beat_one_digest_covers_the_gap(make_subscriber):
    subscriber = make_subscriber("ada@example.org", "llm", send_hour=8, timezone="UTC")
    Subscriber.objects.filter(pk=subscriber.pk).update(next_digest_at=utc(2026, 11, 20, 8))
    assert digests_schedule(now=utc(2026, 11, 23, 9)) == 1
    assert Digest.objects.get().period.isoformat() == "2026-11-23"


@pytest.mark.django_db
def test_active_subscribers_from_before_digests_are_scheduled(make_subscriber):
    subscriber = make_subscriber("ada@example.org", "llm", send_hour=8, timezone="UTC")
    assert subscriber.next_digest_at is None
    digests_schedule(now=utc(2026, 11, 23, 9))
    subscriber.refresh_from_db()
    assert subscriber.next_digest_at == utc(2026, 11, 24, 8)
    assert not Digest.objects.exists()


def test_no_send_time_is_more_than_a_week_away():
    start = utc(2026, 1, 1)
    for hours in range(0, 24 * 14, 7):
        moment = start + timedelta(hours=hours)
        for weekday in range(7):
            timing = {"frequency": "weekly", "weekday": weekday, "hour": 23, "tz": "Pacific/Apia"}
            following = next_send_after(after=moment, **timing)
            assert moment < following <= moment + timedelta(days=7)
            assert last_send_at_or_before(moment=moment, **timing) <= moment
