"""Importing a list of subscribers from CSV (`manage.py subscribers_import`).

Columns: `email`, and optionally `topic` (a curated topic's name or slug, or a rule of the
subscriber's own), one row per topic. Every row is checked before anything is written; the rows
that pass are imported in one transaction, and the report says what was refused and why.

Without `confirmed`, the imported addresses are pending and each gets the confirmation email
(double opt-in, as a signup on the site); with it, for lists that opted in elsewhere, they are
active at once. An address we already know is never changed: an unsubscribed or suppressed one
must not be added back by a list.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.addresses import canonical_email
from core.query import QueryError, parse
from core.uploads import UploadError, upload_text
from newsletter.models import MAX_RULES, Subscriber, Subscription, Topic
from newsletter.services.schedule import subscriber_next_digest_at
from newsletter.signals import confirmation_needed, subscriptions_changed

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
EMAIL = EmailValidator()
FORBIDDEN_IN_EMAIL = "\r\n\x00,;<>"


class SubscriberListError(ValueError):
    """A file that cannot be read as a subscriber list at all (nothing is imported)."""


@dataclass
class Refused:
    line: int
    email: str
    reason: str


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    topics: int = 0
    refused: list[Refused] = field(default_factory=list)
    confirmed: bool = False
    without_topics: int = 0  # imported with no topic: they get nothing until they add one

    def summary(self) -> str:
        state = "active" if self.confirmed else "pending, each sent a confirmation email"
        text = (
            f"Imported {len(self.imported):,} subscriber{'s' if len(self.imported) != 1 else ''}"
            f" ({state}) with {self.topics:,} topic{'s' if self.topics != 1 else ''}; "
            f"refused {len(self.refused):,} row{'s' if len(self.refused) != 1 else ''}."
        )
        if self.without_topics:
            text += (
                f" {self.without_topics:,} follow no topic yet: their digests stay empty until "
                "they add one, or a library, on their manage page."
            )
        return text


@dataclass
class _Reader:
    line: int
    email: str
    rules: list[str] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)


def subscribers_import(data: bytes, *, confirmed: bool = False) -> ImportReport:
    rows = _rows(data)
    report = ImportReport(confirmed=confirmed)
    curated = {}
    for topic in Topic.objects.all():
        curated[topic.name.casefold()] = topic
        curated[topic.slug.casefold()] = topic
    readers: dict[str, _Reader] = {}
    for line, email, topic in rows:
        problem = _email_problem(email)
        if not problem:
            try:  # one spelling per mailbox, as a signup stores it
                email = canonical_email(email)
            except ValueError as exc:
                problem = f"not a valid email address ({exc})"
        if problem:
            report.refused.append(Refused(line, email, problem))
            continue
        if not topic:
            readers.setdefault(email.casefold(), _Reader(line, email))
            continue
        if topic.casefold() in curated:
            reader = readers.setdefault(email.casefold(), _Reader(line, email))
            chosen = curated[topic.casefold()]
            if chosen not in reader.topics:
                reader.topics.append(chosen)
            continue
        try:
            parse(topic)
        except QueryError as exc:
            report.refused.append(Refused(line, email, f"topic {topic!r}: {exc}"))
            continue
        reader = readers.setdefault(email.casefold(), _Reader(line, email))
        rule = " ".join(topic.split())
        if rule not in reader.rules:
            if len(reader.rules) >= MAX_RULES:
                report.refused.append(Refused(line, email, f"more than {MAX_RULES} rules"))
                continue
            reader.rules.append(rule)
    known = _known(list(readers.values()))
    new = []
    for key, reader in readers.items():
        if key in known:
            report.refused.append(Refused(reader.line, reader.email, known[key]))
        else:
            new.append(reader)
    _write(new, confirmed=confirmed, report=report)
    report.refused.sort(key=lambda refused: refused.line)
    return report


def _rows(data: bytes) -> list[tuple[int, str, str]]:
    try:
        text = upload_text(data, max_bytes=MAX_BYTES, binary="This is a binary file, not a CSV.")
    except UploadError as exc:
        raise SubscriberListError(str(exc)) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    if "email" not in columns:
        raise SubscriberListError(
            "The first line must name the columns: email, and optionally topic."
        )
    rows = []
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise SubscriberListError(f"The file has more than {MAX_ROWS:,} rows.")
            email = (row.get(columns["email"]) or "").strip()
            topic = (row.get(columns["topic"]) or "").strip() if "topic" in columns else ""
            if email or topic:
                rows.append((reader.line_num, email, topic))
    except csv.Error as exc:
        raise SubscriberListError(f"Line {reader.line_num}: {exc}.") from None
    return rows


def _email_problem(email: str) -> str:
    if not email:
        return "no email address"
    if len(email) > 254 or any(char in email for char in FORBIDDEN_IN_EMAIL):
        return "not one plain email address"
    try:
        EMAIL(email)
    except ValidationError:
        return "not a valid email address"
    return ""


def _known(readers: list[_Reader]) -> dict[str, str]:
    """The addresses we already have, with why a list must not change them."""
    reasons = {
        Subscriber.Status.ACTIVE: "already subscribed (unchanged)",
        Subscriber.Status.PAUSED: "already subscribed, paused (unchanged)",
        Subscriber.Status.PENDING: "already signed up, waiting for confirmation (unchanged)",
        Subscriber.Status.UNSUBSCRIBED: "unsubscribed: only they can sign up again",
        Subscriber.Status.BOUNCED: "suppressed after a bounce",
        Subscriber.Status.COMPLAINED: "suppressed after a complaint",
    }
    known = {}
    emails = [reader.email for reader in readers]
    for start in range(0, len(emails), 500):
        condition = Q()
        for email in emails[start : start + 500]:
            condition |= Q(email__iexact=email)
        for email, status in Subscriber.objects.filter(condition).values_list("email", "status"):
            known[email.casefold()] = reasons[status]
    return known


def _write(readers: list[_Reader], *, confirmed: bool, report: ImportReport) -> None:
    now = timezone.now()
    with transaction.atomic():
        subscribers = [
            Subscriber(
                email=reader.email,
                status=Subscriber.Status.ACTIVE if confirmed else Subscriber.Status.PENDING,
                confirmed_at=now if confirmed else None,
            )
            for reader in readers
        ]
        for subscriber in subscribers:
            if confirmed:
                subscriber.next_digest_at = subscriber_next_digest_at(subscriber, after=now)
        Subscriber.objects.bulk_create(subscribers, batch_size=1000)
        subscriptions = [
            Subscription(subscriber=subscriber, rule=rule)
            for subscriber, reader in zip(subscribers, readers, strict=True)
            for rule in reader.rules
        ] + [
            Subscription(subscriber=subscriber, topic=topic)
            for subscriber, reader in zip(subscribers, readers, strict=True)
            for topic in reader.topics
        ]
        created = Subscription.objects.bulk_create(subscriptions, batch_size=1000)
        ids = [s.pk for s in created]
        subscriptions_changed.send(sender=Subscription, subscription_ids=ids)
        if not confirmed:
            for subscriber in subscribers:
                confirmation_needed.send(sender=Subscriber, subscriber_id=subscriber.pk)
    report.imported = [reader.email for reader in readers]
    report.topics = len(subscriptions)
    report.without_topics = sum(not (r.rules or r.topics) for r in readers)
