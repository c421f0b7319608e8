import csv
import itertools

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from newsletter.models import Subscriber, Subscription, Topic
from newsletter.rules import RuleError, parse
from newsletter.selectors import papers_matching
from newsletter.services import subscribers_suppress
from newsletter.tasks import send_confirmation

PREVIEW_DAYS = 7
PREVIEW_LIMIT = 20


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "rule", "active", "subscriber_count")
    list_filter = ("active",)
    search_fields = ("name", "rule", "description")  # for autocomplete_fields
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("recent_matches",)
    fields = ("name", "slug", "rule", "description", "active", "recent_matches")

    @admin.display(description="subscriptions")
    def subscriber_count(self, topic: Topic) -> int:
        return topic.subscriptions.count()

    @admin.display(description=f"matches in the last {PREVIEW_DAYS} days")
    def recent_matches(self, topic: Topic) -> str:
        if not topic.rule:
            return "Save a rule to see what it matches."
        try:
            rule = parse(topic.rule)
        except RuleError as exc:
            return str(exc)
        matches = list(
            itertools.islice(papers_matching(rule, days=PREVIEW_DAYS), PREVIEW_LIMIT + 1)
        )
        if not matches:
            return f"No paper listed in the last {PREVIEW_DAYS} days matches this rule."
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a></li>',
            (
                (reverse("admin:papers_paper_change", args=[pk]), title)
                for pk, title in matches[:PREVIEW_LIMIT]
            ),
        )
        more = mark_safe("<li>… and more</li>") if len(matches) > PREVIEW_LIMIT else ""
        return format_html("<ul>{}{}</ul>", items, more)


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    fields = ("rule", "topic", "created_at")
    readonly_fields = ("created_at",)
    extra = 0
    autocomplete_fields = ("topic",)


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("email", "status", "frequency", "created_at", "confirmed_at")
    list_filter = ("status", "frequency")
    search_fields = ("email", "subscriptions__rule")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "confirmed_at", "unsubscribed_at")
    inlines = (SubscriptionInline,)
    actions = ("resend_confirmation", "suppress", "export_csv")

    @admin.action(description="Resend the confirmation email (pending subscribers)")
    def resend_confirmation(self, request: HttpRequest, queryset: QuerySet) -> None:
        pending = list(
            queryset.filter(status=Subscriber.Status.PENDING).values_list("pk", flat=True)
        )
        for subscriber_id in pending:
            send_confirmation.delay_on_commit(subscriber_id)
        skipped = queryset.count() - len(pending)
        message = f"Queued {len(pending)} confirmation email{'s' if len(pending) != 1 else ''}."
        if skipped:
            message += f" Skipped {skipped} that are not pending."
        messages.success(request, message)

    @admin.action(description="Suppress (as a complaint): never email these addresses again")
    def suppress(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = subscribers_suppress(subscriber_ids=list(queryset.values_list("pk", flat=True)))
        messages.success(request, f"Suppressed {count} subscriber{'s' if count != 1 else ''}.")

    @admin.action(description="Export selected subscribers as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subscribers.csv"'
        writer = csv.writer(response)
        writer.writerow(["email", "status", "frequency", "created_at", "confirmed_at", "topics"])
        for subscriber in queryset.prefetch_related("subscriptions__topic"):
            topics = " | ".join(str(s) for s in subscriber.subscriptions.all())
            writer.writerow([
                _csv_safe(subscriber.email), subscriber.status, subscriber.frequency,
                subscriber.created_at.isoformat(),
                subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else "",
                _csv_safe(topics),
            ])  # fmt: skip
        return response


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: make them text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
