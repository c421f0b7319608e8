"""/health/: 200 when every part is up, 503 naming the part that is not."""

import json

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from papers.models import Feed

# The checks run in threads of their own (django-health-check), which see committed rows only.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def beat_ticked():
    every, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    return PeriodicTask.objects.create(
        name="Match new and changed papers", task="newsletter.tasks.match_new_papers",
        interval=every, last_run_at=timezone.now(),
    )  # fmt: skip


def health(client) -> tuple[int, dict]:
    response = client.get("/health/?format=json")
    return response.status_code, json.loads(response.content)


def test_all_up_is_a_200_with_every_check_named(client, beat_ticked):
    status, checks = health(client)
    assert status == 200, checks
    names = " ".join(checks)
    for part in ("Database", "Cache", "Broker", "Beat", "Feeds", "Disk"):
        assert part in names
    assert set(checks.values()) == {"OK"}
    assert client.get("/health/").status_code == 200  # the HTML page too


def test_beat_that_never_ran_or_stopped_is_a_503(client, beat_ticked, settings):
    PeriodicTask.objects.update(last_run_at=None)
    status, checks = health(client)
    assert status == 503 and "is it running?" in json.dumps(checks)
    PeriodicTask.objects.update(last_run_at=timezone.now() - timezone.timedelta(hours=2))
    status, checks = health(client)
    assert status == 503 and "minutes ago" in json.dumps(checks)


def test_a_failing_feed_is_named(client, beat_ticked, settings):
    Feed.objects.create(name="arxiv-cs", url="https://rss.arxiv.org/rss/cs",
                        consecutive_failures=settings.PAPERS_FEED_FAILURES_ALERT)  # fmt: skip
    Feed.objects.create(name="quiet", url="https://example.org/rss", consecutive_failures=1)
    status, checks = health(client)
    text = json.dumps(checks)
    assert status == 503 and "arxiv-cs (last success never)" in text and "quiet" not in text


def test_an_unreachable_broker_is_a_503_without_its_address(client, beat_ticked, settings):
    settings.CELERY_BROKER_URL = "redis://:secret@127.0.0.1:1/0"
    status, checks = health(client)
    text = json.dumps(checks)
    assert status == 503 and "cannot reach the broker" in text and "secret" not in text


def test_a_reachable_redis_broker_is_up(client, beat_ticked, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url
    assert health(client)[0] == 200


def test_a_full_disk_is_a_503(client, beat_ticked, settings):
    settings.HEALTH_MIN_FREE_DISK_MB = 10**12
    status, checks = health(client)
    assert status == 503 and "HEALTH_MIN_FREE_DISK_MB" in json.dumps(checks)
