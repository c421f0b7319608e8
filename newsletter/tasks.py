"""Celery tasks: thin wrappers that take ids and call the emails module."""

from celery import shared_task

from newsletter import emails
from newsletter.models import Subscriber


@shared_task
def send_confirmation(subscriber_id: int) -> None:
    subscriber = Subscriber.objects.filter(pk=subscriber_id, status="pending").first()
    if subscriber is not None:  # confirmed, deleted or suppressed since: nothing to send
        emails.send_confirmation(subscriber)


@shared_task
def send_manage_link(subscriber_id: int) -> None:
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is not None and subscriber.status in ("active", "paused"):
        emails.send_manage_link(subscriber)
