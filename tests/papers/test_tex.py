"""TeX in titles and abstracts becomes readable text at ingest; what was written is kept."""

import io

import pytest
from django.core.management import call_command

from core.query import document, parse
from papers.models import Paper
from papers.readers.tex import tex_to_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("written", "readable"),
    [
        (r"An $\mathcal{O}(n \log n)$ algorithm", "An 𝒪(n log n) algorithm"),
        (r"\textit{Sparse} and \textbf{fast} attention", "Sparse and fast attention"),
        (r"For $\alpha$-stable laws", "For α-stable laws"),
        (r"Schr\"odinger equations", "Schrödinger equations"),
        (r"A 50\% cut \& more", "A 50% cut & more"),
        (r"{\em Old} style", "Old style"),
        ("Plain prose with 100% recall and ~5 ms", "Plain prose with 100% recall and ~5 ms"),
        ("Costs $5 and more", "Costs $5 and more"),  # a lone dollar is not math
    ],
)
def test_tex_becomes_readable_text(written, readable):
    assert tex_to_text(written) == readable


def test_a_fragment_pylatexenc_cannot_read_is_kept_as_written():
    assert tex_to_text(r"See \href{https://example.org}") == r"See \href{https://example.org}"


def test_ingest_stores_the_text_and_keeps_what_was_written(ingest_bytes):
    item = (
        "<item><title>Faster $\\mathcal{O}(n)$ \\textit{Sparse} Attention</title>"
        "<guid>oai:arXiv.org:2611.00001v1</guid>"
        "<description>arXiv:2611.00001v1 Announce Type: new Abstract: We reach "
        "$\\mathcal{O}(n)$ with \\emph{sparse} kernels.</description>"
        "<pubDate>Mon, 23 Nov 2026 00:00:00 -0500</pubDate></item>"
    )
    feed = (
        '<rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom"><channel>'
        f"<title>cs.LG updates on arXiv.org</title>{item}</channel></rss>"
    ).encode()
    ingest_bytes(feed)

    paper = Paper.objects.get()
    assert paper.title == "Faster 𝒪(n) Sparse Attention"
    assert paper.title_tex == r"Faster $\mathcal{O}(n)$ \textit{Sparse} Attention"
    assert paper.abstract == "We reach 𝒪(n) with sparse kernels."
    assert "\\emph{sparse}" in paper.abstract_tex
    doc = document(title=paper.title, abstract=paper.abstract)
    assert parse('"sparse attention"').matches(doc)
    assert parse("sparse kernels").matches(doc)


def test_convert_tex_converts_papers_stored_before_and_only_once(make_paper):
    old = make_paper(r"On $\alpha$-nets", abstract=r"We study \textit{nets}.")
    before = old.text_changed_at
    out = io.StringIO()

    call_command("convert_tex", "--no-progress", stdout=out)
    call_command("convert_tex", "--no-progress", stdout=out)

    old.refresh_from_db()
    assert (old.title, old.abstract) == ("On α-nets", "We study nets.")
    assert (old.title_tex, old.abstract_tex) == (r"On $\alpha$-nets", r"We study \textit{nets}.")
    assert old.title_key == "onαnets"
    assert old.text_changed_at > before  # matched again, on its text
    assert "Converted 1 of 1 papers" in out.getvalue()
    assert "Converted 0 of 0 papers" in out.getvalue()
