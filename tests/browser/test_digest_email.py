"""The digest email in a real browser: it fits a phone, turns dark in dark mode, and its page on
the site ("view in browser") shows the same papers."""

import io
import re

import pytest
from django.core.management import call_command

from newsletter.models import Digest
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def email_html(page, make_paper, make_subscriber, due_now, outbox) -> str:
    for n in range(4):
        make_paper(
            f"A long title about speculative decoding for LLM inference, part {n}",
            abstract="Speculative decoding drafts tokens with a small model. " * 10,
            upvotes=10 * n, arxiv_id=f"2611.0000{n}", code_url="https://github.com/example/sd",
        )  # fmt: skip
    ada = make_subscriber("ada@example.org", "llm", max_papers=3)
    due_now(ada)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    [message] = outbox
    return message.alternatives[0][0]


def render(browser, html: str, *, width: int, dark: bool, name: str):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme="dark" if dark else "light"
    )
    page = context.new_page()
    page.set_content(html)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    return context, page


def test_the_email_fits_a_phone_and_reads_in_dark_mode(browser, email_html):
    context, phone = render(browser, email_html, width=375, dark=False, name="digest-email-phone")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    light_card = phone.evaluate("getComputedStyle(document.querySelector('.card')).backgroundColor")
    context.close()
    assert overflow <= 0, "the email scrolls sideways on a 375 px phone"

    context, dark = render(browser, email_html, width=375, dark=True, name="digest-email-dark")
    body = dark.evaluate("getComputedStyle(document.body).backgroundColor")
    card = dark.evaluate("getComputedStyle(document.querySelector('.card')).backgroundColor")
    title = dark.evaluate("getComputedStyle(document.querySelector('.title a')).color")
    context.close()
    assert light_card == "rgb(255, 255, 255)"
    assert body == "rgb(18, 18, 18)" and card == "rgb(30, 30, 30)"
    assert title == "rgb(232, 234, 237)"


def test_view_in_browser_shows_the_papers_and_the_ones_that_did_not_fit(
    page, email_html, live_server
):
    [view] = set(re.findall(r'href="([^"]*/digests/[^"]*)"', email_html))  # top and bottom
    page.goto(view)
    cards = page.locator("article.paper-card")
    assert cards.count() == 4  # three in the email, one more on the web
    assert page.locator(".more-title").inner_text() == "More on llm"
    lede = page.locator(".lede").first.inner_text()
    assert "4 new papers on your topics, 3 in the email and 1 more here" in lede
    assert Digest.objects.get().subject in page.locator("h1").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "digest-page.png"), full_page=True)
