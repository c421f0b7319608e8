import secrets
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.timezone import now

from core.query import Query, QueryError, parse


def validate_rule(text: str) -> None:
    if text:
        try:
            parse(text)
        except QueryError as exc:
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
    taste_changed_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When their 👍, 👎 or library last changed: their ranking is trained again.",
    )  # fmt: skip
    next_digest_at = models.DateTimeField(
        null=True, blank=True, editable=False, db_index=True,
        help_text="When the next digest is due (UTC); set on confirming and on each change.",
    )  # fmt: skip

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


# Who is subscribed (matched, and sent digests when active), and who must never be emailed again
# (a hard bounce, a complaint, an editor's suppression).
SUBSCRIBED = (Subscriber.Status.ACTIVE, Subscriber.Status.PAUSED)
SUPPRESSED = (Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED)
MAX_RULES = 10  # rules of their own a subscriber may follow, beside curated topics


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
    matched_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When it was last matched against the recent papers; empty until then.",
    )  # fmt: skip
    muted_until = models.DateTimeField(
        null=True, blank=True, help_text="Left out of digests until then (the reader muted it)."
    )

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

    def query(self) -> Query:
        """What it matches: its own rule, its topic's, or both (then both must hold)."""
        return rules_query(self.topic.rule if self.topic_id else "", self.rule)


def rules_query(topic_rule: str, rule: str) -> Query:
    """A subscription's query from its topic's rule and its own (either may be empty)."""
    parts = [parse(text) for text in (topic_rule, rule) if text]
    return parts[0] if len(parts) == 1 else parts[0].joined_with(parts[1])


class Match(models.Model):
    """A paper that a subscription's rule matched, with the subscriber's own words it contains.

    Unique per (subscription, paper), so matching twice changes nothing.
    """

    # No foreign key constraint in the database for either (`db_constraint=False`): matching
    # writes millions of rows a day at size, and PostgreSQL checked both keys of every row at
    # COMMIT (deferred, as Django makes them), 83 s of each shard's insert at a million readers.
    # The rows are made from the subscriptions and papers just read; Django still deletes a
    # deleted paper's or subscription's matches (on_delete is Django's), every read joins the
    # subscription, and a row left by a subscription deleted while it was matched is never read
    # and goes with retention.
    # No index of its own: the two below begin with it.
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="matches", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    paper = models.ForeignKey(
        "papers.Paper", on_delete=models.CASCADE, related_name="matches", db_constraint=False
    )
    terms = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "paper"], name="match_unique_pair")
        ]
        indexes = [
            # A digest reads its readers' matches of the last day or week, among the matches
            # that retention keeps (weeks of them): found in the index, not row by row.
            models.Index(fields=["subscription", "created_at"], name="match_subscription_recent")
        ]

    def __str__(self) -> str:
        return f"{self.subscription} → {self.paper_id}"


class Digest(models.Model):
    """The ledger row of one subscriber's digest for one period: created when it falls due,
    claimed before it is sent, and kept, whatever happened, with the reason.

    `period` is the subscriber's local date of the scheduled send; one digest per (subscriber,
    period), so a second scheduler, a retried task or `send_digests --now` twice adds nothing.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        EMPTY = "empty", "Empty"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="digests")
    period = models.DateField(help_text="The subscriber's local date of the scheduled send.")
    frequency = models.CharField(max_length=10, choices=Subscriber.Frequency.choices)
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True, help_text="Why it is empty or failed, or was retried.")
    # [[paper id, [matched terms], [section, ...]], ...]: the papers sent, in order, and those
    # left for the web; a paper's first section is where it stands, the others matched it too.
    items = models.JSONField(default=list, blank=True)
    more = models.JSONField(default=list, blank=True)
    sections = models.JSONField(default=list, blank=True, help_text="The sections' titles.")
    section_subscriptions = models.JSONField(
        default=list, blank=True, help_text="The subscription of each section (none for extras)."
    )
    total = models.PositiveIntegerField(
        null=True, blank=True, help_text="Papers of the period on the reader's topics."
    )
    subject = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    claim = models.CharField(max_length=64, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    message_id = models.CharField("Message-ID", max_length=300, blank=True)
    esp_message_id = models.CharField("ESP message id", max_length=300, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-scheduled_for"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "period"], name="digest_once_per_period")
        ]
        indexes = [
            # Only the digests still to send are indexed by status: sending reads them so, and
            # nothing should read the rest so. A full (status, next_attempt_at) index let
            # PostgreSQL, whose statistics were older than the day's sends and said that few
            # digests were sent, read a batch's recent digests through it: every digest sent
            # that day, for each batch (167 ms with 233,000 sent, in the day of a million
            # readers, and growing). Two indexes, each on one status, since SQLite uses a
            # partial index only for a condition that names its WHERE as written.
            models.Index(
                fields=["next_attempt_at"],
                name="digest_pending_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["claimed_at"],
                name="digest_sending_since",
                condition=models.Q(status="sending"),
            ),
            models.Index(fields=["claim"], name="digest_claim"),
            models.Index(fields=["esp_message_id"], name="digest_esp_message_id"),
            # The deliverability guard and the metrics count the last day's and week's sends.
            models.Index(fields=["sent_at"], name="digest_sent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} {self.period:%Y-%m-%d} ({self.status})"

    @property
    def paper_ids(self) -> list[int]:
        return [row[0] for row in self.items]


class DeliveryEvent(models.Model):
    """An ESP's tracking event (anymail webhook), stored once per event id, and what it did."""

    event_id = models.CharField(max_length=200, unique=True)
    esp_name = models.CharField(max_length=50)
    event_type = models.CharField(max_length=30, db_index=True)
    recipient = models.EmailField(max_length=254, blank=True)
    esp_message_id = models.CharField(max_length=300, blank=True)
    reject_reason = models.CharField(max_length=30, blank=True)
    description = models.TextField(blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=now, editable=False)
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    digest = models.ForeignKey(
        Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    action = models.CharField(max_length=100, blank=True, help_text="What Paperwire did.")
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["received_at"], name="deliveryevent_received_at")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.recipient}"


class PaperMatchState(models.Model):
    """The matcher's progress: when each paper was last matched against every subscription.

    A paper needs matching while it has no state or its text changed since (`Paper.text_changed_at`);
    hidden papers are never matched, so they wait here until they are unhidden.
    """

    paper = models.OneToOneField(
        "papers.Paper", primary_key=True, on_delete=models.CASCADE, related_name="match_state"
    )
    matched_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"paper {self.paper_id} matched {self.matched_at:%Y-%m-%d %H:%M}"


class Feedback(models.Model):
    """A reader's 👍 or 👎 on a paper, from a digest: one per (subscriber, paper), the last click
    wins. A 👎'd paper never appears in their digests again."""

    class Verdict(models.IntegerChoices):
        LIKE = 1, "👍"
        DISLIKE = -1, "👎"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="feedback")
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="feedback")
    verdict = models.SmallIntegerField(choices=Verdict.choices)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name_plural = "feedback"
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "paper"], name="feedback_once_per_paper")
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} {self.paper_id} by {self.subscriber_id}"


class LibraryEntry(models.Model):
    """A paper in a reader's own library (pasted ids, a BibTeX, RIS or Zotero CSV export): one
    of the positives their ranking learns from. A paper we do not store still counts, through
    the title and abstract its file gave."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="library")
    paper = models.ForeignKey(
        "papers.Paper", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # arxiv:<id>, doi:<doi> or title:<title key>: one entry per paper and reader.
    identity = models.CharField(max_length=300)
    arxiv_id = models.CharField("arXiv id", max_length=40, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    title = models.TextField(blank=True)
    abstract = models.TextField(blank=True)
    source = models.CharField(max_length=20, help_text="The format it was imported from.")
    added_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        verbose_name_plural = "library entries"
        ordering = ["-added_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "identity"], name="library_entry_once_per_reader"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.arxiv_id or self.doi


class ReaderModel(models.Model):
    """A reader's ranking, learned from their library and 👍 (the positives) against their 👎
    and a sample of recent papers (the negatives), stored compactly as its most weighted terms,
    never as a pickle. Trained again when `Subscriber.taste_changed_at` passes `trained_at`."""

    subscriber = models.OneToOneField(
        Subscriber, primary_key=True, on_delete=models.CASCADE, related_name="reader_model"
    )
    weights = models.JSONField(default=dict, help_text="The top terms and their weights.")
    bias = models.FloatField(default=0.0)
    # The latest positives, each as [kind ("library" or "liked"), title, {term: weight}]: the
    # reasons a recommendation gives ("like <title> in your library").
    positives = models.JSONField(default=list)
    # The stored papers of the reader's library and those they rated: never recommended.
    known_ids = models.JSONField(default=list)
    positive_count = models.PositiveIntegerField(default=0)
    negative_count = models.PositiveIntegerField(default=0)
    trained_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"ranking of {self.subscriber_id} ({self.positive_count} positives)"


class LibraryUpload(models.Model):
    """A library file a reader handed over on the manage page: checked at once (size, text,
    entries, braces), then read by a worker (`read_library_upload`), so a 10 MB file never
    holds a web process. Its bytes are dropped once read."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Being read"
        READ = "read", "Read"
        FAILED = "failed", "Could not be read"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="uploads")
    name = models.CharField(max_length=255, blank=True)
    data = models.BinaryField(blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    summary = models.TextField(blank=True, help_text="What was added, or why nothing was.")
    imported = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name or 'library file'} ({self.get_status_display().lower()})"


class SignupRequest(models.Model):
    """What one signup of a pending address asked for (topics, schedule, limits): each gets its
    own confirmation mail, whose link confirms exactly what that mail recapped. A later signup
    of the same pending address, by anyone, is a new request: it never rewrites an earlier
    one, nor what the subscriber has."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="signup_requests"
    )
    rules = models.JSONField(default=list)
    topic_ids = models.JSONField(default=list)
    preferences = models.JSONField(default=dict)
    # Papers the reader's library starts with ("Email me papers like this" on a paper's page).
    papers = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.subscriber} ({self.created_at:%Y-%m-%d %H:%M})"

    def topics(self) -> list["Topic"]:
        by_id = Topic.objects.in_bulk(self.topic_ids)
        return [by_id[pk] for pk in self.topic_ids if pk in by_id]


class SendingState(models.Model):
    """The deliverability guard's switch, one row: when complaints pass the line mailbox
    providers draw (NEWSLETTER_COMPLAINT_RATE_LIMIT of the last day's sends), sending pauses
    itself until an editor resumes it in the admin."""

    paused_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name = "sending state"

    def __str__(self) -> str:
        return f"paused since {self.paused_at:%Y-%m-%d %H:%M}" if self.paused_at else "sending"
