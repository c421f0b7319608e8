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


@register.filter
def author_url(name) -> str:
    """An author's page, or "" for a name no page can have (empty, or only separators)."""
    from django.urls import NoReverseMatch, reverse

    text = str(name or "").strip()
    if not text.strip("/"):
        return ""
    try:
        return reverse("author", args=[text])
    except NoReverseMatch:
        return ""


@register.filter
def as_rule(text: str) -> str:
    """A keyword as a topic rule: one word as it is, several as a "phrase"."""
    text = " ".join(str(text).replace('"', " ").split())
    return text if " " not in text else f'"{text}"'


@register.filter
def short_authors(authors: list[str], shown: int = 3) -> str:
    """ "Ada Lovelace, Alan Turing, Grace Hopper et al.": the first few names of a paper."""
    names = [str(name) for name in authors or []]
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown]) + " et al."
