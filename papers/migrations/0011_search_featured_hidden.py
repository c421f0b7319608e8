"""Search leaves hidden papers out of the SQLite index and marks featured ones in it: index the
papers that are either again (the periodic sweep, or `manage.py search_index`, does it)."""

from django.db import migrations
from django.db.models import Q


def reindex_curated(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    Paper.objects.filter(Q(featured=True) | Q(hidden=True)).update(search_indexed_at=None)


class Migration(migrations.Migration):
    dependencies = [("papers", "0010_ingest_warnings")]

    operations = [migrations.RunPython(reindex_curated, migrations.RunPython.noop)]
