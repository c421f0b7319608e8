"""Pages reached from emailed links. A GET only ever shows a page with a button (mail scanners
open links); the button's POST acts."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

from newsletter.digests.content import content_of
from newsletter.emails import digest_url, period_label
from newsletter.forms import PREFERENCES, SignupForm, SubscriptionForm
from newsletter.models import Digest
from newsletter.rules import RuleError, parse
from newsletter.selectors import digest_counts, name_hints, papers_matching
from newsletter.services import (
    subscriber_confirm,
    subscriber_delete,
    subscriber_export,
    subscriber_pause,
    subscriber_resume,
    subscriber_signup,
    subscriber_unsubscribe,
    subscriber_update,
)
from newsletter.tokens import (
    InvalidToken,
    digest_id_for_token,
    manage_token,
    subscriber_for_confirm,
    subscriber_for_manage,
    subscriber_for_opaque,
)

ONE_CLICK_BODY = "List-Unsubscribe=One-Click"
# Sends are capped per IP and per address. The per-address cap answers with the same page as
# a successful signup, so it reveals nothing about the address.
SIGNUP_IP_RATE = "20/h"
SIGNUP_ADDRESS_RATE = "3/h"
PREVIEW_RATE = "120/m"
PREVIEW_DAYS = 7
PREVIEW_SHOWN = 5
PAST_DIGESTS_SHOWN = 20
DIGEST_MORE_SHOWN = 5  # papers beyond the email's shown under each topic; the rest a page away
DIGEST_PAGE = 20


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = subscriber_for_confirm(token)
    except InvalidToken as exc:
        return _bad_link(request, expired=exc.expired, action="confirm your subscription")
    if request.method == "POST":
        subscriber_confirm(subscriber=subscriber)
        return redirect(
            reverse("newsletter:manage", args=[manage_token(subscriber)]) + "?confirmed=1"
        )
    return render(request, "newsletter/confirm.html", {"subscriber": subscriber})


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = subscriber_for_opaque(token)
    except InvalidToken:
        return _bad_link(request, expired=False, action="unsubscribe")
    if request.method == "POST":
        subscriber_unsubscribe(subscriber=subscriber)
        return render(request, "newsletter/unsubscribed.html", {"subscriber": subscriber})
    return render(request, "newsletter/unsubscribe.html", {"subscriber": subscriber})


@csrf_exempt
def one_click_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058: a mail client POSTs List-Unsubscribe=One-Click, with no cookie and no token but
    the opaque one in the URL, and expects a 2xx, not a redirect."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponse(
            f"Expected the body {ONE_CLICK_BODY}.", status=400, content_type="text/plain"
        )
    try:
        subscriber = subscriber_for_opaque(token)
    except InvalidToken:
        return HttpResponse("Unknown unsubscribe link.", status=404, content_type="text/plain")
    subscriber_unsubscribe(subscriber=subscriber)
    return HttpResponse("Unsubscribed.", content_type="text/plain")


@require_http_methods(["GET"])
def digest(request: HttpRequest, token: str) -> HttpResponse:
    """A digest as the email showed it ("view in browser"), with the papers that did not fit."""
    try:
        digest = Digest.objects.get(pk=digest_id_for_token(token))
    except (InvalidToken, Digest.DoesNotExist):
        return _bad_link(request, expired=False, action="open this digest")
    content = content_of(digest)
    counts = digest_counts(digest)
    topic = _int(request.GET.get("topic"))
    if topic is not None:  # one topic's papers beyond the email, a page at a time
        if not 0 <= topic < len(content.sections):
            raise Http404("This digest has no such topic.")
        section = content.sections[topic]
        page = Paginator(section.more, DIGEST_PAGE).get_page(request.GET.get("page"))
        context = {"digest": digest, "section": section, "topic": topic, "page": page}
        return render(request, "newsletter/digest_topic.html", context)
    sections = [
        (number, section, section.more[:DIGEST_MORE_SHOWN], len(section.more))
        for number, section in enumerate(content.sections)
        if section.items or section.more
    ]
    context = {
        "digest": digest,
        "period_label": period_label(digest.period),
        "counts": counts,
        "sections": sections,
        "more_shown": DIGEST_MORE_SHOWN,
    }
    return render(request, "newsletter/digest.html", context)


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        raise Http404("Not a number.") from None


def _bad_link(request: HttpRequest, *, expired: bool, action: str) -> HttpResponse:
    return render(
        request, "newsletter/bad_link.html", {"expired": expired, "action": action}, status=400
    )


MANAGE_ACTIONS = {"pause": subscriber_pause, "resume": subscriber_resume}


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = subscriber_for_manage(token)
    except InvalidToken as exc:
        return _bad_link(request, expired=exc.expired, action="manage your subscription")
    form = SubscriptionForm(initial=_current_choices(subscriber))
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "delete":
            subscriber_delete(subscriber=subscriber)
            return render(request, "newsletter/deleted.html")
        if action == "save":
            form = SubscriptionForm(request.POST)
            if form.is_valid():
                subscriber_update(
                    subscriber=subscriber,
                    rules=form.cleaned_data["rules"],
                    topics=list(form.cleaned_data["topics"]),
                    preferences=form.preferences(),
                )
                return redirect(request.path + "?saved=1")
        elif action in MANAGE_ACTIONS:
            MANAGE_ACTIONS[action](subscriber=subscriber)
            return redirect(request.path)
        else:
            return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    if request.GET.get("format") == "json":
        response = JsonResponse(
            subscriber_export(subscriber=subscriber), json_dumps_params={"indent": 2}
        )
        response["Content-Disposition"] = 'attachment; filename="paperwire-subscription.json"'
        return response
    context = {
        "subscriber": subscriber,
        "subscriptions": subscriber.subscriptions.select_related("topic"),
        "confirmed": request.GET.get("confirmed") == "1",
        "saved": request.GET.get("saved") == "1",
        "unsubscribe_token": subscriber.token,
        "form": form,
        "preview_days": PREVIEW_DAYS,
        "digests": [
            (digest, digest_url(digest.pk), period_label(digest.period), digest_counts(digest))
            for digest in subscriber.digests.exclude(status=Digest.Status.PENDING)[
                :PAST_DIGESTS_SHOWN
            ]
        ],
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "newsletter/manage.html", context, status=status)


def _current_choices(subscriber) -> dict:
    subscriptions = list(subscriber.subscriptions.all())
    return {
        "rules": "\n".join(s.rule for s in subscriptions if s.rule and not s.topic_id),
        "topics": [s.topic_id for s in subscriptions if s.topic_id],
        **{name: getattr(subscriber, name) for name in PREFERENCES},
    }


def _address_key(group: str, request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=SIGNUP_IP_RATE, method="POST", block=False)
def signup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and getattr(request, "limited", False):
        return render(request, "newsletter/rate_limited.html", status=429)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        over_cap = is_ratelimited(
            request, group="signup-address", key=_address_key, rate=SIGNUP_ADDRESS_RATE,
            method="POST", increment=True,
        )  # fmt: skip
        if not over_cap:
            subscriber_signup(
                email=form.cleaned_data["email"],
                rules=form.cleaned_data["rules"],
                topics=list(form.cleaned_data["topics"]),
                preferences=form.preferences(),
            )
        hints = [hint for rule in form.cleaned_data["rules"] for hint in name_hints(parse(rule))]
        context = {"email": form.cleaned_data["email"], "hints": hints}
        return render(request, "newsletter/check_inbox.html", context)
    return render(
        request,
        "newsletter/signup.html",
        {"form": form, "preview_days": PREVIEW_DAYS},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET"])
@ratelimit(key="ip", rate=PREVIEW_RATE, block=False)
def rule_preview(request: HttpRequest) -> JsonResponse:
    """The live preview on the signup form: what a rule would have matched in the last days."""
    if getattr(request, "limited", False):
        return JsonResponse({"error": "Too many previews; wait a minute."}, status=429)
    try:
        rule = parse(request.GET.get("rule", ""))
    except RuleError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    matches = list(papers_matching(rule, days=PREVIEW_DAYS))
    return JsonResponse(
        {
            "rule": rule.text,
            "days": PREVIEW_DAYS,
            "hints": name_hints(rule),
            "count": len(matches),
            "papers": [
                {"id": pk, "title": title, "url": reverse("paper", args=[pk])}
                for pk, title in matches[:PREVIEW_SHOWN]
            ],
        }
    )
