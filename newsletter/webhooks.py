"""What an ESP tells us after sending, through anymail's tracking webhook
(/anymail/<esp>/tracking/, protected by ANYMAIL_WEBHOOK_SECRET's basic auth, and not mounted at
all without it: anyone could otherwise mark anyone bounced).

Three events change a subscriber: a hard bounce suppresses them (bounced), a complaint
suppresses them (complained), an unsubscribe at the ESP unsubscribes them. Every event is
stored once, deduplicated on its event id (ESPs retry webhooks), with what was done.
"""

import base64
import hashlib
import hmac
import json
import logging

from anymail.exceptions import AnymailError
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from core.addresses import canonical_or_same
from newsletter.models import DeliveryEvent, Digest, Subscriber
from newsletter.services import subscriber_unsubscribe, subscribers_suppress

logger = logging.getLogger(__name__)

HARD_REJECT_REASONS = {RejectReason.BOUNCED, RejectReason.INVALID}


def delivery_event_record(*, event: AnymailTrackingEvent, esp_name: str) -> DeliveryEvent | None:
    """Store the event and act on it; None if this event was already received."""
    recipient = (event.recipient or "").strip()
    subscriber = (
        Subscriber.objects.filter(email__iexact=canonical_or_same(recipient)).first()
        if recipient
        else None
    )
    digest = None
    if event.message_id:
        digest = Digest.objects.filter(esp_message_id=str(event.message_id)).first()
    record = DeliveryEvent(
        event_id=_event_id(event, esp_name),
        esp_name=esp_name,
        event_type=event.event_type or "",
        recipient=recipient[:254],
        esp_message_id=str(event.message_id or "")[:300],
        reject_reason=event.reject_reason or "",
        description=event.description or event.mta_response or "",
        occurred_at=event.timestamp,
        subscriber=subscriber,
        digest=digest,
        payload=_payload(event.esp_event),
    )
    try:
        with transaction.atomic():
            record.action = _act(event, subscriber)
            record.save()
    except IntegrityError:  # the same event id, delivered again
        return None
    return record


def _act(event: AnymailTrackingEvent, subscriber: Subscriber | None) -> str:
    if subscriber is None:
        return "recorded (no subscriber with this address)"
    if event.event_type == EventType.COMPLAINED:
        return _suppress(subscriber, Subscriber.Status.COMPLAINED)
    if event.event_type == EventType.UNSUBSCRIBED:
        changed = subscriber_unsubscribe(subscriber=subscriber)
        return "unsubscribed" if changed else f"recorded (already {subscriber.status})"
    hard_rejection = (
        event.event_type == EventType.REJECTED and event.reject_reason in HARD_REJECT_REASONS
    )
    if (event.event_type == EventType.BOUNCED and not _soft(event)) or hard_rejection:
        return _suppress(subscriber, Subscriber.Status.BOUNCED)
    return "recorded"


def _suppress(subscriber: Subscriber, status: str) -> str:
    changed = subscribers_suppress(subscriber_ids=[subscriber.pk], status=status)
    return f"suppressed ({status})" if changed else f"recorded (already {subscriber.status})"


def _soft(event: AnymailTrackingEvent) -> bool:
    """A bounce the ESP marks temporary (anymail normalizes some soft bounces to "bounced")."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    data = raw.get("event-data", raw)  # Mailgun nests its fields
    return raw.get("Type") in {"SoftBounce", "Transient"} or data.get("severity") == "temporary"


def _event_id(event: AnymailTrackingEvent, esp_name: str) -> str:
    if event.event_id:
        return f"{esp_name}:{event.event_id}"[:200]
    # Without an id from the ESP, the same fields mean the same event.
    fields = [esp_name, event.event_type, event.recipient, event.message_id, event.timestamp]
    return "sha256:" + hashlib.sha256(repr(fields).encode()).hexdigest()


def _payload(raw) -> dict:
    try:
        return json.loads(json.dumps(raw if isinstance(raw, dict) else {"raw": raw}, default=str))
    except (TypeError, ValueError):
        return {"raw": str(raw)}


def on_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    record = delivery_event_record(event=event, esp_name=esp_name)
    if record is not None and record.action.startswith(("suppressed", "unsubscribed")):
        logger.info("%s event for %s: %s", record.event_type, record.recipient, record.action)


# -- The endpoint -----------------------------------------------------------------------------

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
