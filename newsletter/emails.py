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
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlsplit

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix, reverse

from newsletter.content import SUBJECT_TOPICS, Card, Content, topic_title
from newsletter.models import SignupRequest, Subscriber
from newsletter.selectors import SAMPLE_DAYS, sample_cards, signup_asked, signup_liked_titles
from newsletter.tokens import (
    confirm_token,
    digest_token,
    feedback_signer,
    manage_token,
    mute_token,
)

INLINER = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
# A whole message: its CSS inlined, and its <style> kept for what cannot be (dark mode, narrow).
PAGE_INLINER = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)
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
def _pattern(name: str, script_prefix: str, *more: str) -> tuple[str, str]:
    before, _, after = reverse(name, args=[PLACEHOLDER, *more]).partition(PLACEHOLDER)
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


def send_digest_test(*, digest_id: int, rendered: "Rendered", to: str) -> None:
    """An editor's test of a digest: the email as its reader gets it, marked [Test], to the
    editor. It carries no List-Unsubscribe headers: the editor's mail client must never offer to
    unsubscribe the reader."""
    message = EmailMultiAlternatives(
        subject=f"[Test] {rendered.subject}", body=rendered.text, to=[to],
        headers={"List-Id": settings.NEWSLETTER_LIST_ID, "X-Paperwire-Digest": str(digest_id)},
    )  # fmt: skip
    message.attach_alternative(rendered.html, "text/html")
    message.send()


def send_confirmation(subscriber: Subscriber, request: SignupRequest | None = None) -> None:
    """Double opt-in, with a recap of what was asked for (topics, how often) and the papers the
    reader would have got in the last SAMPLE_DAYS days, built like the digest. Its link
    confirms that request, exactly (or, without one, the subscription as it is)."""
    token = confirm_token(subscriber, request.pk if request else None)
    asked = signup_asked(subscriber, request)
    shown = []
    for card in sample_cards([rule for _rule, _name, rule in asked.topics]):
        html, text = _card(card, absolute(reverse("paper", args=[card.id])))
        shown.append(("".join(html), "".join(text)))
    context = {
        "confirm_url": absolute(reverse("newsletter:confirm", args=[token])),
        "topics": [recap_text(topic_title(rule, name)) for rule, name, _ in asked.topics],
        "schedule": schedule_text(asked.schedule),
        "samples": shown,
        "sample_days": SAMPLE_DAYS,
        # "Email me papers like this": the papers the library starts with, recapped as topics are
        "library": [recap_text(title) for title in signup_liked_titles(request)],
    }
    _send("confirm", subscriber, context)


# Anyone can type anything as a rule for any address, so the recap never shows what a mail client
# would make a link of: a scheme, an address, a domain ("cheap-pills.example"), in any spelling
# a client reads as one: full-width and other compatibility forms (NFKC folds them), and the
# ideographic full stops IDNA takes for dots (U+3002, U+FF0E, U+FF61, U+FE52).
LINK_LIKE_RE = re.compile(r"://|@|\bwww\.|[\w-]\.[a-z]{2,}\b", re.IGNORECASE)
IDNA_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": ".", "\ufe52": "."})


def recap_text(topic: str) -> str:
    folded = unicodedata.normalize("NFKC", topic).translate(IDNA_DOTS)
    if LINK_LIKE_RE.search(folded):
        return "a topic with a link-like word (see it on your manage page)"
    return topic


def schedule_text(subscriber: Subscriber) -> str:
    """ "every day at 08:00 (Europe/Paris)", "every Wednesday at 07:00 (UTC)"."""
    when = (
        "every day"
        if subscriber.frequency == Subscriber.Frequency.DAILY
        else f"every {Subscriber.Weekday(subscriber.send_weekday).label}"
    )
    return f"{when} at {subscriber.send_hour:02d}:00 ({subscriber.timezone})"


def send_manage_link(subscriber: Subscriber, *, reason: str = "signup") -> None:
    """A way in to the manage page: for a signup from an address that is already subscribed
    (nothing changed), or for a reader who asked for a new link (`reason` "asked")."""
    _send("manage_link", subscriber, {"asked": reason == "asked"})


def send_links_reset(subscriber: Subscriber) -> None:
    """After "sign out every link": the new manage link, and word that the old links stopped."""
    _send("links_reset", subscriber, {})


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
    html = render_to_string(f"emails/{kind}.html", context)
    message.attach_alternative(PAGE_INLINER.inline(html), "text/html")
    message.send()


# The digest.


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


@functools.lru_cache(maxsize=64)  # a batch's digests share one or two periods
def period_label(period: date) -> str:
    """ "Mon 23 Nov", as in the subject."""
    return f"{period:%a} {period.day} {period:%b}"


def digest_url(digest_id: int, subscriber: Subscriber) -> str:
    return link("newsletter:digest", digest_token(digest_id, subscriber))


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


def ascii_html(html: str) -> str:
    """HTML in ASCII alone, every other character written as a character reference (`&#128077;`
    for 👍): what a reader's mail client shows is the same, and a digest's parts join, and are
    encoded for the wire, as the one-byte strings that Python keeps ASCII in (a single emoji makes
    a string four bytes a character). The digest's markup holds no other character where a
    reference would not be read (in a <style> or a <script>): its CSS and its markup are ASCII."""
    return html.encode("ascii", "xmlcharrefreplace").decode("ascii")


def _inline(fragment: str) -> str:
    """A part of the digest with its CSS inlined, in ASCII (`ascii_html`)."""
    return ascii_html(INLINER.inline_fragment(fragment, _css()))


@functools.lru_cache(maxsize=CARDS_CACHED)
def _card(card: Card, url: str) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
    """A paper's card as (HTML with its CSS inlined, plain text), each cut where a reader's
    own parts go: (before the terms, between the terms and the 👍 / 👎 links, after them)."""
    context = {"card": card, "url": url}
    html = _inline(render_to_string("emails/_digest_card.html", context))
    return _cut(html), _cut(render_to_string("emails/_digest_card.txt", context))


def _cut(card: str) -> tuple[str, str, str]:
    head, _, rest = card.partition(TERMS_MARK)
    middle, _, tail = rest.partition(FEEDBACK_MARK)
    return head, middle, tail


@functools.lru_cache(maxsize=4096)
def _terms(terms: tuple[str, ...], others: tuple[str, ...]) -> tuple[str, str]:
    if not terms and not others:
        return "", ""
    context = {"terms": terms, "others": others}
    html = _inline(render_to_string("emails/_digest_terms.html", context))
    text = f"Matched: {', '.join(terms)}" if terms else ""
    if others:
        text += f"{' · ' if text else ''}Also on {', '.join(others)}"
    return html, text + "\n"


def _reason(reason: str, terms: tuple[str, ...]) -> tuple[str, str]:
    """Why a recommendation is there: its nearest positive and the words behind it."""
    context = {"reason": reason, "terms": terms}
    html = _inline(render_to_string("emails/_digest_reason.html", context))
    text = "Recommended " + reason + (f" ({', '.join(terms)})" if terms else "")
    return html, text + "\n"


@functools.lru_cache(maxsize=1)
def _feedback_html() -> tuple[str, str, str]:
    """The 👍 / 👎 links of a card, cut where each reader's own links go."""
    html = _inline(render_to_string("emails/_digest_feedback.html"))
    head, _, rest = html.partition("UP_URL")
    middle, _, tail = rest.partition("DOWN_URL")
    return head, middle, tail


@functools.lru_cache(maxsize=1)
def _mute_html() -> str:
    return _inline(render_to_string("emails/_digest_mute.html"))


@functools.lru_cache(maxsize=4096)
def _section(title: str) -> str:
    html = render_to_string("emails/_digest_section.html", {"title": title})
    return _inline(html)


# The frame of a digest (its head, lede and footer) is the same for every reader but a few
# values: it is rendered and inlined once per process with a slot in place of each, cut at the
# slots, and each digest fills them. A slot's value is escaped as the inliner writes the text it
# parses (text: & < > and no-break spaces; attributes: & " and no-break spaces), so a digest is
# byte for byte what rendering and inlining it whole would give.
SLOT_RE = re.compile(r"pwslot([a-z_]+)pwslot")
FRAME_SLOTS = ("subject", "preheader", "lede", "period_label", "view_url", "manage_url",
               "unsubscribe_url", "more_count", "sections")  # fmt: skip
ATTRIBUTE_SLOTS = frozenset({"view_url", "manage_url", "unsubscribe_url"})
RAW_SLOTS = frozenset({"cards"})


def _escape_text(value: str) -> str:
    return ascii_html(
        value.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace("<", "&lt;")
        .replace(">", "&gt;")
    )  # fmt: skip


def _escape_attribute(value: str) -> str:
    return ascii_html(value.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace('"', "&quot;"))


@functools.lru_cache(maxsize=8)
def _frames(site_url: str, with_more: bool) -> tuple[list[str], list[str]]:
    """The digest's frame as (HTML inlined, text), each cut at its slots: [text, slot name,
    text, slot name, ..., text]. `with_more`: whether it links to more papers on the web."""
    context = {name: f"pwslot{name}pwslot" for name in FRAME_SLOTS}
    context["site_url"] = site_url
    if not with_more:
        context["more_count"] = 0
    html = ascii_html(INLINER.inline(get_template("emails/digest.html").render(context)))
    html = html.replace(CARDS_MARK, "pwslotcardspwslot", 1)
    text = get_template("emails/digest.txt").render(context)
    return SLOT_RE.split(html), SLOT_RE.split(text)


def _fill(parts: list[str], values: dict[str, str], escape=None) -> str:
    filled = parts.copy()
    for i in range(1, len(filled), 2):
        name = filled[i]
        value = values[name]
        if escape is not None and name not in RAW_SLOTS:
            value = (_escape_attribute if name in ATTRIBUTE_SLOTS else _escape_text)(value)
        filled[i] = value
    return "".join(filled)


def lede_text(content: Content) -> str:
    """The digest's first words: "12 new papers on your topics", or for a reader who follows
    only their library, "5 papers recommended for you"."""
    if content.total or not content.recommended:
        return f"{content.total} new paper{'s' if content.total != 1 else ''} on your topics"
    count = content.recommended
    return f"{count} paper{'s' if count != 1 else ''} recommended for you"


_RENDERED: dict[int, tuple] = {}  # by paper: (Card, its URL, HTML, text)


class DigestRenderer:
    """Renders many digests; what they share (the frame, cards, paper links) is worked out once."""

    def __init__(self) -> None:
        self.site_url = settings.SITE_URL
        self.paper_url = self.site_url + reverse("paper", args=[0]).removesuffix("0/")
        before, after = _pattern("newsletter:feedback", get_script_prefix(), "up")
        self.vote_before = self.site_url + before
        self.vote_up, self.vote_down = after, after.replace("up", "down", 1)
        self.mute_before, self.mute_after = _pattern("newsletter:mute", get_script_prefix())

    def _card(self, card: Card) -> tuple:
        """(the card, its URL, its HTML, its text), the HTML and the text each cut in three as
        `_card` cuts them. Assembly hands out one Card per paper for as long as its row is
        unchanged, so a card found here by identity skips hashing its fields for `_card`'s own
        cache (which serves the confirmation emails' samples, rendered outside any batch)."""
        found = _RENDERED.get(card.id)
        url = f"{self.paper_url}{card.id}/"
        if found is None or found[0] is not card or found[1] != url:
            if len(_RENDERED) > CARDS_CACHED:
                _RENDERED.clear()
            found = _RENDERED[card.id] = (card, url, *_card(card, url))
        return found

    def render(
        self, *, digest_id: int, period: date, subscriber: Subscriber, content: Content
    ) -> Rendered:
        html_parts, text_sections = [], []
        votes = _feedback_html()
        feedback = feedback_signer(subscriber)
        for section in content.sections:
            if not section.items:  # its papers stand in narrower sections, or on the web
                continue
            html_parts += (_section(section.title), "\n")
            text_sections.append(f"\n== {section.title} ==")
            if section.subscription_id is not None:
                mute = (
                    f"{self.site_url}{self.mute_before}"
                    f"{mute_token(subscriber, section.subscription_id)}{self.mute_after}"
                )
                html_parts += (_mute_html().replace("MUTE_URL", mute, 1), "\n")
                text_sections.append(f"\nMute this topic for a week: {mute}")
            text_sections.append("\n")
            for number, item in enumerate(section.items, 1):
                _, _, card_html, card_text = self._card(item.card)
                if item.reason:
                    terms_html, terms_text = _reason(item.reason, tuple(item.terms))
                else:
                    terms_html, terms_text = _terms(
                        tuple(item.terms), tuple(content.other_topics(item))
                    )
                base = self.vote_before + feedback(item.card.id)
                up, down = base + self.vote_up, base + self.vote_down
                html_parts += (card_html[0], terms_html, card_html[1], votes[0], up, votes[1],
                               down, votes[2], card_html[2], "\n")  # fmt: skip
                text_sections.append(
                    f"\n{number}. {card_text[0]}{terms_text}{card_text[1]}\nMore like this: {up}"
                    f"\nFewer: {down}{card_text[2]}"
                )
        shown = content.shown
        subject = digest_subject(content, period)
        values = {
            "subject": subject,
            "preheader": " · ".join(item.card.title for item in shown[:PREHEADER_TITLES]),
            "lede": lede_text(content),
            "period_label": period_label(period),
            "view_url": digest_url(digest_id, subscriber),
            "manage_url": manage_url(subscriber),
            "unsubscribe_url": unsubscribe_url(subscriber),
            "more_count": str(content.more_count),
            "sections": "".join(text_sections),
            "cards": "".join(html_parts),
        }
        html_frame, text_frame = _frames(self.site_url, bool(content.more_count))
        return Rendered(
            subject=subject,
            text=_fill(text_frame, values),
            html=_fill(html_frame, values, escape=True),
        )
