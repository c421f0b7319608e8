"""What goes into a batch of digests: a section per topic the subscriber follows, each with its
matched papers not sent before (at least the subscriber's minimum upvotes), then "Also trending"
when there is room.

Papers are allotted to sections so that every topic with matches gets a slot before any topic
gets a second; the slots left go by rank (featured first, then the trending score). A paper that
several topics matched appears once, in its best section (the one that picked it, or else the
narrowest of its topics), naming the others. The subject, the email's "N more", the digest's
page and the manage page all count `Content.total`: every paper of the period on the reader's
topics.

A batch reads everything it needs in two queries, whatever its size: the matches (subscriber,
topic, paper, terms), then the papers they name and the day's most upvoted ones (for "Also
trending"), each read once with its upvote count a day ago; the caller supplies which papers each
subscriber was already sent, read with the digests themselves.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    IntegerField,
    JSONField,
    Max,
    Q,
    Value,
)
from django.db.models.functions import Substr

from newsletter.digests.trending import age_days, trending_score
from newsletter.models import Digest, Feedback, Match
from newsletter.personal import corpus_since, visible_since
from papers.models import Feed, Paper
from papers.trending import upvote_growth, upvotes_baseline

EXCERPT_CHARS = 280
MORE_KEPT = 2000  # papers beyond the email's, kept for the digest's page: every one, in practice
ALSO_TRENDING = "Also trending"
RECOMMENDED = "Recommended for you"
RECOMMENDED_SHOWN = 3  # for a reader with topics; one who follows only a library gets them all
EXTRA_SECTIONS = (RECOMMENDED, ALSO_TRENDING)
TRENDING_CANDIDATES = 30  # the most upvoted papers of the last two days, read once per batch
SUBJECT_TOPICS = 3
EXCERPT_SOURCE_CHARS = 1000  # enough for an excerpt; abstracts run to 2,000 characters
PAPER_FIELDS = (
    "pk", "title", "excerpt_source", "author_count", "authors", "organization__name",
    "organization__handle", "listed_on", "published_on", "first_seen_at", "upvotes", "code_url",
    "arxiv_id", "url", "featured", "thumbnail_url", "github_stars",
)  # fmt: skip


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


def topic_title(rule: str, topic_name: str | None) -> str:
    """A topic as the reader wrote it: the curated topic's name, their own rule, or both."""
    if topic_name and rule:
        return f"{topic_name}: {rule}"
    return topic_name or rule


def batch_contents(
    digests: list[Digest], *, sent_before: dict[int, set[int]], now: datetime
) -> dict[int, Content]:
    """Content per digest id. `sent_before` maps a subscriber id to the papers already sent.

    Topics the reader muted are left out until their mute ends, and papers they 👎'd never
    appear."""
    by_subscriber = {digest.subscriber_id: digest for digest in digests}
    models = _reader_models(digests)
    # Per subscriber: topic (subscription id) -> (title, {paper id: terms}).
    topics: dict[int, dict[int, tuple[str, dict[int, list[str]]]]] = {
        pk: {} for pk in by_subscriber
    }
    matches, skipped = [], {pk: set(sent_before.get(pk, ())) for pk in by_subscriber}
    matched: dict[int, set[int]] = {pk: set() for pk in by_subscriber}
    corpus_key = None
    rows = _matches_and_dislikes(
        list(by_subscriber), now, corpus_since=corpus_since(now) if models else None
    )
    for kind, subscriber_id, *row in rows:
        if kind == MATCHED:
            matches.append((subscriber_id, *row))
            matched[subscriber_id].add(row[-2])
        elif kind == DISLIKED:
            skipped[subscriber_id].add(row[-2])
        else:  # the recent papers' count, last id and last change: has the corpus changed?
            corpus_key = (corpus_since(now).date(), subscriber_id, row[-2], row[-3])
    for subscriber_id, subscription_id, rule, topic_name, muted_until, paper_id, terms in matches:
        if paper_id in skipped[subscriber_id] or (muted_until and muted_until > now):
            continue
        _title, papers = topics[subscriber_id].setdefault(
            subscription_id, (topic_title(rule, topic_name), {})
        )
        papers[paper_id] = terms
    wanted = {pk for papers in topics.values() for _, found in papers.values() for pk in found}
    personal = {} if not models else _batch_personal()(
        models, key=corpus_key, now=now, window=lookback(), matched=matched, skipped=skipped,
        shown={
            pk: RECOMMENDED_SHOWN if topics[pk] else by_subscriber[pk].subscriber.max_papers
            for pk in models
        },
    )  # fmt: skip
    wanted.update(r.paper_id for p in personal.values() for r in p.recommended)
    cards, scores, trending = _cards_and_scores(wanted, now)  # hidden papers are left out here
    contents = {}
    ranked = _Ranked(cards, scores)
    for subscriber_id, digest in by_subscriber.items():
        in_order = [(pk, *topic) for pk, topic in sorted(topics[subscriber_id].items())]
        contents[digest.pk] = _content(
            digest, in_order, ranked, trending, skipped, personal.get(subscriber_id)
        )
    _explain_empty_with_failed_sources(contents.values())
    return contents


def _reader_models(digests: list[Digest]) -> dict:
    """The batch's personal rankings, as the query that read the digests brought them
    (select_related); one query for the lot for a caller that did not."""
    from newsletter.models import ReaderModel, Subscriber

    if all(Subscriber.reader_model.is_cached(d.subscriber) for d in digests):
        models = {d.subscriber_id: getattr(d.subscriber, "reader_model", None) for d in digests}
        return {pk: model for pk, model in models.items() if model is not None}
    found = ReaderModel.objects.filter(subscriber_id__in=[d.subscriber_id for d in digests])
    return {model.subscriber_id: model for model in found}


def _batch_personal():
    """The personal ranking's part of a batch, loaded (with scikit-learn) only when needed."""
    from newsletter.personal.digest import batch_personal

    return batch_personal


class _Ranked:
    """The batch's cards and their order: featured first, then by trending score; for a reader
    with a personal ranking, its score breaks ties (`for_reader`)."""

    def __init__(self, cards: dict[int, Card], scores: dict[int, float]) -> None:
        self.cards = cards
        self.keys = {pk: (not card.featured, -scores[pk], pk) for pk, card in cards.items()}
        self.key = self.keys.__getitem__

    def for_reader(self, personal: dict[int, float]) -> "_Ranked":
        if not personal:
            return self
        view = object.__new__(_Ranked)
        view.cards, view.keys = self.cards, self.keys
        keys = self.keys

        def key(pk: int) -> tuple:
            featured, score, _ = keys[pk]
            return featured, score, -personal.get(pk, 0.0), pk

        view.key = key
        return view


def _content(
    digest: Digest, topics: list, ranked: _Ranked, trending: list[int], skipped, personal=None
):
    subscriber = digest.subscriber
    ranked = ranked.for_reader(personal.scores if personal else {})
    seen: set[int] = set()
    eligible_topics = []  # (subscription, title, {paper: terms}) of topics with eligible papers
    for subscription_id, title, papers in topics:
        visible = {pk: terms for pk, terms in papers.items() if pk in ranked.cards}
        seen.update(visible)
        eligible = {
            pk: terms
            for pk, terms in visible.items()
            if ranked.cards[pk].upvotes >= subscriber.min_upvotes
        }
        if eligible:
            eligible_topics.append((subscription_id, title, eligible))
    sections = [Section(title=title, subscription_id=pk) for pk, title, _ in eligible_topics]
    candidates = {
        index: sorted(papers, key=ranked.key)
        for index, (_, _, papers) in enumerate(eligible_topics)
    }
    matched: dict[int, dict[int, list[str]]] = {}  # paper -> {section: terms}
    for index, (_, _title, papers) in enumerate(eligible_topics):
        for pk, terms in papers.items():
            matched.setdefault(pk, {})[index] = terms
    placed = _allot(candidates, matched, ranked, subscriber.max_papers)
    for pk, (index, shown) in placed.items():
        topics_of = [index, *sorted(i for i in matched[pk] if i != index)]
        terms = list(dict.fromkeys(t for i in topics_of for t in matched[pk][i]))
        item = Item(card=ranked.cards[pk], terms=terms, topics=topics_of)
        (sections[index].items if shown else sections[index].more).append(item)
    for section in sections:
        section.items.sort(key=lambda item: ranked.key(item.card.id))
        section.more = sorted(section.more, key=lambda item: ranked.key(item.card.id))[:MORE_KEPT]
    content = Content(sections=sections, total=len(placed))
    if personal and personal.recommended:
        items = [
            Item(card=ranked.cards[r.paper_id], terms=list(r.terms), reason=r.reason)
            for r in personal.recommended
            if r.paper_id in ranked.cards and r.paper_id not in placed
        ]
        if items:
            content.sections.append(Section(title=RECOMMENDED, items=items))
    room = subscriber.max_papers - content.on_topics - content.recommended
    if room > 0 and content.total:
        _also_trending(content, room, ranked, trending, placed, skipped, subscriber)
    if not matched and not content.recommended:
        content.reason = (
            "No new papers matched your topics."
            if not seen
            else f"All {len(seen)} new matching paper{'s' if len(seen) != 1 else ''} had fewer "
            f"than your minimum of {subscriber.min_upvotes} upvotes."
        )
    return content


def _allot(candidates, matched, ranked: _Ranked, limit: int) -> dict[int, tuple[int, bool]]:
    """Each paper's section and whether the email shows it: every topic with papers gets one slot
    before any gets a second (topics whose best paper ranks higher choose first), then the slots
    left go by rank. Papers beyond the limit go to their narrowest topic's "more"."""
    placed: dict[int, tuple[int, bool]] = {}
    firsts = sorted((ranked.key(c[0]), i) for i, c in candidates.items() if c)
    for _key, index in firsts:
        if len(placed) >= limit:
            break
        pick = next((pk for pk in candidates[index] if pk not in placed), None)
        if pick is not None:
            placed[pick] = (index, True)
    size = {index: len(papers) for index, papers in candidates.items()}
    shown = len(placed)
    for pk in sorted(matched, key=ranked.key):
        if pk not in placed:
            narrowest = min(matched[pk], key=lambda index: (size[index], index))
            placed[pk] = (narrowest, shown < limit)
            shown += shown < limit
    return placed


def _also_trending(content, room, ranked, trending, placed, skipped, subscriber) -> None:
    """The day's most trending papers that no topic of the reader's matched, in the room left."""
    sent = skipped.get(subscriber.pk, ())
    extra = [
        pk
        for pk in trending
        if pk not in placed
        and pk not in sent
        and ranked.cards[pk].upvotes >= subscriber.min_upvotes
    ][:room]
    if extra:
        items = [Item(card=ranked.cards[pk], terms=[]) for pk in extra]
        content.sections.append(Section(title=ALSO_TRENDING, items=items))


MATCHED, DISLIKED, CORPUS = 0, 1, 2


def _matches_and_dislikes(
    subscriber_ids: list[int], now: datetime, *, corpus_since: datetime | None = None
):
    """In one query: the batch's recent matches (subscriber, subscription, rule, topic, muted
    until, paper, terms), the papers each reader 👎'd (the same columns, mostly empty), and with
    `corpus_since`, one row that tells whether the recent papers changed for the personal
    ranking: their count (as the subscriber), last text change (as muted until) and last id."""
    matches = (
        Match.objects.filter(
            subscription__subscriber_id__in=subscriber_ids, created_at__gte=now - lookback()
        )
        .order_by()  # sorting here doubles the query's time on PostgreSQL: done by the caller
        .annotate(kind=Value(MATCHED))
        .values_list(
            "kind",
            "subscription__subscriber_id",
            "subscription_id",
            "subscription__rule",
            "subscription__topic__name",
            "subscription__muted_until",
            "paper_id",
            "terms",
        )
    )
    dislikes = (
        Feedback.objects.filter(subscriber_id__in=subscriber_ids, verdict=Feedback.Verdict.DISLIKE)
        .order_by()
        .annotate(
            kind=Value(DISLIKED),
            no_subscription=Value(None, output_field=IntegerField()),
            no_rule=Value("", output_field=CharField()),
            no_topic=Value(None, output_field=CharField()),
            no_mute=Value(None, output_field=DateTimeField()),
            no_terms=Value(None, output_field=JSONField()),
        )
        .values_list(
            "kind",
            "subscriber_id",
            "no_subscription",
            "no_rule",
            "no_topic",
            "no_mute",
            "paper_id",
            "no_terms",
        )
    )
    if corpus_since is None:
        return matches.union(dislikes, all=True)
    recent = (
        visible_since(corpus_since)
        .order_by()
        .annotate(kind=Value(CORPUS))
        .values("kind")
        .annotate(
            count=Count("pk"),
            no_subscription=Value(None, output_field=IntegerField()),
            no_rule=Value("", output_field=CharField()),
            no_topic=Value(None, output_field=CharField()),
            changed=Max("text_changed_at"),
            last=Max("pk"),
            no_terms=Value(None, output_field=JSONField()),
        )
        .values_list(
            "kind",
            "count",
            "no_subscription",
            "no_rule",
            "no_topic",
            "changed",
            "last",
            "no_terms",
        )
    )
    return matches.union(dislikes, recent, all=True)


def _cards_and_scores(paper_ids: set[int], now: datetime):
    """The visible papers among `paper_ids` and the most upvoted of the last two days, as cards,
    with their trending scores, and the latter's ids by score (for "Also trending")."""
    if not paper_ids:
        return {}, {}, []
    since = (now - timedelta(days=2)).date()
    popular = (
        Paper.objects.filter(hidden=False, listed_on__gte=since)
        .order_by("-upvotes", "-pk")
        .values("pk")[:TRENDING_CANDIDATES]
    )
    papers = _paper_rows(
        Paper.objects.filter(Q(pk__in=paper_ids) | Q(pk__in=popular), hidden=False),
        baseline=upvotes_baseline(now),
    )
    cards, scores, trending = {}, {}, []
    for *fields, baseline in papers:
        card = cards[fields[0]] = Card.of(PaperRow(*fields))
        scores[card.id] = trending_score(
            upvotes=card.upvotes,
            growth=upvote_growth(card.upvotes, baseline),
            age_days=age_days(listed_on=card.listed_on, first_seen_at=card.first_seen_at, now=now),
        )
        if card.listed_on and card.listed_on >= since:
            trending.append(card.id)
    trending.sort(key=lambda pk: (-scores[pk], pk))
    return cards, scores, trending[:TRENDING_CANDIDATES]


def cards_for(paper_ids: list[int]) -> list[Card]:
    """The cards of these papers, in this order; hidden or deleted ones are left out."""
    rows = _paper_rows(Paper.objects.filter(pk__in=paper_ids, hidden=False))
    cards = {row[0]: Card.of(PaperRow(*row)) for row in rows}
    return [cards[pk] for pk in paper_ids if pk in cards]


def _paper_rows(papers, **annotations):
    """What a card needs of each paper (the start of its abstract, not all of it)."""
    return (
        papers.annotate(excerpt_source=Substr("abstract", 1, EXCERPT_SOURCE_CHARS), **annotations)
        .order_by()  # ranked in Python: a sort in the query is wasted
        .values_list(*PAPER_FIELDS, *annotations)
    )


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


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of an abstract, cut at a word, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def stored(content: Content) -> dict:
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

    sections = content.sections
    shown = [row for index, s in enumerate(sections) for row in rows(s.items, index)]
    more = [row for index, s in enumerate(sections) for row in rows(s.more, index)]
    return {
        "sections": [s.title for s in sections],
        "section_subscriptions": [s.subscription_id for s in sections],
        "items": shown,
        "more": more,
        "total": content.total,
    }


def content_of(digest: Digest) -> Content:
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
        for row in _paper_rows(Paper.objects.filter(pk__in=ids, hidden=False))
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
