"""The shape of a digest: what it holds, how it is stored on its ledger row, and how it is read
back for its page, the admin and the private feed.

A digest is a section per topic the reader follows (`Section`, its `Item`s: a paper's `Card`, the
terms it matched, the topics that matched it), then "Recommended for you" and "Also trending";
`Content.total` counts every paper of the period on the reader's topics, shown or not. Assembly
(digests/assembly.py) builds it, emails.py renders it, and both import it from here; nothing here
knows how a digest is assembled.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models.functions import Substr

from newsletter.models import Digest
from papers.models import Paper

EXCERPT_CHARS = 280
ALSO_TRENDING = "Also trending"
RECOMMENDED = "Recommended for you"
EXTRA_SECTIONS = (RECOMMENDED, ALSO_TRENDING)  # sections of no topic of the reader's
SUBJECT_TOPICS = 3
EXCERPT_SOURCE_CHARS = 1000  # enough for an excerpt; abstracts run to 2,000 characters
PAPER_FIELDS = (
    "pk", "title", "excerpt_source", "author_count", "authors", "organization__name",
    "organization__handle", "listed_on", "published_on", "first_seen_at", "upvotes", "code_url",
    "arxiv_id", "url", "featured", "thumbnail_url", "github_stars",
)  # fmt: skip


def digest_lookback() -> timedelta:
    """How far back a digest looks for its papers: a match is offered for this long."""
    return timedelta(days=settings.NEWSLETTER_DIGEST_LOOKBACK_DAYS)


@dataclass(frozen=True, slots=True)
class PaperRow:
    """What a card is made from: one row of PAPER_FIELDS."""

    pk: int
    title: str
    excerpt_source: str
    author_count: int | None
    authors: list[str]
    org_name: str | None
    org_handle: str | None
    listed_on: object
    published_on: object
    first_seen_at: datetime
    upvotes: int
    code_url: str
    arxiv_id: str | None
    url: str
    featured: bool
    thumbnail_url: str
    github_stars: int | None


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
    day_label: str = "Listed"  # what `day` is: "Listed" on Daily Papers, "Published", "Added"

    @classmethod
    def of(cls, row: PaperRow) -> "Card":
        if row.org_name or row.org_handle:
            byline = row.org_name or row.org_handle
        else:
            count = row.author_count or len(row.authors or ())
            byline = f"{count} author{'s' if count != 1 else ''}" if count else ""
        return cls(
            id=row.pk,
            title=row.title,
            excerpt=excerpt(row.excerpt_source),
            byline=byline,
            day=row.listed_on or row.published_on or row.first_seen_at.date(),
            upvotes=row.upvotes,
            code_url=row.code_url,
            arxiv_url=f"https://arxiv.org/abs/{row.arxiv_id}" if row.arxiv_id else "",
            url=row.url,
            featured=row.featured,
            listed_on=row.listed_on,
            first_seen_at=row.first_seen_at,
            thumbnail_url=row.thumbnail_url,
            github_stars=row.github_stars,
            day_label="Listed" if row.listed_on else "Published" if row.published_on else "Added",
        )


@dataclass(slots=True)
class Item:
    """A paper in a digest: its card, the subscriber's terms it matched, and the sections of
    every topic that matched it (its own first)."""

    card: Card
    terms: list[str]
    topics: list[int] = field(default_factory=list)
    # Why a recommendation is there ("like <title> in your library"); its terms drove it.
    reason: str = ""


@dataclass(slots=True)
class Section:
    title: str
    subscription_id: int | None = None  # the topic's; None for "Also trending"
    items: list[Item] = field(default_factory=list)  # in the email
    more: list[Item] = field(default_factory=list)  # on the digest's page only


@dataclass(slots=True)
class Content:
    """One digest: a section per topic with papers, then "Also trending"; `total` counts the
    period's papers on the reader's topics, shown or not."""

    sections: list[Section] = field(default_factory=list)
    total: int = 0
    reason: str = ""

    @property
    def shown(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    @property
    def more(self) -> list[Item]:
        return [item for section in self.sections for item in section.more]

    @property
    def on_topics(self) -> int:
        """Papers shown in the email under the reader's topics (not the extra sections)."""
        return sum(len(s.items) for s in self.sections if s.title not in EXTRA_SECTIONS)

    @property
    def recommended(self) -> int:
        return sum(len(s.items) for s in self.sections if s.title == RECOMMENDED)

    @property
    def more_count(self) -> int:
        return max(self.total - self.on_topics, 0)

    @property
    def empty(self) -> bool:
        return not self.shown

    def topic_titles(self) -> list[str]:
        return [s.title for s in self.sections if s.title not in EXTRA_SECTIONS]

    def other_topics(self, item: Item) -> list[str]:
        """The titles of the other topics that matched an item, to name on its card."""
        return [self.sections[i].title for i in item.topics[1:]]

    def stored(self) -> dict:
        """What a digest keeps of its content: the sections' titles, the papers sent and those left
        for the page, each as [paper id, terms, [section, ...]], and the total."""

        def rows(items: list[Item], index: int) -> list[list]:
            # Extra sections' items name no topic: they stand in their section. A recommendation
            # keeps its reason.
            return [
                [
                    item.card.id,
                    item.terms,
                    item.topics or [index],
                    *([item.reason] if item.reason else []),
                ]
                for item in items
            ]

        sections = self.sections
        shown = [row for index, s in enumerate(sections) for row in rows(s.items, index)]
        more = [row for index, s in enumerate(sections) for row in rows(s.more, index)]
        return {
            "sections": [s.title for s in sections],
            "section_subscriptions": [s.subscription_id for s in sections],
            "items": shown,
            "more": more,
            "total": self.total,
        }


def topic_title(rule: str, topic_name: str | None) -> str:
    """A topic as the reader wrote it: the curated topic's name, their own rule, or both."""
    if topic_name and rule:
        return f"{topic_name}: {rule}"
    return topic_name or rule


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of an abstract, cut at a word, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def cards_read(paper_ids: list[int]) -> list[Card]:
    """The cards of these papers, in this order; hidden or deleted ones are left out."""
    rows = paper_rows(Paper.objects.filter(pk__in=paper_ids, hidden=False))
    cards = {row[0]: Card.of(PaperRow(*row)) for row in rows}
    return [cards[pk] for pk in paper_ids if pk in cards]


def paper_rows(papers, **annotations):
    """What a card needs of each paper (the start of its abstract, not all of it)."""
    return (
        papers.annotate(excerpt_source=Substr("abstract", 1, EXCERPT_SOURCE_CHARS), **annotations)
        .order_by()  # ranked in Python: a sort in the query is wasted
        .values_list(*PAPER_FIELDS, *annotations)
    )


def content_read(digest: Digest) -> Content:
    """A stored digest's content, for its page and the admin: papers hidden or deleted since
    are left out; a digest from before sections has one section, "Your topics"."""
    titles = digest.sections or ["Your topics"]
    subscriptions = digest.section_subscriptions or []
    sections = [
        Section(title=title, subscription_id=subscriptions[n] if n < len(subscriptions) else None)
        for n, title in enumerate(titles)
    ]
    rows = [*digest.items, *digest.more]
    ids = [row[0] for row in rows]
    cards = {
        row[0]: Card.of(PaperRow(*row))
        for row in paper_rows(Paper.objects.filter(pk__in=ids, hidden=False))
    }
    for number, row in enumerate(rows):
        pk, terms, topics = row[0], row[1], (row[2] if len(row) > 2 else [0])
        if pk not in cards:
            continue
        reason = row[3] if len(row) > 3 else ""
        item = Item(card=cards[pk], terms=terms, topics=topics, reason=reason)
        section = sections[min(topics[0], len(sections) - 1)]
        (section.items if number < len(digest.items) else section.more).append(item)
    total = digest.total if digest.total is not None else len(rows)
    return Content(sections=sections, total=total, reason=digest.reason)
