"""PostgreSQL's estimate of how many subscriptions the match table holds, set rather than sampled.

Matches are written sorted by subscription, so each of the table's pages holds the matches of a
few subscriptions; ANALYZE samples pages and so finds far fewer distinct subscriptions than there
are (15,712 for about 280,000 at 100,000 readers). The planner then expected about 90 matches a
subscription instead of 5, and read a batch's matches by scanning the whole table (166-175 ms)
rather than through the (subscription, created_at) index (6-7 ms). A negative n_distinct is a
share of the rows: -0.25 says 4 matches a subscription, about what one day of matching writes
(the first day of a new site, where the table is small and the choice is close: at -0.1 the
planner still chose the scan). A month of matches holds more a subscription, and there the
table is large enough that the index reads win by far. Nothing on SQLite.
"""

from django.db import migrations

TABLE_COLUMN = 'ALTER TABLE "newsletter_match" ALTER COLUMN "subscription_id"'


def set_distinct(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"{TABLE_COLUMN} SET (n_distinct = -0.25)")


def reset_distinct(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"{TABLE_COLUMN} RESET (n_distinct)")


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0018_match_recent_index")]

    operations = [migrations.RunPython(set_distinct, reset_distinct, elidable=False)]
