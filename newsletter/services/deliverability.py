"""The deliverability guard: when spam complaints pass NEWSLETTER_COMPLAINT_RATE_LIMIT (0.3%,
the line Gmail's sender rules say never to cross) of the last 24 hours' sends, sending pauses
itself; the admin, the log and /health/ say why, until an editor resumes it. Checked after each
complaint the ESP reports and by the periodic "Watch deliverability" task."""

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from newsletter.models import SendingState
from newsletter.selectors import DELIVERABILITY_WINDOWS, deliverability_since, sending_paused

logger = logging.getLogger(__name__)


def sending_guard(*, now: datetime | None = None) -> SendingState | None:
    """Pause sending if the last day's complaint rate passed the limit (with at least
    NEWSLETTER_GUARD_MIN_SENDS sends, so one complaint among a handful is not a rate); the
    pause, or None while sending goes on."""
    paused = sending_paused()
    if paused is not None:
        return paused
    now = now or timezone.now()
    since = now - DELIVERABILITY_WINDOWS["24h"]
    resumed = SendingState.objects.filter(pk=1).values_list("resumed_at", flat=True).first()
    if resumed is not None and resumed > since:  # complaints before the editor resumed are known
        since = resumed
    day = deliverability_since(since)
    limit = settings.NEWSLETTER_COMPLAINT_RATE_LIMIT
    if day.sends < settings.NEWSLETTER_GUARD_MIN_SENDS or day.complaint_rate <= limit:
        return None
    reason = (
        f"{day.complaints:,} spam complaints for {day.sends:,} digests sent in the last 24 "
        f"hours: {day.complaint_rate:.2%}, over the limit of {limit:.2%}. Find what changed "
        "(a topic, a list import, the content) before resuming."
    )
    with transaction.atomic():
        state, _ = SendingState.objects.select_for_update().get_or_create(pk=1)
        state.paused_at, state.reason = now, reason
        state.resumed_at, state.resumed_by = None, ""
        state.save()
    logger.error("Sending paused by the deliverability guard: %s", reason)
    return state


def sending_resume(*, by: str) -> bool:
    """An editor resumes sending; True if it was paused. The guard pauses again only on new
    complaints past the limit."""
    changed = SendingState.objects.filter(pk=1, paused_at__isnull=False).update(
        paused_at=None, resumed_at=timezone.now(), resumed_by=by[:150]
    )
    if changed:
        logger.warning("Sending resumed by %s", by)
    return bool(changed)
