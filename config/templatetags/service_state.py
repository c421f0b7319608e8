"""The admin index's summary of the service: what came in, what goes out, what is stuck."""

from datetime import timedelta

from django import template
from django.db.models import Count, Max
from django.utils import timezone

register = template.Library()


@register.simple_tag
def service_state() -> dict:
    """Papers listed today and seen in the last day, feeds failing, subscribers by status,
    digests of the last 24 hours by status (and those still pending), and the last beat run."""
    from django.conf import settings
    from django_celery_beat.models import PeriodicTask

    from newsletter.models import Digest, Subscriber
    from newsletter.selectors import deliverability, sending_paused
    from papers.models import Feed, Paper

    now = timezone.now()
    day_ago = now - timedelta(days=1)
    subscribers = dict(Subscriber.objects.values_list("status").annotate(n=Count("pk")))
    digests = dict(
        Digest.objects.filter(created_at__gte=day_ago).values_list("status").annotate(n=Count("pk"))
    )
    feeds = Feed.objects.filter(enabled=True)
    return {
        "papers_today": Paper.objects.filter(listed_on=timezone.localdate()).count(),
        "papers_seen": Paper.objects.filter(first_seen_at__gte=day_ago).count(),
        "feeds_enabled": feeds.count(),
        "feeds_failing": feeds.filter(
            consecutive_failures__gte=settings.PAPERS_FEED_FAILURES_ALERT
        ).count(),
        "subscribers": [
            (label, subscribers.get(value, 0)) for value, label in Subscriber.Status.choices
        ],
        "digests": [(label, digests.get(value, 0)) for value, label in Digest.Status.choices],
        "digests_failed": digests.get(Digest.Status.FAILED, 0),
        "pending_overdue": Digest.objects.filter(
            status=Digest.Status.PENDING, scheduled_for__lt=now - timedelta(hours=1)
        ).count(),
        "last_beat_run": PeriodicTask.objects.aggregate(last=Max("last_run_at"))["last"],
        "deliverability": list(deliverability(now=now).values()),
        "complaint_limit": settings.NEWSLETTER_COMPLAINT_RATE_LIMIT,
        "sending_paused": sending_paused(),
    }
