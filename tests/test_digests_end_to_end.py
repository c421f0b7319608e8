"""Digests for real: beat and a worker process on Redis, mail over SMTP to a loopback server.

The test ingests a real dump, with subscribers already following topics; beat's "send due
digests" runs every two seconds, and each subscriber must receive exactly one correct message.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django.utils.html import escape
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from newsletter.digests.render import period_label
from newsletter.models import Digest, Subscriber, Subscription
from papers.models import Paper
from papers.services import source_ingest
from tests.celery_worker import celery_beat, celery_env, celery_worker, wait_until
from tests.smtp_server import smtp_server

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

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


def settled() -> bool:
    return (
        Digest.objects.count() == len(FOLLOWERS)
        and not Digest.objects.filter(status__in=["pending", "sending"]).exists()
    )


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
            done = wait_until(settled, timeout=120)
            # More beat ticks come and go; nothing more may be sent.
            ticks = log.read_text().count("Sending due task Send due digests")
            wait_until(
                lambda: log.read_text().count("Sending due task Send due digests") >= ticks + 2,
                timeout=30,
            )
        received = list(smtp.messages)

    assert done, f"digests did not settle; log:\n{log.read_text()[-4000:]}"
    digests = {d.subscriber.email: d for d in Digest.objects.select_related("subscriber")}
    assert digests["nothing@example.org"].status == "empty"
    assert digests["nothing@example.org"].reason == "No new papers matched your topics."
    sent = {email: d for email, d in digests.items() if d.status == "sent"}
    assert set(sent) == {e for e, _, _ in FOLLOWERS} - {"nothing@example.org"}
    assert sorted(r.rcpt_tos[0] for r in received) == sorted(sent), "one message each"

    titles = dict(Paper.objects.values_list("pk", "title"))
    upvotes = dict(Paper.objects.values_list("pk", "upvotes"))
    for item in received:
        digest = sent[item.rcpt_tos[0]]
        check_message(item.message, digest, titles, client)
        if digest.subscriber.email == "picky@example.org":
            assert all(upvotes[pk] >= 2 for pk in digest.paper_ids)
        if digest.subscriber.email == "moe@example.org":
            assert len(digest.items) == 2 and digest.more
            assert (
                f"{len(digest.more)} more on the web"
                in item.message.get_body("plain").get_content()
            )


def check_message(message, digest: Digest, titles: dict[int, str], client) -> None:
    subscriber = digest.subscriber
    assert message["Message-ID"].strip() == digest.message_id
    assert message["Subject"] == digest.subject
    count = len(digest.items)
    assert re.fullmatch(
        rf"{count} new papers? on .+ — {re.escape(period_label(digest.period))}", digest.subject
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
