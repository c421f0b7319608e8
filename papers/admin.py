from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.fetch import FetchError, PrivateAddressError, check_public_url
from core.kinds import SourceKind
from core.schedules import describe
from papers.models import (
    Feed,
    IngestRun,
    Organization,
    Paper,
    UpvoteObservation,
)
from papers.services.curation import papers_curate
from papers.services.feeds import feed_schedule_sync


class SourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return SourceKind.choices()

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(sources__contains=self.value())
        return queryset


class UpvoteHistoryInline(admin.TabularInline):
    model = UpvoteObservation
    fields = ("observed_at", "upvotes", "source")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-observed_at",)

    def has_add_permission(self, request, obj=None):
        return False


# Links typed without a scheme are https (Django 6's default).
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


def _curation(name: str, flag: str, value: bool, verb: str, description: str):
    """The admin action `name`: set a curation flag on the selected papers."""

    @admin.action(description=description)
    def act(modeladmin, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = papers_curate(paper_ids=ids, flag=flag, value=value)
        messages.success(request, f"{verb} {count} paper{'s' if count != 1 else ''}.")

    act.__name__ = name
    return act


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    # What fits 1,280 px; the arXiv link, the dates and the rest are in the detail view.
    list_display = (
        "title", "organization", "listed_on", "upvotes", "first_seen_at", "hidden", "featured",
    )  # fmt: skip
    list_filter = (
        "published_on",
        ("organization", admin.RelatedOnlyFieldListFilter),
        "hidden",
        "featured",
        SourceFilter,
    )
    search_fields = ("title", "abstract", "=arxiv_id")
    date_hierarchy = "listed_on"
    list_select_related = ("organization",)
    list_per_page = 50
    autocomplete_fields = ("organization",)
    readonly_fields = ("first_seen_at", "updated_at", "upvotes", "seen_in", "arxiv_link")
    fieldsets = (
        (None, {"fields": ("title", "abstract", "arxiv_id", "arxiv_version", "url", "code_url")}),
        (
            "From the Hugging Face listing",
            {
                "fields": (
                    "thumbnail_url",
                    "ai_summary",
                    "ai_keywords",
                    "github_stars",
                    "project_url",
                    "comment_count",
                    "submitted_by",
                ),
                "classes": ("collapse",),
            },
        ),
        ("Authors", {"fields": ("authors", "author_count", "organization", "categories")}),
        ("Dates", {"fields": ("published_on", "listed_on", "first_seen_at", "updated_at")}),
        ("Sources", {"fields": ("seen_in", "arxiv_link")}),
        ("Curation", {"fields": ("hidden", "featured", "upvotes")}),
    )
    inlines = (UpvoteHistoryInline,)
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    actions = (
        _curation("hide", "hidden", True, "Hid", "Hide selected papers from the site and digests"),
        _curation("unhide", "hidden", False, "Unhid", "Unhide selected papers"),
        _curation("feature", "featured", True, "Featured", "Feature selected papers"),
        _curation("unfeature", "featured", False, "Unfeatured", "Unfeature selected papers"),
    )

    def save_model(self, request, obj: Paper, form, change: bool) -> None:
        # An edited text is matched and indexed for search again.
        if change and set(form.changed_data) & {"title", "abstract", "authors", "organization"}:
            obj.text_changed_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.display(description="seen in")
    def seen_in(self, paper: Paper) -> str:
        return ", ".join(paper.source_labels) or "—"

    @admin.display(description="arXiv", ordering="arxiv_id")
    def arxiv_link(self, paper: Paper) -> str:
        if not paper.arxiv_id:
            return "—"
        return format_html('<a href="{}" rel="noopener">{}</a>', paper.arxiv_url, paper.arxiv_id)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("handle", "name", "paper_count")
    search_fields = ("handle", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(paper_count=Count("papers"))

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, organization) -> int:
        return organization.paper_count


class FeedForm(forms.ModelForm):
    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            check_public_url(url)
        except PrivateAddressError as exc:
            raise forms.ValidationError(str(exc)) from None
        except FetchError:
            pass  # DNS may answer later; the fetch says why it failed
        return url


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    form = FeedForm
    list_display = (
        "name", "kind", "enabled", "schedule_link", "status", "consecutive_failures",
        "last_success_at", "last_new_count",
    )  # fmt: skip
    list_filter = ("enabled", "last_status", "kind")
    search_fields = ("name", "url")
    readonly_fields = (
        "schedule_link", "last_status", "last_fetched_at", "last_success_at",
        "consecutive_failures", "last_new_count", "last_error", "etag", "last_modified",
    )  # fmt: skip
    fields = ("name", "url", "kind", "enabled", *readonly_fields)
    list_select_related = ("schedule__interval", "schedule__crontab")
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    actions = ("fetch_now",)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        feed_schedule_sync(obj)

    @admin.display(description="schedule")
    def schedule_link(self, feed: Feed) -> str:
        if feed.schedule is None:
            return "none: fetched only by hand"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:django_celery_beat_periodictask_change", args=[feed.schedule_id]),
            describe(feed.schedule),
        )

    @admin.display(description="last status", ordering="last_status")
    def status(self, feed: Feed) -> str:
        colors = {Feed.Status.OK: "#137333", Feed.Status.ERROR: "#b3261e"}
        return format_html(
            '<span style="color:{}" title="{}">{}</span>',
            colors.get(feed.last_status, "inherit"),
            feed.last_error,
            feed.get_last_status_display(),
        )

    @admin.action(description="Fetch selected feeds now")
    def fetch_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        from papers.tasks import fetch_feed

        feed_ids = list(queryset.values_list("pk", flat=True))
        for feed_id in feed_ids:
            fetch_feed.delay_on_commit(feed_id)
        messages.success(
            request,
            f"Queued {len(feed_ids)} feed{'s' if len(feed_ids) != 1 else ''} for fetching; "
            "their status updates when the worker is done.",
        )


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at", "source", "format", "status", "new_count", "updated_count",
        "unchanged_count", "rejected_count",
    )  # fmt: skip
    list_filter = ("status", "format", "feed")
    search_fields = ("source", "errors", "warnings")
    date_hierarchy = "started_at"
    list_select_related = ("feed",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
