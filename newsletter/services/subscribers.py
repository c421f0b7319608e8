"""What subscribers do: sign up, confirm, change their topics and schedule, pause, leave; and
what editors and the ESP do to them (suppress). Their data to take away is a read
(`selectors.subscriber_export`)."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.addresses import canonical_or_same
from newsletter.models import (
    SUBSCRIBED,
    SUPPRESSED,
    SignupRequest,
    Subscriber,
    Subscription,
    Topic,
    new_token,
)
from newsletter.services.schedule import subscriber_next_digest_at
from newsletter.signals import (
    confirmation_needed,
    links_reset,
    manage_link_needed,
    subscriptions_changed,
)


def subscriber_signup(
    *,
    email: str,
    rules: list[str],
    topics: list[Topic],
    preferences: dict,
    papers: list[int] = (),
) -> str:
    """Sign an address up, or tell its owner how to manage it; what was sent, for logs and tests.

    Every case looks the same to the visitor (no enumeration):
    - a new, pending or unsubscribed address gets the confirmation email, and until it is
      confirmed that is the only email it receives; what was asked is a `SignupRequest` of its
      own, which that email recaps and its link confirms (anyone may sign any address up, so
      a later signup never rewrites an earlier one);
    - an active or paused one gets a "manage your subscription" email, and nothing changes;
    - a bounced or complained one gets nothing: it is suppressed.

    `papers` start the reader's library once the request is confirmed ("Email me papers like
    this").
    """
    with transaction.atomic():
        subscriber = _locked_subscriber(email)
        if subscriber is None or subscriber.status not in (*SUBSCRIBED, *SUPPRESSED):
            subscriber = _save_pending(subscriber, email, rules, topics, preferences)
            if subscriber.status != Subscriber.Status.PENDING:  # confirmed a moment ago
                return "nothing"
            asked = SignupRequest.objects.create(
                subscriber=subscriber, rules=list(rules), topic_ids=[t.pk for t in topics],
                preferences=preferences, papers=list(papers),
            )  # fmt: skip
            confirmation_needed.send(
                sender=Subscriber, subscriber_id=subscriber.pk, request_id=asked.pk
            )
            return "confirmation"
        if subscriber.status in SUBSCRIBED:
            manage_link_needed.send(sender=Subscriber, subscriber_id=subscriber.pk)
            return "manage_link"
    return "nothing"


def subscriber_update(
    *, subscriber: Subscriber, rules: list[str], topics: list[Topic], preferences: dict
) -> None:
    with transaction.atomic():
        for name, value in preferences.items():
            setattr(subscriber, name, value)
        subscriber.next_digest_at = _next_digest_at(subscriber)
        subscriber.full_clean()
        subscriber.save()
        _replace_subscriptions(subscriber, rules, topics)


def _locked_subscriber(email: str) -> Subscriber | None:
    return (
        Subscriber.objects.select_for_update()
        .filter(email__iexact=canonical_or_same(email))
        .first()
    )


def _save_pending(subscriber, email, rules, topics, preferences) -> Subscriber:
    """A new address, pending with what it asked; an address we have (pending or unsubscribed)
    pending again, its topics and schedule left as they are until a link confirms a request."""
    if subscriber is not None:
        if subscriber.status != Subscriber.Status.PENDING:
            subscriber.status = Subscriber.Status.PENDING
            subscriber.save(update_fields=["status"])
        return subscriber
    subscriber = Subscriber(email=email, status=Subscriber.Status.PENDING)
    for name, value in preferences.items():
        setattr(subscriber, name, value)
    subscriber.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            subscriber.save()
    except IntegrityError:  # the same address signed up a moment ago, in another request
        return Subscriber.objects.select_for_update().get(email__iexact=email)
    _replace_subscriptions(subscriber, rules, topics)
    return subscriber


def _replace_subscriptions(subscriber: Subscriber, rules: list[str], topics: list[Topic]) -> None:
    subscriber.subscriptions.all().delete()
    created = Subscription.objects.bulk_create(
        [Subscription(subscriber=subscriber, rule=rule) for rule in rules]
        + [Subscription(subscriber=subscriber, topic=topic) for topic in topics]
    )
    # New and edited subscriptions are matched against the recent papers at once.
    subscriptions_changed.send(sender=Subscription, subscription_ids=[s.pk for s in created])


def subscriber_links_reset(*, subscriber: Subscriber) -> None:
    """Sign out every link: a new opaque token, so every link made before (manage, confirm,
    digests, 👍/👎, mute, unsubscribe) and the private feed's URL stop working. A mail brings
    the reader their new manage link, and says so."""
    with transaction.atomic():
        subscriber.token = new_token()
        subscriber.save(update_fields=["token"])
        links_reset.send(sender=Subscriber, subscriber_id=subscriber.pk)


def manage_link_request(*, email: str) -> str:
    """ "Send me a new link": a subscribed address gets a mail with its manage link; any other
    gets nothing. Run by a worker, so the page answers alike for every address."""
    subscriber = (
        Subscriber.objects.filter(email__iexact=canonical_or_same(email), status__in=SUBSCRIBED)
        .only("pk")
        .first()
    )
    if subscriber is None:
        return "nothing"
    manage_link_needed.send(sender=Subscriber, subscriber_id=subscriber.pk, reason="asked")
    return "manage_link"


def subscriber_confirm(*, subscriber: Subscriber, request: SignupRequest | None = None) -> bool:
    """Double opt-in's second step: a pending address becomes active, with what `request`
    asked (the topics and schedule its mail recapped), or as it is. True if it changed.

    A conditional UPDATE, so two clicks (or a scanner and a person) confirm once.
    """
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().filter(pk=subscriber.pk).first()
        if request is not None and locked is not None and locked.status == "pending":
            for name, value in request.preferences.items():
                setattr(subscriber, name, value)
            subscriber.save(update_fields=list(request.preferences))
            _replace_subscriptions(subscriber, request.rules, request.topics())
            request.confirmed_at = timezone.now()
            request.save(update_fields=["confirmed_at"])
        changed = Subscriber.objects.filter(
            pk=subscriber.pk, status=Subscriber.Status.PENDING
        ).update(
            status=Subscriber.Status.ACTIVE,
            confirmed_at=timezone.now(),
            next_digest_at=_next_digest_at(subscriber),
        )
        if changed:
            # Papers that came in while the address was unconfirmed were not matched to it.
            subscriptions = subscriber.subscriptions.all()
            subscriptions.update(matched_at=None)
            subscriptions_changed.send(
                sender=Subscription,
                subscription_ids=list(subscriptions.values_list("pk", flat=True)),
            )
    subscriber.refresh_from_db()
    return bool(changed)


def _next_digest_at(subscriber: Subscriber) -> datetime:
    return subscriber_next_digest_at(subscriber, after=timezone.now())


@transaction.atomic
def subscriber_unsubscribe(*, subscriber: Subscriber) -> bool:
    """Stop every email to this address. Suppressions (bounce, complaint) stay as they are."""
    changed = (
        Subscriber.objects.filter(pk=subscriber.pk)
        .exclude(status__in=[Subscriber.Status.UNSUBSCRIBED, *SUPPRESSED])
        .update(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
    )
    subscriber.refresh_from_db()
    return bool(changed)


def subscriber_pause(*, subscriber: Subscriber) -> bool:
    changed = Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.ACTIVE).update(
        status=Subscriber.Status.PAUSED
    )
    subscriber.refresh_from_db()
    return bool(changed)


def subscriber_resume(*, subscriber: Subscriber) -> bool:
    changed = Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.PAUSED).update(
        status=Subscriber.Status.ACTIVE, next_digest_at=_next_digest_at(subscriber)
    )
    subscriber.refresh_from_db()
    return bool(changed)


def subscriber_delete(*, subscriber: Subscriber) -> None:
    """Erase the subscriber and everything that hangs off them (subscriptions, history)."""
    subscriber.delete()


def subscribers_suppress(
    *, subscriber_ids: list[int], status: str = Subscriber.Status.COMPLAINED
) -> int:
    """Never email these addresses again: `bounced` after a hard bounce, `complained` after a
    complaint or an editor's suppression. One already suppressed keeps its status. How many
    changed."""
    return (
        Subscriber.objects.filter(pk__in=subscriber_ids)
        .exclude(status__in=SUPPRESSED)
        .update(status=status, unsubscribed_at=timezone.now())
    )
