"""The matcher's progress per paper, in the newsletter's own table, from Paper.matched_at."""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 5000


def copy_progress(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    PaperMatchState = apps.get_model("newsletter", "PaperMatchState")
    rows = Paper.objects.filter(matched_at__isnull=False).values_list("pk", "matched_at")
    batch = []
    for pk, matched_at in rows.iterator(chunk_size=BATCH):
        batch.append(PaperMatchState(paper_id=pk, matched_at=matched_at))
        if len(batch) == BATCH:
            PaperMatchState.objects.bulk_create(batch)
            batch = []
    PaperMatchState.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0006_subscription_matched_at"),
        ("papers", "0007_paper_text_changed_at"),
    ]
    # The copy reads Paper.matched_at, which papers 0008 removes.
    run_before = [("papers", "0008_remove_paper_matched_at")]

    operations = [
        migrations.CreateModel(
            name="PaperMatchState",
            fields=[
                (
                    "paper",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="match_state",
                        serialize=False,
                        to="papers.paper",
                    ),
                ),
                ("matched_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(copy_progress, migrations.RunPython.noop),
    ]
