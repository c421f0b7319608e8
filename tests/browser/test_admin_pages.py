"""The admin at 1,280 px: every changelist fits the width (no sideways scrolling), and the index
shows the state of the service."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from newsletter.models import DeliveryEvent, Feedback, LibraryEntry, Topic
from papers.models import Feed, IngestRun

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CHANGELISTS = [
    "papers/paper", "papers/organization", "papers/feed", "papers/ingestrun",
    "papers/upvoteobservation", "newsletter/topic", "newsletter/subscriber", "newsletter/digest",
    "newsletter/deliveryevent", "newsletter/feedback", "newsletter/libraryentry",
    "newsletter/readermodel", "axes/accessattempt",
]  # fmt: skip


@pytest.fixture
def admin_page(browser, live_server, make_paper, make_subscriber, due_now, outbox):
    """Chromium at 1,280 px, logged in as a superuser, over a site with a row in every list."""
    long = "A very long title about quantized attention for long-context language models " * 2
    papers = [
        make_paper(
            f"{long} {n}",
            arxiv_id=f"2611.0200{n}",
            org="a-research-lab-with-a-long-name",
            upvotes=n,
            code_url="https://github.com/example/a-long-repository-name",
        )
        for n in range(3)
    ]
    ada = make_subscriber("a.very.long.address.of.a.reader@subdomain.example.org", "quantization")
    due_now(ada)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    Topic.objects.create(name="Quantization", slug="quant", rule="quantization OR quantized")
    Feed.objects.create(name="A feed with a long name " * 2, url="https://example.org/" + "x" * 80,
                        consecutive_failures=4, last_error="Timed out " * 20)  # fmt: skip
    IngestRun.objects.create(source="https://example.org/" + "a/" * 60, status="failed",
                             errors="broken " * 50, finished_at=timezone.now())  # fmt: skip
    Feedback.objects.create(subscriber=ada, paper=papers[0], verdict=1)
    LibraryEntry.objects.create(subscriber=ada, title=long, arxiv_id="2611.02000", paper=papers[0])
    DeliveryEvent.objects.create(event_id="e1", esp_name="mailgun", event_type="bounced",
                                 recipient=ada.email, description="Mailbox full " * 10)  # fmt: skip
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw-12345678")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw-12345678")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    yield page
    context.close()


# How far the page, and the list inside its scrolling box, are wider than they may be.
WIDER_JS = """() => {
  const box = document.querySelector('#changelist .results');
  const cells = [...document.querySelectorAll('#result_list tbody tr:first-child > *')]
    .map(c => c.className + ':' + Math.round(c.getBoundingClientRect().width));
  return [document.documentElement.scrollWidth - innerWidth,
          box ? box.scrollWidth - box.clientWidth : 0, cells.join(' ')];
}"""


def test_every_changelist_fits_1280_px(admin_page, live_server):
    wide = {}
    for name in CHANGELISTS:
        admin_page.goto(f"{live_server.url}/admin/{name}/")
        extra = admin_page.evaluate(WIDER_JS)
        if max(extra[:2]) > 0:
            wide[name] = extra
    assert wide == {}, "changelists wider than 1,280 px (by px)"


def test_the_admin_index_shows_the_state_of_the_service(admin_page, live_server):
    admin_page.goto(live_server.url + "/admin/")
    state = admin_page.locator("#service-state")
    text = state.inner_text()
    assert re.search(r"Papers listed today\s+3", text), text
    assert "Feeds failing" in text
    assert "Subscribers" in text and "active: 1" in text.lower()
    assert "Digests, last 24 hours" in text and "sent: 1" in text.lower()
    assert "Last beat run" in text and "never: is beat running?" in text
    assert "1 of 1" in text  # the feed failing, of the feeds enabled
