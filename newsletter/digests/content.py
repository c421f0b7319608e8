"""What goes into a batch of digests: each subscriber's matched papers not sent to them before,
featured first, then by trending score, at most their maximum, at least their minimum upvotes.

A batch reads everything it needs in two queries, whatever its size: the matches (subscriber,
paper, terms), then the papers they name, each read once with the lowest upvote count of its
recent history; the caller supplies which papers each subscriber was already sent, read with the
digests themselves.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Substr

from newsletter.digests.trending import age_days, trending_score
from newsletter.models import Digest, Match
from papers.models import Feed, Paper
from papers.trending import upvote_growth, upvotes_baseline

EXCERPT_CHARS = 280
MORE_KEPT = 50  # papers beyond the maximum, kept for the digest's page on the site
SUBJECT_TERMS = 3
EXCERPT_SOURCE_CHARS = 1000  # enough for an excerpt; abstracts run to 2,000 characters
PAPER_FIELDS = (
    "pk", "title", "excerpt_source", "author_count", "authors", "organization__name",
    "organization__handle", "listed_on", "published_on", "first_seen_at", "upvotes", "code_url",
    "arxiv_id", "url", "featured", "thumbnail_url", "github_stars",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Card:
    """A paper as a digest shows it: what a Daily Papers card shows."""

    id: int
    title: str
    excerpt: str
    byline: str
    day: object  # date
    upvotes: int
    code_url: str
    arxiv_url: str
    url: str
    featured: bool
    listed_on: object
    first_seen_at: datetime
    thumbnail_url: str = ""
    github_stars: int | None = None


@dataclass(slots=True)
class Content:
    """One digest's papers, each with the subscriber's terms it matched."""

    shown: list[tuple[Card, list[str]]] = field(default_factory=list)
    more: list[tuple[Card, list[str]]] = field(default_factory=list)
    more_count: int = 0
    reason: str = ""

    @property
    def empty(self) -> bool:
        return not self.shown

    def top_terms(self) -> list[str]:
        counts = Counter(term for _card, terms in self.shown for term in terms)
        return [term for term, _ in counts.most_common(SUBJECT_TERMS)]


def lookback() -> timedelta:
    return timedelta(days=settings.NEWSLETTER_DIGEST_LOOKBACK_DAYS)


def recently_sent(subscriber_ids: list[int], now: datetime) -> Q:
    """The digests whose papers count as sent before: those of the last two lookbacks (a match
    is offered for one lookback, so it can only repeat a paper sent within two)."""
    return Q(
        subscriber_id__in=subscriber_ids,
        status=Digest.Status.SENT,
        scheduled_for__gte=now - 2 * lookback(),
    )


def batch_contents(
    digests: list[Digest], *, sent_before: dict[int, set[int]], now: datetime
) -> dict[int, Content]:
    """Content per digest id. `sent_before` maps a subscriber id to the papers already sent."""
    by_subscriber = {digest.subscriber_id: digest for digest in digests}
    candidates: dict[int, dict[int, list[str]]] = {pk: {} for pk in by_subscriber}
    rows = Match.objects.filter(
        subscription__subscriber_id__in=list(by_subscriber), created_at__gte=now - lookback()
    ).values_list("subscription__subscriber_id", "paper_id", "terms")
    for subscriber_id, paper_id, terms in rows:
        if paper_id in sent_before.get(subscriber_id, ()):
            continue
        known = candidates[subscriber_id].setdefault(paper_id, [])
        known.extend(term for term in terms if term not in known)
    wanted = {paper_id for papers in candidates.values() for paper_id in papers}
    cards, scores = _cards_and_scores(wanted, now)  # hidden papers are left out here
    contents = {}
    for subscriber_id, digest in by_subscriber.items():
        papers = {pk: terms for pk, terms in candidates[subscriber_id].items() if pk in cards}
        ranked = sorted(papers, key=lambda pk: (not cards[pk].featured, -scores[pk], pk))
        contents[digest.pk] = _content(digest, [(cards[pk], papers[pk]) for pk in ranked])
    _explain_empty_with_failed_sources(contents.values())
    return contents


def _content(digest: Digest, ranked: list[tuple[Card, list[str]]]) -> Content:
    subscriber = digest.subscriber
    eligible = [item for item in ranked if item[0].upvotes >= subscriber.min_upvotes]
    content = Content(
        shown=eligible[: subscriber.max_papers],
        more=eligible[subscriber.max_papers :][:MORE_KEPT],
        more_count=max(len(eligible) - subscriber.max_papers, 0),
    )
    if not ranked:
        content.reason = "No new papers matched your topics."
    elif not eligible:
        content.reason = (
            f"All {len(ranked)} new matching paper{'s' if len(ranked) != 1 else ''} had fewer "
            f"than your minimum of {subscriber.min_upvotes} upvotes."
        )
    return content


def _cards_and_scores(
    paper_ids: set[int], now: datetime
) -> tuple[dict[int, Card], dict[int, float]]:
    """The visible papers among `paper_ids` as cards, and their trending scores."""
    if not paper_ids:
        return {}, {}
    papers = _paper_rows(
        Paper.objects.filter(pk__in=paper_ids, hidden=False), baseline=upvotes_baseline(now)
    )
    cards, scores = {}, {}
    for *fields, baseline in papers:
        card = cards[fields[0]] = _card(*fields)
        scores[card.id] = trending_score(
            upvotes=card.upvotes,
            growth=upvote_growth(card.upvotes, baseline),
            age_days=age_days(listed_on=card.listed_on, first_seen_at=card.first_seen_at, now=now),
        )
    return cards, scores


def _paper_rows(papers, **annotations):
    """What a card needs of each paper (the start of its abstract, not all of it)."""
    return papers.annotate(
        excerpt_source=Substr("abstract", 1, EXCERPT_SOURCE_CHARS), **annotations
    ).values_list(*PAPER_FIELDS, *annotations)


def _explain_empty_with_failed_sources(contents) -> None:
    """An empty digest may be empty because a feed is failing: say so, for the editor."""
    empty = [content for content in contents if content.empty]
    if not empty:
        return
    failing = list(
        Feed.objects.filter(enabled=True, last_status=Feed.Status.ERROR).values_list(
            "name", flat=True
        )[:3]
    )
    if failing:
        note = " A source failed: " + ", ".join(failing) + "."
        for content in empty:
            content.reason += note


def _card(
    pk, title, abstract, author_count, authors, org_name, org_handle, listed_on, published_on,
    first_seen_at, upvotes, code_url, arxiv_id, url, featured, thumbnail_url, github_stars,
) -> Card:  # fmt: skip
    if org_name or org_handle:
        byline = org_name or org_handle
    else:
        count = author_count or len(authors or ())
        byline = f"{count} author{'s' if count != 1 else ''}" if count else ""
    return Card(
        id=pk,
        title=title,
        excerpt=excerpt(abstract),
        byline=byline,
        day=listed_on or published_on or first_seen_at.date(),
        upvotes=upvotes,
        code_url=code_url,
        arxiv_url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else "",
        url=url,
        featured=featured,
        listed_on=listed_on,
        first_seen_at=first_seen_at,
        thumbnail_url=thumbnail_url,
        github_stars=github_stars,
    )


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of an abstract, cut at a word, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def cards_for(items: list) -> list[tuple[Card, list[str]]]:
    """Stored digest items ([[paper id, terms], ...]) as cards, for the page and the admin;
    papers hidden or deleted since are left out."""
    ids = [paper_id for paper_id, _ in items]
    cards = {
        row[0]: _card(*row) for row in _paper_rows(Paper.objects.filter(pk__in=ids, hidden=False))
    }
    return [(cards[pk], terms) for pk, terms in items if pk in cards]
