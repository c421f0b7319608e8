"""Store which papers each subscription matches: the Match rows that digests are built from.

Two ways in: `matches_update`, for papers whose text is new or changed (the ingest hook, the
periodic sweep and `send_digests` all call it) and subscriptions never matched; and
`subscriptions_match_recent`, for new or edited subscriptions, against the papers of the last
NEWSLETTER_MATCH_WINDOW_DAYS days. Both compile the subscriptions into one `Matcher` and read the
papers in chunks, so memory holds the rules and one chunk of papers. What has been matched is the
newsletter's own record (`PaperMatchState`), never a column of the papers table.
"""

import json
import logging
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from core.bulk import collector_paused, insert_rows_missing
from core.planner import analyze_if_stale
from core.query import Query, QueryError, document
from newsletter.matcher import Matcher
from newsletter.models import SUBSCRIBED, Match, PaperMatchState, Subscription, rules_query
from newsletter.selectors import papers_unmatched, recent_papers
from papers.models import Paper

logger = logging.getLogger(__name__)

CHUNK = 2000
PAGE = 20_000  # subscriptions read at a time into a shard
DOCUMENT_FIELDS = (
    "pk", "title", "abstract", "authors", "organization__handle", "organization__name", "hidden",
)  # fmt: skip


def matches_update(*, paper_ids: Iterable[int] | None = None) -> int:
    """Match whatever waits for matching; the matches found. The one way in for the ingest hook
    (with the papers it created or changed), the periodic sweep and `send_digests` (without):

    - subscriptions never matched against the recent papers (a signup whose task never ran, a
      subscriber who just confirmed), against those papers;
    - papers whose text is new or changed since they were last matched (among `paper_ids`, when
      given), against every active or paused subscription. An upvote change alone needs none.
    """
    found = subscriptions_match_unmatched()
    papers = papers_unmatched()
    if paper_ids is not None:
        papers = papers.filter(pk__in=list(paper_ids))
    return found + _match(_active_subscriptions(), papers, mark=True)


def _active_subscriptions() -> QuerySet:
    return Subscription.objects.filter(subscriber__status__in=SUBSCRIBED)


def subscriptions_match_recent(*, subscription_ids: Iterable[int], days: int | None = None) -> int:
    """Match new or edited subscriptions against the recent papers; the matches found."""
    ids = list(subscription_ids)
    found = _match(Subscription.objects.filter(pk__in=ids), _recent_papers(days), mark=False)
    Subscription.objects.filter(pk__in=ids).update(matched_at=timezone.now())
    return found


def subscriptions_match_unmatched() -> int:
    """Active or paused subscriptions never matched against the recent papers. Papers waiting
    for matching are left to the papers' half, which matches them against every subscription."""
    subscriptions = _active_subscriptions().filter(matched_at__isnull=True)
    ids = list(subscriptions.values_list("pk", flat=True))
    if not ids:
        return 0
    papers = _recent_papers(None).exclude(pk__in=papers_unmatched().values("pk"))
    found = _match(Subscription.objects.filter(pk__in=ids), papers, mark=False)
    Subscription.objects.filter(pk__in=ids).update(matched_at=timezone.now())
    return found


def _recent_papers(days: int | None) -> QuerySet:
    return recent_papers(settings.NEWSLETTER_MATCH_WINDOW_DAYS if days is None else days)


def _match(subscriptions: QuerySet, papers: QuerySet, *, mark: bool) -> int:
    """Store the matches of `papers` (hidden ones never match); with `mark`, record that every
    one of them is now matched against all the subscriptions.

    The subscriptions are read in shards of at most NEWSLETTER_MATCH_SHARD distinct rules, each
    shard's rules indexed and every paper read against them before the next: the memory of a
    match is that of one shard's rules (a subscription that shares its rule with others costs
    one int), however many readers there are. The matches go to the database as they are found,
    never held. The papers are marked once every shard has read them, as of the moment before
    the first read (a change since is matched again)."""
    if not papers.exists():  # the sweep's usual case: no subscription need be read
        return 0
    read_at = timezone.now()
    seen: list[int] | None = None  # the papers the first shard read: those are marked
    found = 0
    for rules in _shards(subscriptions):
        with collector_paused():
            matcher = Matcher((text, rule.query) for text, rule in rules.items())
        these = papers if seen is None else papers.filter(pk__lte=max(seen, default=0))
        read: list[int] = []
        for _, chunk in _chunks(these.order_by("pk")):
            rows = _match_rows(chunk, rules, matcher, read)
            insert_rows_missing(Match, MATCH_COLUMNS, rows, order_by=("subscription", "paper"))
            found += rows.count
        seen = read if seen is None else seen
    if mark:
        _mark(papers.values_list("pk", flat=True) if seen is None else seen, read_at)
    # A day's papers add millions of matches at size: sending plans its reads of them with
    # statistics that know they are there (core/planner.py).
    analyze_if_stale(Match, written=found)
    return found


MATCH_COLUMNS = ("subscription", "paper", "terms", "created_at")


class _Rows:
    """The match rows of a chunk of papers, made as the database reads them; how many."""

    def __init__(self, rows: Iterator[tuple]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[tuple]:
        for row in self.rows:
            self.count += 1
            yield row


def _match_rows(chunk: list[tuple], rules: dict, matcher: Matcher, read: list[int]) -> _Rows:
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())

    def rows() -> Iterator[tuple]:
        for pk, title, abstract, authors, handle, name, hidden in chunk:
            if hidden:
                continue
            read.append(pk)
            if not rules:
                continue
            doc = document(
                title=title, abstract=abstract, authors=authors,
                org=f"{handle or ''} {name or ''}",
            )  # fmt: skip
            for text in matcher.match(doc):
                rule = rules[text]
                # once for all readers of the rule, as JSONField stores it
                terms = json.dumps(rule.query.matched_terms(doc))
                for subscription_id in rule.subscription_ids:
                    yield subscription_id, pk, terms, stamp

    return _Rows(rows())


def _shards(subscriptions: QuerySet) -> Iterator[dict[tuple[str, str], "_Rule"]]:
    """The subscriptions' rules, read by pk a page at a time, in shards of at most
    NEWSLETTER_MATCH_SHARD distinct rules (and none when there is no subscription)."""
    size = max(settings.NEWSLETTER_MATCH_SHARD, 1)
    rows = subscriptions.order_by("pk").values_list("pk", "topic__rule", "rule")
    rules: dict[tuple[str, str], _Rule] = {}
    failed: dict[tuple[str, str], int] = {}
    last = 0
    while True:
        with collector_paused():
            page = list(rows.filter(pk__gt=last)[:PAGE])
            for pk, topic_rule, rule in page:
                _add(rules, failed, pk, (topic_rule or "", rule))
        if rules and (not page or len(rules) >= size):
            yield rules
            rules, failed = {}, {}
        if not page:
            return
        last = page[-1][0]


def _mark(paper_ids: Iterable[int], matched_at) -> None:
    """Record the papers as matched as of `matched_at`: the moment their text was read, so a
    change made while they were being matched is matched again. One INSERT ... ON CONFLICT per
    chunk, without a model instance per paper (an ingest of 100,000 papers marks them all)."""
    ids = list(paper_ids)
    table = connection.ops.quote_name(PaperMatchState._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value(matched_at)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            cursor.execute(
                f"INSERT INTO {table} (paper_id, matched_at) "
                f"SELECT id, %s FROM {connection.ops.quote_name(Paper._meta.db_table)} "
                f"WHERE id IN ({', '.join(['%s'] * len(chunk))}) "
                "ON CONFLICT (paper_id) DO UPDATE SET matched_at = excluded.matched_at",
                [stamp, *chunk],
            )


@dataclass
class _Rule:
    query: Query
    subscription_ids: array  # of int64: a million readers follow some three million rules


def _add(rules: dict, failed: dict, pk: int, text: tuple[str, str]) -> None:
    """Add a subscription to its rule (its topic's and its own): readers share rules (a curated
    topic, a common word), and each distinct one is parsed and indexed once a shard."""
    if (known := rules.get(text)) is not None:
        known.subscription_ids.append(pk)
    elif text in failed:
        failed[text] += 1
    else:
        try:
            rules[text] = _Rule(query=rules_query(*text), subscription_ids=array("q", [pk]))
        except QueryError as exc:  # saved before a parser change, or a topic edited in SQL
            failed[text] = 1
            logger.warning("Subscription %s has a rule that no longer parses: %s", pk, exc)


def _chunks(papers: QuerySet) -> Iterator[tuple[datetime, list[tuple]]]:
    """Keyset pagination by pk, so a paper marked meanwhile never shifts the next chunk; each
    chunk with the moment before it was read."""
    last = 0
    while True:
        read_at = timezone.now()
        chunk = list(papers.filter(pk__gt=last).values_list(*DOCUMENT_FIELDS)[:CHUNK])
        if not chunk:
            return
        yield read_at, chunk
        last = chunk[-1][0]
