"""Reads for the newsletter: which stored papers a rule matches, the names a rule may mean,
a digest's counts, and the papers and digests that services and assembly start from."""

import copy
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from core.addresses import canonical_or_same
from core.lookups import IdsIn
from core.query import Document, Query, QueryError, document, parse
from core.query.parser import MAX_CLAUSES
from core.text import fold_accents
from newsletter.content import ALSO_TRENDING, Card, cards_read, digest_lookback
from newsletter.models import (
    DeliveryEvent,
    Digest,
    Match,
    SendingState,
    SignupRequest,
    Subscriber,
    Subscription,
)
from papers.models import Organization, Paper
from papers.search.engines import SearchQuery
from papers.search.results import found_ids
from papers.selectors import listed_since

PREVIEW_FIELDS = ("title", "abstract", "authors", "organization__handle", "organization__name")


def subscriber_by_address(address: str) -> Subscriber | None:
    """The subscriber with this mailbox, however it is spelled (case, Unicode, IDNA)."""
    return Subscriber.objects.filter(email__iexact=canonical_or_same(address)).first()


def recent_papers(days: int) -> QuerySet:
    """Papers listed in the last `days` days up to today, or, when no listing date is known,
    first seen in them."""
    return listed_since(timezone.now() - timedelta(days=days))


def papers_visible_since(since) -> QuerySet:
    """The visible papers listed (or, unlisted, first seen) since then."""
    return listed_since(since).filter(hidden=False)


def papers_unmatched() -> QuerySet:
    """Visible papers the newsletter never matched, or whose text changed since it did."""
    stale = Q(match_state__isnull=True) | Q(match_state__matched_at__lt=F("text_changed_at"))
    return Paper.objects.filter(stale, hidden=False)


def digests_sent_recently(now, subscriber_ids: list[int] | None = None) -> Q:
    """The digests whose papers count as sent before (of these subscribers, when given): those of
    the last two lookbacks (a match is offered for one lookback, so it can only repeat a paper
    sent within two)."""
    recent = Q(status=Digest.Status.SENT, scheduled_for__gte=now - 2 * digest_lookback())
    return recent if subscriber_ids is None else recent & Q(IdsIn("subscriber_id", subscriber_ids))


def papers_matching(
    rule: Query, *, days: int | None = None, indexed: bool = False
) -> Iterator[tuple[int, str]]:
    """(id, title) of each visible paper the rule matches, newest listing first.

    With `days`, only papers listed (or, when no listing date is known, first seen) in that many
    days up to today. Hidden papers never reach a digest, so they are never matched here either.
    With `indexed`, only the papers the search index finds for the rule are read and matched
    (what a long lookback needs: a rare rule over a year reads its few papers, not the year's);
    a paper ingested but not indexed yet is left out until it is.
    """
    papers = recent_papers(days) if days is not None else Paper.objects.all()
    if indexed:
        sql, params = found_ids(SearchQuery(rule))
        papers = papers.filter(pk__in=RawSQL(sql, params))
    papers = papers.filter(hidden=False).order_by("-listed_on", "-upvotes", "-pk")
    rows = papers.values_list("pk", *PREVIEW_FIELDS).iterator(chunk_size=2000)
    for pk, title, abstract, authors, org_handle, org_name in rows:
        org = f"{org_handle or ''} {org_name or ''}"
        if rule.matches(document(title=title, abstract=abstract, authors=authors, org=org)):
            yield pk, title


# How many recent papers' authors are read to tell whether an author: value is known.
AUTHOR_SAMPLE = 5000
SUGGESTIONS = 3


def name_hints(rule: Query) -> list[str]:
    """For each org: or author: term that no known organization or author matches, a sentence
    saying so, with the closest known names ("org:nvida matches no organization we know yet;
    closest: NVIDIA (nvidia)")."""
    hints = []
    for clause in rule.clauses:
        for term in clause.terms:
            if term.field == "org" and not _known(term, _organizations()):
                names = _closest(term.text, _organizations())
                hints.append(_hint(term, "organization", names))
            elif term.field == "author" and not _known(term, _authors(term.text)):
                names = _closest(term.text, _authors(""))
                hints.append(_hint(term, "author", names))
    return hints


def _organizations() -> dict[str, Document]:
    return {
        f"{name} ({handle})" if name and name != handle else handle: document(
            title="", org=f"{handle} {name}"
        )
        for handle, name in Organization.objects.values_list("handle", "name")
    }


def _authors(containing: str) -> dict[str, Document]:
    papers = Paper.objects.order_by("-pk")
    if containing:  # a cheap first cut; the analyzer decides
        first = containing.split()[0][:4]
        papers = papers.annotate(author_text=Cast("authors", TextField())).filter(
            author_text__icontains=first
        )
    names = {
        name
        for authors in papers.values_list("authors", flat=True)[:AUTHOR_SAMPLE]
        for name in authors or ()
    }
    return {name: document(title="", authors=[name]) for name in names}


def _known(term, candidates: dict[str, Document]) -> bool:
    return any(term.found_in(doc) for doc in candidates.values())


def _closest(text: str, candidates: dict[str, Document]) -> list[str]:
    """Names whose words are spelled closest to the value's."""
    by_word: dict[str, set[str]] = {}
    for name in candidates:
        for word in fold_accents(name).replace("(", " ").replace(")", " ").split():
            by_word.setdefault(word, set()).add(name)
    found: list[str] = []
    for word in difflib.get_close_matches(fold_accents(text), by_word, n=10, cutoff=0.6):
        for name in sorted(by_word[word]):
            if name not in found:
                found.append(name)
    return found[:SUGGESTIONS]


def _hint(term, kind: str, names: list[str]) -> str:
    prefix = "org" if kind == "organization" else "author"
    text = f"{prefix}:{term.text} matches no {kind} we know yet"
    return f"{text}; closest: {', '.join(names)}." if names else f"{text}."


@dataclass(frozen=True)
class DigestCounts:
    """A digest's one set of numbers, as its subject, email, page and the manage page give them."""

    total: int  # the period's papers on the reader's topics
    in_email: int  # of those, the ones the email showed
    more: int  # the rest, on the digest's page


def digest_counts(digest: Digest) -> DigestCounts:
    sections = digest.sections or []
    also = sections.index(ALSO_TRENDING) if ALSO_TRENDING in sections else None
    in_email = sum(1 for row in digest.items if len(row) < 3 or row[2][0] != also)
    total = digest.total if digest.total is not None else in_email + len(digest.more)
    return DigestCounts(total=total, in_email=in_email, more=max(total - in_email, 0))


SAMPLE_DAYS = 7
SAMPLES = 3


@dataclass
class Asked:
    """What a confirmation recaps and its link confirms: the topics (as named, and the rule
    each matches by) and an unsaved copy of the subscriber with the schedule asked."""

    topics: list[tuple[str, str | None, str]]  # (rule, curated topic's name, rule matched)
    schedule: Subscriber


def signup_asked(subscriber: Subscriber, request: SignupRequest | None) -> Asked:
    """What `request` asked for; without one, what the subscriber has."""
    if request is None:
        topics = [
            (s.rule, s.topic.name if s.topic else None, s.topic.rule if s.topic else s.rule)
            for s in subscriber.subscriptions.select_related("topic")
        ]
        return Asked(topics=topics, schedule=subscriber)
    schedule = copy.copy(subscriber)
    for name, value in request.preferences.items():
        setattr(schedule, name, value)
    topics = [(rule, None, rule) for rule in request.rules]
    topics += [("", topic.name, topic.rule) for topic in request.topics()]
    return Asked(topics=topics, schedule=schedule)


def sample_cards(rules: list[str]) -> list[Card]:
    """The most upvoted papers of the last SAMPLE_DAYS days on these rules: what a reader
    would have got (the confirmation mail shows them)."""
    ids: set[int] = set()
    for rule in rules:
        try:
            ids.update(pk for pk, _title in papers_matching(parse(rule), days=SAMPLE_DAYS))
        except QueryError:
            continue
    cards = cards_read(list(ids))
    cards.sort(key=lambda card: (-card.upvotes, -card.id))
    return cards[:SAMPLES]


def subscriber_export(*, subscriber: Subscriber) -> dict:
    """Everything stored about a subscriber, for "download my data"."""
    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "frequency": subscriber.frequency,
        "send_weekday": subscriber.get_send_weekday_display(),
        "send_hour": subscriber.send_hour,
        "timezone": subscriber.timezone,
        "min_upvotes": subscriber.min_upvotes,
        "max_papers": subscriber.max_papers,
        "created_at": subscriber.created_at.isoformat(),
        "confirmed_at": subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else None,
        "unsubscribed_at": (
            subscriber.unsubscribed_at.isoformat() if subscriber.unsubscribed_at else None
        ),
        "subscriptions": [
            {
                "rule": s.rule,
                "topic": s.topic.name if s.topic_id else None,
                "created_at": s.created_at.isoformat(),
                "muted_until": s.muted_until.isoformat() if s.muted_until else None,
            }
            for s in subscriber.subscriptions.select_related("topic")
        ],
        "feedback": [
            {
                "paper": f.paper.title,
                "arxiv_id": f.paper.arxiv_id,
                "verdict": "like" if f.verdict > 0 else "dislike",
                "at": f.updated_at.isoformat(),
            }
            for f in subscriber.feedback.select_related("paper")
        ],
        "library": [
            {"title": e.title, "arxiv_id": e.arxiv_id, "doi": e.doi, "source": e.source}
            for e in subscriber.library.all()
        ],
    }


# -- "Fewer like this": the exclusions a reader is offered after a 👎 -------------------------

EXCLUSIONS_OFFERED = 6
RECENT_MATCHES_DAYS = 7
# Words too common to be worth excluding, among those of a title.
COMMON = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "of",
    "on", "or", "our", "the", "their", "this", "to", "via", "we", "with", "without", "using",
    "toward", "towards", "through", "based", "new", "large", "model", "models", "learning",
))  # fmt: skip
WORD_RE = re.compile(r"[^\W_][\w-]*[^\W_]", re.UNICODE)


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


def _title_words(paper: Paper) -> list[str]:
    words = [*paper.ai_keywords, *WORD_RE.findall(paper.title)]
    return [
        w
        for w in words
        if isinstance(w, str) and len(w) >= 3 and w.casefold() not in COMMON and len(w) <= 40
    ]


@dataclass(frozen=True)
class Deliverability:
    """Sends and the bounces and complaints the ESP reported, over a window."""

    window: str
    sends: int
    bounces: int
    complaints: int

    @property
    def bounce_rate(self) -> float:
        return self.bounces / self.sends if self.sends else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complaints / self.sends if self.sends else 0.0

    def __str__(self) -> str:
        return (
            f"{self.sends:,} sent · {self.bounces:,} bounced ({self.bounce_rate:.2%}) · "
            f"{self.complaints:,} complaints ({self.complaint_rate:.2%})"
        )


DELIVERABILITY_WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}


def deliverability(*, now=None) -> dict[str, Deliverability]:
    """The last 24 hours' and 7 days' sends (digests sent), bounces (hard: the ESP's "bounced"
    and "rejected") and complaints (spam reports)."""
    now = now or timezone.now()
    return {
        name: deliverability_since(now - span, window=name)
        for name, span in DELIVERABILITY_WINDOWS.items()
    }


def deliverability_since(since, *, window: str = "") -> Deliverability:
    events = DeliveryEvent.objects.filter(received_at__gte=since)
    return Deliverability(
        window=window,
        sends=Digest.objects.filter(status=Digest.Status.SENT, sent_at__gte=since).count(),
        bounces=events.filter(event_type__in=("bounced", "rejected")).count(),
        complaints=events.filter(event_type="complained").count(),
    )


def sending_paused() -> SendingState | None:
    """The guard's pause, while sending is held; None while mail goes out."""
    return SendingState.objects.filter(pk=1, paused_at__isnull=False).first()


def signup_liked_titles(request: SignupRequest | None) -> list[str]:
    """The titles of the visible papers a signup's library starts with ("Email me papers like
    this")."""
    if request is None or not request.papers:
        return []
    papers = Paper.objects.filter(pk__in=request.papers, hidden=False)
    return list(papers.values_list("title", flat=True))
