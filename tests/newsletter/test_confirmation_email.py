"""The confirmation email: the link, a recap of what was asked for, and three papers the reader
would have got in the last week, built like the digest (HTML with its CSS inlined, and text)."""

import html
from datetime import date, timedelta

import pytest
from django.core import mail

from newsletter.emails import send_confirmation
from newsletter.models import Subscriber, Subscription
from papers.models import Paper

pytestmark = pytest.mark.django_db


def test_it_recaps_the_topics_and_schedule_and_shows_the_weeks_three_best_papers():
    today = date.today()
    for n, upvotes in enumerate([5, 40, 12, 30, 1]):
        Paper.objects.create(title=f"Quantization study {n}", title_key=f"q{n}",
                             listed_on=today - timedelta(days=1), upvotes=upvotes)  # fmt: skip
    Paper.objects.create(title="Quantization of old", title_key="old",
                         listed_on=today - timedelta(days=20), upvotes=999)  # fmt: skip
    Paper.objects.create(title="Unrelated", title_key="u", listed_on=today, upvotes=500)
    subscriber = Subscriber.objects.create(
        email="ada@example.org", frequency="weekly", send_weekday=2, send_hour=7,
        timezone="Europe/Paris", max_papers=8,
    )  # fmt: skip
    Subscription.objects.create(subscriber=subscriber, rule="quantization")

    send_confirmation(subscriber)

    [message] = mail.outbox
    page = html.unescape(message.alternatives[0][0])
    for part in (message.body, page):
        assert "quantization" in part
        assert "Weekly digest, every Wednesday at 07:00 (Europe/Paris)" in part
        assert "8 papers a digest" in part
        shown = [n for n in range(5) if f"Quantization study {n}" in part]
        assert shown == [1, 2, 3]  # the three most upvoted of the week, not older or unrelated
        assert "Quantization of old" not in part and "Unrelated" not in part
        assert "Listed" in part
    assert 'style="' in page  # the CSS is inlined
    assert "@media (prefers-color-scheme: dark)" in page  # and dark mode kept in the head


def test_a_reader_with_nothing_last_week_is_told_so():
    subscriber = Subscriber.objects.create(email="ada@example.org")
    Subscription.objects.create(subscriber=subscriber, rule="verilog")
    send_confirmation(subscriber)
    [message] = mail.outbox
    assert "Nothing on these topics was listed in the last 7 days" in message.body
