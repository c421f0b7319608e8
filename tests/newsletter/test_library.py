"""A reader's library: pasted ids and links, BibTeX, RIS and Zotero CSV, deduplicated against
the papers we have, all or nothing, from the manage page and from `library_import`."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from core.text import title_key
from newsletter.models import LibraryEntry
from newsletter.personal.library import LibraryError, library_read
from newsletter.services.library import library_import
from newsletter.tokens import manage_token
from papers.models import Paper

pytestmark = pytest.mark.django_db

BIBTEX = r"""
% exported by Zotero
@article{vaswani2017,
  title = {Attention Is {All} You Need},
  author = {Vaswani, Ashish and Shazeer, Noam},
  eprint = {1706.03762v7},
  archivePrefix = {arXiv},
  abstract = {The dominant sequence transduction models are based on recurrent networks.},
}

@inproceedings{quant2024,
  title = {{$\mathcal{O}(n)$} Quantization of {LLMs}},
  doi = {10.48550/arXiv.2401.00001},
}

@book{knuth,
  title = {The {\TeX}book},
  doi = {10.5555/1102013},
}

@misc{nothing, note = {a note without a title}}
"""
RIS = """TY  - JOUR
TI  - Sparse Mixture of Experts at Scale
AB  - We route tokens to experts.
UR  - https://arxiv.org/abs/2402.00002v2
ER  -

TY  - CONF
T1  - A Paper Without Identifiers
ER  -
"""
ZOTERO_CSV = (
    '"Key","Item Type","Publication Year","Author","Title","Publication Title","DOI","Url",'
    '"Abstract Note","Extra"\n'
    '"AB12","journalArticle","2024","Doe, Jane","Speculative Decoding Revisited","","",'
    '"https://arxiv.org/abs/2403.00003","We draft tokens.","arXiv: 2403.00003"\n'
    '"CD34","note","","","","","","","",""\n'
    '"EF56","preprint","2023","Roe, R.","Graph Transformers, a Survey","","10.1000/xyz","",'
    '"Graphs.",""\n'
)


def test_pasted_ids_and_links_of_every_shape():
    read = library_read(
        "2401.12345 2401.12346v3, arXiv:2401.12347\n"
        "https://arxiv.org/abs/2401.12348v2 https://arxiv.org/pdf/2401.12349.pdf\n"
        "https://huggingface.co/papers/2401.12350 hep-th/9901001\n"
        "https://doi.org/10.48550/arXiv.2401.12351 doi:10.1000/abc\n",
        format="ids",
    )
    assert [r.arxiv_id for r in read.records] == [
        "2401.12345", "2401.12346", "2401.12347", "2401.12348", "2401.12349", "2401.12350",
        "hep-th/9901001", "2401.12351", "",
    ]  # fmt: skip
    assert read.records[-1].doi == "10.1000/abc"
    with pytest.raises(LibraryError) as error:
        library_read("2401.12345\n\nhttps://example.org/paper", format="ids")
    assert error.value.line == 3 and "example.org" in str(error.value)


def test_bibtex_entries_with_tex_dois_and_eprints():
    read = library_read(BIBTEX, name="library.bib")
    assert read.format == "bibtex" and read.skipped == 1
    first, second, third = read.records
    assert first.arxiv_id == "1706.03762" and first.title == "Attention Is All You Need"
    assert first.abstract.startswith("The dominant sequence")
    assert second.arxiv_id == "2401.00001" and "Quantization of LLMs" in second.title
    assert "$" not in second.title and "\\" not in second.title
    assert third.doi == "10.5555/1102013" and third.arxiv_id == "" and third.title == "The TeXbook"
    assert [r.line for r in read.records] == [3, 11, 16]


def test_a_broken_bibtex_entry_is_named_by_its_line():
    broken = BIBTEX.replace("doi = {10.5555/1102013},\n}", "doi = {10.5555/1102013,\n")
    with pytest.raises(LibraryError) as error:
        library_read(broken, name="library.bib")
    assert error.value.line == 16


def test_ris_records_and_an_unclosed_one():
    read = library_read(RIS, name="export.ris")
    assert read.format == "ris"
    assert [(r.arxiv_id, r.title) for r in read.records] == [
        ("2402.00002", "Sparse Mixture of Experts at Scale"),
        ("", "A Paper Without Identifiers"),
    ]
    with pytest.raises(LibraryError) as error:
        library_read(RIS.rsplit("ER  -", 1)[0], name="export.ris")
    assert error.value.line == 7
    with pytest.raises(LibraryError):
        library_read("junk line\nTY  - JOUR\nER  -\n", name="export.ris")


def test_zotero_csv_rows_and_notes():
    read = library_read(ZOTERO_CSV, name="My Library.csv")
    assert read.format == "zotero-csv" and read.skipped == 1
    assert [(r.arxiv_id, r.doi, r.title) for r in read.records] == [
        ("2403.00003", "", "Speculative Decoding Revisited"),
        ("", "10.1000/xyz", "Graph Transformers, a Survey"),
    ]
    with pytest.raises(LibraryError) as error:
        library_read("Name,Year\nx,1\n", name="other.csv")
    assert "Title" in str(error.value)


def test_hostile_files_get_a_clear_message():
    with pytest.raises(LibraryError, match="UTF-8"):
        library_read(b"@article{a, title={caf\xe9}}", name="latin1.bib")
    with pytest.raises(LibraryError, match="binary"):
        library_read(b"\x89PNG\r\n\x1a\n\x00\x00", name="image.bib")
    with pytest.raises(LibraryError, match="10 MB"):
        library_read(b"2401.12345\n" * 1_000_000, name="huge.txt")
    with pytest.raises(LibraryError, match="at most 5,000"):
        library_read("\n".join(f"2401.{n:05d}" for n in range(5001)), format="ids")


def test_import_deduplicates_against_stored_papers_and_itself(make_paper, make_subscriber):
    attention = make_paper("Attention Is All You Need", arxiv_id="1706.03762")
    quant = make_paper("O(n) Quantization of LLMs", arxiv_id="2401.00001")
    speculative = Paper.objects.create(  # no arXiv id: found by its title
        title="Speculative Decoding Revisited!",
        title_key=title_key("Speculative Decoding Revisited!"),
    )
    ada = make_subscriber("ada@example.org", "llm")
    report = library_import(subscriber=ada, data=BIBTEX, name="library.bib")
    assert (report.count("arxiv"), report.count("title"), report.count("new")) == (2, 0, 1)
    report = library_import(subscriber=ada, data=ZOTERO_CSV, name="zotero.csv")
    assert (report.count("arxiv"), report.count("title"), report.count("new")) == (0, 0, 2)
    entries = {e.identity: e for e in LibraryEntry.objects.filter(subscriber=ada)}
    assert entries["arxiv:1706.03762"].paper == attention
    assert entries["arxiv:2401.00001"].paper == quant
    assert entries["arxiv:2403.00003"].paper is None  # not stored: its own text counts
    assert entries["arxiv:2403.00003"].abstract == "We draft tokens."
    assert speculative.pk not in {e.paper_id for e in entries.values()}

    again = library_import(subscriber=ada, data="1706.03762\nhttps://arxiv.org/abs/2401.00001")
    assert again.count("duplicate") == 2 and again.imported == 0
    by_title = library_import(
        subscriber=ada,
        data="TY  - JOUR\nTI  - speculative decoding REVISITED\nER  -\n",
        name="x.ris",
    )
    assert by_title.count("title") == 1 and by_title.lines[0].paper_id == speculative.pk
    ada.refresh_from_db()
    assert ada.taste_changed_at is not None


def test_nothing_is_half_saved_and_the_library_is_capped(make_subscriber):
    ada = make_subscriber("ada@example.org", "llm")
    with pytest.raises(LibraryError):
        library_import(subscriber=ada, data="2401.00001\n2401.00002\nnot-an-id", format="ids")
    assert not LibraryEntry.objects.exists()
    library_import(subscriber=ada, data="\n".join(f"2401.{n:05d}" for n in range(4999)))
    with pytest.raises(LibraryError, match="at most 5,000"):
        library_import(subscriber=ada, data="2402.00001 2402.00002")
    assert LibraryEntry.objects.count() == 4999


def test_library_import_command(tmp_path, make_paper, make_subscriber):
    make_paper("Attention Is All You Need", arxiv_id="1706.03762")
    make_subscriber("ada@example.org", "llm")
    path = tmp_path / "library.bib"
    path.write_text(BIBTEX)
    out = io.StringIO()
    call_command("library_import", "ADA@example.org", str(path), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("matched by arXiv id") and "Attention Is All You Need" in lines[0]
    assert "3 entries added" in lines[-1] and "1 without a title or identifier skipped" in lines[-1]
    broken = tmp_path / "broken.bib"
    broken.write_text("@article{a, title={x}\n@article{b,")
    with pytest.raises(CommandError, match=r"Line 1: .*Nothing was imported"):
        call_command("library_import", "ada@example.org", str(broken), stdout=io.StringIO())
    with pytest.raises(CommandError, match="No subscriber"):
        call_command("library_import", "bob@example.org", str(path), stdout=io.StringIO())


def test_the_manage_page_adds_lists_and_removes(
    client, make_subscriber, django_capture_on_commit_callbacks
):
    ada = make_subscriber("ada@example.org", "llm")
    manage = f"/manage/{manage_token(ada)}/"
    response = client.post(
        manage, {"action": "library_add", "library_text": "2401.00001 2401.00002"}
    )
    assert response.status_code == 302 and "library=2" in response["Location"]
    upload = SimpleUploadedFile("zotero.csv", ZOTERO_CSV.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):  # the worker reads it
        client.post(manage, {"action": "library_add", "library_file": upload})
    assert LibraryEntry.objects.filter(subscriber=ada).count() == 4
    page = client.get(manage).content.decode()
    assert "Speculative Decoding Revisited" in page and "4 papers in your library" in page
    assert "“zotero.csv”" in page and "2 entries added" in page

    bad = client.post(manage, {"action": "library_add", "library_text": "2401.00003 nonsense"})
    assert bad.status_code == 400 and "Line 1" in bad.content.decode()
    assert "Nothing was added" in bad.content.decode()
    assert LibraryEntry.objects.count() == 4

    entry = LibraryEntry.objects.first()
    client.post(manage, {"action": "library_remove", "entry": entry.pk})
    assert LibraryEntry.objects.count() == 3


def test_a_reader_with_a_library_may_follow_no_topic(client, make_subscriber):
    ada = make_subscriber("ada@example.org", "llm")
    manage = f"/manage/{manage_token(ada)}/"
    form = {"action": "save", "rules": "", "frequency": "daily", "send_weekday": 0,
            "send_hour": 8, "timezone": "UTC", "max_papers": 10}  # fmt: skip
    refused = client.post(manage, form)
    assert refused.status_code == 400 and "add papers to your library" in refused.content.decode()
    library_import(subscriber=ada, data="2401.00001")
    assert client.post(manage, form).status_code == 302
    assert not ada.subscriptions.exists()
