"""Every email the newsletter sends, built here and only here: one small function per kind.

Each kind is a template triplet under templates/emails/: KIND.subject.txt, KIND.txt and KIND.html.
Every email carries, in its footer, a signed link to the subscriber's manage page and an
unsubscribe link, and the List-Unsubscribe headers (RFC 2369 and RFC 8058).

The digest is HTML with its CSS inlined by css-inline (emails/digest.css; one <style> block that
cannot be inlined, dark mode and narrow screens as media queries, stays in the head, since many
mail clients drop <style>), plus a text part. It has a section per topic (emails/_digest_section),
each paper's card (emails/_digest_card) with the terms it matched (emails/_digest_terms).
Rendering is the costly part of sending, so a paper's card is rendered and inlined once per
process and reused by every digest that shows it: cards are cached by their content (a `Card`
is immutable and holds everything the card shows), so an edited paper gets a new card.
"""

import functools
import secrets
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlsplit

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix, reverse

from newsletter.digests.content import SUBJECT_TOPICS, Card, Content
from newsletter.models import Subscriber
from newsletter.tokens import (
    confirm_token,
    digest_token,
    feedback_token,
    manage_token,
    mute_token,
)

INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
CARDS_CACHED = 20_000
TERMS_MARK = "<!--terms-->"
FEEDBACK_MARK = "<!--feedback-->"
CARDS_MARK = "<!--cards-->"
PREHEADER_TITLES = 3

PLACEHOLDER = "TOKEN"  # tokens are URL-safe, so they are never quoted


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def link(name: str, token: str) -> str:
    """The absolute URL of the view `name` for `token`: `reverse` resolves the pattern once per
    process, since a batch of digests builds thousands of these."""
    before, after = _pattern(name, get_script_prefix())
    return f"{settings.SITE_URL}{before}{token}{after}"


@functools.lru_cache(maxsize=32)
def _pattern(name: str, script_prefix: str) -> tuple[str, str]:
    before, _, after = reverse(name, args=[PLACEHOLDER]).partition(PLACEHOLDER)
    return before, after


def manage_url(subscriber: Subscriber) -> str:
    return link("newsletter:manage", manage_token(subscriber))


def unsubscribe_url(subscriber: Subscriber) -> str:
    return link("newsletter:unsubscribe", subscriber.token)


def list_unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """The headers that let a mail client unsubscribe in one click, without opening a page."""
    one_click = link("newsletter:one_click_unsubscribe", subscriber.token)
    mailbox = settings.NEWSLETTER_UNSUBSCRIBE_MAILBOX
    mailto = f"mailto:{mailbox}?subject={quote('unsubscribe ' + subscriber.token)}"
    return {
        "List-Unsubscribe": f"<{one_click}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def digest_message(
    *, digest_id: int, subscriber: Subscriber, subject: str, text: str, html: str, connection=None
) -> EmailMultiAlternatives:
    """A digest, ready to send: both parts, the unsubscribe headers, a List-Id and a Message-ID
    of our own (stored on the digest once sent)."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[subscriber.email],
        connection=connection,
        headers={
            **list_unsubscribe_headers(subscriber),
            "List-Id": settings.NEWSLETTER_LIST_ID,
            # Short enough never to be folded; unique per attempt.
            "Message-ID": f"<digest.{digest_id}.{secrets.token_hex(8)}@{domain}>",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def send_confirmation(subscriber: Subscriber) -> None:
    """Double opt-in. Shows nothing the visitor typed but the address it is sent to."""
    confirm = absolute(reverse("newsletter:confirm", args=[confirm_token(subscriber)]))
    _send("confirm", subscriber, {"confirm_url": confirm})


def send_manage_link(subscriber: Subscriber) -> None:
    """For a signup from an address that is already subscribed: a way in, and nothing changed."""
    _send("manage_link", subscriber, {})


def _send(kind: str, subscriber: Subscriber, context: dict) -> None:
    context = {
        **context,
        "subscriber": subscriber,
        "site_url": settings.SITE_URL,
        "manage_url": manage_url(subscriber),
        "unsubscribe_url": unsubscribe_url(subscriber),
    }
    subject = " ".join(render_to_string(f"emails/{kind}.subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{kind}.txt", context),
        to=[subscriber.email],
        headers=list_unsubscribe_headers(subscriber),
    )
    message.attach_alternative(render_to_string(f"emails/{kind}.html", context), "text/html")
    message.send()


# The digest.


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


def digest_subject(content: Content, period: date) -> str:
    """ "119 new papers on language model, verilog, fpga — Mon 23 Nov": the period's papers on
    the reader's topics, named as the reader wrote them."""
    topics = content.topic_titles()
    named = ", ".join(topics[:SUBJECT_TOPICS]) + (
        " and more" if len(topics) > SUBJECT_TOPICS else ""
    )
    count = content.total
    if not topics and content.recommended:  # a reader who follows only their library
        count = content.recommended
        return (
            f"{count} paper{'s' if count != 1 else ''} recommended for you — {period_label(period)}"
        )
    return f"{count} new paper{'s' if count != 1 else ''} on {named or 'your topics'} — {period_label(period)}"


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
def _terms(terms: tuple[str, ...], others: tuple[str, ...]) -> tuple[str, str]:
    if not terms and not others:
        return "", ""
    context = {"terms": terms, "others": others}
    html = INLINER.inline_fragment(render_to_string("emails/_digest_terms.html", context), _css())
    text = f"Matched: {', '.join(terms)}" if terms else ""
    if others:
        text += f"{' · ' if text else ''}Also on {', '.join(others)}"
    return html, text + "\n"


def _reason(reason: str, terms: tuple[str, ...]) -> tuple[str, str]:
    """Why a recommendation is there: its nearest positive and the words behind it."""
    context = {"reason": reason, "terms": terms}
    html = INLINER.inline_fragment(render_to_string("emails/_digest_reason.html", context), _css())
    text = "Recommended " + reason + (f" ({', '.join(terms)})" if terms else "")
    return html, text + "\n"


@functools.lru_cache(maxsize=1)
def _feedback_html() -> str:
    """The 👍 / 👎 links of a card, with UP_URL and DOWN_URL for each reader's own links."""
    return INLINER.inline_fragment(render_to_string("emails/_digest_feedback.html"), _css())


@functools.lru_cache(maxsize=1)
def _mute_html() -> str:
    return INLINER.inline_fragment(render_to_string("emails/_digest_mute.html"), _css())


def feedback_urls(subscriber: Subscriber, paper_id: int) -> tuple[str, str]:
    """The absolute 👍 and 👎 links of a paper, signed for the reader."""
    return (
        link("newsletter:feedback", feedback_token(subscriber, paper_id, 1)),
        link("newsletter:feedback", feedback_token(subscriber, paper_id, -1)),
    )


def mute_url(subscriber: Subscriber, subscription_id: int) -> str:
    return link("newsletter:mute", mute_token(subscriber, subscription_id))


@functools.lru_cache(maxsize=4096)
def _section(title: str) -> str:
    html = render_to_string("emails/_digest_section.html", {"title": title})
    return INLINER.inline_fragment(html, _css())


class DigestRenderer:
    """Renders many digests; what they share (templates, paper links) is worked out once."""

    def __init__(self) -> None:
        self.text_template = get_template("emails/digest.txt")
        self.html_template = get_template("emails/digest.html")
        self.paper_path = reverse("paper", args=[0]).removesuffix("0/")

    def render(
        self, *, digest_id: int, period: date, subscriber: Subscriber, content: Content
    ) -> Rendered:
        html_parts, text_sections = [], []
        for section in content.sections:
            if not section.items:  # its papers stand in narrower sections, or on the web
                continue
            html_parts.append(_section(section.title))
            mute = ""
            if section.subscription_id is not None:
                mute = mute_url(subscriber, section.subscription_id)
                html_parts.append(_mute_html().replace("MUTE_URL", mute, 1))
            text_cards = []
            for item in section.items:
                url = f"{settings.SITE_URL}{self.paper_path}{item.card.id}/"
                card_html, card_text = _card(item.card, url)
                if item.reason:
                    terms_html, terms_text = _reason(item.reason, tuple(item.terms))
                else:
                    terms_html, terms_text = _terms(
                        tuple(item.terms), tuple(content.other_topics(item))
                    )
                up, down = feedback_urls(subscriber, item.card.id)
                votes = _feedback_html().replace("UP_URL", up, 1).replace("DOWN_URL", down, 1)
                card_html = card_html.replace(TERMS_MARK, terms_html, 1)
                html_parts.append(card_html.replace(FEEDBACK_MARK, votes, 1))
                card_text = card_text.replace(TERMS_MARK, terms_text, 1)
                text_cards.append(
                    card_text.replace(FEEDBACK_MARK, f"\nMore like this: {up}\nFewer: {down}", 1)
                )
            text_sections.append((section.title, text_cards, mute))
        shown = content.shown
        subject = digest_subject(content, period)
        context = {
            "subject": subject,
            "total": content.total,
            "recommended": content.recommended,
            "count": len(shown),
            "period_label": period_label(period),
            "sections": text_sections,
            "preheader": " · ".join(item.card.title for item in shown[:PREHEADER_TITLES]),
            "more_count": content.more_count,
            "view_url": digest_url(digest_id),
            "manage_url": manage_url(subscriber),
            "unsubscribe_url": unsubscribe_url(subscriber),
            "site_url": settings.SITE_URL,
        }
        page = INLINER.inline(self.html_template.render(context))
        return Rendered(
            subject=subject,
            text=self.text_template.render(context),
            html=page.replace(CARDS_MARK, "\n".join(html_parts), 1),
        )
