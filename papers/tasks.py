"""Celery tasks: thin wrappers that take ids and call services.

Each feed has a periodic task of its own (`fetch_feed` with its id), written when the feed is
added; see papers/services/feeds.py.
"""

from celery import shared_task

from papers.models import Feed
from papers.services.feeds import feed_fetch


@shared_task
def fetch_feeds() -> int:
    """Fan out one task per enabled feed, so one slow or failing feed never holds up the others."""
    feed_ids = list(Feed.objects.filter(enabled=True).values_list("pk", flat=True))
    for feed_id in feed_ids:
        fetch_feed.delay(feed_id)
    return len(feed_ids)


@shared_task
def fetch_feed(feed_id: int) -> int | None:
    """Fetch one feed; how many papers it added (None for a feed deleted or disabled since)."""
    feed = Feed.objects.filter(pk=feed_id, enabled=True).first()
    if feed is None:
        return None
    return feed_fetch(feed=feed).new
