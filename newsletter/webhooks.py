"""The ESP's tracking webhook, /anymail/<esp>/tracking/: protected by ANYMAIL_WEBHOOK_SECRET's
basic auth, and not mounted at all without it (anyone could otherwise mark anyone bounced).
anymail reads the ESP's request into a tracking event; `on_tracking` hands it to the service
that acts on it (services/webhooks.py)."""

import base64
import hmac
import logging

from anymail.exceptions import AnymailError
from anymail.signals import AnymailTrackingEvent
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from newsletter.services.webhooks import delivery_event_record

logger = logging.getLogger(__name__)


def on_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    record = delivery_event_record(event=event, esp_name=esp_name)
    if record is not None and record.action.startswith(("suppressed", "unsubscribed")):
        logger.info(
            "%s event for subscriber %s: %s", record.event_type, record.subscriber_id,
            record.action, extra={"subscriber_id": record.subscriber_id},
        )  # fmt: skip


# The answers to a request that is not a well-formed event from the ESP: never a 500.
MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError, AnymailError,
             SuspiciousOperation, UnicodeError)  # fmt: skip


def webhook_secrets() -> list[str]:
    """The `user:password` pairs the ESP may send (ANYMAIL_WEBHOOK_SECRET, comma-separated
    during a rotation); none means the webhook is not mounted."""
    secret = settings.ANYMAIL.get("WEBHOOK_SECRET") or ""
    secrets = secret if isinstance(secret, list | tuple) else secret.split(",")
    return [s.strip() for s in secrets if s.strip()]


@csrf_exempt
def tracking_webhook(request: HttpRequest, esp: str) -> HttpResponse:
    """/anymail/<esp>/tracking/: the ESP's event, with the basic-auth credentials of
    ANYMAIL_WEBHOOK_SECRET. Missing or wrong credentials get 401, a body the ESP's parser cannot
    read 400, an ESP anymail does not know 404."""
    secrets = webhook_secrets()
    if not secrets:
        raise Http404("The tracking webhook is off: ANYMAIL_WEBHOOK_SECRET is not set.")
    try:
        match = resolve(f"/{esp}/tracking/", urlconf="anymail.urls")
    except Resolver404:
        raise Http404("No such ESP.") from None
    if not _authorized(request, secrets):
        response = HttpResponse("Credentials required.", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Basic realm="Paperwire ESP webhook"'
        return response
    try:
        with transaction.atomic():
            return match.func(request, *match.args, **match.kwargs)
    except MALFORMED as exc:
        logger.warning("Malformed %s webhook request: %s", esp, exc.__class__.__name__)
        return HttpResponse("Malformed event.", status=400, content_type="text/plain")


def _authorized(request: HttpRequest, secrets: list[str]) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return False
    try:
        given = base64.b64decode(encoded.strip(), validate=True).decode()
    except (ValueError, UnicodeError):
        return False
    found = False
    for secret in secrets:  # compare with every one, so the time tells nothing
        found |= hmac.compare_digest(given.encode(), secret.encode())
    return found
