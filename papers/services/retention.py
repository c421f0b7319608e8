"""Kept lean: the papers app's rows past their retention, pruned in batches by the periodic
"Prune old rows" task (config/tasks.py). What the site and the archive show stays: papers
themselves are never pruned, nor a paper's latest upvote count."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from core.bulk import delete_in_batches
from papers.models import IngestRun, UpvoteObservation


def papers_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete upvote observations older than PAPERS_UPVOTE_HISTORY_DAYS (but each paper's last
    one before that, the baseline its growth is measured from) and ingest runs older than
    PAPERS_INGEST_RUN_RETENTION_DAYS (but each feed's latest); how many rows of each went."""
    now = now or timezone.now()
    history_cutoff = now - timedelta(days=settings.PAPERS_UPVOTE_HISTORY_DAYS)
    old = UpvoteObservation.objects.filter(observed_at__lt=history_cutoff)
    baselines = old.values("paper_id").annotate(last=Max("pk")).values("last")
    runs_cutoff = now - timedelta(days=settings.PAPERS_INGEST_RUN_RETENTION_DAYS)
    latest_runs = (
        IngestRun.objects.filter(feed__isnull=False)
        .values("feed_id")
        .annotate(last=Max("pk"))
        .values("last")
    )
    return {
        "upvote observations": delete_in_batches(old.exclude(pk__in=baselines)),
        "ingest runs": delete_in_batches(
            IngestRun.objects.filter(started_at__lt=runs_cutoff).exclude(pk__in=latest_runs)
        ),
    }
