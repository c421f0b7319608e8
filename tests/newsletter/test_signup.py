"""Signing up: the form, double opt-in, no enumeration, rate limits, the live preview."""

import html
import re
from datetime import date

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from newsletter.models import Subscriber, Topic
from papers.models import Paper

# Real commits, so the emails queued after commit go out as they do in production.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_rate_limits")]

FORM = {
    "email": "ada@example.org",
    "rules": 'quantization -survey\n"speculative decoding"',
    "frequency": "weekly",
    "send_weekday": "2",
    "send_hour": "7",
    "timezone": "Europe/Paris",
    "min_upvotes": "3",
    "max_papers": "8",
}


def sign_up(client, **changes):
    """Post the form, and follow the redirect as a browser does (POST/redirect/GET)."""
    return client.post("/subscribe/", {**FORM, **changes}, follow=True)


def confirm_link(message) -> str:
    return re.search(r"https?://\S+/confirm/\S+/", message.body).group(0)


def test_the_form_asks_for_the_address_topics_schedule_and_limits(client):
    Topic.objects.create(name="Hardware design", slug="hardware", rule="verilog OR rtl")
    page = client.get("/subscribe/").content.decode()
    for name in ("email", "rules", "topics", "frequency", "send_weekday", "send_hour", "timezone",
                 "min_upvotes", "max_papers"):  # fmt: skip
        assert f'name="{name}"' in page
    assert "Hardware design" in page
    assert '<label for="id_email">' in page


def test_signing_up_creates_a_pending_subscriber_and_sends_only_the_confirmation(client):
    response = sign_up(client)

    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.frequency, subscriber.send_weekday) == (
        "pending",
        "weekly",
        2,
    )
    assert (subscriber.send_hour, subscriber.timezone) == (7, "Europe/Paris")
    assert (subscriber.min_upvotes, subscriber.max_papers) == (3, 8)
    assert sorted(s.rule for s in subscriber.subscriptions.all()) == [
        '"speculative decoding"',
        "quantization -survey",
    ]
    [message] = mail.outbox
    assert message.subject == "Confirm your Paperwire subscription"


def test_confirming_from_the_email_activates_the_subscriber(client):
    sign_up(client)
    link = confirm_link(mail.outbox[0])
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.post("/" + path)
    assert Subscriber.objects.get().status == "active"


def test_every_kind_of_address_gets_the_same_page(client):
    pages = []
    sign_up(client, email="new@example.org")
    pages.append(sign_up(client, email="fresh@example.org"))
    pages.append(sign_up(client, email="new@example.org"))  # pending
    Subscriber.objects.filter(email="new@example.org").update(status="active")
    pages.append(sign_up(client, email="NEW@example.org"))  # active, other case
    Subscriber.objects.filter(email="new@example.org").update(status="unsubscribed")
    pages.append(sign_up(client, email="new@example.org"))
    Subscriber.objects.filter(email="new@example.org").update(status="bounced")
    pages.append(sign_up(client, email="new@example.org"))

    bodies = {re.sub(r"\S+@example\.org", "ADDRESS", p.content.decode()) for p in pages}
    bodies = {re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", b) for b in bodies}
    assert len(bodies) == 1
    assert {p.status_code for p in pages} == {200}


def test_an_active_subscriber_is_sent_a_manage_link_and_nothing_changes(client):
    sign_up(client)
    Subscriber.objects.update(status="active")
    mail.outbox.clear()
    sign_up(client, email="ADA@example.org", rules="something else", frequency="daily")

    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.frequency) == ("active", "weekly")
    assert [m.subject for m in mail.outbox] == ["Your Paperwire subscription"]
    assert "/manage/" in mail.outbox[0].body


def test_an_unsubscribed_address_must_confirm_again(client):
    sign_up(client)
    Subscriber.objects.update(status="unsubscribed")
    mail.outbox.clear()
    sign_up(client, rules="verilog")
    subscriber = Subscriber.objects.get()
    assert subscriber.status == "pending"
    assert [m.subject for m in mail.outbox] == ["Confirm your Paperwire subscription"]
    assert "verilog" in mail.outbox[0].body
    link = re.search(r"/confirm/\S+/", mail.outbox[0].body)[0]
    client.post(link)
    subscriber.refresh_from_db()
    assert subscriber.status == "active"
    assert [s.rule for s in subscriber.subscriptions.all()] == ["verilog"]


def test_a_suppressed_address_is_sent_nothing(client):
    sign_up(client)
    Subscriber.objects.update(status="complained")
    mail.outbox.clear()
    sign_up(client)
    assert mail.outbox == []
    assert Subscriber.objects.get().status == "complained"


def test_a_rule_that_does_not_parse_gets_a_clear_message_on_the_form(client):
    response = sign_up(client, rules='quantization\n"speculative decoding')
    page = response.content.decode()
    assert response.status_code == 400
    assert "Line 2: This quote is never closed" in page
    assert not Subscriber.objects.exists() and mail.outbox == []


def test_a_topic_is_needed(client):
    response = sign_up(client, rules="")
    assert response.status_code == 400
    assert "Follow at least one topic" in response.content.decode()


def test_a_curated_topic_alone_is_enough(client):
    topic = Topic.objects.create(name="Hardware", slug="hardware", rule="verilog OR rtl")
    sign_up(client, rules="", topics=[topic.pk])
    assert Subscriber.objects.get().subscriptions.get().topic == topic


@pytest.mark.parametrize(
    "email",
    [
        "ada@example.org\r\nBcc: victim@example.org",
        "ada@example.org\nSubject: hi",
        "ada@example.org, eve@example.org",
        "Ada <ada@example.org>",
    ],
)
def test_header_injection_through_the_email_field_is_rejected(client, email):
    response = sign_up(client, email=email)
    assert response.status_code == 400
    assert not Subscriber.objects.exists() and mail.outbox == []


def test_sends_to_one_address_are_capped_with_the_same_page(client):
    pages = [sign_up(client) for _ in range(5)]
    assert {p.status_code for p in pages} == {200}
    assert len(mail.outbox) == 3  # SIGNUP_ADDRESS_RATE


def test_signups_from_one_ip_are_capped(client):
    codes = [sign_up(client, email=f"user{n}@example.org").status_code for n in range(22)]
    assert codes[:20] == [200] * 20
    assert codes[20:] == [429, 429]
    assert len(mail.outbox) == 20


def test_signup_needs_its_csrf_token():
    assert Client(enforce_csrf_checks=True).post("/subscribe/", FORM).status_code == 403


def test_the_live_preview_lists_recent_matches_and_explains_bad_rules(client):
    Paper.objects.create(title="Quantized Transformers", title_key="qt", listed_on=date.today())
    data = client.get("/subscribe/preview/", {"rule": "quantization"}).json()
    assert data["count"] == 1 and data["days"] == 7
    assert data["papers"][0]["title"] == "Quantized Transformers"
    bad = client.get("/subscribe/preview/", {"rule": "OR x"})
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("OR needs a term before it")


def test_a_new_and_a_subscribed_address_take_the_same_path(client, make_subscriber, monkeypatch):
    """Signup timing tells nothing (hardening issue, item 5): the request only queues the
    signup, with the same queries and the same answer whoever the address belongs to."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from newsletter import tasks

    make_subscriber("known@example.org", "llm")
    queued = []
    monkeypatch.setattr(tasks.process_signup, "delay", lambda **kw: queued.append(kw))
    form = {"rules": "llm", "frequency": "daily", "send_weekday": 0, "send_hour": 8,
            "timezone": "UTC", "max_papers": 10}  # fmt: skip
    seen = []
    for email in ("new@example.org", "known@example.org"):
        cache.clear()
        visitor = Client()  # each a first visit, with no session yet
        with CaptureQueriesContext(connection) as queries:
            response = visitor.post("/subscribe/", {**form, "email": email})
        body = response.content.decode().replace(email, "ADDRESS")
        shapes = [re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries]
        seen.append((response.status_code, shapes, body))
    assert seen[0] == seen[1]
    assert [q["email"] for q in queued] == ["new@example.org", "known@example.org"]


@pytest.mark.parametrize(
    "spellings",
    [
        ["Ada@BÜCHER.example", "ada@xn--bcher-kva.example", "\uff41\uff44\uff41@bücher.example"],
        ["Ada@Example.org", "ada@example.org.", "ADA@EXAMPLE.ORG"],
    ],
)
def test_spellings_of_one_address_are_one_subscriber_and_one_limit(client, outbox, spellings):
    """Hardening issue, item 8: the per-address limit and the subscriber row are keyed on one
    canonical form (IDNA domain, normalized case and Unicode)."""
    cache.clear()
    form = {"rules": "llm", "frequency": "daily", "send_weekday": 0, "send_hour": 8,
            "timezone": "UTC", "max_papers": 10}  # fmt: skip
    for email in [*spellings, spellings[0]]:  # the limit is 3 an hour per address
        assert client.post("/subscribe/", {**form, "email": email}).status_code == 302
    [subscriber] = Subscriber.objects.all()
    assert subscriber.email == spellings[1].lower().rstrip(".")
    assert len(outbox) == 3  # the fourth spelling was over the limit: nothing sent


@pytest.mark.parametrize(
    "spellings",
    [
        ['"victim"@example.com', '"v\\ictim"@example.com', "victim@example.com",
         '"\\victim"@EXAMPLE.com'],
        ["victim+1@example.com", "victim+2@example.com", "victim@example.com",
         '"victim+3"@example.com'],
    ],
)  # fmt: skip
def test_quoted_and_tagged_spellings_of_one_mailbox_share_its_limit(client, outbox, spellings):
    """Hardening 2, item 2: the cap of 3 confirmation mails an hour counts the mailbox, whatever
    its quoting or plus-tag; a quoted address is stored unquoted, a tagged one as typed."""
    cache.clear()
    form = {"rules": "llm", "frequency": "daily", "send_weekday": 0, "send_hour": 8,
            "timezone": "UTC", "max_papers": 10}  # fmt: skip
    for email in spellings:
        assert client.post("/subscribe/", {**form, "email": email}).status_code == 302
    assert len(outbox) == 3
    stored = set(Subscriber.objects.values_list("email", flat=True))
    assert all('"' not in email for email in stored)
    if "+" in spellings[0]:
        assert stored == {"victim+1@example.com", "victim+2@example.com", "victim@example.com"}
    else:
        assert stored == {"victim@example.com"}


@pytest.mark.parametrize("email", ['"a b"@example.com', '"x..y"@example.com', '"a\\"b"@x.org'])
def test_a_quoted_address_no_dot_atom_can_write_is_refused_with_a_reason(client, outbox, email):
    form = {"rules": "llm", "frequency": "daily", "send_weekday": 0, "send_hour": 8,
            "timezone": "UTC", "max_papers": 10, "email": email}  # fmt: skip
    response = client.post("/subscribe/", form)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "without quotes" in page or "valid email address" in page
    assert not Subscriber.objects.exists() and outbox == []
