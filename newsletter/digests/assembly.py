"""Assembly: what goes into a batch of digests (their shape is newsletter/content.py): a section
per topic the subscriber follows, each with its matched papers not sent before (at least the
subscriber's minimum upvotes), then "Also trending" when there is room.

Papers are allotted to sections so that every topic with matches gets a slot before any topic
gets a second; the slots left go by rank (featured first, then the trending score). A paper that
several topics matched appears once, in its best section (the one that picked it, or else the
narrowest of its topics), naming the others. The subject, the email's "N more", the digest's
page and the manage page all count `Content.total`: every paper of the period on the reader's
topics.

A batch reads everything it needs in two queries, whatever its size: the matches (subscriber,
topic, paper, terms, with the reader's 👎 and the failing feeds), then the papers they name and the day's most upvoted ones (for "Also
trending"), each read once with its upvote count a day ago; the caller supplies which papers each
subscriber was already sent, read with the digests themselves.
"""

import json
import time
from datetime import datetime, timedelta

from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    IntegerField,
    Max,
    TextField,
    Value,
)
from django.db.models.functions import Cast

from core.lookups import IdsIn
from core.rows import RawRows
from newsletter.content import (
    ALSO_TRENDING,
    PAPER_FIELDS,
    RECOMMENDED,
    Card,
    Content,
    Item,
    PaperRow,
    Section,
    digest_lookback,
    paper_rows,
    topic_title,
)
from newsletter.models import Digest, Feedback, Match, ReaderModel, Subscriber
from newsletter.personal import corpus_since
from newsletter.selectors import papers_visible_since
from papers.models import Feed, Paper
from papers.trending import age_days, trending_score, upvote_growth, upvotes_baseline

MORE_KEPT = 2000  # papers beyond the email's, kept for the digest's page: every one, in practice
RECOMMENDED_SHOWN = 3  # for a reader with topics; one who follows only a library gets them all
TRENDING_CANDIDATES = 30  # the most upvoted papers of the last two days, read once per batch
# Whether the recent papers changed (for the personal rankings' features) is an aggregate over a
# month of papers: 75-88 ms of PostgreSQL's time at 90,000 papers, a batch's largest read after
# the ANALYZE fix. The papers change when feeds are read, a few times a day; a process asks at
# most once a minute, and at once when the day changes (a paper ingested in the last minute may
# wait that long to be recommended).
CORPUS_CHECK_SECONDS = 60
_CORPUS_CHECKED: list = []  # [(time.monotonic() of the check, the key it read)], or empty


def contents_build(
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
    corpus_key = _corpus_key_known(now) if models else None
    ask = bool(models) and corpus_key is None
    rows = _matches_and_dislikes(
        list(by_subscriber), now, corpus_since=corpus_since(now) if ask else None
    )
    failing = []
    for kind, subscriber_id, *row in rows:
        if kind == MATCHED:
            matches.append((subscriber_id, *row))
            matched[subscriber_id].add(row[-2])
        elif kind == DISLIKED:
            skipped[subscriber_id].add(row[-2])
        elif kind == FAILING:  # an enabled feed whose last fetch failed, by its name
            failing.append(row[1])
        else:  # the recent papers' count, last id and last change: has the corpus changed?
            corpus_key = (corpus_since(now).date(), subscriber_id, row[-2], row[-3])
            _CORPUS_CHECKED[:] = [(time.monotonic(), corpus_key)]
    decoded: dict[str, list[str]] = {}  # the terms as the query wrote them: a batch repeats them
    for subscriber_id, subscription_id, rule, topic_name, muted_until, paper_id, text in matches:
        if paper_id in skipped[subscriber_id] or (muted_until and muted_until > now):
            continue
        terms = decoded.get(text)
        if terms is None:
            terms = decoded[text] = json.loads(text) if text else []
        _title, papers = topics[subscriber_id].setdefault(
            subscription_id, (topic_title(rule, topic_name), {})
        )
        papers[paper_id] = terms
    wanted = {pk for papers in topics.values() for _, found in papers.values() for pk in found}
    personal = {} if not models else _batch_personal()(
        models, key=corpus_key, now=now, window=digest_lookback(), matched=matched, skipped=skipped,
        shown={
            pk: RECOMMENDED_SHOWN if topics[pk] else by_subscriber[pk].subscriber.max_papers
            for pk in models
        },
    )  # fmt: skip
    wanted.update(r.paper_id for p in personal.values() for r in p.recommended)
    cards, scores, trending = _cards_and_scores(wanted, now)  # hidden papers are left out here
    contents = {}
    ranked = _Ranked(cards, scores)
    trending = [(pk, cards[pk].upvotes) for pk in trending]
    for subscriber_id, digest in by_subscriber.items():
        in_order = [(pk, *topic) for pk, topic in sorted(topics[subscriber_id].items())]
        contents[digest.pk] = _content(
            digest, in_order, ranked, trending, skipped, personal.get(subscriber_id)
        )
    _explain_empty_with_failed_sources(contents.values(), failing)
    return contents


def _reader_models(digests: list[Digest]) -> dict:
    """The batch's personal rankings, as the query that read the digests brought them
    (select_related); one query for the lot for a caller that did not."""
    if all(Subscriber.reader_model.is_cached(d.subscriber) for d in digests):
        models = {d.subscriber_id: getattr(d.subscriber, "reader_model", None) for d in digests}
        return {pk: model for pk, model in models.items() if model is not None}
    found = ReaderModel.objects.filter(IdsIn("subscriber_id", [d.subscriber_id for d in digests]))
    return {model.subscriber_id: model for model in found}


def _corpus_key_known(now: datetime) -> tuple | None:
    """The recent papers' key as this process last read it, if that was under a minute ago and
    on the same day; otherwise None, and the batch reads it again."""
    if not _CORPUS_CHECKED:
        return None
    checked_at, key = _CORPUS_CHECKED[0]
    if time.monotonic() - checked_at >= CORPUS_CHECK_SECONDS or key[0] != corpus_since(now).date():
        return None
    return key


def forget_process_state() -> None:
    """Forget what this process kept from earlier batches (cards, the corpus check): for a
    process that changes databases, as the tests do."""
    _KNOWN_CARDS.clear()
    _CORPUS_CHECKED.clear()


def _batch_personal():
    """The personal ranking's part of a batch, loaded (with scikit-learn) only when needed."""
    from newsletter.digests.personal import personal_batch_rank

    return personal_batch_rank


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
    digest: Digest,
    topics: list,
    ranked: _Ranked,
    trending: list[tuple[int, int]],
    skipped,
    personal=None,
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
        found = matched[pk]
        if len(found) == 1:  # most papers: one topic found them
            topics_of, terms = [index], list(dict.fromkeys(found[index]))
        else:
            topics_of = [index, *sorted(i for i in found if i != index)]
            terms = list(dict.fromkeys(t for i in topics_of for t in found[i]))
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
    """The day's most trending papers that no topic of the reader's matched, in the room left
    (`trending`: their ids with their upvotes)."""
    sent, least = skipped.get(subscriber.pk, ()), subscriber.min_upvotes
    extra = []
    for pk, upvotes in trending:
        if upvotes >= least and pk not in placed and pk not in sent:
            extra.append(pk)
            if len(extra) == room:
                break
    if extra:
        items = [Item(card=ranked.cards[pk], terms=[]) for pk in extra]
        content.sections.append(Section(title=ALSO_TRENDING, items=items))


MATCHED, DISLIKED, CORPUS, FAILING = 0, 1, 2, 3


def _matches_and_dislikes(
    subscriber_ids: list[int], now: datetime, *, corpus_since: datetime | None = None
):
    """In one query: the batch's recent matches (subscriber, subscription, rule, topic, muted
    until, paper, terms), the papers each reader 👎'd (the same columns, mostly empty), the
    enabled feeds whose last fetch failed (their name as the rule: an empty digest says so), and
    with `corpus_since`, one row that tells whether the recent papers changed for the personal
    ranking: their count (as the subscriber), last text change (as muted until) and last id."""
    parts = [_match_rows(subscriber_ids, now), _dislike_rows(subscriber_ids), _failing_feed_rows()]
    if corpus_since is not None:
        parts.append(_corpus_row(corpus_since))
    return parts[0].union(*parts[1:], all=True)


# The columns the parts of that UNION leave empty: each part fills the same eight.
NO_SUBSCRIPTION = Value(None, output_field=IntegerField())
NO_RULE = Value("", output_field=CharField())
NO_TOPIC = Value(None, output_field=CharField())
NO_MUTE = Value(None, output_field=DateTimeField())
NO_TERMS = Value(None, output_field=TextField())


def _match_rows(subscriber_ids: list[int], now: datetime):
    return (
        Match.objects.filter(
            IdsIn("subscription__subscriber_id", subscriber_ids),
            created_at__gte=now - digest_lookback(),
        )
        .order_by()  # sorting here doubles the query's time on PostgreSQL: done by the caller
        # The terms as JSON text: a batch decodes each distinct list once, not once a match.
        .annotate(kind=Value(MATCHED), terms_text=Cast("terms", TextField()))
        .values_list(
            "kind", "subscription__subscriber_id", "subscription_id", "subscription__rule",
            "subscription__topic__name", "subscription__muted_until", "paper_id", "terms_text",
        )
    )  # fmt: skip


def _dislike_rows(subscriber_ids: list[int]):
    return (
        Feedback.objects.filter(IdsIn("subscriber_id", subscriber_ids), verdict=Feedback.Verdict.DISLIKE)
        .order_by()
        .annotate(kind=Value(DISLIKED), no_subscription=NO_SUBSCRIPTION, no_rule=NO_RULE,
                  no_topic=NO_TOPIC, no_mute=NO_MUTE, no_terms=NO_TERMS)
        .values_list(
            "kind", "subscriber_id", "no_subscription", "no_rule", "no_topic", "no_mute",
            "paper_id", "no_terms",
        )
    )  # fmt: skip


def _failing_feed_rows():
    # "part" where the other parts say "kind": a feed has a field of that name
    return (
        Feed.objects.filter(enabled=True, last_status=Feed.Status.ERROR)
        .order_by()
        .annotate(part=Value(FAILING), no_subscriber=NO_SUBSCRIPTION,
                  no_subscription=NO_SUBSCRIPTION, no_topic=NO_TOPIC, no_mute=NO_MUTE,
                  no_paper=NO_SUBSCRIPTION, no_terms=NO_TERMS)
        .values_list(
            "part", "no_subscriber", "no_subscription", "name", "no_topic", "no_mute",
            "no_paper", "no_terms",
        )
    )  # fmt: skip


def _corpus_row(since: datetime):
    return (
        papers_visible_since(since)
        .order_by()
        .annotate(kind=Value(CORPUS))
        .values("kind")
        .annotate(count=Count("pk"), no_subscription=NO_SUBSCRIPTION, no_rule=NO_RULE,
                  no_topic=NO_TOPIC, changed=Max("text_changed_at"), last=Max("pk"),
                  no_terms=NO_TERMS)
        .values_list(
            "kind", "count", "no_subscription", "no_rule", "no_topic", "changed", "last",
            "no_terms",
        )
    )  # fmt: skip


# Per process, the cards last made, by paper, with the raw row each was made from: the next batches
# read most of the same papers, and a card is made again only when its row changed.
_KNOWN_CARDS: dict[int, tuple[tuple, Card]] = {}
KNOWN_CARDS_MAX = 20_000


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
    # The ids as a UNION, not `pk IN (...) OR pk IN (popular)`: with the OR, PostgreSQL read
    # every paper (a sequential scan of the archive, 148 ms at 90,000 papers, against 45 ms).
    wanted = (
        Paper.objects.filter(IdsIn("pk", paper_ids))
        .order_by()
        .values("pk")
        .union(Paper.objects.filter(pk__in=popular).order_by().values("pk"), all=True)
    )
    papers = paper_rows(
        Paper.objects.filter(pk__in=wanted, hidden=False), baseline=upvotes_baseline(now)
    )
    cards, scores, trending = {}, {}, []
    known = _KNOWN_CARDS
    if len(known) > KNOWN_CARDS_MAX:
        known.clear()
    # The rows as the driver gives them: only a new or changed one is converted (its dates
    # parsed, its authors decoded) and made a card.
    rows = RawRows(papers)
    last = len(PAPER_FIELDS)  # the baseline's column, after the card's
    for raw in rows:
        fields = raw[:last]
        found = known.get(raw[0])
        if found is not None and found[0] == fields:  # the same row as last time: its card
            card = found[1]
            baseline = rows.column(raw, last)
        else:
            *converted, baseline = rows.convert(raw)
            card = Card.of(PaperRow(*converted))
            known[card.id] = (fields, card)
        cards[card.id] = card
        scores[card.id] = trending_score(
            upvotes=card.upvotes,
            growth=upvote_growth(card.upvotes, baseline),
            age_days=age_days(listed_on=card.listed_on, first_seen_at=card.first_seen_at, now=now),
        )
        if card.listed_on and card.listed_on >= since:
            trending.append(card.id)
    trending.sort(key=lambda pk: (-scores[pk], pk))
    return cards, scores, trending[:TRENDING_CANDIDATES]


def _explain_empty_with_failed_sources(contents, failing: list[str]) -> None:
    """An empty digest may be empty because a feed is failing: say so, for the editor (the
    failing feeds came with the batch's matches)."""
    empty = [content for content in contents if content.empty]
    if not empty or not failing:
        return
    note = " A source failed: " + ", ".join(sorted(failing)[:3]) + "."
    for content in empty:
        content.reason += note
