"""A server that sends a byte at a time cannot hold a worker, on any path that fetches: the
overall deadline (PAPERS_FETCH_DEADLINE) cuts every one of them, and nothing of the cut body is
stored (hardening issue, item 2)."""

import io
import time

import pytest
from django.core.management import CommandError, call_command

from papers.models import Feed, Paper
from papers.services import feeds as feed_services

pytestmark = pytest.mark.django_db
DEADLINE = 1.0
MARGIN = 2.0  # the watchdog's tick and the test server's own pace


@pytest.fixture
def dripping(http_server, settings, shared):
    """A loopback server whose every answer drips, one byte each 10 ms (minutes in all)."""
    settings.PAPERS_FETCH_DEADLINE = DEADLINE
    settings.PAPERS_FETCH_RETRIES = 0
    settings.PAPERS_HF_REPOLL_DAYS = 0
    json_body = (shared / "feeds" / "hf-daily-papers.json").read_bytes()
    xml_body = (shared / "feeds" / "arxiv-api-query.xml").read_bytes()
    http_server.serve_any_query("/api/daily_papers", json_body, drip=0.01,
                                content_type="application/json")  # fmt: skip
    http_server.serve_any_query("/api/query", xml_body, drip=0.01)
    http_server.serve("/rss/cs.AI", xml_body, drip=0.01)
    settings.PAPERS_ARXIV_API_URL = http_server.base_url + "/api/query"
    settings.PAPERS_ARXIV_RSS_URL = http_server.base_url + "/rss/"
    return http_server


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def hf_feed(server) -> Feed:
    return Feed.objects.create(name="hf", url=server.base_url + "/api/daily_papers", kind="hf-json")


def test_a_scheduled_poll_by_listing_day(dripping):
    report, seconds = timed(lambda: feed_services.feed_fetch(feed=hf_feed(dripping)))
    assert seconds < DEADLINE + MARGIN and "deadline" in report.error


def test_a_conditional_get_of_a_feed(dripping):
    feed = Feed.objects.create(name="rss", url=dripping.base_url + "/rss/cs.AI", kind="arxiv")
    report, seconds = timed(lambda: feed_services.feed_fetch(feed=feed))
    assert seconds < DEADLINE + MARGIN and "deadline" in report.error


def test_a_backfill_of_listing_days(dripping):
    report, seconds = timed(lambda: feed_services.feed_backfill(feed=hf_feed(dripping), days=1))
    assert seconds < DEADLINE + MARGIN and any("deadline" in e for e in report.errors)


def test_a_backfill_through_the_arxiv_api(dripping):
    feed = Feed.objects.create(name="rss", url=dripping.base_url + "/rss/cs.AI", kind="arxiv")
    report, seconds = timed(lambda: feed_services.feed_backfill(feed=feed, days=1))
    assert seconds < DEADLINE + MARGIN and any("deadline" in e for e in report.errors)


def test_manage_py_ingest_of_a_url(dripping):
    url = dripping.base_url + "/rss/cs.AI"
    started, out, err = time.monotonic(), io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="rejected"):
        call_command("ingest", url, "--no-progress", stdout=out, stderr=err)
    assert time.monotonic() - started < DEADLINE + MARGIN
    assert "deadline" in out.getvalue() + err.getvalue()


def test_the_local_setup_probe(dripping, monkeypatch, settings):
    from config.management.commands import local_setup

    monkeypatch.setattr(local_setup, "PROBE_SECONDS", DEADLINE)
    settings.PAPERS_HF_DAILY_URL = dripping.base_url + "/api/daily_papers"
    out = io.StringIO()
    _, seconds = timed(lambda: call_command("local_setup", stdout=out, stderr=io.StringIO()))
    assert seconds < DEADLINE + MARGIN + 10  # then it ingests the bundled sample
    assert "could not be reached" in out.getvalue() and "deadline" in out.getvalue()


@pytest.fixture(autouse=True)
def nothing_stored_from_a_cut_body(request):
    yield
    if "local_setup" not in request.node.name:
        assert not Paper.objects.exists()
