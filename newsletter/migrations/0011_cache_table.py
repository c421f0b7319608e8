"""The database cache's table (settings: CACHES without Redis), where rate limits count across
every web process. Created for whichever database caches are configured; harmless with Redis."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0010_library_and_ranking")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
