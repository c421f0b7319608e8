"""Store which papers each subscription matches: the Match rows that digests are built from.

Two ways in: the papers an ingest created or changed, against every active subscription (the
`papers_ingested` hook); and new or edited subscriptions, against the papers of the last
NEWSLETTER_MATCH_WINDOW_DAYS days. Both compile the subscriptions into one `Matcher` and read the
papers in chunks, so memory holds the rules and one chunk of papers.
"""

import logging
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from newsletter.models import Match, Subscriber, Subscription
from newsletter.rules import Rule, RuleError, document, parse
from newsletter.rules.matcher import Matcher, collector_paused
from newsletter.selectors import recent_papers
from papers.models import Paper

logger = logging.getLogger(__name__)

MATCHED_STATUSES = (Subscriber.Status.ACTIVE, Subscriber.Status.PAUSED)
CHUNK = 2000
DOCUMENT_FIELDS = (
    "pk", "title", "abstract", "authors", "organization__handle", "organization__name", "hidden",
)  # fmt: skip


def papers_match(*, paper_ids: Iterable[int]) -> int:
    """Match these papers, where new or changed in text since last matched, against every active
    or paused subscription; the matches found. (An upvote change alone needs no matching.)"""
    papers = Paper.objects.filter(pk__in=list(paper_ids), matched_at__isnull=True)
    return _match(_active_subscriptions(), papers, mark=True)


def unmatched_papers_match() -> int:
    """The periodic sweep: match every paper that is new or changed since it was last matched.

    Catches what the after-ingest tasks did not (a worker that was down, an unhidden paper).
    """
    return _match(_active_subscriptions(), Paper.objects.filter(matched_at__isnull=True), mark=True)


def _active_subscriptions() -> QuerySet:
    return Subscription.objects.filter(subscriber__status__in=MATCHED_STATUSES)


def subscriptions_match_recent(*, subscription_ids: Iterable[int], days: int | None = None) -> int:
    """Match new or edited subscriptions against the recent papers; the matches found."""
    ids = list(subscription_ids)
    found = _match(Subscription.objects.filter(pk__in=ids), _recent_papers(days), mark=False)
    Subscription.objects.filter(pk__in=ids).update(matched_at=timezone.now())
    return found


def unmatched_subscriptions_match() -> int:
    """The sweep's other half: active or paused subscriptions never matched against the recent
    papers (a signup whose task never ran, a subscriber who just confirmed). Papers not matched
    yet are left to `unmatched_papers_match`, which matches them against every subscription."""
    subscriptions = _active_subscriptions().filter(matched_at__isnull=True)
    ids = list(subscriptions.values_list("pk", flat=True))
    if not ids:
        return 0
    papers = _recent_papers(None).filter(matched_at__isnull=False)
    found = _match(Subscription.objects.filter(pk__in=ids), papers, mark=False)
    Subscription.objects.filter(pk__in=ids).update(matched_at=timezone.now())
    return found


def unmatched_match() -> int:
    """Everything the after-ingest and after-signup tasks may have missed; the matches found."""
    return unmatched_subscriptions_match() + unmatched_papers_match()


def _recent_papers(days: int | None) -> QuerySet:
    return recent_papers(settings.NEWSLETTER_MATCH_WINDOW_DAYS if days is None else days)


def subscription_rule(subscription: Subscription) -> Rule:
    """A subscription's rule: its own, its topic's, or both (then both must hold)."""
    parts = [
        parse(text)
        for text in (subscription.topic.rule if subscription.topic_id else "", subscription.rule)
        if text
    ]
    if len(parts) == 1:
        return parts[0]
    return Rule(
        clauses=parts[0].clauses + parts[1].clauses, text=f"{parts[0].text} {parts[1].text}"
    )


def _match(subscriptions: QuerySet, papers: QuerySet, *, mark: bool) -> int:
    """Store the matches of `papers` (hidden ones never match); with `mark`, record that every
    one of them is now matched against all the subscriptions."""
    with collector_paused():
        rules = dict(_rules(subscriptions))
        matcher = Matcher(rules.items())
    if not rules:  # nothing can match: no text needs reading
        if mark:
            papers.update(matched_at=timezone.now())
        return 0
    found = 0
    for chunk in _chunks(papers.order_by("pk")):
        matches = []
        for pk, title, abstract, authors, handle, name, hidden in chunk:
            if hidden:
                continue
            doc = document(
                title=title, abstract=abstract, authors=authors, org=f"{handle or ''} {name or ''}"
            )
            for subscription_id in matcher.match(doc):
                terms = rules[subscription_id].matched_terms(doc)
                matches.append(Match(subscription_id=subscription_id, paper_id=pk, terms=terms))
        Match.objects.bulk_create(matches, ignore_conflicts=True, batch_size=CHUNK)
        if mark:
            Paper.objects.filter(pk__in=[row[0] for row in chunk]).update(matched_at=timezone.now())
        found += len(matches)
    return found


def _rules(subscriptions: QuerySet) -> Iterator[tuple[int, Rule]]:
    for subscription in subscriptions.select_related("topic"):
        try:
            yield subscription.pk, subscription_rule(subscription)
        except RuleError as exc:  # saved before a parser change, or a topic edited in SQL
            logger.warning(
                "Subscription %s has a rule that no longer parses: %s", subscription.pk, exc
            )


def _chunks(papers: QuerySet) -> Iterator[list[tuple]]:
    """Keyset pagination by pk, so marking a chunk never shifts the next one."""
    last = 0
    while chunk := list(papers.filter(pk__gt=last).values_list(*DOCUMENT_FIELDS)[:CHUNK]):
        yield chunk
        last = chunk[-1][0]
