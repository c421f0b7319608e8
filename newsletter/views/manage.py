"""The manage page: reached only by a manage link, which arrives by mail to the reader."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from newsletter.context_processors import MANAGE_URL_KEY
from newsletter.emails import digest_url, period_label
from newsletter.forms import PREFERENCES, SubscriptionForm
from newsletter.models import Digest, LibraryUpload
from newsletter.personal.library import MAX_BYTES, LibraryError
from newsletter.selectors import (
    digest_counts,
    subscriber_export,
)
from newsletter.services.feedback import (
    feedback_forget,
    subscription_unmute,
)
from newsletter.services.library import library_import, library_remove, library_upload_receive
from newsletter.services.subscribers import (
    subscriber_delete,
    subscriber_links_reset,
    subscriber_pause,
    subscriber_resume,
    subscriber_update,
)
from newsletter.syndication import feed_token
from newsletter.tokens import (
    InvalidToken,
    subscriber_for_manage,
)
from newsletter.views.common import (
    FEEDBACK_SHOWN,
    LIBRARY_IP_RATE,
    LIBRARY_READER_RATE,
    LIBRARY_SHOWN,
    PAST_DIGESTS_SHOWN,
    PREVIEW_DAYS,
    UPLOADS_SHOWN,
    UPLOADS_SHOWN_FOR,
    bad_link,
    forget_owner,
    int_param,
    mark_owner,
)


@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The subscriber's page: topics and schedule, library, 👍/👎 history, past digests, and
    the buttons that act (each a POST with its `action`, handled by one function of
    MANAGE_ACTIONS)."""
    try:
        subscriber = subscriber_for_manage(token)
    except InvalidToken as exc:
        return bad_link(request, expired=exc.expired, action="manage your subscription")
    # The header links back here on every page of this browser's visit ("Manage").
    if request.session.get(MANAGE_URL_KEY) != request.path:
        request.session[MANAGE_URL_KEY] = request.path
    mark_owner(request, subscriber)
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
        "library_added": int_param(request.GET.get("library")),
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
            (
                digest,
                digest_url(digest.pk, subscriber),
                period_label(digest.period),
                digest_counts(digest),
            )
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
    entry = int_param(request.POST.get("entry"))
    library_remove(subscriber=subscriber, entry_ids=None if entry is None else [entry])
    return redirect(f"{request.path}#library")


def _delete(request: HttpRequest, subscriber) -> HttpResponse:
    subscriber_delete(subscriber=subscriber)
    forget_owner(request)
    return render(request, "newsletter/deleted.html")


def _sign_out(request: HttpRequest, subscriber) -> HttpResponse:
    """Sign out every link: a new token, so every earlier link (manage, digests, 👍/👎, mute,
    unsubscribe) and the private feed's URL stop working; a mail brings the new manage link."""
    subscriber_links_reset(subscriber=subscriber)
    forget_owner(request)
    return render(request, "newsletter/signed_out.html", {"subscriber": subscriber})


def _pause(request: HttpRequest, subscriber) -> HttpResponse:
    subscriber_pause(subscriber=subscriber)
    return redirect(request.path)


def _resume(request: HttpRequest, subscriber) -> HttpResponse:
    subscriber_resume(subscriber=subscriber)
    return redirect(request.path)


def _forget(request: HttpRequest, subscriber) -> HttpResponse:
    feedback_forget(subscriber=subscriber, paper_id=int_param(request.POST.get("paper")) or 0)
    return redirect(request.path)


def _unmute(request: HttpRequest, subscriber) -> HttpResponse:
    subscription = subscriber.subscriptions.filter(
        pk=int_param(request.POST.get("subscription")) or 0
    ).first()
    if subscription is not None:
        subscription_unmute(subscription=subscription)
    return redirect(request.path)


MANAGE_ACTIONS = {
    "save": _save,
    "library_add": _library_add,
    "library_remove": _library_remove,
    "delete": _delete,
    "sign_out": _sign_out,
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
