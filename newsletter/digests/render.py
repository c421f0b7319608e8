"""A digest as an email: subject, plain text and HTML with its CSS inlined (css-inline).

Templates: emails/digest.subject.txt, .txt and .html, with one card per paper from
emails/_digest_card.html and .txt and the matched terms from emails/_digest_terms.html. The
inlined rules live in emails/digest.css; one <style> block that cannot be inlined (dark mode and
narrow screens, as media queries) stays in the head, since many mail clients drop <style>.

Rendering is the costly part of sending, so a paper's card is rendered and inlined once per
process and reused by every digest that shows it: cards are cached by their content (a `Card`
is immutable and holds everything the card shows), so an edited paper gets a new card.
"""

import functools
from dataclasses import dataclass
from datetime import date

import css_inline
from django.conf import settings
from django.template.loader import get_template, render_to_string
from django.urls import reverse

from newsletter.digests.content import Card, Content
from newsletter.emails import link, manage_url, unsubscribe_url
from newsletter.models import Subscriber
from newsletter.tokens import digest_token

INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
CARDS_CACHED = 20_000
TERMS_MARK = "<!--terms-->"
CARDS_MARK = "<!--cards-->"
PREHEADER_TITLES = 3


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def period_label(period: date) -> str:
    """ "Mon 23 Nov", as in the subject."""
    return f"{period:%a} {period.day} {period:%b}"


def digest_url(digest_id: int) -> str:
    return link("newsletter:digest", digest_token(digest_id))


@functools.lru_cache(maxsize=1)
def _css() -> str:
    return render_to_string("emails/digest.css")


@functools.lru_cache(maxsize=CARDS_CACHED)
def _card(card: Card, url: str) -> tuple[str, str]:
    """A paper's card, (HTML with its CSS inlined, plain text), with a mark for the terms."""
    context = {"card": card, "url": url}
    html = INLINER.inline_fragment(render_to_string("emails/_digest_card.html", context), _css())
    return html, render_to_string("emails/_digest_card.txt", context)


@functools.lru_cache(maxsize=4096)
def _terms(terms: tuple[str, ...]) -> tuple[str, str]:
    if not terms:
        return "", ""
    html = render_to_string("emails/_digest_terms.html", {"terms": terms})
    return INLINER.inline_fragment(html, _css()), f"Matched: {', '.join(terms)}\n"


class Renderer:
    """Renders many digests; what they share (templates, paper links) is worked out once."""

    def __init__(self) -> None:
        self.subject_template = get_template("emails/digest.subject.txt")
        self.text_template = get_template("emails/digest.txt")
        self.html_template = get_template("emails/digest.html")
        self.paper_path = reverse("paper", args=[0]).removesuffix("0/")

    def render(
        self, *, digest_id: int, period: date, subscriber: Subscriber, content: Content
    ) -> Rendered:
        html_cards, text_cards = [], []
        for card, terms in content.shown:
            card_html, card_text = _card(card, f"{settings.SITE_URL}{self.paper_path}{card.id}/")
            terms_html, terms_text = _terms(tuple(terms))
            html_cards.append(card_html.replace(TERMS_MARK, terms_html, 1))
            text_cards.append(card_text.replace(TERMS_MARK, terms_text, 1))
        context = {
            "count": len(content.shown),
            "terms": content.top_terms(),
            "period_label": period_label(period),
            "cards": text_cards,
            "preheader": " · ".join(card.title for card, _ in content.shown[:PREHEADER_TITLES]),
            "more_count": content.more_count,
            "view_url": digest_url(digest_id),
            "manage_url": manage_url(subscriber),
            "unsubscribe_url": unsubscribe_url(subscriber),
            "site_url": settings.SITE_URL,
        }
        subject = " ".join(self.subject_template.render(context).split())
        context["subject"] = subject
        page = INLINER.inline(self.html_template.render(context))
        return Rendered(
            subject=subject,
            text=self.text_template.render(context),
            html=page.replace(CARDS_MARK, "\n".join(html_cards), 1),
        )
