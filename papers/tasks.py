"""Celery tasks: thin wrappers that take ids and call services.

Each feed has a periodic task of its own (`fetch_feed` with its id), written when the feed is
added; see papers/services/feeds.py.
"""

from datetime import timedelta

from celery import shared_task

from core.schedules import periodic
from papers import search
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


@periodic(
    "Index papers for search",
    every=timedelta(minutes=10),
    description="Index for the site's search every paper that is new or whose text changed "
    "since it was indexed (each ingest also indexes what it stored, at once).",
)
@shared_task
def index_search(paper_ids: list[int] | None = None) -> int:
    """Index these papers for search, or (with no ids, as the sweep) every pending one."""
    if paper_ids is None:
        return search.papers_index_pending()
    return search.papers_index(paper_ids)
