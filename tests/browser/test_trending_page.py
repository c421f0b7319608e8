"""The trending page and its search, in Chromium."""

import pytest

from papers.models import Paper
from papers.services import source_ingest

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def library(shared):
    for path in sorted((shared / "dumps").glob("*.txt")):
        with open(path, "rb") as stream:
            source_ingest(stream=stream, source=str(path), year=2026)


def test_the_trending_page_ranks_pages_through_periods_and_searches(
    page, live_server, library, screenshot
):
    Paper.objects.filter(title="LFM2 Technical Report").update(featured=True)
    page.goto(live_server.url + "/")
    # The latest listing day is shown, featured first, then by upvotes.
    page.get_by_role("heading", name="Tuesday, June 16, 2026").wait_for()
    titles = page.locator(".paper-card h2").all_inner_texts()
    assert titles[0] == "LFM2 Technical Report"
    day = Paper.objects.filter(listed_on="2026-06-16", hidden=False, featured=False)
    assert titles[1:] == [p.title for p in day.order_by("-upvotes", "-pk")][: len(titles) - 1]
    screenshot("trending-day")

    page.get_by_role("link", name="Month").click()
    page.get_by_role("heading", name="June 2026").wait_for()
    page.get_by_role("link", name="March 2026", exact=False).first.click()
    page.get_by_role("heading", name="March 2026").wait_for()
    screenshot("trending-month")

    page.get_by_label("Search papers").fill("verilog")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("heading", name=" for “verilog”", exact=False).wait_for()
    screenshot("search")
    page.locator(".paper-card h2 a").first.click()
    page.get_by_role("heading", name="Abstract").wait_for()
    screenshot("paper")


def test_no_script_in_a_paper_title_ever_runs(page, live_server):
    from datetime import date

    evil = Paper.objects.create(
        title='Quantization <img src=x onerror="alert(1)"><script>alert(2)</script>',
        title_key="evil", abstract="<script>alert(3)</script>", listed_on=date.today(),
    )  # fmt: skip
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in ("/", "/?q=quantization", f"/papers/{evil.pk}/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
    page.goto(live_server.url + "/subscribe/")
    page.get_by_label("Your topics").fill("quantization")
    page.get_by_text("would have matched 1 paper").wait_for()
    assert dialogs == []
    assert "<script>alert(2)</script>" in page.locator(".preview").inner_text()
