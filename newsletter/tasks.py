"""Celery tasks: thin wrappers that take ids and call a service; and the receivers that queue them
when a service or the ingest announces work (newsletter/signals.py, papers/signals.py),
connected by `NewsletterConfig.ready`. Every one queues after the commit."""

from datetime import datetime, timedelta

from celery import shared_task
from django.utils import timezone

from core.schedules import periodic
from newsletter import emails
from newsletter.digests.delivery import digests_due_batched, digests_prepare, digests_send
from newsletter.models import SUBSCRIBED, Subscriber, Topic
from newsletter.services.deliverability import sending_guard
from newsletter.services.library import library_upload_read
from newsletter.services.matching import matches_update, subscriptions_match_recent
from newsletter.services.subscribers import manage_link_request, subscriber_signup

# Ids per matching task: a large ingest or import becomes several tasks of bounded size.
MATCH_TASK_PAPERS = 5000
MATCH_TASK_SUBSCRIPTIONS = 5000


@shared_task
def send_confirmation(subscriber_id: int, request_id: int | None = None) -> None:
    """The confirmation of one signup request (without one: of the latest, or of the
    subscription as it is, as the admin's "resend" asks)."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id, status="pending").first()
    if subscriber is None:  # confirmed, deleted or suppressed since: nothing to send
        return
    requests = subscriber.signup_requests.filter(confirmed_at__isnull=True)
    request = requests.filter(pk=request_id).first() if request_id is not None else requests.first()
    emails.send_confirmation(subscriber, request)


@shared_task
def process_signup(
    email: str, rules: list[str], topic_ids: list[int], preferences: dict, paper_ids=()
) -> str:
    """A signup, from the form: the request only queues it, so a new address and a known one
    take the same path and the same time there (which address is subscribed stays unknown)."""
    topics = list(Topic.objects.filter(pk__in=topic_ids, active=True))
    return subscriber_signup(
        email=email, rules=rules, topics=topics, preferences=preferences, papers=list(paper_ids)
    )


@shared_task
def send_manage_link(subscriber_id: int, reason: str = "signup") -> None:
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is not None and subscriber.status in SUBSCRIBED:
        emails.send_manage_link(subscriber, reason=reason)


@shared_task
def request_manage_link(email: str) -> str:
    """ "Send me a new link", from the page: the request only queues it, so every address takes
    the same path and the same time there."""
    return manage_link_request(email=email)


@shared_task
def send_links_reset(subscriber_id: int) -> None:
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is not None and subscriber.status in SUBSCRIBED:
        emails.send_links_reset(subscriber)


@shared_task
def match_papers(paper_ids: list[int]) -> int:
    return matches_update(paper_ids=paper_ids)


@shared_task
def match_subscriptions(subscription_ids: list[int]) -> int:
    return subscriptions_match_recent(subscription_ids=subscription_ids)


@periodic(
    "Match new and changed papers",
    every=timedelta(minutes=10),
    description="Match papers that are new or changed since last matched, and subscriptions "
    "not yet matched against the recent papers.",
)
@shared_task
def match_unmatched_papers() -> int:
    """The periodic sweep (its name is kept for the schedule in the database): new or changed
    papers, and subscriptions not yet matched against the recent ones."""
    return matches_update()


@periodic(
    "Send due digests",
    every=timedelta(minutes=5),
    description="Create the digests that have fallen due, retry and recover interrupted ones, "
    "and fan out batches of subscribers to send.",
)
@shared_task
def send_due_digests() -> int:
    """Beat, every few minutes: match what is unmatched, settle interrupted sends, create the
    digests that fell due, and fan out one task per batch of subscribers; how many batches.

    A batch queued twice (a slow tick overlapping the next) is harmless: the second finds
    nothing left to claim.
    """
    now = timezone.now()
    digests_prepare(now=now)
    return queue_due_batches(now=now)


def queue_due_batches(*, now: datetime, subscriber_ids: list[int] | None = None) -> int:
    """One `send_digest_batch` per batch of subscribers with a digest due (among
    `subscriber_ids`, when given): the beat task's fan-out, and the admin's "send digest now"."""
    batches = 0
    for batch in digests_due_batched(now=now, subscriber_ids=subscriber_ids):
        send_digest_batch.delay_on_commit(batch)
        batches += 1
    return batches


@periodic(
    "Watch deliverability",
    every=timedelta(minutes=10),
    description="Pause sending when spam complaints pass NEWSLETTER_COMPLAINT_RATE_LIMIT of the "
    "last 24 hours' sends; an editor resumes it in the admin (Sending state).",
)
@shared_task
def watch_deliverability() -> bool:
    return sending_guard() is not None


@periodic(
    "Find similar papers",
    every=timedelta(hours=1),
    description="Work out the papers like each recent paper (shown on its page), by the "
    "personal ranking's features, for papers new, changed or a day old.",
)
@shared_task
def train_similar_papers() -> int:
    from newsletter.personal.similar import papers_similar_update  # scikit-learn: here

    return papers_similar_update()


@shared_task(bind=True)
def send_digest_batch(self, subscriber_ids: list[int]) -> dict:
    """Claims under the task id, so a redelivered task finishes its own claim from the journal."""
    report = digests_send(subscriber_ids=subscriber_ids, claim=self.request.id or None)
    return {"sent": report.sent, "empty": report.empty, "failed": report.failed,
            "retrying": report.retrying}  # fmt: skip


@periodic(
    "Train reader rankings",
    every=timedelta(minutes=5),
    description="Train again the personal ranking of every reader whose library, 👍 or 👎 "
    "changed (a minute after their last change), in batches of 500.",
)
@shared_task
def train_due_reader_models() -> int:
    """Fan out the readers whose taste changed since their model was trained; how many batches."""
    from newsletter.personal.training import TRAIN_BATCH, reader_models_due  # scikit-learn: here

    ids = list(reader_models_due().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), TRAIN_BATCH):
        train_reader_models.delay(ids[start : start + TRAIN_BATCH])
    return (len(ids) + TRAIN_BATCH - 1) // TRAIN_BATCH


@shared_task
def train_reader_models(subscriber_ids: list[int]) -> int:
    """Train these readers' rankings, with the features fitted once per worker process."""
    from newsletter.personal.training import reader_models_train

    return reader_models_train(subscriber_ids=subscriber_ids)


@shared_task
def read_library_upload(upload_id: int) -> str:
    """Read a library file a reader uploaded (checked and stored by the manage page)."""
    upload = library_upload_read(upload_id=upload_id)
    return upload.summary if upload else "nothing to read"


# -- Receivers: work that services and the ingest announce, queued after their commit ----------


def queue_library_upload(sender, upload_id: int, **kwargs) -> None:
    read_library_upload.delay_on_commit(upload_id)


def queue_confirmation(sender, subscriber_id: int, request_id: int | None = None, **kwargs) -> None:
    send_confirmation.delay_on_commit(subscriber_id, request_id)


def queue_manage_link(sender, subscriber_id: int, reason: str = "signup", **kwargs) -> None:
    send_manage_link.delay_on_commit(subscriber_id, reason)


def queue_links_reset(sender, subscriber_id: int, **kwargs) -> None:
    send_links_reset.delay_on_commit(subscriber_id)


def queue_subscription_matching(sender, subscription_ids: list[int], **kwargs) -> None:
    """New and edited subscriptions are matched against the recent papers at once."""
    for start in range(0, len(subscription_ids), MATCH_TASK_SUBSCRIPTIONS):
        match_subscriptions.delay_on_commit(
            subscription_ids[start : start + MATCH_TASK_SUBSCRIPTIONS]
        )


def queue_paper_matching(sender, run_id: int, paper_ids: list[int], **kwargs) -> None:
    """The ingest hook: match what an ingest created or changed (sent after its commit)."""
    for start in range(0, len(paper_ids), MATCH_TASK_PAPERS):
        match_papers.delay(paper_ids[start : start + MATCH_TASK_PAPERS])
