import secrets
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.timezone import now

from newsletter.rules import RuleError, parse


def validate_rule(text: str) -> None:
    if text:
        try:
            parse(text)
        except RuleError as exc:
            raise ValidationError(str(exc), code="rule") from None


def validate_timezone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(f"{name!r} is not a time zone name like Europe/Paris.")


def new_token() -> str:
    """An opaque, unguessable token (256 bits) for links that act without a signature."""
    return secrets.token_urlsafe(32)


class Topic(models.Model):
    """A curated topic that editors define and subscribers can pick."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    rule = models.CharField(max_length=300, validators=[validate_rule])
    description = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True, help_text="Offered on the signup form.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    email = models.EmailField(max_length=254)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    send_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY, help_text="For weekly digests."
    )
    send_hour = models.PositiveSmallIntegerField(
        default=8, help_text="0-23, in the subscriber's time zone."
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    min_upvotes = models.PositiveIntegerField(default=0)
    max_papers = models.PositiveSmallIntegerField(default=10)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(default=now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscriber_email_unique_ignoring_case"),
            models.CheckConstraint(
                condition=models.Q(send_hour__lte=23), name="subscriber_send_hour_in_day"
            ),
            models.CheckConstraint(
                condition=models.Q(max_papers__gte=1, max_papers__lte=50),
                name="subscriber_max_papers_1_to_50",
            ),
        ]

    def __str__(self) -> str:
        return self.email


class Subscription(models.Model):
    """What a subscriber follows: a rule of their own, a curated topic, or a topic narrowed by a
    rule (both must then match)."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    rule = models.CharField(max_length=300, blank=True, validators=[validate_rule])
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(rule="") | models.Q(topic__isnull=False),
                name="subscription_has_rule_or_topic",
            )
        ]

    def __str__(self) -> str:
        parts = [str(self.topic)] if self.topic_id else []
        if self.rule:
            parts.append(self.rule)
        return " + ".join(parts)


class Match(models.Model):
    """A paper that a subscription's rule matched, with the subscriber's own words it contains.

    Unique per (subscription, paper), so matching twice changes nothing.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="matches")
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="matches")
    terms = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "paper"], name="match_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.subscription} → {self.paper_id}"
