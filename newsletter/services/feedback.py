"""What a reader teaches their digest from its links: 👍 and 👎 on a paper, "mute this topic for a
week", and "fewer like this" (an exclusion added to a topic's rule, shown before it is saved).

Every write here is reached by a POST (the pages behind the emailed links submit it); a GET or HEAD
of a link records nothing, since mail scanners open every link of a message.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.query import QueryError, document, parse
from core.query.parser import MAX_CLAUSES
from newsletter.models import Feedback, Match, Subscriber, Subscription
from newsletter.signals import subscriptions_changed
from papers.models import Paper

MUTE_DAYS = 7
EXCLUSIONS_OFFERED = 6
RECENT_MATCHES_DAYS = 7
# Words too common to be worth excluding, among those of a title.
COMMON = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "of",
    "on", "or", "our", "the", "their", "this", "to", "via", "we", "with", "without", "using",
    "toward", "towards", "through", "based", "new", "large", "model", "models", "learning",
))  # fmt: skip
WORD_RE = re.compile(r"[^\W_][\w-]*[^\W_]", re.UNICODE)


def taste_changed(subscriber: Subscriber) -> None:
    """The reader's likes, dislikes or library changed: their ranking model is out of date."""
    now = timezone.now()
    Subscriber.objects.filter(pk=subscriber.pk).update(taste_changed_at=now)
    subscriber.taste_changed_at = now


@transaction.atomic
def feedback_record(*, subscriber: Subscriber, paper: Paper, verdict: int) -> Feedback:
    """Record 👍 (1) or 👎 (-1): the last click wins, and clicking twice records once."""
    feedback, created = Feedback.objects.select_for_update().get_or_create(
        subscriber=subscriber, paper=paper, defaults={"verdict": verdict}
    )
    changed = created or feedback.verdict != verdict
    if not created and changed:
        feedback.verdict = verdict
        feedback.updated_at = timezone.now()
        feedback.save(update_fields=["verdict", "updated_at"])
    if changed:
        taste_changed(subscriber)
    return feedback


@transaction.atomic
def feedback_forget(*, subscriber: Subscriber, paper_id: int) -> bool:
    """Undo: the reader has no verdict on the paper any more. True if there was one."""
    deleted, _ = Feedback.objects.filter(subscriber=subscriber, paper_id=paper_id).delete()
    if deleted:
        taste_changed(subscriber)
    return bool(deleted)


def subscription_mute(*, subscription: Subscription, days: int = MUTE_DAYS) -> None:
    subscription.muted_until = timezone.now() + timedelta(days=days)
    subscription.save(update_fields=["muted_until", "updated_at"])


def subscription_unmute(*, subscription: Subscription) -> None:
    subscription.muted_until = None
    subscription.save(update_fields=["muted_until", "updated_at"])


@dataclass(frozen=True)
class Exclusion:
    """ "Fewer like this": a term to exclude from one of the reader's topics, and the rule it
    makes."""

    subscription: Subscription
    term: str
    rule: str  # the topic's rule with the exclusion


def exclusions_offered(*, subscriber: Subscriber, paper: Paper) -> list[Exclusion]:
    """For a 👎'd paper, the exclusions a reader can add to the topics that matched it: the terms
    it matched where the rule keeps others (an alternative of an OR), then words of its title and
    its keywords that the rule does not use. Only the reader's own rules can take an exclusion."""
    matches = Match.objects.filter(subscription__subscriber=subscriber, paper=paper)
    offered: list[Exclusion] = []
    for match in matches.select_related("subscription"):
        subscription = match.subscription
        if not subscription.rule:
            continue
        rule = parse(subscription.rule)
        used = {t.text.casefold() for c in rule.clauses for t in c.terms}
        sole = {c.terms[0].text.casefold() for c in rule.included if len(c.terms) == 1}
        words = [t for t in match.terms if t.casefold() not in sole]
        words += [w for w in _title_words(paper) if w.casefold() not in used]
        for word in dict.fromkeys(w.casefold() for w in words):
            if (new_rule := rule_with_exclusion(subscription.rule, word)) is not None:
                offered.append(Exclusion(subscription, word, new_rule))
            if len(offered) >= EXCLUSIONS_OFFERED:
                return offered
    return offered


def rule_with_exclusion(rule: str, term: str) -> str | None:
    """`rule` with `-term` added, or None when that is no rule (too many terms, nothing left)."""
    written = f'"{term}"' if any(not c.isalnum() for c in term) else term
    candidate = f"{rule} -{written}"
    try:
        parsed = parse(candidate)
    except QueryError:
        return None
    if len(parsed.clauses) > MAX_CLAUSES:
        return None
    return candidate


def removed_by(exclusion: Exclusion) -> list[str]:
    """The titles of the topic's recent papers that the exclusion would leave out."""
    new_rule = parse(exclusion.rule)
    since = timezone.now() - timedelta(days=RECENT_MATCHES_DAYS)
    rows = Match.objects.filter(
        subscription=exclusion.subscription, created_at__gte=since
    ).values_list("paper__title", "paper__abstract", "paper__authors", "paper__organization__name")
    return [
        title
        for title, abstract, authors, org in rows
        if not new_rule.matches(
            document(title=title, abstract=abstract, authors=authors or [], org=org or "")
        )
    ]


@transaction.atomic
def subscription_exclude(*, exclusion: Exclusion) -> Subscription:
    """Save the exclusion: the topic's rule changes, and its matches are made again."""
    subscription = exclusion.subscription
    subscription.rule = exclusion.rule
    subscription.matched_at = None
    subscription.full_clean()
    subscription.save(update_fields=["rule", "matched_at", "updated_at"])
    subscription.matches.all().delete()
    subscriptions_changed.send(sender=Subscription, subscription_ids=[subscription.pk])
    return subscription


def _title_words(paper: Paper) -> list[str]:
    words = [*paper.ai_keywords, *WORD_RE.findall(paper.title)]
    return [
        w
        for w in words
        if isinstance(w, str) and len(w) >= 3 and w.casefold() not in COMMON and len(w) <= 40
    ]
