"""A reader clicks 👍 in a digest, undoes it, then clicks 👎, in Chromium: exactly that is kept."""

import io
import re

import pytest
from django.core.management import call_command

from newsletter.models import Feedback

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_like_undo_then_dislike(page, make_paper, make_subscriber, due_now, outbox, screenshot):
    paper = make_paper("Sparse attention for LLM inference", upvotes=30, arxiv_id="2611.04321")
    ada = make_subscriber("ada@example.org", "llm")
    due_now(ada)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    [message] = outbox
    like, dislike = re.findall(r"http://\S+/feedback/\S+/(?:up|down)/", message.body)[:2]

    page.goto(like)  # the page submits the choice at once
    page.get_by_role("heading", name="You liked this paper").wait_for()
    screenshot("feedback-liked")
    assert list(Feedback.objects.values_list("paper_id", "verdict")) == [(paper.pk, 1)]

    page.get_by_role("button", name="Undo").click()
    page.get_by_role("heading", name="Nothing recorded for this paper").wait_for()
    assert not Feedback.objects.exists()

    page.goto(dislike)
    page.get_by_role("heading", name="You don’t want papers like this").wait_for()
    screenshot("feedback-disliked")
    assert list(Feedback.objects.values_list("paper_id", "verdict")) == [(paper.pk, -1)]
    page.get_by_role("link", name=paper.title).click()
    page.get_by_role("heading", name=paper.title).wait_for()


def test_without_javascript_a_button_records_it(browser, live_server, settings, make_paper,
                                                 make_subscriber, due_now, outbox):  # fmt: skip
    settings.SITE_URL = live_server.url
    make_paper("Sparse attention for LLM inference", upvotes=30)
    ada = make_subscriber("ada@example.org", "llm")
    due_now(ada)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    like = re.findall(r"http://\S+/feedback/\S+/up/", outbox[0].body)[0]
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(like)
        assert not Feedback.objects.exists()  # opening the page records nothing
        page.get_by_role("button", name="Record 👍").click()
        page.get_by_role("heading", name="You liked this paper").wait_for()
    finally:
        context.close()
    assert Feedback.objects.get().verdict == 1
