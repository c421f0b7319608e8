"""Pages reached from emailed links. A GET only ever shows a page with a button (mail scanners
open links); the button's POST acts."""

from datetime import timedelta

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

from core.addresses import mailbox_key
from core.numbers import bounded_int
from core.query import QueryError, parse
from newsletter.content import content_read
from newsletter.context_processors import MANAGE_URL_KEY
from newsletter.emails import digest_url, period_label
from newsletter.forms import PREFERENCES, SignupForm, SubscriptionForm
from newsletter.models import Digest, Feedback, LibraryUpload, Topic
from newsletter.personal.library import MAX_BYTES, LibraryError
from newsletter.selectors import (
    Exclusion,
    digest_counts,
    exclusions_offered,
    name_hints,
    papers_matching,
    removed_by,
    rule_with_exclusion,
    subscriber_export,
)
from newsletter.services.feedback import (
    feedback_forget,
    feedback_record,
    subscription_exclude,
    subscription_mute,
    subscription_unmute,
)
from newsletter.services.library import library_import, library_remove, library_upload_receive
from newsletter.services.subscribers import (
    subscriber_confirm,
    subscriber_delete,
    subscriber_pause,
    subscriber_resume,
    subscriber_unsubscribe,
    subscriber_update,
)
from newsletter.syndication import feed_token
from newsletter.tasks import process_signup
from newsletter.tokens import (
    VERDICT_NAMES,
    VERDICTS,
    InvalidToken,
    digest_id_for_token,
    feedback_for_token,
    manage_token,
    mute_for_token,
    subscriber_for_confirm,
    subscriber_for_manage,
    subscriber_for_opaque,
)
from papers.models import Paper

ONE_CLICK_BODY = "List-Unsubscribe=One-Click"
# Sends are capped per IP and per address. The per-address cap answers with the same page as
# a successful signup, so it reveals nothing about the address.
SIGNUP_IP_RATE = "20/h"
SIGNUP_ADDRESS_RATE = "3/h"
PREVIEW_RATE = "120/m"
# Library files cost a worker up to a second or two each: 10 an hour per reader, 20 per address.
LIBRARY_READER_RATE = "10/h"
LIBRARY_IP_RATE = "20/h"
PREVIEW_DAYS = 7
PREVIEW_SHOWN = 5
PAST_DIGESTS_SHOWN = 20
FEEDBACK_SHOWN = 200
LIBRARY_SHOWN = 100
UPLOADS_SHOWN = 3
UPLOADS_SHOWN_FOR = timedelta(days=1)
DIGEST_MORE_SHOWN = 5  # papers beyond the email's shown under each topic; the rest a page away
DIGEST_PAGE = 20
CHECK_INBOX_KEY = "paperwire_signup"


@require_http_methods(["GET", "HEAD", "POST"])
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


@require_http_methods(["GET", "HEAD", "POST"])
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


@require_safe
def digest(request: HttpRequest, token: str) -> HttpResponse:
    """A digest as the email showed it ("view in browser"), with the papers that did not fit."""
    try:
        digest = Digest.objects.get(pk=digest_id_for_token(token))
    except (InvalidToken, Digest.DoesNotExist):
        return _bad_link(request, expired=False, action="open this digest")
    content = content_read(digest)
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
    """A number from the request: None when absent; a 404 when not a number a key can be."""
    if text is None:
        return None
    value = bounded_int(text)
    if value is None:
        raise Http404("Not a number.")
    return value


def _bad_link(request: HttpRequest, *, expired: bool, action: str) -> HttpResponse:
    return render(
        request, "newsletter/bad_link.html", {"expired": expired, "action": action}, status=400
    )


@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The subscriber's page: topics and schedule, library, 👍/👎 history, past digests, and
    the buttons that act (each a POST with its `action`, handled by one function of
    MANAGE_ACTIONS)."""
    try:
        subscriber = subscriber_for_manage(token)
    except InvalidToken as exc:
        return _bad_link(request, expired=exc.expired, action="manage your subscription")
    # The header links back here on every page of this browser's visit ("Manage").
    if request.session.get(MANAGE_URL_KEY) != request.path:
        request.session[MANAGE_URL_KEY] = request.path
    if request.method == "POST":
        act = MANAGE_ACTIONS.get(request.POST.get("action", ""))
        if act is None:
            return HttpResponse("Unknown action.", status=400, content_type="text/plain")
        return act(request, subscriber)
    if request.GET.get("format") == "json":
        response = JsonResponse(
            subscriber_export(subscriber=subscriber), json_dumps_params={"indent": 2}
        )
        response["Content-Disposition"] = 'attachment; filename="paperwire-subscription.json"'
        return response
    return _manage_page(request, subscriber)


def _manage_page(
    request: HttpRequest, subscriber, *, form=None, library_error: str = ""
) -> HttpResponse:
    library_size = subscriber.library.count()
    since = timezone.now() - UPLOADS_SHOWN_FOR  # what came of the reader's latest files
    uploads = list(subscriber.uploads.defer("data").filter(created_at__gte=since)[:UPLOADS_SHOWN])
    if form is None:
        form = SubscriptionForm(initial=_current_choices(subscriber), library_size=library_size)
    context = {
        "subscriber": subscriber,
        "subscriptions": subscriber.subscriptions.select_related("topic"),
        "now": timezone.now(),
        "feedback": subscriber.feedback.select_related("paper")[:FEEDBACK_SHOWN],
        "feedback_total": subscriber.feedback.count(),
        "library": subscriber.library.all()[:LIBRARY_SHOWN],
        "library_size": library_size,
        "library_added": _int(request.GET.get("library")),
        "uploads": uploads,
        "uploads_reading": any(u.status == LibraryUpload.Status.QUEUED for u in uploads),
        "library_error": library_error,
        "library_text": request.POST.get("library_text", "") if library_error else "",
        "confirmed": request.GET.get("confirmed") == "1",
        "saved": request.GET.get("saved") == "1",
        "unsubscribe_token": subscriber.token,
        "private_feed_url": reverse("feeds:private_atom", args=[feed_token(subscriber)]),
        "form": form,
        "preview_days": PREVIEW_DAYS,
        "digests": [
            (digest, digest_url(digest.pk), period_label(digest.period), digest_counts(digest))
            for digest in subscriber.digests.exclude(status=Digest.Status.PENDING)[
                :PAST_DIGESTS_SHOWN
            ]
        ],
    }
    status = 400 if form.is_bound or library_error else 200  # a bound form here has errors
    return render(request, "newsletter/manage.html", context, status=status)


def _save(request: HttpRequest, subscriber) -> HttpResponse:
    form = SubscriptionForm(request.POST, library_size=subscriber.library.count())
    if not form.is_valid():
        return _manage_page(request, subscriber, form=form)
    subscriber_update(
        subscriber=subscriber,
        rules=form.cleaned_data["rules"],
        topics=list(form.cleaned_data["topics"]),
        preferences=form.preferences(),
    )
    return redirect(request.path + "?saved=1")


def _library_add(request: HttpRequest, subscriber) -> HttpResponse:
    """The library form: pasted ids or links (read at once: they are cheap), or an uploaded file
    (checked at once, then read by a worker). Limited per reader and per client address."""
    if _library_limited(request, subscriber):
        return render(request, "newsletter/rate_limited.html", {"what": "library"}, status=429)
    upload = request.FILES.get("library_file")
    text = request.POST.get("library_text", "").strip()
    if upload is None and not text:
        error = "Paste arXiv ids or links, or choose a BibTeX, RIS or Zotero CSV file."
        return _manage_page(request, subscriber, library_error=error)
    try:
        if upload is not None:
            if upload.size > MAX_BYTES:
                raise LibraryError(f"The file is over {MAX_BYTES // (1024 * 1024)} MB.")
            received = library_upload_receive(
                subscriber=subscriber, data=upload.read(MAX_BYTES + 1), name=upload.name or ""
            )
            return redirect(f"{request.path}?upload={received.pk}#library")
        report = library_import(subscriber=subscriber, data=text, format="ids")
    except LibraryError as exc:
        return _manage_page(request, subscriber, library_error=f"{exc} Nothing was added.")
    return redirect(f"{request.path}?library={report.imported}#library")


def _library_limited(request: HttpRequest, subscriber) -> bool:
    """LIBRARY_READER_RATE additions per reader and LIBRARY_IP_RATE per client address."""
    by_reader = is_ratelimited(
        request, group="library-reader", key=lambda group, request: str(subscriber.pk),
        rate=LIBRARY_READER_RATE, method="POST", increment=True,
    )  # fmt: skip
    by_address = is_ratelimited(
        request, group="library-ip", key="ip", rate=LIBRARY_IP_RATE, method="POST",
        increment=True,
    )  # fmt: skip
    return by_reader or by_address


def _library_remove(request: HttpRequest, subscriber) -> HttpResponse:
    entry = _int(request.POST.get("entry"))
    library_remove(subscriber=subscriber, entry_ids=None if entry is None else [entry])
    return redirect(f"{request.path}#library")


def _delete(request: HttpRequest, subscriber) -> HttpResponse:
    subscriber_delete(subscriber=subscriber)
    request.session.pop(MANAGE_URL_KEY, None)
    return render(request, "newsletter/deleted.html")


def _pause(request: HttpRequest, subscriber) -> HttpResponse:
    subscriber_pause(subscriber=subscriber)
    return redirect(request.path)


def _resume(request: HttpRequest, subscriber) -> HttpResponse:
    subscriber_resume(subscriber=subscriber)
    return redirect(request.path)


def _forget(request: HttpRequest, subscriber) -> HttpResponse:
    feedback_forget(subscriber=subscriber, paper_id=_int(request.POST.get("paper")) or 0)
    return redirect(request.path)


def _unmute(request: HttpRequest, subscriber) -> HttpResponse:
    subscription = subscriber.subscriptions.filter(
        pk=_int(request.POST.get("subscription")) or 0
    ).first()
    if subscription is not None:
        subscription_unmute(subscription=subscription)
    return redirect(request.path)


MANAGE_ACTIONS = {
    "save": _save,
    "library_add": _library_add,
    "library_remove": _library_remove,
    "delete": _delete,
    "pause": _pause,
    "resume": _resume,
    "forget": _forget,
    "unmute": _unmute,
}


def _current_choices(subscriber) -> dict:
    subscriptions = list(subscriber.subscriptions.all())
    return {
        "rules": "\n".join(s.rule for s in subscriptions if s.rule and not s.topic_id),
        "topics": [s.topic_id for s in subscriptions if s.topic_id],
        **{name: getattr(subscriber, name) for name in PREFERENCES},
    }


def _address_key(group: str, request: HttpRequest) -> str:
    """The per-address limit counts one mailbox however it is spelled (case, Unicode, IDNA,
    quotes) and whatever its plus-tag."""
    return mailbox_key(request.POST.get("email", ""))


@require_http_methods(["GET", "HEAD", "POST"])
@ratelimit(key="ip", rate=SIGNUP_IP_RATE, method="POST", block=False)
def signup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and getattr(request, "limited", False):
        return render(request, "newsletter/rate_limited.html", status=429)
    if request.method == "POST":
        form = SignupForm(request.POST)
    else:  # a search or a paper's topic may prefill the rules: ?rule=quantization
        rules = "\n".join(rule.strip()[:300] for rule in request.GET.getlist("rule")[:10])
        form = SignupForm(initial={"rules": rules} if rules.strip() else None)
    if request.method == "POST" and form.is_valid():
        over_cap = is_ratelimited(
            request, group="signup-address", key=_address_key, rate=SIGNUP_ADDRESS_RATE,
            method="POST", increment=True,
        )  # fmt: skip
        if not over_cap:  # the same work for every address: the task decides what to send
            process_signup.delay(
                email=form.cleaned_data["email"],
                rules=form.cleaned_data["rules"],
                topic_ids=[topic.pk for topic in form.cleaned_data["topics"]],
                preferences=form.preferences(),
            )
        hints = [hint for rule in form.cleaned_data["rules"] for hint in name_hints(parse(rule))]
        # POST/redirect/GET: a refresh of the next page never submits again. The address goes
        # in the session, not the URL (where logs and referrers would keep it).
        request.session[CHECK_INBOX_KEY] = {"email": form.cleaned_data["email"], "hints": hints}
        return redirect("newsletter:check_inbox")
    return render(
        request,
        "newsletter/signup.html",
        {"form": form, "preview_days": PREVIEW_DAYS},
        status=400 if request.method == "POST" else 200,
    )


@require_safe
def check_inbox(request: HttpRequest) -> HttpResponse:
    """After a signup: the address the confirmation went to, and notes on the topics."""
    sent = request.session.get(CHECK_INBOX_KEY)
    if not sent:
        return redirect("newsletter:signup")
    return render(request, "newsletter/check_inbox.html", sent)


@require_safe
@ratelimit(key="ip", rate=PREVIEW_RATE, block=False)
def rule_preview(request: HttpRequest) -> JsonResponse:
    """The live preview on the signup form: what a rule would have matched in the last days."""
    if getattr(request, "limited", False):
        return JsonResponse({"error": "Too many previews; wait a minute."}, status=429)
    try:
        rule = parse(request.GET.get("rule", ""))
    except QueryError as exc:
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


@require_http_methods(["GET", "HEAD", "POST"])
def feedback(request: HttpRequest, token: str, verdict: str) -> HttpResponse:
    """A 👍 or 👎 link from a digest. The GET page submits the choice at once with JavaScript
    (or shows a button), so a mail scanner's GET or HEAD records nothing; the POST records it and
    comes back to a page that shows the reader's verdict, with undo, and after a 👎 the
    exclusions that would bring fewer papers like it."""
    try:
        if verdict not in VERDICTS:
            raise InvalidToken()
        subscriber, paper_id = feedback_for_token(token)
        verdict = VERDICTS[verdict]
    except InvalidToken as exc:
        return _bad_link(request, expired=exc.expired, action="record your choice")
    paper = Paper.objects.filter(pk=paper_id).first()
    if paper is None:
        return _bad_link(request, expired=False, action="record your choice on a deleted paper")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "record":
            feedback_record(subscriber=subscriber, paper=paper, verdict=verdict)
        elif action == "undo":
            feedback_forget(subscriber=subscriber, paper_id=paper.pk)
        elif action in ("exclude", "exclude_save"):
            exclusion = _exclusion(request, subscriber)
            if exclusion is None:
                return HttpResponse("Unknown exclusion.", status=400, content_type="text/plain")
            if action == "exclude":
                context = {"paper": paper, "exclusion": exclusion, "removed": removed_by(exclusion)}
                return render(request, "newsletter/exclude.html", context)
            subscription_exclude(exclusion=exclusion)
            return redirect(f"{request.path}?done=1&excluded=1")
        else:
            return HttpResponse("Unknown action.", status=400, content_type="text/plain")
        return redirect(f"{request.path}?done=1")
    current = Feedback.objects.filter(subscriber=subscriber, paper=paper).first()
    context = {
        "paper": paper,
        "verdict": verdict,
        "liking": verdict == Feedback.Verdict.LIKE,
        "done": request.GET.get("done") == "1",
        "excluded": request.GET.get("excluded") == "1",
        "current": current,
        "other_url": reverse("newsletter:feedback", args=[token, VERDICT_NAMES[-verdict]]),
        "manage_url": reverse("newsletter:manage", args=[manage_token(subscriber)]),
        "exclusions": (
            exclusions_offered(subscriber=subscriber, paper=paper)
            if current and current.verdict == Feedback.Verdict.DISLIKE
            else []
        ),
    }
    return render(request, "newsletter/feedback.html", context)


def _exclusion(request: HttpRequest, subscriber) -> Exclusion | None:
    subscription = subscriber.subscriptions.filter(
        pk=_int(request.POST.get("subscription")) or 0
    ).first()
    term = " ".join(request.POST.get("term", "").split())[:100]
    if subscription is None or not subscription.rule or not term:
        return None
    rule = rule_with_exclusion(subscription.rule, term)
    return Exclusion(subscription, term, rule) if rule else None


@require_http_methods(["GET", "HEAD", "POST"])
def mute(request: HttpRequest, token: str) -> HttpResponse:
    """ "Mute this topic for a week", from a digest's section: a GET shows the page (which
    submits at once with JavaScript), the POST mutes or unmutes."""
    try:
        subscriber, subscription_id = mute_for_token(token)
    except InvalidToken as exc:
        return _bad_link(request, expired=exc.expired, action="mute this topic")
    subscription = (
        subscriber.subscriptions.select_related("topic").filter(pk=subscription_id).first()
    )
    if subscription is None:
        return _bad_link(request, expired=False, action="mute a topic you no longer follow")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "mute":
            subscription_mute(subscription=subscription)
        elif action == "unmute":
            subscription_unmute(subscription=subscription)
        else:
            return HttpResponse("Unknown action.", status=400, content_type="text/plain")
        return redirect(f"{request.path}?done=1")
    context = {
        "subscription": subscription,
        "done": request.GET.get("done") == "1",
        "manage_url": reverse("newsletter:manage", args=[manage_token(subscriber)]),
    }
    return render(request, "newsletter/mute.html", context)


@require_safe
def feeds(request: HttpRequest) -> HttpResponse:
    """The feeds a reader can follow instead of (or beside) the email."""
    topics = Topic.objects.filter(active=True).order_by("name")
    return render(request, "newsletter/feeds.html", {"topics": topics})
