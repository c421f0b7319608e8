"""Over-long and odd values from a source are cut or dropped to fit, each with a warning naming
its record, and the rest of the file goes in (hardening issue, items 3 and 9)."""

import json

import pytest

from papers.models import IngestRun, Paper
from papers.readers.base import ABSTRACT_MAX, TITLE_MAX

pytestmark = pytest.mark.django_db


def hf(*papers) -> bytes:
    return json.dumps([{"paper": p} for p in papers]).encode()


def test_odd_values_are_cut_or_dropped_with_a_warning_for_their_record(ingest_bytes):
    report = ingest_bytes(
        hf(
            {"id": "2501.00001", "title": "Fine", "upvotes": 3},
            {"id": "2501.00002", "title": "T" * 50_000, "summary": "A" * 100_000,
             "upvotes": 10**30, "projectPage": "javascript:alert(1)",
             "githubRepo": "https://github.com/" + "x" * 600},
            {"id": "2501.00003", "title": "Also fine", "upvotes": -4},
        ),
        source="odd.json",
    )  # fmt: skip
    assert not report.error and report.new == 3
    odd = Paper.objects.get(arxiv_id="2501.00002")
    assert len(odd.title) == TITLE_MAX and len(odd.abstract) == ABSTRACT_MAX
    assert odd.upvotes == 0 and odd.project_url == "" and odd.code_url == ""
    assert Paper.objects.get(arxiv_id="2501.00001").upvotes == 3
    warnings = "\n".join(report.warnings)
    assert "record 2: title cut from 50,000 to 1,000 characters" in warnings
    assert "record 2: upvotes dropped" in warnings
    assert not any(w.startswith("record 1:") for w in report.warnings)
    run = IngestRun.objects.get()
    assert run.status == "succeeded" and "record 2: upvotes dropped" in run.warnings


def test_the_ingest_command_prints_the_warnings(tmp_path, run_ingest):
    path = tmp_path / "odd.json"
    long_link = "https://example.org/" + "p" * 600
    path.write_bytes(hf({"id": "2501.00001", "title": "Fine", "projectPage": long_link}))
    result = run_ingest(str(path))
    assert result.code == 0
    assert f"warning: {path}: record 1: project_url dropped" in result.err


def test_deep_nesting_fails_that_file_alone_and_every_run_ends(ingest_bytes):
    """A JSON value nested 100,000 deep raised RecursionError, and its IngestRun stayed
    "running" for ever; now that file fails with a message, and the next one goes in."""
    bad = ingest_bytes(b"[" * 100_000, source="deep.json", kind="hf-json")
    good = ingest_bytes(hf({"id": "2501.00009", "title": "After"}), source="good.json")
    assert "nested too deeply" in bad.error and not good.error and good.new == 1
    assert not IngestRun.objects.filter(status="running").exists()
    assert list(Paper.objects.values_list("title", flat=True)) == ["After"]


def test_an_unexpected_error_still_ends_the_run(ingest_bytes, monkeypatch):
    from papers.services import ingest

    def explode(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest._Upsert, "__call__", explode)
    with pytest.raises(KeyboardInterrupt):
        ingest_bytes(hf({"id": "2501.00001", "title": "Fine"}), source="x.json")
    run = IngestRun.objects.get()
    assert run.status == "failed" and "KeyboardInterrupt" in run.errors and run.finished_at
