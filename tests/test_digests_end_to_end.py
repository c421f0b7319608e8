"""Digests for real: beat and a worker process on Redis, mail over SMTP to a loopback server.

The test ingests a real dump, with subscribers already following topics; beat's "send due
digests" runs every two seconds, and each subscriber must receive exactly one correct message.
Then the next period comes, with new papers: one more message each, with nothing sent before.
"""

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from newsletter.emails import period_label
from newsletter.models import Digest, Match, PaperMatchState, Subscriber, Subscription
from newsletter.selectors import digest_counts
from papers.models import Paper
from papers.services import source_ingest
from tests.celery_worker import celery_beat, celery_env, celery_worker, wait_until
from tests.smtp_server import smtp_server

pytestmark = [pytest.mark.process, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SITE = "http://paperwire.test"
FOLLOWERS = [
    # email, rules, preferences
    ("verilog@example.org", ["verilog"], {}),
    ("kernels@example.org", ["kernel -survey"], {"timezone": "Asia/Tokyo"}),
    ("nas@example.org", ['"architecture search"'], {"frequency": "weekly", "send_weekday": 2}),
    ("moe@example.org", ["title:mixture OR moe"], {"max_papers": 2}),
    ("picky@example.org", ["llm"], {"min_upvotes": 2, "timezone": "America/Los_Angeles"}),
    ("nothing@example.org", ["quantum"], {}),
]


def subscribe_everyone() -> None:
    due = timezone.now() - timedelta(minutes=1)
    for email, rules, preferences in FOLLOWERS:
        subscriber = Subscriber.objects.create(
            email=email, status="active", confirmed_at=due, next_digest_at=due, **preferences
        )
        Subscription.objects.bulk_create(Subscription(subscriber=subscriber, rule=r) for r in rules)
    paused = Subscriber.objects.create(email="paused@example.org", status="paused")
    Subscription.objects.create(subscriber=paused, rule="verilog")


def beat_every_two_seconds() -> None:
    """The migration's periodic task, every two seconds (created here too: an earlier test
    that flushed the database may have removed it)."""
    every_two, _ = IntervalSchedule.objects.get_or_create(every=2, period="seconds")
    PeriodicTask.objects.exclude(name="Send due digests").update(enabled=False)
    PeriodicTask.objects.update_or_create(
        name="Send due digests",
        defaults={"task": "newsletter.tasks.send_due_digests", "interval": every_two},
    )


NEW_PAPERS = {  # the next period's papers, one for each follower with matches
    "verilog@example.org": "Verilog, again: a second look",
    "kernels@example.org": "Kernel fusion revisited",
    "nas@example.org": "Architecture search on a budget",
    "moe@example.org": "A mixture of many small experts",
    "picky@example.org": "LLM serving at scale",
}


def settled(periods: int) -> bool:
    return (
        Digest.objects.count() == periods * len(FOLLOWERS)
        and not Digest.objects.filter(status__in=["pending", "sending"]).exists()
    )


def next_period() -> None:
    """Yesterday's digests went out; new papers came in and beat's ticks matched them; today's
    send time has come.

    The papers are matched before the readers fall due, as a day's fetch comes hours before its
    digests: a tick matches what is new, then schedules who is due, so papers written between
    the two (here, a few milliseconds apart) would wait for the next digest, as they should."""
    with transaction.atomic():
        new = [
            Paper.objects.create(title=title, title_key=title.lower(), upvotes=5,
                                 listed_on=timezone.now().date())
            for title in NEW_PAPERS.values()
        ]  # fmt: skip
        Digest.objects.update(period=F("period") - timedelta(days=1))
    matched = PaperMatchState.objects.filter(paper__in=new)
    assert wait_until(lambda: matched.count() == len(new), timeout=60), "new papers unmatched"
    Subscriber.objects.filter(status="active").update(
        next_digest_at=timezone.now() - timedelta(minutes=1)
    )


def beat_ticks(log) -> int:
    return log.read_text().count("Sending due task Send due digests")


def test_every_subscriber_receives_exactly_one_correct_digest(redis_url, shared, tmp_path, client):
    subscribe_everyone()
    with open(shared / "dumps" / "003_0acdbd93ffc31cac.txt", "rb") as stream:
        source_ingest(stream=stream, source="003", year=2026)  # matched by the ingest hook
    beat_every_two_seconds()

    with smtp_server() as smtp:
        env = celery_env(
            redis_url, SITE_URL=SITE, NEWSLETTER_JOURNAL_URL=redis_url,
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=smtp.host, EMAIL_PORT=str(smtp.port),
            DEFAULT_FROM_EMAIL="Paperwire <digest@paperwire.test>",
        )  # fmt: skip
        log = tmp_path / "celery.log"
        with celery_worker(redis_url, log=log, env=env), celery_beat(env, log=log):
            first = wait_until(lambda: settled(1), timeout=120)
            ticks = beat_ticks(log)  # more ticks come and go; nothing more may be sent
            wait_until(lambda: beat_ticks(log) >= ticks + 2, timeout=30)
            first_round = list(smtp.messages)
            next_period()
            second = wait_until(lambda: settled(2), timeout=120)
            ticks = beat_ticks(log)
            wait_until(lambda: beat_ticks(log) >= ticks + 2, timeout=30)
        received = list(smtp.messages)

    assert first and second, f"digests did not settle; log:\n{log.read_text()[-4000:]}"
    digests = {}
    for digest in Digest.objects.select_related("subscriber").order_by("period"):
        digests.setdefault(digest.subscriber.email, []).append(digest)
    assert [d.status for d in digests["nothing@example.org"]] == ["empty", "empty"]
    assert digests["nothing@example.org"][0].reason == "No new papers matched your topics."
    followers = {e for e, _, _ in FOLLOWERS} - {"nothing@example.org"}
    outcomes = {e: [(d.period, d.status, d.reason) for d in ds] for e, ds in digests.items()}
    outcomes["new papers' matches"] = sorted(  # what the second period had to offer
        Match.objects.filter(paper__title__in=NEW_PAPERS.values()).values_list(
            "subscription__subscriber__email", "paper_id", "paper__hidden", "created_at"
        )
    )
    outcomes["new papers"] = list(
        Paper.objects.filter(title__in=NEW_PAPERS.values()).values_list(
            "pk", "title", "text_changed_at", "match_state__matched_at"
        )
    )
    outcomes["papers sent"] = {e: [d.paper_ids for d in ds] for e, ds in digests.items()}
    assert {e for e, ds in digests.items() if [d.status for d in ds] == ["sent", "sent"]} == (
        followers
    ), f"{outcomes}; log:\n{log.read_text()[-4000:]}"
    assert sorted(r.rcpt_tos[0] for r in first_round) == sorted(followers), "one message each"
    assert sorted(r.rcpt_tos[0] for r in received) == sorted(2 * list(followers))
    by_message_id = {d.message_id: d for ds in digests.values() for d in ds if d.message_id}
    sent = {r.message["Message-ID"].strip(): r for r in received}
    assert set(sent) == set(by_message_id)

    titles = dict(Paper.objects.values_list("pk", "title"))
    for email in followers:
        yesterday, today = digests[email]
        assert not set(yesterday.paper_ids) & set(today.paper_ids), "a paper sent twice"
        assert NEW_PAPERS[email] in [titles[pk] for pk in today.paper_ids]
    upvotes = dict(Paper.objects.values_list("pk", "upvotes"))
    shifted = {r.message["Message-ID"].strip() for r in first_round}  # next_period moved them
    for message_id, item in sent.items():
        digest = by_message_id[message_id]
        day = digest.period + timedelta(days=1 if message_id in shifted else 0)
        check_message(item.message, digest, day, titles, client)
        if digest.subscriber.email == "picky@example.org":
            assert all(upvotes[pk] >= 2 for pk in digest.paper_ids)
        if digest.subscriber.email == "moe@example.org":
            assert len(digest.items) == 2
    [moe_first, _] = digests["moe@example.org"]
    assert moe_first.more
    message = sent[moe_first.message_id].message
    more = digest_counts(moe_first).more
    assert more == len(moe_first.more)
    assert f"{more} more on the web" in message.get_body("plain").get_content()


def check_message(message, digest: Digest, day: date, titles: dict[int, str], client) -> None:
    subscriber = digest.subscriber
    assert message["Message-ID"].strip() == digest.message_id
    assert message["Subject"].strip() == digest.subject  # a long subject is folded
    count = digest_counts(digest).total  # one number: the period's papers, shown or not
    assert re.fullmatch(
        rf"{count} new papers? on .+ — {re.escape(period_label(day))}", digest.subject
    )
    assert message["From"] == "Paperwire <digest@paperwire.test>"
    assert message["To"] == subscriber.email
    assert f"<{SITE}/unsubscribe/{subscriber.token}/one-click/>" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "Paperwire digest <digest.paperwire.test>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body("plain").get_content()
    html = message.get_body("html").get_content()
    for paper_id in digest.paper_ids:
        assert titles[paper_id] in text
        assert escape(titles[paper_id]) in html
    assert 'style="' in html  # inlined CSS
    links = set(re.findall(rf'href="({re.escape(SITE)}[^"]*)"', html))
    links |= set(re.findall(rf"({re.escape(SITE)}\S*)", text))
    assert any("/digests/" in link for link in links) and any("/manage/" in link for link in links)
    for link in links:
        assert client.get(urlsplit(link).path).status_code == 200, link
