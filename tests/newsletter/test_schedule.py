import io

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from config.celery import app

pytestmark = pytest.mark.django_db


def test_the_matching_sweep_is_a_periodic_task_that_setup_writes():
    call_command("setup", stdout=io.StringIO())
    task = PeriodicTask.objects.get(name="Match new and changed papers")
    assert task.task == "newsletter.tasks.match_unmatched_papers"
    assert (task.interval.every, task.interval.period) == (10, "minutes")
    assert task.task in app.tasks
