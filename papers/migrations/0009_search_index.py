"""The search index holds the analyzer's terms, written from Python (papers/search.py).

PostgreSQL: the trigger that kept `search_vector` with the english configuration goes (the GIN
index stays). SQLite: an FTS5 table, and a trigger that drops a deleted paper's entry. Every
paper is left to index: `manage.py setup` (or `search_index`) and the periodic sweep do it.
"""

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
# Migration 0003's trigger, for a migration backwards.
POSTGRESQL_REVERSE = [
    """
    CREATE OR REPLACE FUNCTION papers_paper_search_vector() RETURNS trigger AS $$
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('pg_catalog.english', coalesce(NEW.title, '')), 'A') ||
            setweight(to_tsvector('pg_catalog.english', coalesce(NEW.abstract, '')), 'B');
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER papers_paper_search_vector
        BEFORE INSERT OR UPDATE OF title, abstract ON papers_paper
        FOR EACH ROW EXECUTE FUNCTION papers_paper_search_vector()
    """,
    "UPDATE papers_paper SET title = title",
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
