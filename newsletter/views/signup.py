"""Signing up: the form, its rule preview, and the page after it."""

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

from core.addresses import mailbox_key
from core.numbers import bounded_int
from core.query import QueryError, parse
from newsletter.context_processors import MANAGE_URL_KEY
from newsletter.forms import SignupForm
from newsletter.selectors import (
    name_hints,
    papers_matching,
)
from newsletter.services.library import library_add_papers
from newsletter.tasks import process_signup, request_manage_link
from newsletter.views.common import (
    CHECK_INBOX_KEY,
    NEW_LINK_IP_RATE,
    NEW_LINK_MAILBOX_RATE,
    PREVIEW_DAYS,
    PREVIEW_RATE,
    PREVIEW_SHOWN,
    SIGNUP_ADDRESS_RATE,
    SIGNUP_IP_RATE,
    owner_of,
)
from papers.selectors import visible_papers


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
        initial = {"rules": rules} if rules.strip() else {}
        # "Email me papers like this": ?paper=<id> starts the reader's library with it.
        liked = _liked_paper(request.GET.get("paper"))
        if liked is not None:
            owner = owner_of(request)
            if owner is not None:  # a reader who came by their manage link: their library
                return render(request, "newsletter/library_like.html", {"paper": liked})
            initial["paper"] = liked.pk
        form = SignupForm(initial=initial or None)
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
                paper_ids=[form.cleaned_data["paper"].pk] if form.cleaned_data["paper"] else [],
            )
        hints = [hint for rule in form.cleaned_data["rules"] for hint in name_hints(parse(rule))]
        # POST/redirect/GET: a refresh of the next page never submits again. The address goes
        # in the session, not the URL (where logs and referrers would keep it).
        request.session[CHECK_INBOX_KEY] = {"email": form.cleaned_data["email"], "hints": hints}
        return redirect("newsletter:check_inbox")
    paper_id = form["paper"].value()
    context = {"form": form, "preview_days": PREVIEW_DAYS, "liked": _liked_paper(paper_id)}
    return render(
        request, "newsletter/signup.html", context,
        status=400 if request.method == "POST" else 200,
    )  # fmt: skip


def _liked_paper(value):
    """The visible paper `?paper=` names, or None."""
    pk = bounded_int(str(value)) if value not in (None, "") else None
    return visible_papers().filter(pk=pk).first() if pk else None


@require_POST
def library_like(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Email me papers like this", for a reader who came by their manage link: the paper goes
    in their library, and they go back to their manage page."""
    owner = owner_of(request)
    paper = visible_papers().filter(pk=pk).first()
    if owner is None or paper is None:
        return redirect(reverse("newsletter:signup") + (f"?paper={pk}" if paper else ""))
    added = library_add_papers(subscriber=owner, paper_ids=[paper.pk], source="paper page")
    return redirect(f"{request.session.get(MANAGE_URL_KEY)}?library={added}#library")


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


class NewLinkForm(forms.Form):
    email = forms.EmailField(
        label="Email address", max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )  # fmt: skip


def _mailbox_key(group: str, request: HttpRequest) -> str:
    return mailbox_key(request.POST.get("email", ""))


@require_http_methods(["GET", "HEAD", "POST"])
@ratelimit(key="ip", rate=NEW_LINK_IP_RATE, method="POST", block=False)
def new_link(request: HttpRequest) -> HttpResponse:
    """ "Send me a new link": a manage link by mail, for an address. Every address gets the same
    page and the request only queues the work, so nothing tells who is subscribed. Limited per
    client address (429) and per mailbox (silently: the same page)."""
    if request.method == "POST" and getattr(request, "limited", False):
        return render(request, "newsletter/rate_limited.html", {"what": "link"}, status=429)
    form = NewLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        over_cap = is_ratelimited(
            request, group="new-link-mailbox", key=_mailbox_key, rate=NEW_LINK_MAILBOX_RATE,
            method="POST", increment=True,
        )  # fmt: skip
        if not over_cap:
            request_manage_link.delay(email=form.cleaned_data["email"])
        return redirect("newsletter:new_link_sent")
    status = 400 if form.is_bound else 200
    return render(request, "newsletter/new_link.html", {"form": form}, status=status)


@require_safe
def new_link_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/new_link_sent.html")
