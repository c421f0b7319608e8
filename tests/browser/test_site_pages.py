"""Every public page in Chromium: no sideways scrolling at 320, 390 and 1,280 px, tap targets of
44 px on a phone, the header's navigation, from a search to a subscription, POST/redirect/GET,
and accessibility (axe-core: no serious or critical violation, light and dark; headings in order;
a label on every input)."""

import io
import itertools
import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command

from newsletter.models import Subscriber, Topic
from newsletter.personal.similar import papers_similar_update
from newsletter.syndication import feed_token
from newsletter.tokens import confirm_token, feedback_token, manage_token, mute_token

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WIDTHS = (320, 390, 1280)


@pytest.fixture
def site(make_paper, make_subscriber, due_now, outbox) -> dict[str, str]:
    """A small site with every kind of page, and the path of each."""
    cache.clear()
    today = date.today()
    papers = [
        make_paper(
            f"Quantized attention for long-context language models, part {n}",
            abstract="We study quantization of attention for long contexts. " * 8,
            upvotes=40 - n,
            arxiv_id=f"2611.0100{n}",
            org="acme-research",
            authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
            ai_keywords=["quantization", "long context", "attention"],
            ai_summary="Quantizing attention keeps quality at a quarter of the memory.",
            code_url="https://github.com/example/qa",
            github_stars=1234,
            listed_on=today,
            published_on=today - timedelta(days=2),
        )
        for n in range(4)
    ]
    dump_paper = make_paper(
        "A paper from a page dump with a very long unbroken title word "
        "Supercalifragilisticexpialidociousnessofthelongestwordsinpapertitles",
        author_count=7, upvotes=3,
    )  # fmt: skip
    Topic.objects.create(name="Quantization", slug="quantization", rule="quantization")
    papers_similar_update()  # each paper's page shows its similar papers
    ada = make_subscriber("ada@example.org", "quantization", max_papers=3)
    due_now(ada)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    [message] = outbox
    digest_path = re.search(r"https?://[^/\s]+(/digests/\S+/)", message.body)[1]
    pending = make_subscriber("grace@example.org", "llm", status="pending")
    subscription = ada.subscriptions.get()
    mail.outbox.clear()
    return {
        "home": "/",
        "archive": "/?span=week",
        "trending": "/trending/",
        "search": "/search/",
        "search results": "/search/?q=quantization",
        "search with nothing": "/search/?q=zzzzqqq",
        "paper": f"/papers/{papers[0].pk}/",
        "paper from a dump": f"/papers/{dump_paper.pk}/",
        "subscribe": "/subscribe/",
        "subscribe prefilled": "/subscribe/?rule=quantization",
        "feeds": "/feeds/",
        "confirm": f"/confirm/{confirm_token(pending)}/",
        "manage": f"/manage/{manage_token(ada)}/",
        "digest": digest_path,
        "feedback": f"/feedback/{feedback_token(ada, papers[0].pk)}/down/",
        "mute": f"/mute/{mute_token(ada, subscription.pk)}/",
        "unsubscribe": f"/unsubscribe/{ada.token}/",
        "bad link": "/manage/not-a-token/",
        "not found": "/papers/999999/",
        "author": "/authors/Ada%20Lovelace/",
        "organization": "/orgs/acme-research/",
        "unknown author": "/authors/Ada%20Lovelac/",
        "private feed": f"/feeds/private/{feed_token(ada)}.atom",
    }


def html_pages(site: dict[str, str]) -> dict[str, str]:
    return {name: path for name, path in site.items() if not path.endswith(".atom")}


# How far the page is wider than the window, and the first elements that stick out (to say why).
OVERFLOW_JS = """() => [document.documentElement.scrollWidth - window.innerWidth,
  [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + e.className)]"""
SMALL_TARGETS_JS = """() => [...document.querySelectorAll(
    '.site-nav a, .site-footer a, a.button, button, input:not([type=hidden]), select, .chip')]
  .filter(e => e.offsetParent !== null && e.type !== 'checkbox' && e.type !== 'radio')
  .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])
  .filter(([_, h]) => h < 44)"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways_and_phone_tap_targets_are_44_px(
    browser, live_server, site, width
):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    overflowing, small = {}, {}
    for name, path in html_pages(site).items():
        page.goto(live_server.url + path)
        extra, culprits = page.evaluate(OVERFLOW_JS)
        if extra > 0:
            overflowing[name] = (extra, culprits)
        if width < 1000 and (targets := page.evaluate(SMALL_TARGETS_JS)):
            small[name] = targets
    context.close()
    assert overflowing == {}, f"pages wider than {width} px (by px)"
    assert small == {}, "tap targets under 44 px"


def test_the_header_navigates_and_names_the_current_page(page, live_server, site):
    page.goto(live_server.url + "/search/?q=quantization")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link").all_inner_texts() == ["Trending", "Search", "Subscribe"]
    assert nav.get_by_role("link", name="Search").get_attribute("aria-current") == "page"
    nav.get_by_role("link", name="Trending").click()
    page.wait_for_url("**/trending/")
    nav.get_by_role("link", name="Subscribe").click()
    page.get_by_role("heading", name="Get trending papers in your email inbox").wait_for()
    # A reader who came by a signed link finds their manage page in the header from then on.
    page.goto(live_server.url + site["manage"])
    page.goto(live_server.url + "/")
    nav.get_by_role("link", name="Manage").click()
    page.wait_for_url(f"**{site['manage']}")
    footer = page.get_by_role("navigation", name="More")
    assert footer.get_by_role("link").all_inner_texts() == ["Archive", "Feeds", "Source code"]
    for selector in ('link[rel=icon][type="image/svg+xml"]', 'meta[property="og:image"]'):
        address = page.locator(selector).get_attribute("href" if "link" in selector else "content")
        assert page.request.get(address if "://" in address else live_server.url + address).ok
    icon = page.request.get(live_server.url + "/favicon.ico")
    assert icon.ok and icon.headers["content-type"] == "image/x-icon"


def test_from_a_search_to_a_subscription_with_post_redirect_get(page, live_server, site):
    page.goto(live_server.url + "/search/?q=quantization")
    page.get_by_role("link", name="Email me papers like these").click()
    rules = page.get_by_label("Your topics")
    assert rules.input_value() == "quantization"
    page.get_by_text(re.compile(r"would have matched 4 papers in the last 7 days")).wait_for()
    page.get_by_label("Email address").fill("new.reader@example.org")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/subscribe/check-inbox/")
    page.get_by_role("heading", name="Check your inbox").wait_for()
    assert "new.reader@example.org" in page.inner_text("main")
    page.reload()  # a refresh asks for the page again; it does not sign up again
    page.get_by_role("heading", name="Check your inbox").wait_for()
    assert len(mail.outbox) == 1
    assert Subscriber.objects.get(email="new.reader@example.org").subscriptions.get().rule == (
        "quantization"
    )


def test_a_papers_keywords_and_organization_are_one_click_topics(page, live_server, site):
    page.goto(live_server.url + site["paper"])
    topics = page.get_by_role("complementary").filter(has_text="Get papers like this")
    topics.get_by_role("link", name="long context").click()
    assert page.get_by_label("Your topics").input_value() == '"long context"'
    page.go_back()
    topics.get_by_role("link", name="Acme-Research").click()
    assert page.get_by_label("Your topics").input_value() == "org:acme-research"


@pytest.mark.parametrize("width", (390, 1280))
def test_from_a_card_to_an_author_and_a_lab_and_follow_them(browser, live_server, site, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + site["search results"])
    page.get_by_role("link", name="Ada Lovelace").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ada Lovelace"
    assert page.locator("article.paper-card").count() == 4
    page.get_by_role("link", name="Follow").click()
    assert page.get_by_label("Your topics").input_value() == 'author:"Ada Lovelace"'
    preview = page.locator(".preview-list")
    preview.wait_for()
    assert "would have matched 4 papers" in preview.inner_text()
    page.goto(live_server.url + site["paper"])
    page.locator(".meta").get_by_role("link", name="Acme-Research").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Acme-Research"
    page.get_by_role("link", name="Follow").click()
    assert page.get_by_label("Your topics").input_value() == "org:acme-research"
    context.close()


@pytest.mark.parametrize("width", (390, 1280))
def test_a_papers_similar_papers_and_email_me_papers_like_this(browser, live_server, site, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + site["paper"])
    similar = page.get_by_role("region", name="Similar papers")
    items = similar.get_by_role("listitem")
    assert 1 <= items.count() <= 6
    assert "Shares:" in items.first.inner_text()
    page.get_by_role("link", name="Email me papers like this").click()
    assert "Your library starts with" in page.locator("form.signup").inner_text()
    page.go_back()
    similar.get_by_role("link").first.click()
    assert "/papers/" in page.url and page.url != live_server.url + site["paper"]
    context.close()


def test_a_paper_from_a_dump_links_to_where_it_can_be_found(page, live_server, site):
    page.goto(live_server.url + site["paper from a dump"])
    for name, host in (("Find on arXiv", "arxiv.org"), ("Find on Hugging Face", "huggingface.co")):
        assert host in page.get_by_role("link", name=name).get_attribute("href")


HEADINGS_JS = "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])"
UNLABELLED_JS = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby'))
  .map(e => e.outerHTML.slice(0, 100))"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_public_page_passes_axe_with_headings_in_order_and_labels(
    browser, live_server, site, scheme
):
    axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
    axe = axe_sync.Axe()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    serious, disorder, unlabelled = {}, {}, {}
    for name, path in html_pages(site).items():
        page.goto(live_server.url + path)
        results = axe.run(page)
        found = [
            f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if found:
            serious[name] = found
        levels = page.evaluate(HEADINGS_JS)
        if levels[:1] != [1] or any(b - a > 1 for a, b in itertools.pairwise(levels)):
            disorder[name] = levels
        if missing := page.evaluate(UNLABELLED_JS):
            unlabelled[name] = missing
    context.close()
    assert serious == {}
    assert disorder == {}, "headings that skip a level, or do not start with one h1"
    assert unlabelled == {}
