"""Every email the newsletter sends, one small function per kind.

Each kind is a template triplet under templates/emails/: KIND.subject.txt, KIND.txt and KIND.html.
Every email carries, in its footer, a signed link to the subscriber's manage page and an
unsubscribe link, and the List-Unsubscribe headers (RFC 2369 and RFC 8058).
"""

import functools
import secrets
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse

from newsletter.models import Subscriber
from newsletter.tokens import confirm_token, manage_token

PLACEHOLDER = "TOKEN"  # tokens are URL-safe, so they are never quoted


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def link(name: str, token: str) -> str:
    """The absolute URL of the view `name` for `token`: `reverse` resolves the pattern once per
    process, since a batch of digests builds thousands of these."""
    before, after = _pattern(name, get_script_prefix())
    return f"{settings.SITE_URL}{before}{token}{after}"


@functools.lru_cache(maxsize=32)
def _pattern(name: str, script_prefix: str) -> tuple[str, str]:
    before, _, after = reverse(name, args=[PLACEHOLDER]).partition(PLACEHOLDER)
    return before, after


def manage_url(subscriber: Subscriber) -> str:
    return link("newsletter:manage", manage_token(subscriber))


def unsubscribe_url(subscriber: Subscriber) -> str:
    return link("newsletter:unsubscribe", subscriber.token)


def list_unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """The headers that let a mail client unsubscribe in one click, without opening a page."""
    one_click = link("newsletter:one_click_unsubscribe", subscriber.token)
    mailbox = settings.NEWSLETTER_UNSUBSCRIBE_MAILBOX
    mailto = f"mailto:{mailbox}?subject={quote('unsubscribe ' + subscriber.token)}"
    return {
        "List-Unsubscribe": f"<{one_click}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def digest_message(
    *, digest_id: int, subscriber: Subscriber, subject: str, text: str, html: str, connection=None
) -> EmailMultiAlternatives:
    """A digest, ready to send: both parts, the unsubscribe headers, a List-Id and a Message-ID
    of our own (stored on the digest once sent)."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[subscriber.email],
        connection=connection,
        headers={
            **list_unsubscribe_headers(subscriber),
            "List-Id": settings.NEWSLETTER_LIST_ID,
            # Short enough never to be folded; unique per attempt.
            "Message-ID": f"<digest.{digest_id}.{secrets.token_hex(8)}@{domain}>",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def send_confirmation(subscriber: Subscriber) -> None:
    """Double opt-in. Shows nothing the visitor typed but the address it is sent to."""
    confirm = absolute(reverse("newsletter:confirm", args=[confirm_token(subscriber)]))
    _send("confirm", subscriber, {"confirm_url": confirm})


def send_manage_link(subscriber: Subscriber) -> None:
    """For a signup from an address that is already subscribed: a way in, and nothing changed."""
    _send("manage_link", subscriber, {})


def _send(kind: str, subscriber: Subscriber, context: dict) -> None:
    context = {
        **context,
        "subscriber": subscriber,
        "site_url": settings.SITE_URL,
        "manage_url": manage_url(subscriber),
        "unsubscribe_url": unsubscribe_url(subscriber),
    }
    subject = " ".join(render_to_string(f"emails/{kind}.subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{kind}.txt", context),
        to=[subscriber.email],
        headers=list_unsubscribe_headers(subscriber),
    )
    message.attach_alternative(render_to_string(f"emails/{kind}.html", context), "text/html")
    message.send()
