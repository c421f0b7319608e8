"""Pages reached from emailed links. A GET only ever shows a page with a button (mail scanners
open links); the button's POST acts."""

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from newsletter.services import (
    subscriber_confirm,
    subscriber_delete,
    subscriber_export,
    subscriber_pause,
    subscriber_resume,
    subscriber_unsubscribe,
)
from newsletter.tokens import (
    InvalidToken,
    manage_token,
    subscriber_for_confirm,
    subscriber_for_manage,
    subscriber_for_opaque,
)

ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


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
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "delete":
            subscriber_delete(subscriber=subscriber)
            return render(request, "newsletter/deleted.html")
        if action not in MANAGE_ACTIONS:
            return HttpResponse("Unknown action.", status=400, content_type="text/plain")
        MANAGE_ACTIONS[action](subscriber=subscriber)
        return redirect(request.path)
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
        "unsubscribe_token": subscriber.token,
    }
    return render(request, "newsletter/manage.html", context)
