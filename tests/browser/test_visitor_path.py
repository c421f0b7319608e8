"""A visitor signs up, confirms from the email, changes topics, and unsubscribes, in Chromium."""

import re
from datetime import date

import pytest
from django.core import mail
from django.core.cache import cache

from newsletter.models import Subscriber
from papers.models import Paper

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_sign_up_confirm_manage_and_unsubscribe(page, live_server, screenshot):
    cache.clear()
    Paper.objects.create(
        title="Quantized Attention for Long Context", title_key="qalc", listed_on=date.today(),
        abstract="We study quantization of attention.", upvotes=12,
    )  # fmt: skip
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Get trending papers in your email inbox!").click()
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Your topics").fill("quantization -survey")
    page.get_by_text("would have matched 1 paper in the last 7 days").wait_for()
    screenshot("signup")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    screenshot("check-inbox")

    [message] = mail.outbox
    link = re.search(r"http://\S+/confirm/\S+/", message.body).group(0)
    page.goto(link)
    screenshot("confirm")
    assert Subscriber.objects.get().status == "pending"  # opening the link changed nothing
    page.get_by_role("button", name="Confirm my subscription").click()
    page.get_by_text("your subscription is confirmed").wait_for()
    assert Subscriber.objects.get().status == "active"
    screenshot("manage")

    page.get_by_text("Change topics and schedule").click()
    page.get_by_label("Your topics").fill('verilog\n"speculative decoding"')
    page.get_by_role("radio", name="Weekly").check()
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Your changes are saved").wait_for()
    subscriber = Subscriber.objects.get()
    assert subscriber.frequency == "weekly"
    assert sorted(s.rule for s in subscriber.subscriptions.all()) == [
        '"speculative decoding"',
        "verilog",
    ]

    page.get_by_role("link", name="Unsubscribe").click()
    screenshot("unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert Subscriber.objects.get().status == "unsubscribed"
