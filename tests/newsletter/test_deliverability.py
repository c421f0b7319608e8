"""The deliverability guard: complaints past 0.3% of the last day's sends pause sending; the
admin, the log, /health/ and the metrics say why; an editor resumes it."""

import json
import logging

import pytest
from anymail.signals import AnymailTrackingEvent
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from newsletter.digests.delivery import digests_due_batched, digests_send
from newsletter.models import DeliveryEvent, Digest, SendingState
from newsletter.selectors import deliverability, sending_paused
from newsletter.services.deliverability import sending_guard, sending_resume
from newsletter.services.webhooks import delivery_event_record

# The guard's checks run in /health/'s threads too: committed rows only.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent_today(make_subscriber):
    """1,000 digests sent in the last day, to one reader per period (as the guard counts)."""
    reader = make_subscriber("ada@example.org", "llm")
    now = timezone.now()
    Digest.objects.bulk_create(
        Digest(subscriber=reader, period=now.date() - timezone.timedelta(days=n),
               frequency="daily", scheduled_for=now, status="sent", sent_at=now)
        for n in range(1000)
    )  # fmt: skip
    return reader


def complaints(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        DeliveryEvent.objects.create(
            event_id=f"c{n}", esp_name="test", event_type="complained", recipient=f"r{n}@x.org"
        )


@pytest.mark.parametrize("count, paused", [(0, False), (3, False), (4, True), (40, True)])
def test_complaints_past_the_line_pause_sending(sent_today, count, paused, caplog):
    complaints(count)
    with caplog.at_level(logging.ERROR):
        state = sending_guard()
    assert (state is not None) == paused
    if paused:
        assert f"{count} spam complaints for 1,000 digests" in state.reason
        assert "Sending paused by the deliverability guard" in caplog.text


def test_a_handful_of_sends_is_not_a_rate(make_subscriber):
    reader = make_subscriber("ada@example.org", "llm")
    Digest.objects.create(subscriber=reader, period=timezone.now().date(), frequency="daily",
                          scheduled_for=timezone.now(), status="sent", sent_at=timezone.now())  # fmt: skip
    complaints(1)  # 100% of one send
    assert sending_guard() is None


def test_while_paused_nothing_is_queued_or_sent_and_resuming_sends_again(
    sent_today, make_subscriber, client, admin_client
):
    reader = make_subscriber("bob@example.org", "llm")
    due = Digest.objects.create(subscriber=reader, period=timezone.now().date(), frequency="daily",
                                scheduled_for=timezone.now())  # fmt: skip
    complaints(5)
    assert sending_guard() is not None
    assert list(digests_due_batched()) == []
    assert digests_send(subscriber_ids=[reader.pk]).held
    due.refresh_from_db()
    assert due.status == "pending"

    every, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.create(name="tick", task="x", interval=every, last_run_at=timezone.now())
    page = admin_client.get("/admin/").content.decode()
    assert "Sending is paused" in page and "5 spam complaints" in page
    health = client.get("/health/?format=json")
    assert health.status_code == 200 and health["X-Health"] == "degraded"
    assert "paused by the deliverability guard" in json.dumps(json.loads(health.content))

    admin_client.post(
        "/admin/newsletter/sendingstate/",
        {"action": "resume_sending", "_selected_action": [SendingState.objects.get().pk]},
    )
    assert sending_paused() is None
    assert SendingState.objects.get().resumed_by == "admin"
    assert sending_guard() is None  # the complaints it paused for are known now
    assert list(digests_due_batched()) == [[reader.pk]]


def test_a_new_complaint_after_resuming_is_counted_from_the_resume(sent_today):
    complaints(5)
    sending_guard()
    sending_resume(by="editor")
    complaints(1, start=100)
    assert sending_guard() is None  # 1 complaint, no sends since the resume: not a rate


def test_a_complaint_from_the_esp_checks_the_guard_at_once(sent_today):
    complaints(3)
    event = AnymailTrackingEvent(event_type="complained", event_id="esp-1",
                                 recipient="someone@example.org", esp_event={})  # fmt: skip
    delivery_event_record(event=event, esp_name="test")
    assert sending_paused() is not None


def test_rates_over_a_day_and_a_week(sent_today):
    complaints(2)
    DeliveryEvent.objects.create(event_id="b", esp_name="test", event_type="bounced")
    day = deliverability()["24h"]
    assert (day.sends, day.bounces, day.complaints) == (1000, 1, 2)
    assert str(day) == "1,000 sent · 1 bounced (0.10%) · 2 complaints (0.20%)"
