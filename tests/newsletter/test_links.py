"""The emailed links: confirm, manage and unsubscribe (plain and RFC 8058 one-click)."""

import html as html_lib
import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from newsletter import tokens
from newsletter.emails import list_unsubscribe_headers, send_confirmation, send_manage_link
from newsletter.models import Subscriber, Subscription
from newsletter.tokens import (
    confirm_token,
    manage_token,
    subscriber_for_confirm,
    subscriber_for_manage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber():
    subscriber = Subscriber.objects.create(email="Ada@Example.org")
    Subscription.objects.create(subscriber=subscriber, rule='secret-rule "speculative decoding"')
    return subscriber


def status_of(subscriber) -> str:
    return Subscriber.objects.get(pk=subscriber.pk).status


def test_the_confirmation_email_has_both_parts_the_link_and_the_topics_recap(subscriber, settings):
    settings.SITE_URL = "https://papers.example.org"
    send_confirmation(subscriber)

    [message] = mail.outbox
    assert message.to == ["Ada@Example.org"]
    assert message.subject == "Confirm your Paperwire subscription"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    link = re.search(r"https://papers\.example\.org/confirm/(\S+)/", message.body)
    assert link[0] in html
    assert subscriber_for_confirm(link[1]) == subscriber
    recap = 'secret-rule "speculative decoding"'
    assert recap in message.body and recap in html_lib.unescape(html)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_recap_shows_nothing_a_mail_client_would_make_a_link_of(subscriber):
    """Anyone can sign any address up with any rule: the confirmation never carries a stranger's
    link."""
    for rule in ("cheap-pills.example", "visit www.spam", "mail me@x.org", "http://x"):
        Subscription.objects.create(subscriber=subscriber, rule=rule)
    send_confirmation(subscriber)
    [message] = mail.outbox
    text = message.body + message.alternatives[0][0]
    for typed in ("cheap-pills", "www.spam", "me@x.org", "http://x"):
        assert typed not in text
    assert text.count("a topic with a link-like word") == 2 * 4


def test_list_unsubscribe_has_the_one_click_url_and_a_mailto(subscriber, settings):
    settings.SITE_URL = "https://papers.example.org"
    settings.NEWSLETTER_UNSUBSCRIBE_MAILBOX = "unsubscribe@example.org"
    headers = list_unsubscribe_headers(subscriber)
    assert headers == {
        "List-Unsubscribe": (
            f"<https://papers.example.org/unsubscribe/{subscriber.token}/one-click/>, "
            f"<mailto:unsubscribe@example.org?subject=unsubscribe%20{subscriber.token}>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_opening_the_confirm_link_changes_nothing_and_its_button_confirms(client, subscriber):
    url = f"/confirm/{confirm_token(subscriber)}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Confirm my subscription" in page.content.decode()
    assert status_of(subscriber) == "pending"

    response = client.post(url, follow=True)
    assert status_of(subscriber) == "active"
    assert "your subscription is confirmed" in response.content.decode()
    assert Subscriber.objects.get(pk=subscriber.pk).confirmed_at is not None


def test_a_tampered_or_expired_confirm_link_is_rejected(client, subscriber, monkeypatch):
    token = confirm_token(subscriber)
    tampered = client.post(f"/confirm/{token[:-2]}xx/")
    assert tampered.status_code == 400
    assert "This link is not valid" in tampered.content.decode()

    monkeypatch.setattr(tokens, "CONFIRM_MAX_AGE", timedelta(seconds=-1))
    expired = client.post(f"/confirm/{token}/")
    assert expired.status_code == 400
    assert "This link has expired" in expired.content.decode()
    assert status_of(subscriber) == "pending"


def test_a_confirm_link_for_another_address_does_not_confirm(client, subscriber):
    token = confirm_token(subscriber)
    Subscriber.objects.filter(pk=subscriber.pk).update(email="someone-else@example.org")
    assert client.post(f"/confirm/{token}/").status_code == 400
    assert status_of(subscriber) == "pending"


@pytest.mark.parametrize(
    "path",
    [
        lambda s: f"/confirm/{confirm_token(s)}/",
        lambda s: f"/unsubscribe/{s.token}/",
        lambda s: f"/manage/{manage_token(s)}/",
    ],
)
def test_every_form_posted_from_a_page_needs_its_csrf_token(subscriber, path):
    client = Client(enforce_csrf_checks=True)
    assert client.post(path(subscriber), {"action": "pause"}).status_code == 403
    assert status_of(subscriber) == "pending"


def test_one_click_unsubscribe_works_without_cookies_or_csrf_and_does_not_redirect(subscriber):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/unsubscribe/{subscriber.token}/one-click/",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert status_of(subscriber) == "unsubscribed"


def test_one_click_needs_a_post_its_body_and_a_real_token(client, subscriber):
    url = f"/unsubscribe/{subscriber.token}/one-click/"
    assert client.get(url).status_code == 405
    assert client.post(url, {"List-Unsubscribe": "Maybe"}).status_code == 400
    forged = client.post(f"/unsubscribe/{'A' * 43}/one-click/", {"List-Unsubscribe": "One-Click"})
    assert forged.status_code == 404
    assert status_of(subscriber) == "pending"


def test_the_unsubscribe_link_shows_a_button_and_its_post_unsubscribes(client, subscriber):
    url = f"/unsubscribe/{subscriber.token}/"
    assert "Unsubscribe" in client.get(url).content.decode()
    assert status_of(subscriber) == "pending"
    assert "You are unsubscribed" in client.post(url).content.decode()
    assert status_of(subscriber) == "unsubscribed"


def test_a_bounced_address_stays_suppressed_when_it_unsubscribes(client, subscriber):
    Subscriber.objects.filter(pk=subscriber.pk).update(status="bounced")
    client.post(f"/unsubscribe/{subscriber.token}/")
    assert status_of(subscriber) == "bounced"


def test_the_manage_page_pauses_resumes_exports_and_deletes(client, subscriber):
    Subscriber.objects.filter(pk=subscriber.pk).update(status="active")
    url = f"/manage/{manage_token(subscriber)}/"
    page = client.get(url).content.decode()
    assert "Ada@Example.org" in page and "speculative decoding" in page

    client.post(url, {"action": "pause"})
    assert status_of(subscriber) == "paused"
    client.post(url, {"action": "resume"})
    assert status_of(subscriber) == "active"

    export = client.get(url, {"format": "json"})
    assert export["Content-Disposition"].startswith("attachment")
    data = json.loads(export.content)
    assert data["email"] == "Ada@Example.org"
    assert data["subscriptions"][0]["rule"] == 'secret-rule "speculative decoding"'

    assert "Your data is deleted" in client.post(url, {"action": "delete"}).content.decode()
    assert not Subscriber.objects.exists() and not Subscription.objects.exists()
    assert client.get(url).status_code == 400  # the link names someone who is gone


def test_a_tampered_manage_link_is_rejected(client, subscriber):
    assert client.get(f"/manage/{subscriber.token}/").status_code == 400


def test_the_manage_link_email_carries_the_manage_and_unsubscribe_links(subscriber):
    send_manage_link(subscriber)
    [message] = mail.outbox
    # The token carries the second it was signed: read it back rather than sign another.
    token = re.search(r"/manage/([^/\s]+)/", message.body)[1]
    assert subscriber_for_manage(token) == subscriber
    assert f"/unsubscribe/{subscriber.token}/" in message.body
    assert "List-Unsubscribe" in message.extra_headers


def test_the_manage_page_changes_topics_and_schedule(client, subscriber):
    url = f"/manage/{manage_token(subscriber)}/"
    form = client.get(url).content.decode()
    assert "secret-rule" in form  # the current rule fills the form
    response = client.post(
        url,
        {
            "action": "save", "rules": "verilog\nrtl -survey", "frequency": "weekly",
            "send_weekday": "4", "send_hour": "18", "timezone": "Asia/Tokyo",
            "min_upvotes": "", "max_papers": "5",
        },
        follow=True,
    )  # fmt: skip
    assert "Your changes are saved" in response.content.decode()
    subscriber.refresh_from_db()
    assert (subscriber.frequency, subscriber.send_weekday, subscriber.send_hour) == (
        "weekly",
        4,
        18,
    )
    assert (subscriber.timezone, subscriber.max_papers, subscriber.min_upvotes) == (
        "Asia/Tokyo",
        5,
        0,
    )
    assert sorted(s.rule for s in subscriber.subscriptions.all()) == ["rtl -survey", "verilog"]


def test_a_bad_change_on_the_manage_page_keeps_what_was_there(client, subscriber):
    url = f"/manage/{manage_token(subscriber)}/"
    response = client.post(url, {"action": "save", "rules": "OR", "frequency": "daily",
                                 "send_weekday": "0", "send_hour": "8", "timezone": "UTC",
                                 "max_papers": "10"})  # fmt: skip
    assert response.status_code == 400
    assert "OR needs a term before it" in response.content.decode()
    assert [s.rule for s in subscriber.subscriptions.all()] == [
        'secret-rule "speculative decoding"'
    ]


def test_an_expired_manage_link_says_so_and_changes_nothing(client, subscriber, monkeypatch):
    url = f"/manage/{manage_token(subscriber)}/"
    monkeypatch.setattr(tokens, "MANAGE_MAX_AGE", timedelta(seconds=-1))
    response = client.post(url, {"action": "delete"})
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


@pytest.mark.django_db
def test_links_mailed_before_a_key_rotation_open_while_the_old_key_is_a_fallback(
    settings, monkeypatch, make_subscriber
):
    """docs/OPERATIONS.md: a new SECRET_KEY with the old one in SECRET_KEY_FALLBACKS keeps every
    link already mailed working; without the fallback they stop."""
    subscriber = make_subscriber("rotate@example.org", "llm")
    feedback = tokens.feedback_token(subscriber, 42)
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-" + "x" * 50

    def restart(fallbacks: list[str]) -> None:  # a restarted process builds its signers anew
        settings.SECRET_KEY_FALLBACKS = fallbacks
        monkeypatch.setattr(tokens, "_FEEDBACK", tokens._Signer(salt=tokens.FEEDBACK_SALT))

    restart([old])
    assert tokens.feedback_for_token(feedback) == (subscriber, 42)
    assert tokens.feedback_for_token(tokens.feedback_token(subscriber, 42)) == (subscriber, 42)
    restart([])
    with pytest.raises(tokens.InvalidToken):
        tokens.feedback_for_token(feedback)
