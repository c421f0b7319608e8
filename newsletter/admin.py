import csv
import itertools

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.query import QueryError, parse
from newsletter import emails
from newsletter.digests.preview import digest_render
from newsletter.models import (
    DeliveryEvent,
    Digest,
    Feedback,
    LibraryEntry,
    LibraryUpload,
    ReaderModel,
    SendingState,
    SignupRequest,
    Subscriber,
    Subscription,
    Topic,
)
from newsletter.selectors import digest_counts, papers_matching
from newsletter.services.deliverability import sending_resume
from newsletter.services.schedule import digests_create_now, subscriber_next_digest_at
from newsletter.services.subscribers import subscribers_suppress
from newsletter.tasks import queue_due_batches, send_confirmation
from papers.models import Paper

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
        except QueryError as exc:
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


class SignupRequestInline(admin.TabularInline):
    """Each signup of a pending address, as its confirmation mail recapped it."""

    model = SignupRequest
    fields = ("created_at", "rules", "topic_ids", "preferences", "confirmed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("email", "status", "frequency", "next_digest_at", "digests_link", "created_at")
    list_filter = ("status", "frequency")
    search_fields = ("email", "subscriptions__rule")
    date_hierarchy = "created_at"
    readonly_fields = (
        "created_at", "confirmed_at", "unsubscribed_at", "next_digest_at", "digests_link",
    )  # fmt: skip

    @admin.display(description="digests")
    def digests_link(self, subscriber: Subscriber) -> str:
        url = (
            reverse("admin:newsletter_digest_changelist")
            + f"?subscriber__id__exact={subscriber.pk}"
        )
        return format_html('<a href="{}">Digests</a>', url)

    inlines = (SubscriptionInline, SignupRequestInline)
    actions = ("send_digest_now", "resend_confirmation", "suppress", "export_csv")

    def save_model(self, request, subscriber, form, change) -> None:
        # A schedule edited here takes effect from the next send time, as on the manage page.
        if {"frequency", "send_weekday", "send_hour", "timezone"} & set(form.changed_data):
            subscriber.next_digest_at = subscriber_next_digest_at(subscriber, after=timezone.now())
        super().save_model(request, subscriber, form, change)

    @admin.action(description="Send digest now (active subscribers, once a day)")
    def send_digest_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        active = list(queryset.filter(status=Subscriber.Status.ACTIVE).values_list("pk", flat=True))
        now = timezone.now()
        created = digests_create_now(subscriber_ids=active, now=now)
        queue_due_batches(now=now, subscriber_ids=active)  # as beat does
        message = f"Queued {created} digest{'s' if created != 1 else ''}."
        if len(active) > created:
            message += f" {len(active) - created} already had today's digest."
        skipped = queryset.count() - len(active)
        if skipped:
            message += f" Skipped {skipped} that are not active."
        messages.success(request, message)

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


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = (
        "subscriber",
        "period",
        "frequency",
        "status",
        "paper_count",
        "sent_at",
        "short_reason",
    )
    list_filter = ("status", "frequency", "period")
    search_fields = ("subscriber__email", "subject", "message_id", "esp_message_id")
    list_select_related = ("subscriber",)
    date_hierarchy = "scheduled_for"
    actions = ("preview", "send_test_to_me")
    fields = (
        "subscriber", "period", "frequency", "scheduled_for", "status", "reason", "subject",
        "papers", "attempts", "next_attempt_at", "claimed_at", "sent_at", "message_id",
        "esp_message_id", "preview_link",
    )  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # digests are created by the schedule, never by hand

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the ledger is what happened

    @admin.display(description="papers")
    def paper_count(self, digest: Digest) -> int:
        return digest_counts(digest).total

    @admin.display(description="reason")
    def short_reason(self, digest: Digest) -> str:
        return digest.reason[:80]

    @admin.display(description="papers sent")
    def papers(self, digest: Digest) -> str:
        if not digest.items:
            return "None."
        titles = dict(Paper.objects.filter(pk__in=digest.paper_ids).values_list("pk", "title"))
        sections = digest.sections or []
        items = format_html_join(
            "", '<li><a href="{}">#{}</a> {} <small>({})</small></li>',
            ((reverse("admin:papers_paper_change", args=[pk]), pk,
              titles.get(pk, "(deleted)"), _why(terms, rest, sections))
             for pk, terms, *rest in digest.items),
        )  # fmt: skip
        return format_html("<ol>{}</ol>", items)

    @admin.display(description="preview")
    def preview_link(self, digest: Digest) -> str:
        url = reverse("admin:newsletter_digest_preview", args=[digest.pk])
        return format_html('<a href="{}" target="_blank">Open the email in the browser</a>', url)

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("<int:pk>/preview/", preview, name="newsletter_digest_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        digest = get_object_or_404(Digest.objects.select_related("subscriber"), pk=pk)
        rendered, _content = digest_render(digest=digest, now=timezone.now())
        as_text = request.GET.get("part") == "text"
        return HttpResponse(
            rendered.text if as_text else rendered.html,
            content_type="text/plain; charset=utf-8" if as_text else "text/html; charset=utf-8",
        )

    @admin.action(description="Preview the email in the browser (first selected)")
    def preview(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        digest = queryset.first()
        return HttpResponseRedirect(reverse("admin:newsletter_digest_preview", args=[digest.pk]))

    @admin.action(description="Send a test of the email to me")
    def send_test_to_me(self, request: HttpRequest, queryset: QuerySet) -> None:
        if not request.user.email:
            messages.error(request, "Your admin user has no email address; add one first.")
            return
        sent = 0
        for digest in queryset.select_related("subscriber")[:10]:
            rendered, _content = digest_render(digest=digest, now=timezone.now())
            emails.send_digest_test(digest_id=digest.pk, rendered=rendered, to=request.user.email)
            sent += 1
        messages.success(
            request, f"Sent {sent} test email{'s' if sent != 1 else ''} to {request.user.email}."
        )


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(admin.ModelAdmin):
    list_display = ("received_at", "event_type", "recipient", "action", "esp_name")
    list_filter = ("event_type", "esp_name")
    search_fields = ("recipient", "event_id", "esp_message_id")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in DeliveryEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _why(terms: list[str], rest: list, sections: list[str]) -> str:
    """ "matched llm", with the section the paper stood in when the digest had several."""
    why = f"matched {', '.join(terms)}" if terms else "not matched"
    if rest and len(sections) > 1 and rest[0]:
        why += f", in {sections[min(rest[0][0], len(sections) - 1)]}"
    return why


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """Readers' 👍 and 👎, to watch what they teach their digests (they change them from mail)."""

    list_display = ("paper", "verdict", "subscriber", "updated_at")
    list_filter = ("verdict",)
    search_fields = ("subscriber__email", "paper__title", "=paper__arxiv_id")
    list_select_related = ("paper", "subscriber")
    raw_id_fields = ("subscriber", "paper")
    date_hierarchy = "updated_at"


@admin.register(LibraryEntry)
class LibraryEntryAdmin(admin.ModelAdmin):
    """Readers' libraries (imported from the manage page or `library_import`)."""

    list_display = ("__str__", "arxiv_id", "paper", "subscriber", "added_at")  # DOI: in the entry
    list_filter = ("source",)
    search_fields = ("subscriber__email", "title", "=arxiv_id", "=doi")
    list_select_related = ("paper", "subscriber")
    raw_id_fields = ("subscriber", "paper")


@admin.register(LibraryUpload)
class LibraryUploadAdmin(admin.ModelAdmin):
    """Library files readers uploaded: checked at once, read by a worker."""

    list_display = ("name", "subscriber", "status", "imported", "created_at", "finished_at")
    list_filter = ("status",)
    search_fields = ("subscriber__email", "name")
    list_select_related = ("subscriber",)
    readonly_fields = ("subscriber", "name", "status", "summary", "imported", "created_at",
                       "finished_at")  # fmt: skip
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SendingState)
class SendingStateAdmin(admin.ModelAdmin):
    """The deliverability guard's switch: sending paused by complaints, and resuming it."""

    list_display = ("__str__", "paused_at", "reason", "resumed_at", "resumed_by")
    readonly_fields = ("paused_at", "reason", "resumed_at", "resumed_by")
    actions = ("resume_sending",)

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Resume sending")
    def resume_sending(self, request: HttpRequest, queryset: QuerySet) -> None:
        if sending_resume(by=request.user.get_username()):
            messages.success(request, "Sending resumed: due digests go out at the next tick.")
        else:
            messages.info(request, "Sending was not paused.")


@admin.register(ReaderModel)
class ReaderModelAdmin(admin.ModelAdmin):
    """Readers' rankings: read-only, trained by the "Train reader rankings" task."""

    list_display = ("subscriber", "positive_count", "negative_count", "trained_at", "top_terms")
    search_fields = ("subscriber__email",)
    list_select_related = ("subscriber",)
    readonly_fields = (
        "subscriber", "top_terms", "bias", "positive_count", "negative_count", "trained_at",
    )  # fmt: skip
    exclude = ("weights", "positives", "known_ids")

    @admin.display(description="top terms")
    def top_terms(self, model: ReaderModel) -> str:
        ranked = sorted(model.weights.items(), key=lambda item: -item[1])[:8]
        return ", ".join(term for term, weight in ranked if weight > 0) or "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
