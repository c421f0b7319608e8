from django import template

from papers.readers.base import http_url

register = template.Library()


register.filter("http_url", http_url)


@register.simple_tag
def failing_feeds():
    """The enabled feeds that failed PAPERS_FEED_FAILURES_ALERT times or more in a row."""
    from django.conf import settings

    from papers.models import Feed

    return list(
        Feed.objects.filter(
            enabled=True, consecutive_failures__gte=settings.PAPERS_FEED_FAILURES_ALERT
        ).order_by("-consecutive_failures", "name")
    )
