"""A corpus of inputs that are not what their format says.

Each gets one clear message naming the file and, where it can, the line or item; nothing from it is
written, and the good file given beside it still goes in.
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
CASES = [
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
    ("strings.json", b'["2501.00001"]', [], "item 1", "expected an object with a 'paper' object"),
    ("no-id.json", hf(GOOD_HF, {"title": "No id"}), [], "item 2", "the paper has no 'id'"),
    ("bad-upvotes.json", hf({**GOOD_HF, "upvotes": "many"}), [], "item 1",
     "'upvotes' must be a whole number, not 'many'"),
    ("truncated.json", b'[\n{"paper": {"id": "2501.00001",\n"title": "Cut', [], "line 3",
     "not valid JSON: Unterminated string"),
    ("bad-date.json", hf({**GOOD_HF, "publishedAt": "yesterday"}), [], "item 1",
     "'publishedAt' is not a date: 'yesterday'"),
    ("org-string.json", hf({**GOOD_HF, "organization": "acme"}), [], "item 1",
     "'organization' must be an object"),
    ("latin1.json", '[{"paper": {"id": "1", "title": "Café"}}]'.encode("latin-1"), [], "",
     "not UTF-8 text"),
    ("broken-date.txt", dump(paper(), paper(date_line="Novembre 40")), [], "line 27",
     "broken date line 'Novembre 40'"),
    ("impossible-date.txt", dump(paper(date_line="Feb 30, 2025")), [], "line 19",
     "broken date line 'Feb 30, 2025': day is out of range for month"),
    ("cp1252.txt", dump(paper(title="Caf\u00e9 Networks")).decode().encode("cp1252"), [],
     "line 13", r"not UTF-8 text \(byte 0xe9 at column 4\)"),
    ("utf16.txt", dump(paper()).decode().encode("utf-16"), [], "", "UTF-16 text: save the input as UTF-8"),
    ("cut-short.txt", dump(paper(), "A Title With No Abstract"), [], "line 21",
     "the paper 'A Title With No Abstract' has no abstract: the dump is cut short"),
    ("no-dot.txt", dump(paper().replace("\n·\n", "\n")), [], "line 18",
     "expected a lone '·' after '• 2 authors'"),
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
    ("no-title.xml", rss(item() + item("2411.00002", title=None)), [], "item 2",
     "the entry for arXiv:2411.00002 has no title"),
    ("bad-pubdate.xml", rss(item(date="someday")), [], "item 1", "unreadable date 'someday'"),
    ("no-id.xml", rss(item().replace("2411.00001", "x")), [], "item 1", "no arXiv id in the entry's id"),
    ("truncated-blog.xml", rss("<item><title>Post</title><description>cut", arxiv=False), [],
     r"line \d+", "malformed or truncated XML"),
    ("blog-no-title.xml", rss("<item><link>https://e.org/1</link></item>", arxiv=False), [],
     "item 1", "the entry has no title"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "args", "where", "message"), CASES, ids=[c[0] for c in CASES]
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
    location = re.escape(f"{bad}:") + (f"{where}: " if where else " ")
    [line] = [line for line in result.err.splitlines() if line.startswith("rejected:")]
    assert re.match(f"rejected: {location}{message}", line), line
    run = IngestRun.objects.get(source=str(bad))
    assert run.status == "failed"
    assert run.errors == line.removeprefix("rejected: ")
    assert run.new_count == run.updated_count == run.unchanged_count == 0
    titles = set(Paper.objects.values_list("title", flat=True))
    assert titles == (set() if args else {"The Good Paper"})


def test_the_corpus_is_at_least_twenty_inputs():
    assert len(CASES) >= 20


def test_a_bad_entry_after_a_thousand_good_ones_writes_none_of_them(tmp_path, run_ingest):
    papers = [paper(title=f"Good Paper {n}") for n in range(1200)]
    bad = tmp_path / "long.txt"
    bad.write_bytes(dump(*papers, paper(date_line="Dec 99, 2024")))

    result = run_ingest(bad)

    assert result.code == 1
    assert f"{bad}:line " in result.err
    assert not Paper.objects.exists()
    run = IngestRun.objects.get()
    assert run.rejected_count == 1201


def test_nul_characters_in_json_text_are_dropped_not_fatal(tmp_path, run_ingest):
    path = tmp_path / "nul.json"
    path.write_bytes(hf({"id": "2501.00009", "title": "Null\u0000 Title", "summary": "A\u0000b"}))
    result = run_ingest(path)
    assert result.code == 0, result.err
    assert Paper.objects.get().title == "Null Title"
