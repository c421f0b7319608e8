"""Periodic schedules, declared once next to the task they run and written by `manage.py setup`.

    @periodic("Send due digests", every=timedelta(minutes=5), description="...")
    @shared_task
    def send_due_digests(): ...

`setup` imports every installed app's `tasks` module (so every declaration is made) and writes
each one as a django-celery-beat PeriodicTask, which editors can then change in the admin. A
declaration also serves a task that runs with arguments (a feed's own fetch): see `Schedule`.
"""

import importlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


@dataclass(frozen=True)
class Crontab:
    """A cron line in a time zone: `Crontab(minute="30", hour="0", day_of_week="1-5",
    timezone="America/New_York")`."""

    minute: str = "*"
    hour: str = "*"
    day_of_week: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"
    timezone: str = "UTC"

    def __str__(self) -> str:
        return (
            f"{self.minute} {self.hour} {self.day_of_month} {self.month_of_year} "
            f"{self.day_of_week} ({self.timezone})"
        )


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    description: str = ""
    every: timedelta | None = None
    crontab: Crontab | None = None
    args: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if (self.every is None) == (self.crontab is None):
            raise ValueError(f"{self.name}: give exactly one of every= and crontab=")


_declared: dict[str, Schedule] = {}


def periodic(
    name: str,
    *,
    every: timedelta | None = None,
    crontab: Crontab | None = None,
    description: str = "",
):
    """Declare the schedule of the task it decorates (put it above @shared_task)."""

    def declare(task):
        _declared[name] = Schedule(
            name=name, task=task.name, description=description, every=every, crontab=crontab
        )
        return task

    return declare


def declared_schedules() -> list[Schedule]:
    for config in apps.get_app_configs():
        try:
            importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
    return sorted(_declared.values(), key=lambda schedule: schedule.name)


@transaction.atomic
def schedule_write(schedule: Schedule, *, reset: bool = False) -> tuple[PeriodicTask, bool]:
    """The schedule's PeriodicTask, created if missing and, with `reset`, made as declared again
    (an edited one restored, a disabled one enabled). Whether anything was written."""
    task = PeriodicTask.objects.filter(name=schedule.name).first()
    if task is not None and not reset:
        return task, False
    values = {
        "task": schedule.task,
        "args": json.dumps(schedule.args),
        "kwargs": "{}",
        "description": schedule.description,
        "enabled": True,
        "interval": None,
        "crontab": None,
        "solar": None,
        "clocked": None,
        "one_off": False,
    }
    if schedule.every is not None:
        values["interval"] = _interval(schedule.every)
    else:
        values["crontab"], _ = CrontabSchedule.objects.get_or_create(
            **{name: getattr(schedule.crontab, name) for name in CRONTAB_FIELDS}
        )
    if task is None:
        return PeriodicTask.objects.create(name=schedule.name, **values), True
    changed = [name for name, value in values.items() if getattr(task, name) != value]
    for name in changed:
        setattr(task, name, values[name])
    if changed:
        task.save()
    return task, bool(changed)


CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year", "timezone")


def _interval(every: timedelta) -> IntervalSchedule:
    seconds = int(every.total_seconds())
    for period, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds % size == 0:
            return IntervalSchedule.objects.get_or_create(every=seconds // size, period=period)[0]
    return IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")[0]


def describe(task: PeriodicTask | None) -> str:
    """A schedule as `feeds list` prints it: "every 1 hour", "30 0 * * 1-5 (America/New_York)"."""
    if task is None:
        return "no schedule"
    if task.interval_id:
        every, period = task.interval.every, task.interval.period
        text = f"every {every} {period.rstrip('s') if every == 1 else period}"
    elif task.crontab_id:
        c = task.crontab
        text = (
            f"cron {c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week} "
            f"({c.timezone})"
        )
    else:
        text = str(task.schedule)
    return text if task.enabled else f"{text}, disabled"
