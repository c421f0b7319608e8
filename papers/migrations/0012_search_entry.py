"""PostgreSQL's search index moves to a narrow table of its own, `SearchEntry`: counting and
ranking a query's matches then read a tsvector and a flag per visible paper, not whole paper rows
(three times faster with 100,000 papers; benchmarks/README.md). The entries are copied from
`Paper.search_vector`, which is emptied (its GIN index goes). SQLite keeps its FTS5 table; the
new table stays empty there."""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL = [
    "CREATE INDEX papers_searchentry_gin ON papers_searchentry USING gin (vector)",
    "INSERT INTO papers_searchentry (paper_id, vector, featured, upvotes) "
    "SELECT id, search_vector, featured, upvotes FROM papers_paper "
    "WHERE NOT hidden AND search_vector IS NOT NULL",
    "DROP INDEX IF EXISTS papers_paper_search_gin",
    "UPDATE papers_paper SET search_vector = NULL WHERE search_vector IS NOT NULL",
]
POSTGRESQL_REVERSE = [
    "UPDATE papers_paper p SET search_vector = s.vector FROM papers_searchentry s "
    "WHERE s.paper_id = p.id",
    "CREATE INDEX IF NOT EXISTS papers_paper_search_gin ON papers_paper USING gin (search_vector)",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("papers", "0011_search_featured_hidden")]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "paper",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="papers.paper",
                    ),
                ),
                ("vector", django.contrib.postgres.search.SearchVectorField()),
                ("featured", models.BooleanField(default=False)),
                ("upvotes", models.PositiveIntegerField(default=0)),
            ],
            options={"verbose_name_plural": "search entries"},
        ),
        migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_REVERSE)),
    ]
