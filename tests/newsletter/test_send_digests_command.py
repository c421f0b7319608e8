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
    assert "Matching found 2 new matches; 1 digest fell due." in output
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


def test_it_matches_subscriptions_whose_matching_task_never_ran(
    make_paper, make_subscriber, outbox
):
    """Without a worker, a signup's "match the recent papers" task waits in the queue; the
    command matches the subscription itself, against papers matched before it existed."""
    make_paper("An LLM paper from before the signup")
    call_command("send_digests", "--no-progress", stdout=io.StringIO())  # matches the paper
    make_subscriber("late@example.org", "llm")
    output = run("--now")
    assert "Matching found 1 new match;" in output and "Sent 1," in output
    assert [m.to for m in outbox] == [["late@example.org"]]


def test_confirming_matches_the_papers_that_came_in_meanwhile(
    make_paper, make_subscriber, outbox, django_capture_on_commit_callbacks
):
    from newsletter.services.subscribers import subscriber_confirm

    pending = make_subscriber("pending@example.org", "llm", status="pending")
    make_paper("An LLM paper while unconfirmed")
    run()  # the paper is matched, but not to a pending address
    assert not pending.subscriptions.get().matches.exists()
    with django_capture_on_commit_callbacks(execute=True):
        subscriber_confirm(subscriber=pending)
    assert pending.subscriptions.get().matches.count() == 1
