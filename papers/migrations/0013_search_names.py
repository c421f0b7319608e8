"""Search reads the query language of rules, fields included (papers/search/): the authors and
the organization get an index of their own, beside the title and abstract's, so that names
filter a search without counting in its relevance.

PostgreSQL: `SearchEntry.names`, GIN-indexed. SQLite: the FTS5 table `papers_search_names`, and
`papers_search` keeps the title's joined forms in a column of their own (`title_extra`), so that
`title:` and `abstract:` find them; its entries are copied over, so that a search keeps working
until every paper is indexed again (`manage.py setup`, `search_index` or the periodic sweep do
it: every paper is marked for it here).
"""

import django.contrib.postgres.search
from django.db import migrations

TOKENIZER = "tokenize = 'unicode61 remove_diacritics 0'"
SQLITE = [
    "DROP TRIGGER IF EXISTS papers_search_delete",
    f"CREATE VIRTUAL TABLE papers_search_new USING fts5(title, body, extra, title_extra, {TOKENIZER})",
    "INSERT INTO papers_search_new (rowid, title, body, extra, title_extra) "
    "SELECT rowid, title, body, extra, '' FROM papers_search",
    "DROP TABLE papers_search",
    "ALTER TABLE papers_search_new RENAME TO papers_search",
    f"CREATE VIRTUAL TABLE papers_search_names USING fts5(author, org, {TOKENIZER})",
    "CREATE TRIGGER papers_search_delete AFTER DELETE ON papers_paper BEGIN "
    "DELETE FROM papers_search WHERE rowid = old.id; "
    "DELETE FROM papers_search_names WHERE rowid = old.id; END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS papers_search_delete",
    "DROP TABLE IF EXISTS papers_search_names",
    f"CREATE VIRTUAL TABLE papers_search_old USING fts5(title, body, extra, {TOKENIZER})",
    "INSERT INTO papers_search_old (rowid, title, body, extra) "
    "SELECT rowid, title, body, trim(title_extra || ' ' || extra) FROM papers_search",
    "DROP TABLE papers_search",
    "ALTER TABLE papers_search_old RENAME TO papers_search",
    "CREATE TRIGGER papers_search_delete AFTER DELETE ON papers_paper "
    "BEGIN DELETE FROM papers_search WHERE rowid = old.id; END",
]
POSTGRESQL = ["CREATE INDEX papers_searchentry_names_gin ON papers_searchentry USING gin (names)"]
POSTGRESQL_REVERSE = ["DROP INDEX IF EXISTS papers_searchentry_names_gin"]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


def index_again(apps, schema_editor):
    apps.get_model("papers", "Paper").objects.update(search_indexed_at=None)


class Migration(migrations.Migration):
    dependencies = [("papers", "0012_search_entry")]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="names",
            field=django.contrib.postgres.search.SearchVectorField(default=""),
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        ),
        migrations.RunPython(index_again, migrations.RunPython.noop),
    ]
