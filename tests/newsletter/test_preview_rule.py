import re
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from core.query import words
from papers.models import Paper
from papers.services import source_ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(shared):
    for path in sorted((shared / "dumps").glob("*.txt")):
        with open(path, "rb") as stream:
            source_ingest(stream=stream, source=str(path), year=2026)


def preview(capsys, *args) -> list[tuple[int, str]]:
    call_command("preview_rule", *args)
    lines = capsys.readouterr().out.splitlines()
    return [(int(pk), title) for pk, title in (line.split("\t", 1) for line in lines)]


def test_it_prints_the_id_and_title_of_each_paper_the_rule_matches(library, capsys):
    matches = preview(capsys, "verilog")
    titles = {title for _, title in matches}
    assert (
        "MG-Verilog: Multi-grained Dataset Towards Enhanced LLM-assisted Verilog Generation"
        in titles
    )
    assert all(Paper.objects.get(pk=pk).title == title for pk, title in matches)
    # Words, not substrings: "SystemVerilog" and "VerilogEval" are other words.
    expected = {
        p.title
        for p in Paper.objects.all()
        if re.search(r"\bverilog\b", f"{p.title} {p.abstract}", re.IGNORECASE)
    }
    assert titles == expected


def test_stemming_phrases_exclusions_and_fields_work_as_on_the_form(library, capsys):
    quantized = {title for _, title in preview(capsys, "quantization")}
    assert "LLM-FP4: 4-Bit Floating-Point Quantized Transformers" in quantized
    narrowed = {title for _, title in preview(capsys, "quantization -transformers")}
    assert narrowed < quantized
    for title in quantized:
        paper = Paper.objects.get(title=title)
        has_transformer = "transform" in words(f"{paper.title} {paper.abstract}")
        assert (title in narrowed) is not has_transformer
    phrase = {title for _, title in preview(capsys, '"post-training quantization"')}
    assert phrase and phrase < quantized
    assert {t for _, t in preview(capsys, "org:liquidai")} == {"LFM2 Technical Report"}


def test_days_limits_to_recent_listings(capsys, recent_and_old_papers):
    recent = preview(capsys, "quantization", "--days", "7")
    everything = preview(capsys, "quantization")
    assert [title for _, title in recent] == ["Fresh Quantization"]
    assert len(everything) == 2


def test_hidden_papers_are_never_previewed(library, capsys):
    matches = preview(capsys, "verilog")
    Paper.objects.filter(pk=matches[0][0]).update(hidden=True)
    assert preview(capsys, "verilog") == matches[1:]


def test_a_rule_that_does_not_parse_fails_with_the_parsers_message(library):
    with pytest.raises(CommandError, match="The rule does not parse: This quote is never closed"):
        call_command("preview_rule", '"speculative decoding')


@pytest.fixture
def recent_and_old_papers():
    today = date.today()
    old = today - timedelta(days=30)
    for title, day in (("Fresh Quantization", today), ("Old Quantization", old)):
        Paper.objects.create(title=title, title_key=title.lower(), listed_on=day)


def test_the_topic_admin_previews_recent_matches(admin_client, recent_and_old_papers):
    from newsletter.models import Topic

    topic = Topic.objects.create(name="Quantization", slug="quantization", rule="quantization")
    page = admin_client.get(f"/admin/newsletter/topic/{topic.pk}/change/").content.decode()
    assert "Fresh Quantization" in page
    assert "Old Quantization" not in page
