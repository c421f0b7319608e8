"""Sending digests exactly once.

A batch (a list of subscriber ids) runs in five queries, whatever its size:

1. claim: one conditional UPDATE turns the batch's due, pending digests into "sending" under a
   claim token of its own (the Celery task id, so a redelivered task finds its own claim);
   two workers can never both claim a digest;
2. read the claimed digests with their subscribers, and the papers each was sent before;
3. and 4. read the matches (with the readers' 👎, the failing feeds that an empty digest
   names, and for a batch with personal rankings whether the recent papers changed: one UNION
   query), then their papers with the papers'
   upvote history (assembly.py); when the recent papers changed, one more query reads their
   text for the rankings, once per worker process (personal/training.py);
5. record every outcome in one bulk UPDATE: sent (with Message-ID and ESP id), empty, failed,
   or pending again with a later `next_attempt_at` (a transient error, retried with
   exponential backoff by the next "send what is due").

Between claim and record, each accepted message is journaled (journal.py), so a worker killed
mid-batch leaves evidence: `digests_recover` marks the journaled digests sent and returns the
others to pending.
"""

import contextlib
import logging
import smtplib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import get_connection
from django.db.models import Exists, F, Q
from django.utils import timezone

from core.bulk import collector_paused, update_many
from core.lookups import IdsIn
from core.planner import analyze_if_stale
from newsletter import emails
from newsletter.content import Content
from newsletter.digests.assembly import contents_build
from newsletter.digests.journal import Journal, journal
from newsletter.digests.throttle import Throttle
from newsletter.models import Digest, SendingState, Subscriber
from newsletter.selectors import digests_sent_recently, sending_paused
from newsletter.services.matching import matches_update
from newsletter.services.schedule import digests_schedule

logger = logging.getLogger(__name__)

RECORDED_FIELDS = [
    "status", "reason", "items", "more", "sections", "section_subscriptions", "total", "subject",
    "message_id", "esp_message_id", "sent_at", "next_attempt_at", "claim",
]  # fmt: skip
REJECTED_STATUSES = {"rejected", "invalid"}


class PermanentError(Exception):
    """The backend refused this message for good (a bad address, a rejected recipient)."""


@dataclass
class Report:
    sent: int = 0
    empty: int = 0
    failed: int = 0
    retrying: int = 0
    errors: list[str] = field(default_factory=list)
    held: bool = False  # sending is paused by the deliverability guard

    def add(self, other: "Report") -> None:
        self.sent += other.sent
        self.empty += other.empty
        self.failed += other.failed
        self.retrying += other.retrying
        self.errors.extend(other.errors)


@collector_paused()
def digests_send(
    *, subscriber_ids: list[int], claim: str | None = None, now: datetime | None = None,
    connection=None,
) -> Report:  # fmt: skip
    """Send the due digests of these subscribers; what happened to them. Nothing while the
    deliverability guard holds sending: the digests wait, due, until an editor resumes it.

    Python's cycle collector is held off for the batch: its rows, contents and messages are
    hundreds of thousands of short-lived objects that reference counting frees, and the
    collector, started by allocations alone, walked them (and every card the process keeps)
    again and again: 15% of a sending process's time (benchmarks/README.md). What cycles a
    batch leaves wait for the next collection after it."""
    now = now or timezone.now()
    claim = claim or uuid.uuid4().hex
    # The guard's pause is read inside the claim (no query of its own): paused, nothing is claimed.
    paused = SendingState.objects.filter(paused_at__isnull=False)
    Digest.objects.filter(
        ~Exists(paused),
        IdsIn("subscriber_id", subscriber_ids),
        status=Digest.Status.PENDING,
        next_attempt_at__lte=now,
    ).update(status=Digest.Status.SENDING, claim=claim, claimed_at=now, attempts=F("attempts") + 1)
    claimed, sent_before = _claimed_and_sent_before(subscriber_ids, claim, now)
    if not claimed:
        return Report(held=paused.exists())
    log = journal()
    already = log.read(claim)  # a redelivered task: what its first run sent
    for digest in claimed:
        if digest.pk in already:
            sent = sent_before.setdefault(digest.subscriber_id, set())
            sent.update(row[0] for row in already[digest.pk]["items"])
    latest = _latest_per_subscriber(d for d in claimed if d.pk not in already)
    contents = contents_build(list(latest.values()), sent_before=sent_before, now=now)
    report = Report()
    renderer = emails.DigestRenderer()
    throttle = Throttle()
    connection = connection or get_connection()
    with contextlib.suppress(Exception):  # one connection for the batch; a failure shows per send
        connection.open()
    try:
        for digest in claimed:
            if digest.pk in already:
                _mark_sent(digest, already[digest.pk], now=now)
            elif digest.pk in contents:
                _deliver(digest, contents[digest.pk], renderer, connection, log, claim, now,
                         throttle=throttle)  # fmt: skip
            else:
                _supersede(digest, latest[digest.subscriber_id])
            _count(report, digest)
    finally:
        _close(connection)
        update_many(Digest, claimed, RECORDED_FIELDS)
    log.forget(claim)  # only once every outcome is in the database
    return report


def _claimed_and_sent_before(
    subscriber_ids: list[int], claim: str, now: datetime
) -> tuple[list[Digest], dict[int, set[int]]]:
    """The digests this claim holds, and per subscriber the papers their recent digests sent."""
    rows = (
        # The claimed digests are the batch's subscribers' too (the claim was made on them):
        # their ids bound the whole condition, so the rows can be read by subscriber.
        Digest.objects.filter(
            Q(claim=claim, status=Digest.Status.SENDING) | digests_sent_recently(now),
            IdsIn("subscriber_id", subscriber_ids),
        )
        .select_related("subscriber", "subscriber__reader_model")
        .order_by("pk")
    )
    claimed, sent_before = [], {}
    for digest in rows:
        if digest.status == Digest.Status.SENDING:
            claimed.append(digest)
        else:
            sent_before.setdefault(digest.subscriber_id, set()).update(digest.paper_ids)
    return claimed, sent_before


def _latest_per_subscriber(digests) -> dict[int, Digest]:
    """A subscriber with two digests due at once (one waiting for a retry when the next fell
    due) gets one email: the latest, which carries every paper not sent before."""
    latest: dict[int, Digest] = {}
    for digest in digests:
        current = latest.get(digest.subscriber_id)
        if current is None or (digest.period, digest.pk) > (current.period, current.pk):
            latest[digest.subscriber_id] = digest
    return latest


def _supersede(digest: Digest, by: Digest) -> None:
    digest.claim = ""
    digest.status = Digest.Status.EMPTY
    digest.reason = f"Superseded by the digest of {by.period:%Y-%m-%d}, which carries its papers."


def _deliver(
    digest, content: Content, renderer, connection, log: Journal, claim, now, *, throttle: Throttle
) -> None:
    digest.claim = ""
    subscriber = digest.subscriber
    if subscriber.status != Subscriber.Status.ACTIVE:
        digest.status = Digest.Status.EMPTY
        digest.reason = f"Not sent: the subscriber is {subscriber.get_status_display().lower()}."
        return
    kept = content.stored()
    digest.items, digest.more = kept["items"], kept["more"]
    digest.sections, digest.total = kept["sections"], kept["total"]
    digest.section_subscriptions = kept["section_subscriptions"]
    if content.empty:
        digest.status = Digest.Status.EMPTY
        digest.reason = content.reason
        return
    rendered = renderer.render(
        digest_id=digest.pk, period=digest.period, subscriber=subscriber, content=content
    )
    digest.subject = rendered.subject
    message = emails.digest_message(
        digest_id=digest.pk, subscriber=subscriber, subject=rendered.subject,
        text=rendered.text, html=rendered.html, connection=connection,
    )  # fmt: skip
    throttle.acquire()  # the ESP's rate, shared by every worker
    try:
        esp_id = _send(message, connection)
    except PermanentError as exc:
        digest.status = Digest.Status.FAILED
        digest.reason = f"Refused by the mail backend: {exc}"
        return
    except Exception as exc:  # transient until proven otherwise: retried, then given up
        _retry_later(digest, exc, now)
        _close(connection)  # a broken connection is reopened by the next send
        return
    entry = {
        "message_id": message.extra_headers["Message-ID"], "esp_message_id": esp_id,
        "subject": digest.subject, **kept,
    }  # fmt: skip
    log.record(claim, digest.pk, entry)
    _mark_sent(digest, entry, now=now)


def _send(message, connection) -> str:
    """Send one message; its ESP id. Raises PermanentError when retrying cannot help."""
    try:
        connection.send_messages([message])
    except AnymailRecipientsRefused as exc:
        raise PermanentError(str(exc).splitlines()[0]) from exc
    except AnymailAPIError as exc:
        if exc.status_code and 400 <= exc.status_code < 500 and exc.status_code not in (408, 429):
            raise PermanentError(f"HTTP {exc.status_code}: {str(exc).splitlines()[0]}") from exc
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(code >= 500 for code in codes):
            raise PermanentError(f"recipient refused ({', '.join(map(str, codes))})") from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            raise PermanentError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        raise
    status = getattr(message, "anymail_status", None)
    if status is None:
        return ""
    if status.status and status.status <= REJECTED_STATUSES:
        raise PermanentError(f"the ESP {'/'.join(sorted(status.status))} the recipient")
    return "" if status.message_id is None else str(status.message_id)


def _retry_later(digest: Digest, error: Exception, now: datetime) -> None:
    description = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    if digest.attempts >= settings.NEWSLETTER_MAX_ATTEMPTS:
        digest.status = Digest.Status.FAILED
        digest.reason = f"Gave up after {digest.attempts} attempts. Last error: {description}"
        return
    delay = min(
        settings.NEWSLETTER_RETRY_BASE_SECONDS * 2 ** (digest.attempts - 1),
        settings.NEWSLETTER_RETRY_MAX_SECONDS,
    )
    digest.status = Digest.Status.PENDING
    digest.next_attempt_at = now + timedelta(seconds=delay)
    digest.reason = (
        f"Attempt {digest.attempts} failed ({description}); "
        f"retrying after {digest.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC."
    )
    logger.warning(
        "Digest %s: %s", digest.pk, digest.reason,
        extra={"digest_id": digest.pk, "subscriber_id": digest.subscriber_id},
    )  # fmt: skip


def _mark_sent(digest: Digest, entry: dict, *, now: datetime) -> None:
    """Record a send from its journal entry."""
    for name, value in entry.items():
        setattr(digest, name, value)
    digest.status = Digest.Status.SENT
    digest.sent_at = now
    digest.claim = ""
    digest.reason = ""


def _count(report: Report, digest: Digest) -> None:
    if digest.status == Digest.Status.SENT:
        report.sent += 1
    elif digest.status == Digest.Status.EMPTY:
        report.empty += 1
    elif digest.status == Digest.Status.FAILED:
        report.failed += 1
        report.errors.append(digest.reason)
    else:
        report.retrying += 1
        report.errors.append(digest.reason)


def _close(connection) -> None:
    with contextlib.suppress(OSError, smtplib.SMTPException, AnymailError):
        connection.close()


def digests_recover(*, now: datetime | None = None) -> int:
    """Settle digests left "sending" by a worker that died: journaled ones are marked sent, the
    others go back to pending, due at once. How many were settled. Rare, so row by row."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.NEWSLETTER_SENDING_TIMEOUT_SECONDS)
    stale = list(Digest.objects.filter(status=Digest.Status.SENDING, claimed_at__lte=cutoff))
    log = journal()
    journals = {claim: log.read(claim) for claim in {digest.claim for digest in stale}}
    settled = 0
    for digest in stale:
        claim = digest.claim
        if digest.pk in journals[claim]:
            _mark_sent(digest, journals[claim][digest.pk], now=now)
        else:
            digest.status = Digest.Status.PENDING
            digest.next_attempt_at = now
            digest.claim = ""
            digest.reason = f"Recovered at {now:%Y-%m-%d %H:%M} UTC after its worker stopped."
        # Conditional on the stale claim: if its worker was only slow and has recorded since,
        # its record stands.
        values = {name: getattr(digest, name) for name in RECORDED_FIELDS}
        settled += Digest.objects.filter(
            pk=digest.pk, status=Digest.Status.SENDING, claim=claim
        ).update(**values)
    for claim in journals:
        log.forget(claim)
    return settled


@dataclass
class Prepared:
    matched: int
    recovered: int
    created: int


def digests_prepare(*, now: datetime) -> Prepared:
    """Before sending: match what is unmatched, settle interrupted sends, and create the
    digests that fell due (the beat task and `send_digests` both start here)."""
    prepared = Prepared(
        matched=matches_update(),
        recovered=digests_recover(now=now),
        created=digests_schedule(now=now),
    )
    # The digests just created, and those sent since the last tick, change what the batches'
    # reads should be planned for (a day at a million readers creates 800,000 and sends them).
    analyze_if_stale(Digest, written=prepared.created)
    return prepared


def digests_due_batched(
    *, now: datetime | None = None, size: int | None = None, subscriber_ids: list[int] | None = None
) -> Iterator[list[int]]:
    """The subscribers with a digest due now (among `subscriber_ids`, when given), in batches
    for `digests_send`: what the beat task and the admin's "send digest now" queue."""
    now = now or timezone.now()
    size = size or settings.NEWSLETTER_BATCH_SIZE
    if sending_paused() is not None:  # held by the deliverability guard: nothing to queue
        return
    due = Digest.objects.filter(status=Digest.Status.PENDING, next_attempt_at__lte=now)
    if subscriber_ids is not None:
        due = due.filter(subscriber_id__in=subscriber_ids)
    ids = due.order_by("subscriber_id").values_list("subscriber_id", flat=True).distinct()
    batch = []
    for subscriber_id in ids.iterator(chunk_size=size * 4):
        batch.append(subscriber_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
