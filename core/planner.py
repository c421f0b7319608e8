"""Fresh statistics for PostgreSQL's planner after the day's bulk writes.

PostgreSQL plans a query from statistics that ANALYZE gathers, and autovacuum runs ANALYZE once
a table's rows changed by 50 plus 10% of it since the last run. A day of Paperwire writes millions
of rows in minutes (the matching of a day's papers, then every due digest created and sent), and
a batch's queries are planned against the table as it was before: measured at 100,000 readers
with stale statistics, a batch's matches were read by scanning the whole match table (175 ms
against 6-7 ms through its index; the match table's n_distinct, migration 0019, is the other
half of that fix). Autovacuum may be slow to get there, or turned off (as on some CI servers), so
the code that writes in bulk asks for it itself: `analyze_if_stale` runs ANALYZE on a table
that autovacuum's own rule says is due. (The digests sent before are read by subscriber whatever
the statistics say: the digest table indexes by status only the pending and sending ones.) ANALYZE reads a sample (30,000
rows by default, whatever the table's size) and blocks neither reads nor writes.

Elsewhere (SQLite) it does nothing: SQLite's planner works without statistics unless asked.
"""

from django.db import connection, models

# autovacuum's defaults: autovacuum_analyze_threshold and autovacuum_analyze_scale_factor.
THRESHOLD = 50
SCALE_FACTOR = 0.1


def analyze_if_stale(model: type[models.Model], *, written: int = 0) -> bool:
    """ANALYZE the model's table if its rows changed since its last ANALYZE by more than
    autovacuum's rule allows (50 rows plus 10% of the table); whether it did.

    `written` is how many rows the caller just wrote: PostgreSQL counts a backend's changes for
    everyone to see up to a second after they commit, and the count is read right after."""
    if connection.vendor != "postgresql":
        return False
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, COALESCE(s.n_mod_since_analyze, 0) FROM pg_class c "
            "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.oid = to_regclass(%s)",
            [connection.ops.quote_name(table)],
        )
        found = cursor.fetchone()
        if found is None:
            return False
        rows, changed = found
        if not past_the_rule(rows=rows, changed=max(changed, written)):
            return False
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return True


def past_the_rule(*, rows: float, changed: int) -> bool:
    """Autovacuum's rule: a table of `rows` (-1 when never analyzed) with `changed` rows since its
    last ANALYZE is due for another."""
    return changed > THRESHOLD + SCALE_FACTOR * max(rows, 0)
