"""Feeds out of what readers follow: a curated topic's papers, any rule's, and one subscriber's
digest papers (a private, signed feed), in Atom and RSS. See `papers.syndication`."""

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import urlencode

from core.query import QueryError, parse
from newsletter.models import Digest, Subscriber, Topic
from newsletter.selectors import papers_matching
from papers.models import Paper
from papers.selectors import visible_papers
from papers.syndication import ENTRIES, PaperFeed

FEED_SALT = "paperwire.subscriber-feed"
DIGESTS_READ = 20  # the latest digests a private feed carries papers from


class RuleFeed(PaperFeed):
    """Any rule's latest papers (ENTRIES of them), however long ago they were listed, up to
    PAPERS_FEED_DAYS back (a year): the digests' matcher over what the search index finds."""

    def get_object(self, request: HttpRequest, *args, **kwargs):
        text = request.GET.get("q", "").strip()
        if not text:
            raise Http404("Give the rule as ?q=, e.g. ?q=quantization")
        try:
            return parse(text)
        except QueryError as exc:
            raise Http404(f"Not a rule: {exc}") from None

    def title(self, rule) -> str:
        return f"Paperwire: {rule.text}"

    def description(self, rule) -> str:
        return f"The latest papers matching “{rule.text}”."

    def link(self, rule) -> str:
        return f"{reverse('search')}?{urlencode({'q': rule.text})}"

    def items(self, rule) -> list[Paper]:
        return matching_papers(rule)


class TopicFeed(RuleFeed):
    """A curated topic's papers."""

    def get_object(self, request: HttpRequest, slug: str):
        topic = get_object_or_404(Topic, slug=slug, active=True)
        topic.parsed = parse(topic.rule)
        return topic

    def title(self, topic) -> str:
        return f"Paperwire: {topic.name}"

    def description(self, topic) -> str:
        return topic.description or f"Papers on {topic.name} (“{topic.rule}”)."

    def link(self, topic) -> str:
        return f"{reverse('search')}?{urlencode({'q': topic.rule})}"

    def items(self, topic) -> list[Paper]:
        return matching_papers(topic.parsed)


def matching_papers(rule) -> list[Paper]:
    ids = []
    for pk, _title in papers_matching(rule, days=settings.PAPERS_FEED_DAYS, indexed=True):
        ids.append(pk)
        if len(ids) == ENTRIES:
            break
    by_id = visible_papers().select_related("organization").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def feed_token(subscriber: Subscriber) -> str:
    """The signed, unguessable part of a subscriber's private feed URL. It never expires; "sign
    out every link" on the manage page gives the reader a new token, which ends it."""
    return _FEED_SIGNER.sign_object([subscriber.pk, subscriber.token[:8]], compress=True)


# No timestamp: the same reader gets the same URL every time (a feed reader keeps it), where
# signing.dumps wrote a new one each second. Links made that way before still open.
_FEED_SIGNER = signing.Signer(salt=FEED_SALT)


def subscriber_for_feed(token: str) -> Subscriber:
    try:
        if token.count(":") == 2:  # payload:timestamp:signature, a link from before
            pk, check = signing.loads(token, salt=FEED_SALT)
        else:
            pk, check = _FEED_SIGNER.unsign_object(token)
        subscriber = Subscriber.objects.get(pk=pk)
    except (signing.BadSignature, ValueError, TypeError, Subscriber.DoesNotExist):
        raise Http404("This feed link is not valid (any more).") from None
    if subscriber.token[:8] != check or subscriber.status != Subscriber.Status.ACTIVE:
        raise Http404("This feed link is not valid (any more).")
    return subscriber


class SubscriberFeed(PaperFeed):
    """One reader's digest papers, newest digest first: to follow in a feed reader, not by mail."""

    title = "Paperwire: your digest"
    description = "The papers of your Paperwire digests."

    def get_object(self, request: HttpRequest, token: str) -> Subscriber:
        return subscriber_for_feed(token)

    def link(self, subscriber: Subscriber) -> str:
        return reverse("trending")

    def items(self, subscriber: Subscriber) -> list[Paper]:
        digests = subscriber.digests.filter(status=Digest.Status.SENT).order_by("-sent_at")
        sent_at: dict[int, object] = {}
        for digest in digests.only("items", "sent_at")[:DIGESTS_READ]:
            for row in digest.items:
                sent_at.setdefault(row[0], digest.sent_at)
        ids = list(sent_at)[:ENTRIES]
        by_id = visible_papers().select_related("organization").in_bulk(ids)
        self.sent_at = sent_at
        return [by_id[pk] for pk in ids if pk in by_id]

    def item_pubdate(self, paper: Paper):
        return self.sent_at.get(paper.pk) or super().item_pubdate(paper)
