"""Papers say when their text last changed; the newsletter keeps its own matching progress."""

import django.utils.timezone
from django.db import migrations, models


def from_updated_at(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    Paper.objects.update(text_changed_at=models.F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [("papers", "0006_tex_as_written")]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="text_changed_at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, editable=False
            ),
        ),
        migrations.RunPython(from_updated_at, migrations.RunPython.noop),
    ]
