"""Pages reached from a digest's links, and from the confirm and unsubscribe links: a GET only
ever shows a page with a button (mail scanners open links); the button's POST acts."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from newsletter.content import content_read, topic_title
from newsletter.emails import period_label, schedule_text
from newsletter.models import Feedback, Topic
from newsletter.selectors import (
    Exclusion,
    digest_counts,
    exclusions_offered,
    removed_by,
    rule_with_exclusion,
    signup_asked,
)
from newsletter.services.feedback import (
    feedback_forget,
    feedback_record,
    subscription_exclude,
    subscription_mute,
    subscription_unmute,
)
from newsletter.services.library import library_add_papers
from newsletter.services.subscribers import (
    subscriber_confirm,
    subscriber_unsubscribe,
)
from newsletter.tokens import (
    VERDICT_NAMES,
    VERDICTS,
    InvalidToken,
    confirm_for_token,
    digest_for_token,
    feedback_for_token,
    manage_token,
    mute_for_token,
    subscriber_for_opaque,
)
from newsletter.views.common import (
    DIGEST_MORE_SHOWN,
    DIGEST_PAGE,
    ONE_CLICK_BODY,
    bad_link,
    int_param,
    is_owner,
)
from papers.models import Paper
from papers.selectors import visible_papers


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """A confirmation link: the page recaps what it will activate (the topics and schedule its
    mail recapped) before the button; the button's POST activates exactly that."""
    try:
        subscriber, asked = confirm_for_token(token)
    except InvalidToken as exc:
        return bad_link(request, expired=exc.expired, action="confirm your subscription")
    liked = list(visible_papers().filter(pk__in=asked.papers)) if asked else []
    if request.method == "POST":
        subscriber_confirm(subscriber=subscriber, request=asked)
        if liked:  # "Email me papers like this": the library starts with them
            library_add_papers(
                subscriber=subscriber, paper_ids=[p.pk for p in liked], source="paper page"
            )
        return redirect(
            reverse("newsletter:manage", args=[manage_token(subscriber)]) + "?confirmed=1"
        )
    recap = signup_asked(subscriber, asked)
    context = {
        "subscriber": subscriber,
        "topics": [topic_title(rule, name) for rule, name, _ in recap.topics],
        "schedule": schedule_text(recap.schedule),
        "max_papers": recap.schedule.max_papers,
        "liked": liked,
    }
    return render(request, "newsletter/confirm.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = subscriber_for_opaque(token)
    except InvalidToken:
        return bad_link(request, expired=False, action="unsubscribe")
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
        digest = digest_for_token(token)
    except InvalidToken:
        return bad_link(request, expired=False, action="open this digest")
    content = content_read(digest)
    counts = digest_counts(digest)
    topic = int_param(request.GET.get("topic"))
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
        return bad_link(request, expired=exc.expired, action="record your choice")
    paper = Paper.objects.filter(pk=paper_id).first()
    if paper is None:
        return bad_link(request, expired=False, action="record your choice on a deleted paper")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "record":
            feedback_record(subscriber=subscriber, paper=paper, verdict=verdict)
        elif action == "undo":
            feedback_forget(subscriber=subscriber, paper_id=paper.pk)
        elif action in ("exclude", "exclude_save"):
            if not is_owner(request, subscriber):
                return HttpResponse(
                    "Open your manage link first.", status=403, content_type="text/plain"
                )
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
        # What changes the subscription, and the way to the manage page, only in the owner's
        # browser: this page is a digest's link away, and digests are forwarded.
        "owner": (owner := is_owner(request, subscriber)),
        "exclusions": (
            exclusions_offered(subscriber=subscriber, paper=paper)
            if owner and current and current.verdict == Feedback.Verdict.DISLIKE
            else []
        ),
    }
    return render(request, "newsletter/feedback.html", context)


def _exclusion(request: HttpRequest, subscriber) -> Exclusion | None:
    subscription = subscriber.subscriptions.filter(
        pk=int_param(request.POST.get("subscription")) or 0
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
        return bad_link(request, expired=exc.expired, action="mute this topic")
    subscription = (
        subscriber.subscriptions.select_related("topic").filter(pk=subscription_id).first()
    )
    if subscription is None:
        return bad_link(request, expired=False, action="mute a topic you no longer follow")
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
        "owner": is_owner(request, subscriber),
    }
    return render(request, "newsletter/mute.html", context)


@require_safe
def feeds(request: HttpRequest) -> HttpResponse:
    """The feeds a reader can follow instead of (or beside) the email."""
    topics = Topic.objects.filter(active=True).order_by("name")
    return render(request, "newsletter/feeds.html", {"topics": topics})
