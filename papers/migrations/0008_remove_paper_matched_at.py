"""The newsletter's bookkeeping leaves the papers table (newsletter.PaperMatchState keeps it)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("papers", "0007_paper_text_changed_at")]

    operations = [
        migrations.RemoveIndex(model_name="paper", name="paper_unmatched"),
        migrations.RemoveField(model_name="paper", name="matched_at"),
    ]
