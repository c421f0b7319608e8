from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone


class SourceKind(models.TextChoices):
    """Where a paper was seen; also the `source` of its upvote observations."""

    DAILY_DUMP = "daily-dump", "Daily Papers dump"
    ARXIV = "arxiv", "arXiv feed or API"
    HF_JSON = "hf-json", "Hugging Face daily papers JSON"
    FEED = "feed", "Other RSS/Atom feed"


class Organization(models.Model):
    handle = models.CharField(max_length=100, unique=True, help_text="Hugging Face handle.")
    name = models.CharField(max_length=200, blank=True, help_text="Display name.")

    class Meta:
        ordering = ["handle"]

    def __str__(self) -> str:
        return self.name or self.handle


class Paper(models.Model):
    title = models.TextField()
    # The title with case, punctuation and white space removed: the key that joins a dump's
    # paper (which has no arXiv id) to the same paper from a feed.
    title_key = models.CharField(max_length=500, db_index=True, editable=False)
    abstract = models.TextField(blank=True)
    arxiv_id = models.CharField(
        "arXiv id", max_length=40, unique=True, null=True, blank=True, help_text="Without version."
    )
    authors = models.JSONField(default=list, blank=True)
    author_count = models.PositiveIntegerField(null=True, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="papers"
    )
    categories = models.JSONField(default=list, blank=True)
    published_on = models.DateField(null=True, blank=True, db_index=True)
    listed_on = models.DateField(
        null=True, blank=True, db_index=True, help_text="The earliest day a listing showed it."
    )
    upvotes = models.PositiveIntegerField(default=0, help_text="Latest known.")
    code_url = models.URLField("code", max_length=500, blank=True)
    url = models.URLField(max_length=500, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # The kinds of source that have mentioned it, space-separated ("arxiv daily-dump"): a column
    # rather than a table, since ingest writes it for every paper. No kind is part of another.
    sources = models.CharField(max_length=100, blank=True, editable=False)
    # When the newsletter last matched this paper's text against the subscriptions; ingest clears
    # it when the text changes, and a periodic sweep matches what is cleared.
    matched_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Kept by a PostgreSQL trigger (migration 0003) and GIN-indexed; unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    hidden = models.BooleanField(default=False, help_text="Never shown on the site or in digests.")
    featured = models.BooleanField(default=False, help_text="Shown first.")

    class Meta:
        ordering = ["-listed_on", "-upvotes"]
        indexes = [
            models.Index(fields=["listed_on", "upvotes"], name="paper_listed_upvotes"),
            models.Index(
                fields=["id"], condition=models.Q(matched_at__isnull=True), name="paper_unmatched"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def source_labels(self) -> list[str]:
        return [SourceKind(kind).label for kind in self.sources.split()]

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else ""


class UpvoteObservation(models.Model):
    """An upvote count seen at a moment: appended only when the count changed."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="upvote_history")
    observed_at = models.DateTimeField(default=timezone.now)
    upvotes = models.PositiveIntegerField()
    source = models.CharField(max_length=20, choices=SourceKind.choices)

    class Meta:
        ordering = ["paper", "observed_at"]
        indexes = [models.Index(fields=["paper", "observed_at"], name="upvote_paper_observed")]

    def __str__(self) -> str:
        return f"{self.upvotes} at {self.observed_at:%Y-%m-%d %H:%M}"


class Feed(models.Model):
    class Status(models.TextChoices):
        NEVER = "never", "Never fetched"
        OK = "ok", "OK"
        NOT_MODIFIED = "not-modified", "Not modified"
        ERROR = "error", "Error"

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=1000, unique=True)
    kind = models.CharField(
        max_length=20,
        choices=[("", "Detect from content"), *SourceKind.choices],
        blank=True,
        help_text="The format; leave empty to detect it from the content.",
    )
    enabled = models.BooleanField(default=True)
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.NEVER, editable=False
    )
    last_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IngestRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        NOT_MODIFIED = "not-modified", "Not modified"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=1000, help_text="The file, URL or feed that was read.")
    format = models.CharField(max_length=20, choices=SourceKind.choices, blank=True)
    feed = models.ForeignKey(
        Feed, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    new_count = models.PositiveIntegerField("new", default=0)
    updated_count = models.PositiveIntegerField("updated", default=0)
    unchanged_count = models.PositiveIntegerField("unchanged", default=0)
    rejected_count = models.PositiveIntegerField("rejected", default=0)
    errors = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source} ({self.started_at:%Y-%m-%d %H:%M})"
