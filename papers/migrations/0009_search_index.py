"""The search index holds the analyzer's terms, written from Python (papers/search.py).

PostgreSQL: the trigger that kept `search_vector` with the english configuration goes (the GIN
index stays). SQLite: an FTS5 table, and a trigger that drops a deleted paper's entry. Every
paper is left to index: `manage.py setup` (or `search_index`) and the periodic sweep do it.
"""

from importlib import import_module

from django.db import migrations, models

POSTGRESQL = [
    "DROP TRIGGER IF EXISTS papers_paper_search_vector ON papers_paper",
    "DROP FUNCTION IF EXISTS papers_paper_search_vector()",
    "UPDATE papers_paper SET search_vector = NULL",
]
SQLITE = [
    "CREATE VIRTUAL TABLE papers_search USING fts5"
    "(title, body, extra, tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TRIGGER papers_search_delete AFTER DELETE ON papers_paper "
    "BEGIN DELETE FROM papers_search WHERE rowid = old.id; END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS papers_search_delete",
    "DROP TABLE IF EXISTS papers_search",
]
# Migration 0003's trigger, for a migration backwards (all of 0003 but its index, which stays).
POSTGRESQL_REVERSE = [
    statement
    for statement in import_module("papers.migrations.0003_paper_search_vector").SEARCH_SQL
    if "CREATE INDEX" not in statement
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("papers", "0008_remove_paper_matched_at")]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="search_indexed_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
