"""The ESP tracking webhook (anymail, here Postmark's format): bounces, complaints, unsubscribes."""

import base64
import contextlib
import importlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import clear_url_caches

from newsletter.models import DeliveryEvent, Subscriber

pytestmark = pytest.mark.django_db
URL = "/anymail/postmark/tracking/"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "esp:s3cret"}
    with mounted():
        yield


@contextlib.contextmanager
def mounted():
    """The URLs as a process started with the settings of now would have them."""
    import config.urls

    importlib.reload(config.urls)
    clear_url_caches()
    try:
        yield
    finally:
        importlib.reload(config.urls)
        clear_url_caches()


@pytest.fixture
def ada(make_subscriber) -> Subscriber:
    return make_subscriber("ada@example.org", "llm")


def post(client: Client, payload: dict, credentials: str = "esp:s3cret"):
    auth = "Basic " + base64.b64encode(credentials.encode()).decode()
    return client.post(
        URL, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=auth
    )


def bounce(kind: str = "HardBounce", event_id: int = 1, email: str = "Ada@Example.org") -> dict:
    return {
        "RecordType": "Bounce", "Type": kind, "ID": event_id, "Email": email,
        "MessageID": "esp-1", "BouncedAt": "2026-11-23T08:00:05Z",
        "Description": "The server was unable to deliver your message.",
    }  # fmt: skip


def status(subscriber: Subscriber) -> str:
    subscriber.refresh_from_db()
    return subscriber.status


def test_a_hard_bounce_suppresses_the_subscriber(client, ada):
    assert post(client, bounce()).status_code == 200
    assert status(ada) == "bounced"
    event = DeliveryEvent.objects.get()
    assert (event.event_type, event.recipient, event.subscriber, event.action) == (
        "bounced", "Ada@Example.org", ada, "suppressed (bounced)",
    )  # fmt: skip


def test_a_soft_bounce_is_recorded_and_changes_nothing(client, ada):
    post(client, bounce("SoftBounce"))
    assert status(ada) == "active"
    assert DeliveryEvent.objects.get().action == "recorded"


def test_a_complaint_suppresses_the_subscriber(client, ada):
    complaint = {**bounce(), "RecordType": "SpamComplaint", "Type": "SpamComplaint", "ID": 7}
    post(client, complaint)
    assert status(ada) == "complained"


def test_an_unsubscribe_at_the_esp_unsubscribes(client, ada):
    post(client, {
        "RecordType": "SubscriptionChange", "Recipient": "ada@example.org", "MessageID": "esp-1",
        "SuppressSending": True, "SuppressionReason": "ManualSuppression",
        "ChangedAt": "2026-11-23T09:00:00Z",
    })  # fmt: skip
    assert status(ada) == "unsubscribed"
    assert DeliveryEvent.objects.get().action == "unsubscribed"


def test_each_event_is_stored_once(client, ada):
    for _ in range(3):  # ESPs retry webhooks they think failed
        assert post(client, bounce(event_id=42)).status_code == 200
    assert DeliveryEvent.objects.count() == 1
    post(client, bounce(event_id=43))
    assert DeliveryEvent.objects.count() == 2


def test_a_later_event_never_lifts_a_suppression(client, ada):
    post(client, bounce(event_id=1))
    post(client, {**bounce(event_id=2), "RecordType": "SpamComplaint", "Type": "SpamComplaint"})
    assert status(ada) == "bounced"
    assert DeliveryEvent.objects.get(event_id="Postmark:2").action == "recorded (already bounced)"


def test_an_event_for_an_unknown_address_is_kept(client):
    post(client, bounce(email="stranger@example.org"))
    assert DeliveryEvent.objects.get().action == "recorded (no subscriber with this address)"


def test_the_webhook_requires_the_secret(client, ada):
    wrong = post(client, bounce(), credentials="esp:wrong")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Basic")
    assert (
        client.post(URL, json.dumps(bounce()), content_type="application/json").status_code == 401
    )
    assert (
        client.post(
            URL, "{}", content_type="application/json", HTTP_AUTHORIZATION="Basic !!"
        ).status_code
        == 401
    )
    assert status(ada) == "active" and not DeliveryEvent.objects.exists()


def test_without_a_secret_there_is_no_webhook_and_production_fails_its_checks(
    client, ada, settings
):
    settings.ANYMAIL = {
        key: value for key, value in settings.ANYMAIL.items() if key != "WEBHOOK_SECRET"
    }
    with mounted():
        assert post(client, bounce()).status_code == 404  # forged or not: nothing is there
        assert post(client, bounce(), credentials="").status_code == 404
    assert status(ada) == "active" and not DeliveryEvent.objects.exists()
    settings.DEBUG = False
    with pytest.raises(SystemCheckError, match=r"newsletter\.E001"):
        call_command("check", "--deploy", "--fail-level", "ERROR")


@pytest.mark.parametrize(
    "body",
    ["", "not json", "[]", "null", '{"RecordType": 5}', '{"RecordType": "Bounce"}',
     '{"RecordType": "Bounce", "Email": ["x"], "BouncedAt": "yesterday"}', "{" * 5000],
)  # fmt: skip
def test_a_malformed_body_is_a_400_never_a_500(client, ada, body):
    auth = "Basic " + base64.b64encode(b"esp:s3cret").decode()
    response = client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert response.status_code in (200, 400), response.content
    assert status(ada) == "active"


def test_an_unknown_esp_is_a_404(client):
    auth = "Basic " + base64.b64encode(b"esp:s3cret").decode()
    response = client.post(
        "/anymail/nobody/tracking/", "{}", content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code == 404


def test_the_admin_shows_the_events(admin_client, client, ada):
    post(client, bounce())
    page = admin_client.get("/admin/newsletter/deliveryevent/").content.decode()
    assert "Ada@Example.org" in page and "suppressed (bounced)" in page
