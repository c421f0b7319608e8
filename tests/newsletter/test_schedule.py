"""The newsletter's periodic tasks are declared once and written by `manage.py setup`."""

import io

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from config.celery import app

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "task", "minutes"),
    [
        ("Match new and changed papers", "newsletter.tasks.match_unmatched_papers", 10),
        ("Send due digests", "newsletter.tasks.send_due_digests", 5),
    ],
)
def test_each_periodic_task_is_written_by_setup(name, task, minutes):
    call_command("setup", stdout=io.StringIO())
    periodic = PeriodicTask.objects.get(name=name)
    assert periodic.task == task
    assert (periodic.interval.every, periodic.interval.period) == (minutes, "minutes")
    assert periodic.task in app.tasks


def test_each_batch_of_a_send_is_a_task_of_its_own():
    assert "newsletter.tasks.send_digest_batch" in app.tasks
