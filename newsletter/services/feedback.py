"""What a reader teaches their digest from its links: 👍 and 👎 on a paper, "mute this topic for a
week", and "fewer like this" (an exclusion added to a topic's rule; the exclusions offered, and
what each would leave out, are read by newsletter/selectors.py).

Every write here is reached by a POST (the pages behind the emailed links submit it); a GET or HEAD
of a link records nothing, since mail scanners open every link of a message.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from newsletter.models import Feedback, Subscriber, Subscription
from newsletter.selectors import Exclusion
from newsletter.signals import subscriptions_changed
from papers.models import Paper

MUTE_DAYS = 7


def taste_mark_changed(subscriber: Subscriber) -> None:
    """The reader's likes, dislikes or library changed: their ranking model is out of date."""
    now = timezone.now()
    Subscriber.objects.filter(pk=subscriber.pk).update(taste_changed_at=now)
    subscriber.taste_changed_at = now


@transaction.atomic
def feedback_record(*, subscriber: Subscriber, paper: Paper, verdict: int) -> Feedback:
    """Record 👍 (1) or 👎 (-1): the last click wins, and clicking twice records once."""
    feedback, created = Feedback.objects.select_for_update().get_or_create(
        subscriber=subscriber, paper=paper, defaults={"verdict": verdict}
    )
    changed = created or feedback.verdict != verdict
    if not created and changed:
        feedback.verdict = verdict
        feedback.updated_at = timezone.now()
        feedback.save(update_fields=["verdict", "updated_at"])
    if changed:
        taste_mark_changed(subscriber)
    return feedback


@transaction.atomic
def feedback_forget(*, subscriber: Subscriber, paper_id: int) -> bool:
    """Undo: the reader has no verdict on the paper any more. True if there was one."""
    deleted, _ = Feedback.objects.filter(subscriber=subscriber, paper_id=paper_id).delete()
    if deleted:
        taste_mark_changed(subscriber)
    return bool(deleted)


def subscription_mute(*, subscription: Subscription, days: int = MUTE_DAYS) -> None:
    subscription.muted_until = timezone.now() + timedelta(days=days)
    subscription.save(update_fields=["muted_until", "updated_at"])


def subscription_unmute(*, subscription: Subscription) -> None:
    subscription.muted_until = None
    subscription.save(update_fields=["muted_until", "updated_at"])


@transaction.atomic
def subscription_exclude(*, exclusion: Exclusion) -> Subscription:
    """Save the exclusion: the topic's rule changes, and its matches are made again."""
    subscription = exclusion.subscription
    subscription.rule = exclusion.rule
    subscription.matched_at = None
    subscription.full_clean()
    subscription.save(update_fields=["rule", "matched_at", "updated_at"])
    subscription.matches.all().delete()
    subscriptions_changed.send(sender=Subscription, subscription_ids=[subscription.pk])
    return subscription
