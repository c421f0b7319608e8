"""Writes for the newsletter: what subscribers do, as functions views and commands share."""

from django.db import transaction
from django.utils import timezone

from newsletter.models import Subscriber

SUPPRESSED = (Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED)


def subscriber_confirm(*, subscriber: Subscriber) -> bool:
    """Double opt-in's second step: a pending address becomes active. True if it changed.

    A conditional UPDATE, so two clicks (or a scanner and a person) confirm once.
    """
    changed = Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.PENDING).update(
        status=Subscriber.Status.ACTIVE, confirmed_at=timezone.now()
    )
    subscriber.refresh_from_db()
    return bool(changed)


@transaction.atomic
def subscriber_unsubscribe(*, subscriber: Subscriber) -> bool:
    """Stop every email to this address. Suppressions (bounce, complaint) stay as they are."""
    changed = (
        Subscriber.objects.filter(pk=subscriber.pk)
        .exclude(status__in=[Subscriber.Status.UNSUBSCRIBED, *SUPPRESSED])
        .update(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
    )
    subscriber.refresh_from_db()
    return bool(changed)


def subscriber_pause(*, subscriber: Subscriber) -> bool:
    changed = Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.ACTIVE).update(
        status=Subscriber.Status.PAUSED
    )
    subscriber.refresh_from_db()
    return bool(changed)


def subscriber_resume(*, subscriber: Subscriber) -> bool:
    changed = Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.PAUSED).update(
        status=Subscriber.Status.ACTIVE
    )
    subscriber.refresh_from_db()
    return bool(changed)


def subscriber_delete(*, subscriber: Subscriber) -> None:
    """Erase the subscriber and everything that hangs off them (subscriptions, history)."""
    subscriber.delete()


def subscriber_export(*, subscriber: Subscriber) -> dict:
    """Everything stored about a subscriber, for "download my data"."""
    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "frequency": subscriber.frequency,
        "send_weekday": subscriber.get_send_weekday_display(),
        "send_hour": subscriber.send_hour,
        "timezone": subscriber.timezone,
        "min_upvotes": subscriber.min_upvotes,
        "max_papers": subscriber.max_papers,
        "created_at": subscriber.created_at.isoformat(),
        "confirmed_at": subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else None,
        "unsubscribed_at": (
            subscriber.unsubscribed_at.isoformat() if subscriber.unsubscribed_at else None
        ),
        "subscriptions": [
            {
                "rule": s.rule,
                "topic": s.topic.name if s.topic_id else None,
                "created_at": s.created_at.isoformat(),
            }
            for s in subscriber.subscriptions.select_related("topic")
        ],
    }
