"""Kept lean: the newsletter's rows past their retention, pruned in batches by the periodic
"Prune old rows" task (config/tasks.py). The defaults keep what the site shows: a reader's past
digests for six months (their web pages' links last 90 days), matches well past the digests'
lookback, ESP events for six months."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from core.bulk import delete_in_batches
from newsletter.models import DeliveryEvent, Digest, LibraryUpload, Match, SignupRequest


def newsletter_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its retention; how many rows of each kind went."""
    now = now or timezone.now()

    def days(setting: str) -> datetime:
        return now - timedelta(days=getattr(settings, setting))

    digests = Digest.objects.filter(
        period__lt=days("NEWSLETTER_DIGEST_RETENTION_DAYS").date()
    ).exclude(status=Digest.Status.PENDING)
    requests_cutoff = days("NEWSLETTER_REQUEST_RETENTION_DAYS")
    return {
        "matches": delete_in_batches(
            Match.objects.filter(created_at__lt=days("NEWSLETTER_MATCH_RETENTION_DAYS"))
        ),
        "digests": delete_in_batches(digests),
        "delivery events": delete_in_batches(
            DeliveryEvent.objects.filter(received_at__lt=days("NEWSLETTER_EVENT_RETENTION_DAYS"))
        ),
        "signup requests": delete_in_batches(
            SignupRequest.objects.filter(created_at__lt=requests_cutoff)
        ),
        "library uploads": delete_in_batches(
            LibraryUpload.objects.filter(created_at__lt=requests_cutoff).exclude(
                status=LibraryUpload.Status.QUEUED
            )
        ),
    }
