"""The site's own periodic work, across both apps: keeping the database lean."""

import logging
from datetime import timedelta

from celery import shared_task

from core.schedules import periodic
from newsletter.services.retention import newsletter_prune
from papers.services.retention import papers_prune

logger = logging.getLogger(__name__)


@periodic(
    "Prune old rows",
    every=timedelta(hours=6),
    description="Delete, in batches, what is past its retention: matches, digests, ESP "
    "events, signup requests and library uploads, upvote history and ingest runs (see the "
    "*_RETENTION_DAYS settings). Papers are never pruned.",
)
@shared_task
def prune_old_rows() -> dict[str, int]:
    pruned = {**papers_prune(), **newsletter_prune()}
    if any(pruned.values()):
        logger.info(
            "pruned %s", ", ".join(f"{count} {kind}" for kind, count in pruned.items() if count)
        )
    return pruned
