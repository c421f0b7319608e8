"""A shared link never hands over an account (hardening 2, item 1): a digest's "view in browser"
link, and every page reached from it at any depth, shows what the digest shows and records
👍/👎, nothing more; manage links arrive only by mail and expire; "sign out every link"."""

import io
import re
import time
from collections import deque
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from newsletter import tokens
from newsletter.models import Subscriber
from newsletter.tokens import feedback_token, manage_token

pytestmark = pytest.mark.django_db

URL_RE = re.compile(r"https?://testserver/[^\s\"'<>]+")
HREF_RE = re.compile(r"""(?:href|action)="([^"]*)\"""")
ACTIONS_RE = re.compile(r'name="action" value="([^"]+)"')
# What a page reached from a forwarded digest must never carry.
TELLS = ("/manage/", "format=json", "/unsubscribe/", "/mute/", "/feeds/private/")
CHANGES = {"save", "delete", "pause", "resume", "sign_out", "exclude", "exclude_save", "unmute"}


@pytest.fixture
def sent(make_paper, make_subscriber, due_now, outbox, settings):
    settings.SITE_URL = "http://testserver"
    for n in range(4):
        make_paper(f"LLM serving trick {n}", upvotes=10 + n, arxiv_id=f"2611.0200{n}")
    ada = make_subscriber("ada@example.org", "llm", max_papers=10)
    due_now(ada)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    [message] = outbox
    return ada, message


def mail_links(message) -> list[str]:
    text = message.body + message.alternatives[0][0]
    return sorted({url.rstrip(").,") for url in URL_RE.findall(text)})


def view_in_browser(message) -> str:
    [url] = [u for u in mail_links(message) if "/digests/" in u]
    return urlsplit(url).path


def crawl(client: Client, start: str, limit: int = 150) -> list[tuple[str, str]]:
    """Every same-site page reached from `start` by links, 👍/👎 recorded on the way (a POST
    of the page's own "record" button): (path, body), breadth first, at most `limit` pages."""
    seen, pages, queue = {start}, [], deque([start])
    while queue and len(pages) < limit:
        path = queue.popleft()
        response = client.get(path)
        html = response.get("Content-Type", "").startswith("text/html")
        body = response.content.decode() if response.status_code == 200 and html else ""
        pages.append((path, body))
        if "/feedback/" in path and 'value="record"' in body:
            after = client.post(path, {"action": "record"})
            if after.status_code == 302:
                follow = client.get(after["Location"]).content.decode()
                pages.append((after["Location"], follow))
                body += follow
        for href in HREF_RE.findall(body):
            target = urlsplit(urljoin(path, href.replace("&amp;", "&")))
            if target.netloc not in ("", "testserver") or target.path.startswith("/static/"):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return pages


def test_nothing_reached_from_a_forwarded_digest_link_hands_over_the_account(sent):
    ada, message = sent
    stranger = Client()
    pages = crawl(stranger, view_in_browser(message))
    assert any("/feedback/" in path for path, _ in pages)  # the crawl went past the digest
    for path, body in pages:
        assert ada.email not in body, path
        for tell in TELLS:
            assert tell not in body, (path, tell)
        assert not CHANGES & set(ACTIONS_RE.findall(body)), path
    assert Subscriber.objects.get(pk=ada.pk).status == "active"
    assert ada.feedback.exists()  # 👍/👎 is what such a link may do


def test_a_feedback_link_carries_no_part_of_the_opaque_token(sent):
    ada, message = sent
    for url in mail_links(message):
        if "/feedback/" in url or "/digests/" in url:
            assert ada.token not in url and ada.token[:8] not in url


def test_the_owner_s_browser_gets_the_exclusions_and_the_way_back(sent, client):
    ada, message = sent
    [up] = [u for u in mail_links(message) if u.endswith("/down/")][:1]
    client.get(f"/manage/{manage_token(ada)}/")  # opened from the mail: this is the owner
    client.post(urlsplit(up).path, {"action": "record"})
    page = client.get(urlsplit(up).path + "?done=1").content.decode()
    assert "Your subscription" in page and "/manage/" in page


@pytest.mark.parametrize(
    "days, works", [(0, True), (89, True), (91, False), (400, False)]
)  # fmt: skip
def test_a_digest_s_links_expire_after_90_days(sent, monkeypatch, days, works):
    _ada, message = sent
    later = time.time() + days * 86400
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    for url in mail_links(message):
        if "/digests/" in url or "/feedback/" in url:
            status = Client().get(urlsplit(url).path).status_code
            assert (status == 200) == works, (url, days)


@pytest.mark.parametrize("days, works", [(29, True), (31, False)])
def test_a_manage_link_expires_after_30_days_and_offers_a_new_one(sent, monkeypatch, days, works):
    _ada, message = sent
    [manage] = [u for u in mail_links(message) if "/manage/" in u]
    from django.core import signing

    real = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() + days * 86400)
    response = Client().get(urlsplit(manage).path)
    assert (response.status_code == 200) == works
    if not works:
        assert "expired" in response.content.decode() and "/manage/" in response.content.decode()


def test_an_unsubscribe_link_keeps_working_past_60_days(sent, monkeypatch):
    ada, message = sent
    [one_click] = [u for u in mail_links(message) if "one-click" in u] or [
        message.extra_headers["List-Unsubscribe"].split(">")[0].strip("<")
    ]
    later = time.time() + 120 * 86400
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    response = Client().post(
        urlsplit(one_click).path, "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip
    assert response.status_code == 200
    assert Subscriber.objects.get(pk=ada.pk).status == "unsubscribed"


@pytest.mark.parametrize("email", ["ada@example.org", "nobody@example.org", "ADA@example.org"])
def test_send_me_a_new_link_answers_alike_and_mails_only_a_subscriber(
    sent, outbox, email, django_capture_on_commit_callbacks
):
    cache.clear()
    outbox.clear()
    client = Client()
    assert client.get("/manage/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/", {"email": email})
    assert response.status_code == 302 and response["Location"] == "/manage/link-sent/"
    page = client.get(response["Location"]).content.decode()
    assert "If this address is subscribed" in page and email not in page
    if email.lower() == "ada@example.org":
        [mail] = outbox
        link = URL_RE.search(mail.body)[0]
        assert "/manage/" in link and "asked for a new link" in mail.body
        assert Client().get(urlsplit(link).path).status_code == 200
    else:
        assert outbox == []


def test_new_links_are_limited_per_client_address_and_per_mailbox(
    sent, outbox, django_capture_on_commit_callbacks
):
    cache.clear()
    outbox.clear()
    client = Client(REMOTE_ADDR="203.0.113.5")
    spellings = ["ada@example.org", "ada+x@example.org", '"ada"@example.org', "Ada@Example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            client.post("/manage/", {"email": spellings[n % 4]}).status_code for n in range(11)
        ]
    assert answers == [302] * 10 + [429]
    # One mailbox, however spelled: 3 requests an hour (ada@, ada+x@ which is no subscriber,
    # "ada"@), so 2 mails; the other 7 requests for it sent nothing.
    assert len(outbox) == 2
    assert (
        "Too many link requests" in client.post("/manage/", {"email": "x@y.org"}).content.decode()
    )


def test_a_bad_address_is_said_on_the_page(client):
    response = client.post("/manage/", {"email": "not an address"})
    assert response.status_code == 400 and "valid email address" in response.content.decode()


def test_sign_out_every_link_ends_every_earlier_link_and_mails_a_new_one(
    sent, outbox, django_capture_on_commit_callbacks
):
    ada, message = sent
    old_links = mail_links(message)
    old_feed = (
        f"/feeds/private/{__import__('newsletter.syndication').syndication.feed_token(ada)}.atom"
    )
    owner = Client()
    manage = f"/manage/{manage_token(ada)}/"
    assert owner.get(old_feed).status_code == 200
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = owner.post(manage, {"action": "sign_out"})
    assert page.status_code == 200 and "Every earlier link is signed out" in page.content.decode()
    keys = ("/digests/", "/feedback/", "/manage/", "/unsubscribe/", "/feeds/private/")
    for url in [*old_links, old_feed, manage]:
        path = urlsplit(url).path
        if not any(key in path for key in keys):
            continue  # a paper's page, the site: no key to anything
        status = Client().get(path).status_code
        assert status in (400, 404), (path, status)
    [mail] = outbox
    assert "signed out" in mail.subject and "no longer work" in mail.body
    [new_manage] = [u for u in URL_RE.findall(mail.body) if "/manage/" in u]
    assert Client().get(urlsplit(new_manage).path).status_code == 200
    ada.refresh_from_db()
    assert ada.status == "active"
    assert Client().get(f"/feedback/{feedback_token(ada, 1)}/up/").status_code in (200, 400)


def test_tokens_made_for_one_reader_do_not_open_another_s(sent, make_subscriber):
    ada, _ = sent
    bob = make_subscriber("bob@example.org", "llm")
    token = feedback_token(bob, 1)
    forged = token.replace(f"{bob.pk}.", f"{ada.pk}.", 1)
    assert Client().get(f"/feedback/{forged}/up/").status_code == 400
    assert timedelta(days=90) == tokens.LINK_MAX_AGE
