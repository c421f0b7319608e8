"""What an ESP's event does to a subscriber (newsletter/webhooks.py receives it).

Three events change a subscriber: a hard bounce suppresses them (bounced), a complaint
suppresses them (complained), an unsubscribe at the ESP unsubscribes them. Every event is
stored once, deduplicated on its event id (ESPs retry webhooks), with what was done.
"""

import hashlib
import json

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.db import IntegrityError, transaction

from newsletter.models import DeliveryEvent, Digest, Subscriber
from newsletter.selectors import subscriber_by_address
from newsletter.services.deliverability import sending_guard
from newsletter.services.subscribers import subscriber_unsubscribe, subscribers_suppress

HARD_REJECT_REASONS = {RejectReason.BOUNCED, RejectReason.INVALID}


def delivery_event_record(*, event: AnymailTrackingEvent, esp_name: str) -> DeliveryEvent | None:
    """Store the event and act on it; None if this event was already received."""
    recipient = (event.recipient or "").strip()
    subscriber = subscriber_by_address(recipient) if recipient else None
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
    if record.event_type == EventType.COMPLAINED:
        sending_guard()  # a complaint may be the one past the line: pause at once
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
