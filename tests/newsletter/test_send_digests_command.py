"""`manage.py send_digests`: match, then send everything due, in-process, without a worker."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from newsletter.models import Digest, Subscriber

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("send_digests", "--no-progress", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_it_matches_first_then_sends_only_what_is_due(make_paper, make_subscriber, outbox):
    make_paper("An LLM paper nobody matched yet")
    due = make_subscriber("due@example.org", "llm")
    later = make_subscriber("later@example.org", "llm")
    Subscriber.objects.filter(pk=due.pk).update(
        next_digest_at=timezone.now() - timedelta(minutes=1)
    )
    Subscriber.objects.filter(pk=later.pk).update(
        next_digest_at=timezone.now() + timedelta(hours=3)
    )

    output = run()
    assert "Matched 2 new matches; 1 digest fell due." in output
    assert "Sent 1, empty 0, failed 0, to retry later 0." in output
    assert [m.to for m in outbox] == [["due@example.org"]]
    assert run().endswith("Sent 0, empty 0, failed 0, to retry later 0.\n")


def test_now_treats_every_active_subscriber_as_due_once_a_day(make_paper, make_subscriber, outbox):
    make_paper("An LLM paper")
    make_subscriber("a@example.org", "llm")
    make_subscriber("b@example.org", "llm")
    make_subscriber("paused@example.org", "llm", status="paused")
    assert "Sent 2," in run("--now")
    assert "Sent 0," in run("--now")
    assert sorted(m.to[0] for m in outbox) == ["a@example.org", "b@example.org"]


def test_now_can_pick_subscribers_by_address(make_paper, make_subscriber, outbox):
    make_paper("An LLM paper")
    make_subscriber("a@example.org", "llm")
    make_subscriber("b@example.org", "llm")
    run("--now", "--email", "B@example.org")
    assert [m.to for m in outbox] == [["b@example.org"]]
    with pytest.raises(CommandError, match=r"No active subscriber with the address x@example\.org"):
        run("--now", "--email", "x@example.org")
    with pytest.raises(CommandError, match="--email only makes sense with --now"):
        run("--email", "a@example.org")
    assert Digest.objects.count() == 1
