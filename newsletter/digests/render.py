"""A digest as an email: subject, plain text and HTML with its CSS inlined (css-inline).

Templates: emails/digest.subject.txt, .txt and .html. The HTML keeps one <style> block that
cannot be inlined (dark mode and narrow screens, as media queries) and inlines the rest, since
many mail clients drop <style>.
"""

from dataclasses import dataclass
from datetime import date

import css_inline
from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse

from newsletter.digests.content import Content
from newsletter.emails import absolute, manage_url, unsubscribe_url
from newsletter.models import Subscriber
from newsletter.tokens import digest_token

INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def period_label(period: date) -> str:
    """ "Mon 23 Nov", as in the subject."""
    return f"{period:%a} {period.day} {period:%b}"


def digest_url(digest_id: int) -> str:
    return absolute(reverse("newsletter:digest", args=[digest_token(digest_id)]))


class Renderer:
    """Renders many digests; what they share (templates, paper links) is worked out once."""

    def __init__(self) -> None:
        self.subject_template = get_template("emails/digest.subject.txt")
        self.text_template = get_template("emails/digest.txt")
        self.html_template = get_template("emails/digest.html")
        self.paper_path = reverse("paper", args=[0]).removesuffix("0/")
        self.paper_urls: dict[int, str] = {}

    def paper_url(self, paper_id: int) -> str:
        url = self.paper_urls.get(paper_id)
        if url is None:
            url = self.paper_urls[paper_id] = f"{settings.SITE_URL}{self.paper_path}{paper_id}/"
        return url

    def render(
        self, *, digest_id: int, period: date, subscriber: Subscriber, content: Content
    ) -> Rendered:
        items = [
            {"card": card, "terms": terms, "url": self.paper_url(card.id)}
            for card, terms in content.shown
        ]
        context = {
            "count": len(items),
            "terms": content.top_terms(),
            "period_label": period_label(period),
            "items": items,
            "more_count": content.more_count,
            "view_url": digest_url(digest_id),
            "manage_url": manage_url(subscriber),
            "unsubscribe_url": unsubscribe_url(subscriber),
            "site_url": settings.SITE_URL,
        }
        subject = " ".join(self.subject_template.render(context).split())
        context["subject"] = subject
        return Rendered(
            subject=subject,
            text=self.text_template.render(context),
            html=INLINER.inline(self.html_template.render(context)),
        )
