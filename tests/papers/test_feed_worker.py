"""The feed task for real: beat's task sent to a Redis broker, run by a worker process."""

import pytest

from papers.models import Feed, Paper
from tests.celery_worker import celery_call, celery_worker, wait_until

pytestmark = [pytest.mark.process, pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_worker_on_redis_fetches_a_feed_served_from_loopback(
    redis_url, http_server, shared, tmp_path
):
    url = http_server.serve(
        "/rss/all", (shared / "feeds" / "arxiv-rss-all-2024-11-28.xml").read_bytes(), etag='"1"'
    )
    feed = Feed.objects.create(name="arXiv, all archives", url=url)

    with celery_worker(redis_url, log=tmp_path / "worker.log") as env:
        celery_call(env, "papers.tasks.fetch_feeds")
        done = wait_until(lambda: Feed.objects.get(pk=feed.pk).last_status != "never", timeout=90)

    log = (tmp_path / "worker.log").read_text()
    assert done, f"the worker did not fetch the feed in time; its log:\n{log}"
    feed.refresh_from_db()
    assert (feed.last_status, feed.last_error, feed.etag) == ("ok", "", '"1"')
    assert Paper.objects.count() == 935  # the day's new papers; replacements are skipped
    assert "papers.tasks.fetch_feed" in log and "succeeded" in log
