import pytest

from papers.models import Feed, IngestRun, Paper
from papers.tasks import fetch_feeds

pytestmark = pytest.mark.django_db


@pytest.fixture
def arxiv_day(shared):
    return (shared / "feeds" / "arxiv-rss-all-2024-11-28.xml").read_bytes()


def feed_at(url: str, **fields) -> Feed:
    return Feed.objects.create(name=url.rsplit("/", 1)[-1], url=url, **fields)


def test_a_fetch_ingests_the_feed_and_keeps_its_validators(http_server, arxiv_day):
    url = http_server.serve(
        "/rss/all", arxiv_day, etag='"day-1"', last_modified="Thu, 28 Nov 2024 14:47:20 GMT"
    )
    feed = feed_at(url)

    fetch_feeds.delay()

    feed.refresh_from_db()
    assert (feed.last_status, feed.last_error) == ("ok", "")
    assert (feed.etag, feed.last_modified) == ('"day-1"', "Thu, 28 Nov 2024 14:47:20 GMT")
    assert Paper.objects.count() == 935
    run = feed.runs.get()
    assert (run.status, run.format, run.new_count, run.skipped_count) == (
        "succeeded",
        "arxiv",
        935,
        569,
    )


def test_the_next_fetch_is_conditional_and_a_304_is_recorded(http_server, arxiv_day):
    url = http_server.serve(
        "/rss/all", arxiv_day, etag='"day-1"', last_modified="Thu, 28 Nov 2024 14:47:20 GMT"
    )
    feed = feed_at(url)
    fetch_feeds.delay()
    fetch_feeds.delay()

    first, second = (headers for _, headers in http_server.requests)
    assert "If-None-Match" not in first
    assert second["If-None-Match"] == '"day-1"'
    assert second["If-Modified-Since"] == "Thu, 28 Nov 2024 14:47:20 GMT"
    assert first["User-Agent"].startswith("Paperwire/")
    feed.refresh_from_db()
    assert feed.last_status == "not-modified"
    assert list(feed.runs.values_list("status", flat=True)) == ["not-modified", "succeeded"]


def test_one_failing_feed_never_stops_the_others(http_server, arxiv_day, shared):
    broken = feed_at(http_server.serve("/broken", b"<rss><channel><item>cut"))
    missing = feed_at(http_server.base_url + "/missing")
    good = feed_at(
        http_server.serve("/hf", (shared / "feeds" / "hf-daily-papers.json").read_bytes())
    )
    disabled = feed_at(http_server.serve("/off", arxiv_day), enabled=False)

    fetch_feeds.delay()

    statuses = {f.pk: (f.last_status, f.last_error) for f in Feed.objects.all()}
    assert statuses[good.pk] == ("ok", "")
    assert statuses[broken.pk][0] == "error"
    assert "malformed or truncated XML" in statuses[broken.pk][1]
    assert statuses[missing.pk] == ("error", f"{missing.url}: HTTP 404 Not Found")
    assert statuses[disabled.pk] == ("never", "")
    assert Paper.objects.count() == 5
    assert IngestRun.objects.filter(status="failed").count() == 2


def test_a_failed_body_is_fetched_again_rather_than_skipped_as_unchanged(http_server):
    url = http_server.serve("/flaky", b"<rss><channel><item>cut", etag='"v1"')
    feed = feed_at(url)
    fetch_feeds.delay()
    fetch_feeds.delay()
    assert "If-None-Match" not in http_server.requests[1][1]
    feed.refresh_from_db()
    assert feed.etag == ""


def test_a_slow_feed_times_out_with_a_clear_error(http_server, settings):
    settings.PAPERS_FETCH_TIMEOUT = 0.3
    feed = feed_at(http_server.serve("/slow", b"<rss/>", delay=2))
    fetch_feeds.delay()
    feed.refresh_from_db()
    assert feed.last_status == "error"
    assert "timed out" in feed.last_error


def test_a_body_over_the_size_limit_is_refused(http_server, settings, arxiv_day):
    settings.PAPERS_FETCH_MAX_BYTES = 1000
    feed = feed_at(http_server.serve("/huge", arxiv_day))
    fetch_feeds.delay()
    feed.refresh_from_db()
    assert "larger than PAPERS_FETCH_MAX_BYTES" in feed.last_error
    assert not Paper.objects.exists()
