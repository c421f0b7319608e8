"""The personal ranking over the four real dumps: a reader whose library holds five papers on a
topic gets mostly that topic in their top ten, far above its share of all papers."""

import csv
import io
from datetime import UTC, datetime

import pytest

from newsletter.personal.training import reader_ranking
from newsletter.services.library import library_import
from papers.models import Paper
from papers.services import source_ingest
from tests.newsletter.ranking_topics import TOPICS

pytestmark = pytest.mark.django_db
SINCE = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def dumps(shared):
    for path in sorted((shared / "dumps").glob("*.txt")):
        with open(path, "rb") as stream:
            source_ingest(stream=stream, source=str(path), year=2025)
    assert Paper.objects.count() == 183


def library_csv(titles) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Key", "Item Type", "Title"])
    for n, title in enumerate(titles):
        writer.writerow([f"K{n}", "journalArticle", title])
    return out.getvalue()


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_five_library_papers_bring_their_topic_first(dumps, make_subscriber, topic):
    on_topic = set(TOPICS[topic])
    reader = make_subscriber(f"{topic}@example.org", "placeholder")
    report = library_import(subscriber=reader, data=library_csv(TOPICS[topic][:5]), name="l.csv")
    assert report.count("title") == 5
    ranked = reader_ranking(subscriber=reader, since=SINCE, limit=10)
    hits = sum(r.title in on_topic for r in ranked)
    share = (len(on_topic) - 5) / (183 - 5)
    print(f"{topic}: precision@10 {hits / 10:.1f} against a share of {share:.2f}")
    for r in ranked:
        print(
            f"  {'+' if r.title in on_topic else ' '} {r.score:7.3f} {r.title[:70]} | {r.reason[:60]} | {r.terms}"
        )
    assert len(ranked) == 10
    assert hits >= 6 and hits / 10 >= 3 * share
    assert all(r.reason.startswith("like “") for r in ranked)
