import io
import sys

import pytest

from papers.models import IngestRun, Paper

pytestmark = pytest.mark.django_db

DUMP_NO_YEAR = (
    b"new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
    b"byAK and the research community\n\nMar 12\n\nA Paper\n\nAn abstract.\n"
)


def test_it_ingests_directories_and_prints_a_summary_table(shared, run_ingest):
    result = run_ingest(shared / "dumps", shared / "feeds", "--year", "2026")

    assert result.code == 0, result.err
    assert Paper.objects.count() == 183 + 935 + 5 + 5
    lines = result.out.splitlines()
    assert lines[0].split() == [
        "source", "format", "new", "updated", "unchanged", "rejected", "skipped"
    ]  # fmt: skip
    row = next(line for line in lines if "arxiv-rss-all-2024-11-28.xml" in line)
    assert row.split()[1:] == ["arxiv", "935", "0", "0", "0", "569"]
    assert lines[-1].split()[0] == "total"
    assert "skipping README.md" in result.err  # what a directory holds besides data is named


def test_the_format_can_be_given_instead_of_detected(tmp_path, run_ingest):
    path = tmp_path / "listing.data"
    path.write_bytes(DUMP_NO_YEAR)
    result = run_ingest(path, "--format", "daily-dump", "--year", "2023")
    assert result.code == 0, result.err
    assert Paper.objects.get().listed_on.isoformat() == "2023-03-12"


def test_a_dry_run_prints_the_counts_and_writes_nothing(shared, run_ingest):
    result = run_ingest(shared / "feeds" / "hf-daily-papers.json", "--dry-run")
    assert result.code == 0
    assert "Dry run: nothing was written." in result.out
    assert result.out.splitlines()[2].split()[2] == "5"
    assert not Paper.objects.exists() and not IngestRun.objects.exists()


def test_it_reads_standard_input(monkeypatch, run_ingest):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DUMP_NO_YEAR)))
    result = run_ingest("-", "--year", "2024")
    assert result.code == 0, result.err
    assert IngestRun.objects.get().source == "-"
    assert Paper.objects.get().title == "A Paper"


def test_it_fetches_a_url(shared, http_server, run_ingest):
    url = http_server.serve("/daily.json", (shared / "feeds" / "hf-daily-papers.json").read_bytes())
    result = run_ingest(url)
    assert result.code == 0, result.err
    assert Paper.objects.count() == 5
    assert http_server.requests[0][1]["User-Agent"].startswith("Paperwire/")


def test_a_missing_file_and_a_dead_url_are_rejected_and_the_rest_goes_in(
    tmp_path, http_server, shared, run_ingest
):
    result = run_ingest(
        tmp_path / "absent.txt",
        http_server.base_url + "/gone.xml",
        shared / "feeds" / "arxiv-api-query.xml",
    )
    assert result.code == 1
    assert f"rejected: {tmp_path / 'absent.txt'}: No such file or directory" in result.err
    assert f"rejected: {http_server.base_url}/gone.xml: HTTP 404" in result.err
    assert "CommandError: 2 papers rejected from 2 of 3 inputs." in result.err
    assert Paper.objects.count() == 5


def test_a_second_run_reports_every_paper_unchanged(shared, run_ingest):
    run_ingest(shared / "dumps", "--year", "2026")
    result = run_ingest(shared / "dumps", "--year", "2026")
    total = result.out.splitlines()[-1].split()
    assert total == ["total", "0", "0", "232", "0", "0"]


def test_the_progress_callback_reports_bytes_read_in_order(shared, ingest_file):
    positions = []
    ingest_file(shared / "feeds" / "arxiv-rss-all-2024-11-28.xml", progress=positions.append)
    size = (shared / "feeds" / "arxiv-rss-all-2024-11-28.xml").stat().st_size
    assert positions == sorted(positions)
    assert 0 < positions[-1] <= size
