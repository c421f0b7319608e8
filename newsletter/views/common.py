"""What the newsletter's pages share: limits and sizes, numbers from the request, the page for a
bad link, and the browser of a subscription's owner."""

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core.numbers import bounded_int
from newsletter.context_processors import MANAGE_URL_KEY

ONE_CLICK_BODY = "List-Unsubscribe=One-Click"
# Sends are capped per IP and per address. The per-address cap answers with the same page as
# a successful signup, so it reveals nothing about the address.
SIGNUP_IP_RATE = "20/h"
SIGNUP_ADDRESS_RATE = "3/h"
PREVIEW_RATE = "120/m"
# "Send me a new link": 10 an hour per client address, 3 mails an hour per mailbox.
NEW_LINK_IP_RATE = "10/h"
NEW_LINK_MAILBOX_RATE = "3/h"
# Library files cost a worker up to a second or two each: 10 an hour per reader, 20 per address.
LIBRARY_READER_RATE = "10/h"
LIBRARY_IP_RATE = "20/h"
PREVIEW_DAYS = 7
PREVIEW_SHOWN = 5
PAST_DIGESTS_SHOWN = 20
FEEDBACK_SHOWN = 200
LIBRARY_SHOWN = 100
UPLOADS_SHOWN = 3
UPLOADS_SHOWN_FOR = timedelta(days=1)
DIGEST_MORE_SHOWN = 5  # papers beyond the email's shown under each topic; the rest a page away
DIGEST_PAGE = 20
CHECK_INBOX_KEY = "paperwire_signup"


def int_param(text: str | None) -> int | None:
    """A number from the request: None when absent; a 404 when not a number a key can be."""
    if text is None:
        return None
    value = bounded_int(text)
    if value is None:
        raise Http404("Not a number.")
    return value


def bad_link(request: HttpRequest, *, expired: bool, action: str) -> HttpResponse:
    return render(
        request, "newsletter/bad_link.html", {"expired": expired, "action": action}, status=400
    )


# The browser of a subscription's owner: one that opened the manage page with a manage link,
# which arrives only by mail to the reader. Pages reached from a digest's links (which people
# forward) offer what changes the subscription, and link to the manage page, only there.
OWNER_KEY = "paperwire_owner"


def mark_owner(request: HttpRequest, subscriber) -> None:
    if request.session.get(OWNER_KEY) != subscriber.pk:
        request.session[OWNER_KEY] = subscriber.pk


def is_owner(request: HttpRequest, subscriber) -> bool:
    session = getattr(request, "session", None)
    return session is not None and session.get(OWNER_KEY) == subscriber.pk


def owner_of(request: HttpRequest):
    """The subscriber whose manage page this browser opened (by their manage link), if they
    are still subscribed; else None."""
    from newsletter.models import SUBSCRIBED, Subscriber

    session = getattr(request, "session", None)
    pk = session.get(OWNER_KEY) if session is not None else None
    if not isinstance(pk, int) or not session.get(MANAGE_URL_KEY):
        return None
    return Subscriber.objects.filter(pk=pk, status__in=SUBSCRIBED).first()


def forget_owner(request: HttpRequest) -> None:
    for key in (OWNER_KEY, MANAGE_URL_KEY):
        request.session.pop(key, None)
