import gc
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers.models import IngestRun, Organization, Paper, UpvoteObservation
from papers.sample import sample_papers, write_arxiv_rss
from papers.services import source_ingest
from papers.signals import papers_ingested

pytestmark = pytest.mark.django_db

DUMP = """new

Get trending papers in your email inbox!

Subscribe

Daily Papers

byAK and the research community

Dec 12

{title}

{abstract}

LiquidAI Liquid AI
·
{date} {upvotes}

Anchor Paper

An anchor that sets the capture year to 2025.

  • 1 author
·
Jan 2, 2024
"""


def dump(title="LFM2 Technical Report", abstract="We present LFM2.", date="Nov 28", upvotes=3):
    return DUMP.format(title=title, abstract=abstract, date=date, upvotes=upvotes).encode()


def arxiv_item(arxiv_id, title, *, announce="new", abstract="An abstract.", day="Fri, 29 Nov 2024"):
    return f"""<item><title>{title}</title><link>https://arxiv.org/abs/{arxiv_id}</link>
<description>arXiv:{arxiv_id}v1 Announce Type: {announce}
Abstract: {abstract}</description><guid isPermaLink="false">oai:arXiv.org:{arxiv_id}v1</guid>
<category>cs.CL</category><pubDate>{day} 00:00:00 -0500</pubDate>
<arxiv:announce_type>{announce}</arxiv:announce_type>
<dc:creator>Ada Lovelace, Alan Turing</dc:creator></item>"""


def arxiv_feed(*items) -> bytes:
    return (
        '<?xml version="1.0"?><rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>'
        f"<title>cs updates on arXiv.org</title>{''.join(items)}</channel></rss>"
    ).encode()


def snapshot():
    return list(Paper.objects.order_by("pk").values())


def test_a_whole_arxiv_day_stores_its_935_new_papers_and_skips_569_replacements(
    shared, ingest_file
):
    # 926 new and 9 cross-lists are papers; a replace is a new version of a paper announced
    # before, and none of those papers is stored yet.
    report = ingest_file(shared / "feeds" / "arxiv-rss-all-2024-11-28.xml")

    assert (report.new, report.skipped, report.rejected, report.error) == (935, 569, 0, "")
    assert Paper.objects.count() == 935
    assert Paper.objects.exclude(arxiv_id=None).count() == 935
    assert not Paper.objects.filter(arxiv_version=None).exists()
    assert Paper.objects.get(arxiv_id="2411.17700").arxiv_version == 1


def test_the_four_dumps_become_183_papers_and_lfm2_is_liquid_ais(shared, ingest_file):
    for path in sorted((shared / "dumps").glob("*.txt")):
        assert not ingest_file(path, year=2026).error

    assert Paper.objects.count() == 183
    lfm2 = Paper.objects.get(title="LFM2 Technical Report")
    assert lfm2.organization == Organization.objects.get(handle="LiquidAI")
    assert lfm2.organization.name == "Liquid AI"
    assert (lfm2.published_on, lfm2.upvotes) == (date(2025, 11, 28), 3)
    assert lfm2.listed_on == date(2026, 6, 16)


def test_the_same_paper_from_a_dump_and_a_feed_is_one_row(ingest_bytes):
    ingest_bytes(dump(title="LFM2 Technical Report"), source="dump.txt")
    report = ingest_bytes(
        arxiv_feed(arxiv_item("2511.23404", "LFM2: technical  report")), source="feed.xml"
    )

    assert (report.new, report.updated) == (0, 1)
    paper = Paper.objects.get(title_key="lfm2technicalreport")
    assert paper.arxiv_id == "2511.23404"
    assert paper.authors == ["Ada Lovelace", "Alan Turing"]
    assert paper.organization.handle == "LiquidAI"  # what the dump knew is kept
    assert paper.upvotes == 3
    assert paper.sources == "arxiv daily-dump"
    assert Paper.objects.count() == 2  # with the dump's anchor paper


def test_a_feed_paper_then_the_dump_is_one_row_too(ingest_bytes):
    ingest_bytes(arxiv_feed(arxiv_item("2511.23404", "LFM2 Technical Report")))
    ingest_bytes(dump(title="LFM2 technical report"))

    paper = Paper.objects.get(arxiv_id="2511.23404")
    assert paper.organization.handle == "LiquidAI"
    assert Paper.objects.filter(title_key="lfm2technicalreport").count() == 1


def test_two_papers_with_one_title_and_different_arxiv_ids_stay_two(ingest_bytes):
    ingest_bytes(arxiv_feed(arxiv_item("2401.00001", "Introduction")))
    ingest_bytes(arxiv_feed(arxiv_item("2401.00002", "Introduction")))
    assert Paper.objects.filter(title_key="introduction").count() == 2


def test_a_replace_updates_the_paper_and_does_not_duplicate_it(ingest_bytes):
    ingest_bytes(arxiv_feed(arxiv_item("2411.00001", "Old Title", abstract="Old abstract.")))
    report = ingest_bytes(
        arxiv_feed(
            arxiv_item(
                "2411.00001", "New Title", announce="replace", abstract="Better.",
                day="Mon, 02 Dec 2024",
            )
        )
    )  # fmt: skip

    assert (report.new, report.updated) == (0, 1)
    paper = Paper.objects.get()
    assert (paper.title, paper.abstract) == ("New Title", "Better.")
    assert paper.listed_on == date(2024, 11, 29)  # the earliest listing stays
    assert paper.published_on == date(2024, 11, 29)


def test_re_ingesting_the_same_input_changes_nothing(shared, ingest_file):
    paths = [*sorted((shared / "dumps").glob("*.txt")), *sorted((shared / "feeds").glob("*.[xj]*"))]
    for path in paths:
        ingest_file(path, year=2026)
    before = snapshot(), UpvoteObservation.objects.count()

    reports = [ingest_file(path, year=2026) for path in paths]

    assert all(r.new == r.updated == r.rejected == 0 for r in reports)
    assert sum(r.unchanged + r.skipped for r in reports) == sum(r.read for r in reports) > 1700
    assert (snapshot(), UpvoteObservation.objects.count()) == before


def test_an_upvote_change_appends_one_observation(ingest_bytes):
    ingest_bytes(dump(upvotes=3))
    ingest_bytes(dump(upvotes=3))
    report = ingest_bytes(dump(upvotes=9))

    paper = Paper.objects.get(title="LFM2 Technical Report")
    assert report.updated == 1
    assert paper.upvotes == 9
    assert list(paper.upvote_history.values_list("upvotes", "source")) == [
        (3, "daily-dump"),
        (9, "daily-dump"),
    ]


def test_a_source_without_upvotes_keeps_the_known_count(ingest_bytes):
    ingest_bytes(dump(upvotes=12))
    ingest_bytes(arxiv_feed(arxiv_item("2511.23404", "LFM2 Technical Report")))
    assert Paper.objects.get(arxiv_id="2511.23404").upvotes == 12


def test_curation_flags_survive_re_ingest(ingest_bytes):
    ingest_bytes(dump())
    Paper.objects.filter(title="LFM2 Technical Report").update(hidden=True, featured=True)
    ingest_bytes(dump(abstract="A changed abstract.", upvotes=5))
    paper = Paper.objects.get(title="LFM2 Technical Report")
    assert (paper.hidden, paper.featured, paper.abstract) == (True, True, "A changed abstract.")


def test_a_dry_run_reads_and_counts_but_writes_nothing(ingest_bytes):
    report = ingest_bytes(dump(), dry_run=True)
    assert (report.new, report.error) == (2, "")
    assert not Paper.objects.exists()
    assert not IngestRun.objects.exists()
    assert not Organization.objects.exists()


def test_each_ingest_is_recorded_as_a_run_with_its_counts(ingest_bytes):
    ingest_bytes(dump(), source="first.txt")
    ingest_bytes(dump(upvotes=4), source="second.txt")
    run = IngestRun.objects.get(source="second.txt")
    assert (run.status, run.format) == ("succeeded", "daily-dump")
    assert (run.new_count, run.updated_count, run.unchanged_count, run.rejected_count) == (
        0,
        1,
        1,
        0,
    )
    assert run.finished_at >= run.started_at


def test_the_hook_names_new_and_changed_papers_after_commit(
    ingest_bytes, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, run_id, paper_ids, **kwargs):
        received.append((run_id, sorted(paper_ids)))

    papers_ingested.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = ingest_bytes(dump())
        with django_capture_on_commit_callbacks(execute=True):
            ingest_bytes(dump())  # unchanged: no hook
        with django_capture_on_commit_callbacks(execute=True):
            third = ingest_bytes(dump(upvotes=7))
        with django_capture_on_commit_callbacks(execute=True):
            ingest_bytes(dump(upvotes=8), dry_run=True)
    finally:
        papers_ingested.disconnect(receiver)

    lfm2 = Paper.objects.get(title="LFM2 Technical Report").pk
    assert received == [
        (first.run_id, sorted(Paper.objects.values_list("pk", flat=True))),
        (third.run_id, [lfm2]),
    ]


def test_a_large_file_is_written_in_batches_not_row_by_row():
    out = io.StringIO()
    write_arxiv_rss(sample_papers(3000, today=date(2026, 3, 2)), out, day=date(2026, 3, 2))

    with CaptureQueriesContext(connection) as queries:
        report = source_ingest(stream=io.BytesIO(out.getvalue().encode()), source="big.xml")

    assert report.new == 3000
    # Row by row would be several statements per paper; batches take one per dozens of papers
    # (SQLite caps a statement at 999 parameters, so an insert of 1,000 papers is 16 statements).
    assert len(queries) <= 3000 / 25
    lookups = [q for q in queries if q["sql"].startswith('SELECT "papers_paper"')]
    assert len(lookups) == 6  # per batch of 1,000: by arXiv id, then by title for the rest

    with CaptureQueriesContext(connection) as again:
        report = source_ingest(stream=io.BytesIO(out.getvalue().encode()), source="big.xml")
    assert report.unchanged == 3000
    # Found by id, nothing left to look up by title; nothing to write but the run.
    assert len([q for q in again if q["sql"].startswith('SELECT "papers_paper"')]) == 3


def test_the_collector_rests_while_papers_are_written_and_is_back_after(ingest_bytes):
    seen = []

    def watch(execute, sql, params, many, context):
        if "papers_paper" in sql:  # the lookups and the writes (COPY's ids on PostgreSQL)
            seen.append(gc.isenabled())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        report = ingest_bytes(dump())
    assert report.new == 2 and seen and not any(seen)
    assert gc.isenabled()
    broken = ingest_bytes(b"new\n\nnot a dump at all\n")  # rejected whole
    assert broken.error and gc.isenabled()
