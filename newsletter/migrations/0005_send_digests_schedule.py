"""Schedule "send what is due" as a django-celery-beat periodic task, editable in the admin.

Digests are never queued with long countdowns (the Redis broker's visibility timeout would
redeliver them): beat asks every few minutes who is due, and the task fans out batches.
"""

from django.db import migrations

TASK_NAME = "Send due digests"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "newsletter.tasks.send_due_digests",
            "interval": every_five_minutes,
            "description": "Create the digests that have fallen due, retry and recover "
            "interrupted ones, and fan out batches of subscribers to send.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0004_digest"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
