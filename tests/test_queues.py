"""Each kind of work on a Celery queue of its own: a slow feed never delays mail."""

import pytest
from django.conf import settings

from config.queues import KINDS, task_routes
from core.schedules import declared_schedules

ROUTED = {
    "papers.tasks.fetch_feeds": "fetch",
    "papers.tasks.fetch_feed": "fetch",
    "newsletter.tasks.read_library_upload": "fetch",
    "papers.tasks.index_search": "match",
    "newsletter.tasks.match_papers": "match",
    "newsletter.tasks.match_subscriptions": "match",
    "newsletter.tasks.match_unmatched_papers": "match",
    "newsletter.tasks.train_reader_models": "match",
    "newsletter.tasks.train_due_reader_models": "match",
    "newsletter.tasks.send_digest_batch": "send",
    "newsletter.tasks.send_due_digests": "send",
    "newsletter.tasks.send_confirmation": "send",
    "newsletter.tasks.send_manage_link": "send",
    "newsletter.tasks.send_links_reset": "send",
    "newsletter.tasks.process_signup": "send",
    "newsletter.tasks.request_manage_link": "send",
    "newsletter.tasks.watch_deliverability": "maintenance",
    "config.tasks.prune_old_rows": "maintenance",
}


def queue_of(task: str, prefix: str = "") -> str:
    from celery.app.routes import MapRoute

    route = MapRoute(task_routes(prefix))(task)
    return route["queue"] if route else settings.CELERY_TASK_DEFAULT_QUEUE


@pytest.mark.parametrize("task, kind", list(ROUTED.items()))
def test_each_task_goes_to_its_kind_s_queue(task, kind):
    assert queue_of(task) == kind
    assert queue_of(task, prefix="site-b.") == f"site-b.{kind}"


def test_every_periodic_task_has_a_queue_and_every_queue_a_task():
    from celery import current_app

    current_app.loader.import_default_modules()
    tasks = {
        name
        for name in current_app.tasks
        if name.split(".")[0] in ("papers", "newsletter", "config")
    }
    unrouted = {task for task in tasks if queue_of(task) == settings.CELERY_TASK_DEFAULT_QUEUE}
    assert unrouted <= {"tests.test_logs._log_in_a_task"}, unrouted
    assert {queue_of(s.task) for s in declared_schedules()} <= set(KINDS)
    assert set(ROUTED.values()) == set(KINDS)
