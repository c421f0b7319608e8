"""Celery tasks: thin wrappers that take ids and call the emails module."""

from celery import shared_task

from newsletter import emails, matching
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


@shared_task
def match_papers(paper_ids: list[int]) -> int:
    return matching.papers_match(paper_ids=paper_ids)


@shared_task
def match_subscriptions(subscription_ids: list[int]) -> int:
    return matching.subscriptions_match_recent(subscription_ids=subscription_ids)


@shared_task
def match_unmatched_papers() -> int:
    return matching.unmatched_papers_match()
