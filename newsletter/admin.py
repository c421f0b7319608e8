import itertools

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from newsletter.models import Subscriber, Subscription, Topic
from newsletter.rules import RuleError, parse
from newsletter.selectors import papers_matching

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
    search_fields = ("email",)
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "confirmed_at", "unsubscribed_at")
    inlines = (SubscriptionInline,)
