"""Builders for digest tests: papers, subscribers with rules, and the anymail test backend."""

from datetime import date

import pytest
from django.core import mail
from django.utils import timezone

from newsletter.digests.schedule import digests_create_now
from newsletter.matching import unmatched_papers_match
from newsletter.models import Subscriber, Subscription
from papers.models import Organization, Paper


@pytest.fixture
def make_paper():
    def make(title: str, **fields) -> Paper:
        org = fields.pop("org", None)
        if org:
            fields["organization"], _ = Organization.objects.get_or_create(
                handle=org, defaults={"name": org.title()}
            )
        fields.setdefault("listed_on", date.today())
        fields.setdefault("abstract", f"An abstract about {title.lower()}.")
        return Paper.objects.create(title=title, title_key=title.lower(), **fields)

    return make


@pytest.fixture
def make_subscriber():
    def make(email: str, *rules: str, status: str = "active", **preferences) -> Subscriber:
        subscriber = Subscriber.objects.create(
            email=email, status=status, confirmed_at=timezone.now(), **preferences
        )
        Subscription.objects.bulk_create(
            Subscription(subscriber=subscriber, rule=rule) for rule in rules
        )
        return subscriber

    return make


@pytest.fixture
def outbox(settings) -> list:
    """anymail's own test backend: what an ESP would have been handed."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    return mail.outbox


@pytest.fixture
def due_now():
    """Match what is unmatched, then make these subscribers' digests due at once."""

    def make_due(*subscribers: Subscriber) -> None:
        unmatched_papers_match()
        digests_create_now(subscriber_ids=[s.pk for s in subscribers], now=timezone.now())

    return make_due
