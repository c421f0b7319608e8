"""A worker killed with SIGKILL in the middle of a batch of 500 digests loses none and, restarted,
sends none twice: the journal (on Redis) says which of the claimed digests had gone out. On
each broker: Redis and RabbitMQ."""

import os
import signal
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from newsletter.models import Digest, Subscriber, Subscription
from newsletter.services.matching import matches_update
from papers.models import Paper
from tests.celery_worker import celery_call, celery_env, celery_worker, wait_until
from tests.smtp_server import smtp_server

pytestmark = [pytest.mark.process, pytest.mark.services, pytest.mark.django_db(transaction=True)]

SUBSCRIBERS = 520  # a full batch of 500, and a second one of 20
KILL_AT = 201  # the worker dies as the 201st message starts, after 200 were accepted


def readers() -> None:
    due = timezone.now() - timedelta(minutes=1)
    created = Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{n}@example.org", status="active", confirmed_at=due,
                   next_digest_at=due)
        for n in range(SUBSCRIBERS)
    )  # fmt: skip
    Subscription.objects.bulk_create(Subscription(subscriber=s, rule="llm") for s in created)
    for n in range(8):
        Paper.objects.create(title=f"LLM paper {n}", title_key=f"llm {n}", upvotes=n,
                             listed_on=timezone.now().date())  # fmt: skip
    matches_update()


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    broker_url, redis_url, tmp_path
):
    readers()
    log = tmp_path / "worker.log"
    with smtp_server() as smtp:
        env = celery_env(
            broker_url, NEWSLETTER_JOURNAL_URL=redis_url,
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=smtp.host, EMAIL_PORT=str(smtp.port),
        )  # fmt: skip
        with celery_worker(broker_url, log=log, env=env) as worker:
            pid = int(worker["PAPERWIRE_WORKER_PID"])

            def kill(transaction: int) -> None:
                if transaction == KILL_AT:
                    os.kill(pid, signal.SIGKILL)

            smtp.on_mail_from = kill
            celery_call(worker, "newsletter.tasks.send_due_digests")
            assert wait_until(lambda: smtp.transactions >= KILL_AT, timeout=120), log.read_text()
            assert wait_until(lambda: not os.path.exists(f"/proc/{pid}/status") or _zombie(pid),
                              timeout=30)  # fmt: skip
        smtp.on_mail_from = None
        statuses = Counter(Digest.objects.values_list("status", flat=True))
        assert smtp.count() == KILL_AT - 1
        assert statuses == {"sending": 500, "pending": SUBSCRIBERS - 500}, statuses

        # Restarted, with recovery allowed at once (by default it waits for 30 minutes).
        restarted = {**env, "NEWSLETTER_SENDING_TIMEOUT_SECONDS": "0"}
        with celery_worker(broker_url, log=log, env=restarted) as worker:
            celery_call(worker, "newsletter.tasks.send_due_digests")
            done = wait_until(
                lambda: Digest.objects.filter(status="sent").count() == SUBSCRIBERS, timeout=180
            )
        received = list(smtp.messages)

    assert done, log.read_text()[-4000:]
    assert Counter(r.rcpt_tos[0] for r in received) == {
        f"reader{n}@example.org": 1 for n in range(SUBSCRIBERS)
    }
    message_ids = {r.message["Message-ID"].strip() for r in received}
    assert message_ids == set(Digest.objects.values_list("message_id", flat=True))
    assert all(len(items) == 8 for items in Digest.objects.values_list("items", flat=True))


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" in status.read()
    except FileNotFoundError:
        return True
