import csv
import io

import pytest
from django.core import mail

from newsletter.models import Subscriber, Subscription, Topic

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/newsletter/subscriber/"


@pytest.fixture
def subscribers():
    topic = Topic.objects.create(name="Hardware", slug="hardware", rule="verilog")
    made = []
    for email, status in [("p@example.org", "pending"), ("a@example.org", "active"),
                          ("=cmd@example.org", "active")]:  # fmt: skip
        subscriber = Subscriber.objects.create(email=email, status=status)
        Subscription.objects.create(subscriber=subscriber, rule="quantization -survey")
        Subscription.objects.create(subscriber=subscriber, topic=topic)
        made.append(subscriber)
    return made


def act(admin_client, action, subscribers, capture):
    with capture(execute=True):
        return admin_client.post(
            CHANGELIST, {"action": action, "_selected_action": [s.pk for s in subscribers]},
            follow=True,
        )  # fmt: skip


def test_the_list_searches_filters_and_shows_subscriptions_inline(admin_client, subscribers):
    listing = admin_client.get(CHANGELIST, {"q": "a@example", "status__exact": "active"})
    assert [s.email for s in listing.context["cl"].result_list] == ["a@example.org"]
    page = admin_client.get(f"{CHANGELIST}{subscribers[0].pk}/change/").content.decode()
    assert "quantization -survey" in page and "Hardware" in page


def test_resend_confirmation_goes_to_pending_subscribers_only(
    admin_client, subscribers, django_capture_on_commit_callbacks
):
    response = act(
        admin_client, "resend_confirmation", subscribers, django_capture_on_commit_callbacks
    )
    assert [m.to for m in mail.outbox] == [["p@example.org"]]
    assert "Skipped 2 that are not pending" in response.content.decode()


def test_suppress_stops_all_email(admin_client, subscribers, django_capture_on_commit_callbacks):
    act(admin_client, "suppress", subscribers[:2], django_capture_on_commit_callbacks)
    assert set(Subscriber.objects.values_list("email", "status")) == {
        ("p@example.org", "complained"), ("a@example.org", "complained"),
        ("=cmd@example.org", "active"),
    }  # fmt: skip


def test_export_csv_has_one_row_per_subscriber_and_no_formulas(
    admin_client, subscribers, django_capture_on_commit_callbacks
):
    response = act(admin_client, "export_csv", subscribers, django_capture_on_commit_callbacks)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted(r["email"] for r in rows) == [
        "'=cmd@example.org",
        "a@example.org",
        "p@example.org",
    ]
    assert all("quantization -survey" in r["topics"] and "Hardware" in r["topics"] for r in rows)
