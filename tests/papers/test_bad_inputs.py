"""A corpus of bad inputs, at the three levels where input goes wrong.

- A file that is not what its format says is rejected whole, with one clear message naming the
  file and, where it can, the line or item; nothing of it is written, and the good file given
  beside it still goes in.
- A record the reader cannot read is rejected alone, with its position; the rest of its file goes in.
- A value that cannot be read is dropped from its record, with a warning; the record goes in.
"""

import json
import re

import pytest

from papers.models import IngestRun, Paper

pytestmark = pytest.mark.django_db

HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\nDec 12\n\n"
)  # 12 lines: papers start on line 13


def dump(*papers: str) -> bytes:
    return (HEADER + "\n\n".join(papers) + "\n").encode()


def paper(title="A Paper", date_line="Nov 28, 2024 3", meta="  • 2 authors"):
    return f"{title}\n\nAn abstract.\n\n{meta}\n·\n{date_line}"


def rss(items: str, title="cs updates on arXiv.org", arxiv=True) -> bytes:
    ns = 'xmlns:arxiv="http://arxiv.org/schemas/atom" ' if arxiv else ""
    return (
        f'<?xml version="1.0"?>\n<rss {ns}xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'version="2.0">\n<channel>\n<title>{title}</title>\n{items}</channel>\n</rss>\n'
    ).encode()


def item(arxiv_id="2411.00001", title="A Title", date="Thu, 28 Nov 2024 00:00:00 -0500"):
    title_xml = f"<title>{title}</title>" if title is not None else ""
    return (
        f"<item>{title_xml}<link>https://arxiv.org/abs/{arxiv_id}</link>\n"
        f"<description>arXiv:{arxiv_id}v1 Announce Type: new \nAbstract: Text.</description>\n"
        f'<guid isPermaLink="false">oai:arXiv.org:{arxiv_id}v1</guid><pubDate>{date}</pubDate>\n'
        f"<dc:creator>Ada Lovelace</dc:creator></item>\n"
    )


def hf(*papers) -> bytes:
    return json.dumps([{"paper": p} for p in papers]).encode()


GOOD_HF = {"id": "2501.00001", "title": "Fine"}

# (name, content, extra arguments, where, message)
FILE_CASES = [
    ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), [], "",
     "binary data, not a dump, a feed or JSON"),
    ("empty.txt", b"\n\n", [], "", "the input is empty"),
    ("truncated.xml", rss(item() + item("2411.00002"))[:300], [], r"line \d+",
     r"malformed or truncated XML \(.+, column \d+\)"),
    ("truncated-api.xml",
     b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
     b"<id>https://arxiv.org/api/q</id>\n<entry><id>http://arxiv.org/abs/2401.1v1</id>\n<title>Cut",
     [], "line 5", "malformed or truncated XML"),
    ("object.json", b'{"papers": []}', [], "", "expected a list of daily papers items, found a JSON dict"),
    ("truncated.json", b'[\n{"paper": {"id": "2501.00001",\n"title": "Cut', [], "line 3",
     "not valid JSON: Unterminated string"),
    ("huge-number.json", b'[{"paper": {"id": "2501.00001", "title": "T", "upvotes": 1' + b"0" * 5000
     + b"}}]", [], "", "not valid JSON: Exceeds the limit"),
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, [], "", "JSON nested too deeply to read"),
    ("latin1.json", '[{"paper": {"id": "1", "title": "Café"}}]'.encode("latin-1"), [], "",
     "not UTF-8 text"),
    ("cp1252.txt", dump(paper(title="Caf\u00e9 Networks")).decode().encode("cp1252"), [],
     "line 13", r"not UTF-8 text \(byte 0xe9 at column 4\)"),
    ("utf16.txt", dump(paper()).decode().encode("utf-16"), [], "", "UTF-16 text: save the input as UTF-8"),
    ("not-a-dump.txt", b"Dear diary,\n\ntoday I read papers.\n", ["--format", "daily-dump"],
     "line 1", "not a Daily Papers dump: expected the page header"),
    ("notes.txt", b"Dear diary,\n\ntoday I read papers.\n", [], "", "cannot tell the format"),
    ("page.html", b"<!doctype html><html><body>Daily Papers</body></html>", [], "",
     "XML or HTML that is not an RSS or Atom feed"),
    ("forced.html", b"<html><body>hi</body></html>", ["--format", "arxiv"], "",
     "not an RSS or Atom feed: the document is <html>"),
    ("arxiv-error.xml", rss("", title="Error: feed for archive 'cs.XX' not found"), [], "",
     "arXiv reports an error instead of papers"),
    ("api-error.xml",
     b'<feed xmlns="http://www.w3.org/2005/Atom"><id>http://arxiv.org/api/x</id><title>q</title>'
     b"<entry><id>http://arxiv.org/api/errors#bad</id><title>Error</title>"
     b"<summary>malformed id</summary></entry></feed>", [], "item 1", "arXiv API error: malformed id"),
    ("truncated-blog.xml", rss("<item><title>Post</title><description>cut", arxiv=False), [],
     r"line \d+", "malformed or truncated XML"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "args", "where", "message"), FILE_CASES, ids=[c[0] for c in FILE_CASES]
)
def test_a_bad_input_is_rejected_whole_with_one_clear_message(
    tmp_path, run_ingest, name, content, args, where, message
):
    good = tmp_path / "good.txt"
    good.write_bytes(dump(paper(title="The Good Paper")))
    bad = tmp_path / name
    bad.write_bytes(content)

    result = run_ingest(bad, good, *args) if not args else run_ingest(bad, *args)

    assert result.code == 1
    inputs = "1 input" if args else "2 inputs"
    assert re.search(rf"CommandError: (1 paper|\d[\d,]* papers) rejected from 1 of {inputs}\.$",
                     result.err.strip()), result.err  # fmt: skip
    location = re.escape(f"{bad}:") + (f"{where}: " if where else " ")
    [line] = [line for line in result.err.splitlines() if line.startswith("rejected:")]
    assert re.match(f"rejected: {location}{message}", line), line
    run = IngestRun.objects.get(source=str(bad))
    assert run.status == "failed"
    assert run.errors == line.removeprefix("rejected: ")
    assert run.new_count == run.updated_count == run.unchanged_count == 0
    titles = set(Paper.objects.values_list("title", flat=True))
    assert titles == (set() if args else {"The Good Paper"})


# (name, content, where, message, the titles that go in)
RECORD_CASES = [
    ("strings.json", json.dumps(["2501.00009", {"paper": GOOD_HF}]).encode(), "item 1",
     "expected an object with a 'paper' object", {"Fine"}),
    ("no-id.json", hf({"title": "No id"}, GOOD_HF), "item 1", "the paper has no 'id'", {"Fine"}),
    ("id-number.json", hf({"id": 2501, "title": "Numbered"}, GOOD_HF), "item 1",
     "the paper has no 'id'", {"Fine"}),
    ("no-title.json", hf({"id": "2501.00002"}, GOOD_HF), "item 1",
     "the paper 2501.00002 has no title", {"Fine"}),
    ("no-title.xml", rss(item() + item("2411.00002", title=None)), "item 2",
     "the entry for arXiv:2411.00002 has no title", {"A Title"}),
    ("no-id.xml", rss(item().replace("2411.00001", "x") + item("2411.00002", title="Second")),
     "item 1", "no arXiv id in the entry's id", {"Second"}),
    ("blog-no-title.xml",
     rss("<item><link>https://e.org/1</link></item><item><title>Post</title></item>", arxiv=False),
     "item 1", "the entry has no title", {"Post"}),
    ("cut-short.txt", dump(paper(), "A Title With No Abstract"), "line 21",
     "the paper 'A Title With No Abstract' has no abstract: the dump is cut short", {"A Paper"}),
    # A metadata block with no dot and no date line: the next paper is read from where the dot
    # should be.
    ("no-metadata-end.txt", dump("Lost Paper\n\nAn abstract.\n\n  • 2 authors", paper("Next")),
     "line 19", "expected a lone '·' after '• 2 authors'", {"Next"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "where", "message", "stored"),
    RECORD_CASES,
    ids=[c[0] for c in RECORD_CASES],
)
def test_a_record_that_cannot_be_read_is_rejected_alone_and_the_rest_goes_in(
    tmp_path, run_ingest, name, content, where, message, stored
):
    path = tmp_path / name
    path.write_bytes(content)

    result = run_ingest(path)

    assert result.code == 1
    [line] = [line for line in result.err.splitlines() if line.startswith("rejected:")]
    assert line.startswith(f"rejected: {path}:{where}: {message}"), line
    assert set(Paper.objects.values_list("title", flat=True)) == stored
    run = IngestRun.objects.get()
    assert run.status == "succeeded"
    assert (run.new_count, run.rejected_count) == (len(stored), 1)
    assert run.errors == line.removeprefix("rejected: ")


# (name, content, the warning, what the stored paper holds)
VALUE_CASES = [
    ("bad-upvotes.json", hf({**GOOD_HF, "upvotes": "many"}),
     "record 1: upvotes dropped: 'many' is not a whole number", {"upvotes": 0}),
    ("bad-date.json", hf({**GOOD_HF, "publishedAt": "yesterday"}),
     "record 1: publishedAt dropped: 'yesterday' is not a date", {"published_on": None}),
    ("org-string.json", hf({**GOOD_HF, "organization": "acme"}),
     "record 1: organization dropped: 'acme' is not an object", {"organization": None}),
    ("authors-string.json", hf({**GOOD_HF, "authors": "Ada"}),
     "record 1: authors dropped: 'Ada' is not a list", {"authors": []}),
    ("bad-pubdate.xml", rss(item(date="someday")),
     "record 1: date dropped: 'someday' is not a date", {"published_on": None}),
    ("broken-date.txt", dump(paper(date_line="Novembre 40")),
     "record 1: date and upvotes dropped: broken date line 'Novembre 40'", {"published_on": None}),
    ("impossible-date.txt", dump(paper(date_line="Feb 30, 2025")),
     "record 1: date and upvotes dropped: broken date line 'Feb 30, 2025': day is out of range",
     {"published_on": None}),
    ("no-dot.txt", dump(paper().replace("\n·\n", "\n")),
     "record 1: no lone '·' after '• 2 authors'", {"upvotes": 3}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "warning", "holds"), VALUE_CASES, ids=[c[0] for c in VALUE_CASES]
)
def test_a_value_that_cannot_be_read_is_dropped_with_a_warning(
    tmp_path, run_ingest, name, content, warning, holds
):
    path = tmp_path / name
    path.write_bytes(content)

    result = run_ingest(path)

    assert result.code == 0, result.err
    assert f"warning: {path}: {warning}" in result.err
    stored = Paper.objects.get()
    assert {name: getattr(stored, name) for name in holds} == holds
    assert IngestRun.objects.get().warnings.startswith(warning)


def test_the_corpus_is_at_least_thirty_inputs():
    assert len(FILE_CASES) + len(RECORD_CASES) + len(VALUE_CASES) >= 30


def test_a_bad_entry_after_a_thousand_good_ones_rejects_that_entry_alone(tmp_path, run_ingest):
    papers = [paper(title=f"Good Paper {n}") for n in range(1200)]
    bad = tmp_path / "long.txt"
    bad.write_bytes(dump(*papers[:600], "Lost Paper\n\nAn abstract.\n\n  • 2 authors",
                         *papers[600:], "Cut Short"))  # fmt: skip

    result = run_ingest(bad)

    assert result.code == 1
    assert "2 papers rejected from 1 of 1 input." in result.err
    assert f"rejected: {bad}:line {12 + 600 * 8 + 7}: expected a lone '·'" in result.err
    assert (
        f"rejected: {bad}:line {12 + 1200 * 8 + 6 + 1}: the paper 'Cut Short' has no abstract"
        in (result.err)
    )
    assert Paper.objects.count() == 1200
    run = IngestRun.objects.get()
    assert (run.new_count, run.rejected_count, run.status) == (1200, 2, "succeeded")


def test_a_file_of_unreadable_records_stores_nothing_and_says_so_for_each(tmp_path, run_ingest):
    path = tmp_path / "junk.json"
    path.write_bytes(json.dumps([None, 1, "x", [], {"paper": []}] * 10).encode())

    result = run_ingest(path)

    assert result.code == 1
    assert "50 papers rejected from 1 of 1 input." in result.err
    rejected = [line for line in result.err.splitlines() if line.startswith("rejected:")]
    assert rejected[0] == f"rejected: {path}:item 1: expected an object with a 'paper' object"
    assert (
        rejected[-1]
        == f"rejected: {path}: … and 30 more records (the IngestRun lists the first 100)"
    )
    assert not Paper.objects.exists()


def test_nul_characters_and_lone_surrogates_in_json_text_are_replaced_not_fatal(
    tmp_path, run_ingest
):
    path = tmp_path / "nul.json"
    path.write_bytes(
        b'[{"paper": {"id": "2501.00009", "title": "Null\\u0000 Title \\ud800",'
        b' "summary": "A\\u0000b", "githubRepo": "https://github.com/a/b\\udfff"}}]'
    )
    result = run_ingest(path)
    assert result.code == 0, result.err
    stored = Paper.objects.get()
    assert stored.title == "Null Title \ufffd"
    assert stored.code_url == "https://github.com/a/b\ufffd"
