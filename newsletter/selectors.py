"""Reads for the newsletter: which stored papers a rule matches."""

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from newsletter.rules import Rule, document
from papers.models import Paper

PREVIEW_FIELDS = ("title", "abstract", "authors", "organization__handle", "organization__name")


def recent_papers(days: int) -> QuerySet:
    """Papers listed in the last `days` days up to today, or, when no listing date is known,
    first seen in them."""
    since = timezone.now() - timedelta(days=days)
    return Paper.objects.filter(
        Q(listed_on__gte=since.date()) | Q(listed_on__isnull=True, first_seen_at__gte=since)
    )


def papers_matching(rule: Rule, *, days: int | None = None) -> Iterator[tuple[int, str]]:
    """(id, title) of each visible paper the rule matches, newest listing first.

    With `days`, only papers listed (or, when no listing date is known, first seen) in that many
    days up to today. Hidden papers never reach a digest, so they are never matched here either.
    """
    papers = recent_papers(days) if days is not None else Paper.objects.all()
    papers = papers.filter(hidden=False).order_by("-listed_on", "-upvotes", "-pk")
    rows = papers.values_list("pk", *PREVIEW_FIELDS).iterator(chunk_size=2000)
    for pk, title, abstract, authors, org_handle, org_name in rows:
        org = f"{org_handle or ''} {org_name or ''}"
        if rule.matches(document(title=title, abstract=abstract, authors=authors, org=org)):
            yield pk, title
