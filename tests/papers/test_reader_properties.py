"""Property tests: whatever bytes come in, a reader returns records and per-record errors, or
raises its own error for the whole file, and nothing else; and a hostile file never costs the good
file after it a paper.

Each reader gets arbitrary bytes, and documents of its own format that are well formed but hostile:
deep nesting, huge numbers, values of the wrong type, NULs, lone surrogates, very long strings.
"""

import contextlib
import io
import json
from xml.sax.saxutils import escape, quoteattr

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.kinds import SourceKind
from papers import readers
from papers.models import Paper
from papers.readers import PaperRecord, ReaderError, RecordError
from papers.services import source_ingest
from tests.conftest import examples

PURE = settings(max_examples=examples(200), deadline=None)
STORED = settings(
    max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def read_all(kind: SourceKind, data: bytes) -> list[PaperRecord | RecordError] | ReaderError:
    """The reader's whole answer: its records and record errors, or the file's error."""
    try:
        return list(readers.read(kind, io.BytesIO(data)))
    except ReaderError as exc:
        return exc


def assert_reader_answers(kind: SourceKind, data: bytes) -> list[PaperRecord | RecordError]:
    answer = read_all(kind, data)  # anything but a ReaderError escapes and fails the test
    if isinstance(answer, ReaderError):
        assert answer.message
        return []
    for item in answer:
        assert isinstance(item, PaperRecord | RecordError), item
        if isinstance(item, RecordError):
            assert item.where, item  # a record's error says where the record is
        else:
            assert item.title and len(item.title) <= 1_000
            assert "\x00" not in item.title + item.abstract
    return answer


# Text as hostile sources write it: any character, NULs and lone surrogates among them.
HOSTILE_CHARS = st.one_of(
    st.characters(), st.sampled_from(["\x00", "\ud800", "\udfff", "\u2028", "\ufeff", "<", "&"])
)
hostile_text = st.text(HOSTILE_CHARS, max_size=40)
# Text that XML can carry (no control characters or surrogates), odd as it may be otherwise.
xml_safe_text = st.one_of(
    st.text(
        st.one_of(
            st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from(["&", "<", "\t"])
        ),
        min_size=1,
        max_size=40,
    ).filter(lambda text: "\ufffe" not in text and "\uffff" not in text),
    st.sampled_from(["javascript:alert(1)", "$\\alpha$ \\cite{x}", "A " * 600]),
)
titles = st.one_of(xml_safe_text, hostile_text)
# In XML, mostly text it can carry: one hostile character anywhere makes the whole file malformed.
xml_titles = st.one_of(xml_safe_text, xml_safe_text, xml_safe_text, hostile_text)
huge_numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([2**31, 2**63, -1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
)
json_scalars = st.one_of(st.none(), st.booleans(), huge_numbers, hostile_text)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)
PAPER_KEYS = ["id", "title", "summary", "authors", "organization", "publishedAt",
              "submittedOnDailyAt", "upvotes", "githubRepo", "githubStars", "projectPage",
              "ai_summary", "ai_keywords"]  # fmt: skip
ITEM_KEYS = ["thumbnail", "numComments", "submittedBy", "title", "organization"]
hostile_paper = st.fixed_dictionaries(
    {
        "id": st.one_of(st.from_regex(r"\A[0-9]{4}\.[0-9]{5}\Z"), json_values),
        "title": st.one_of(titles, json_values),
    },
    optional={key: json_values for key in PAPER_KEYS[2:]},
)
hostile_item = st.one_of(
    json_values,
    st.fixed_dictionaries({"paper": hostile_paper}, optional={k: json_values for k in ITEM_KEYS}),
)


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@st.composite
def hostile_json(draw) -> bytes:
    items = draw(st.lists(hostile_item, max_size=6))
    text = json.dumps(items, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):  # a value nested deeper than any parser's stack
        text = text[:-1] + ("," if items else "") + deep(draw(st.sampled_from([50, 5_000]))) + "]"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate written raw: bytes no UTF-8 file holds
        return text.encode("utf-8", "surrogatepass")


def xml_text(value: str) -> str:
    return escape(value)


dates = st.one_of(
    st.sampled_from(
        [
            "Thu, 28 Nov 2024 00:00:00 -0500",
            "2024-11-28T00:00:00Z",
            "",
            "9999-99-99",
            "Mon, 31 Feb 0000 99:99:99 +9999",
            "x" * 200,
        ]
    ),
    hostile_text,
)
valid_arxiv_ids = st.from_regex(r"\A[0-9]{4}\.[0-9]{5}(v[0-9]{1,40})?\Z")
arxiv_ids = st.one_of(valid_arxiv_ids, valid_arxiv_ids, valid_arxiv_ids, xml_titles)


@st.composite
def hostile_arxiv(draw) -> bytes:
    entries = []
    for _ in range(draw(st.integers(0, 5))):
        parts = [
            f"<id>http://arxiv.org/abs/{xml_text(draw(arxiv_ids))}</id>",
            f"<title>{xml_text(draw(xml_titles))}</title>",
            f"<summary>{xml_text(draw(xml_titles))}</summary>",
            f"<published>{xml_text(draw(dates))}</published>",
            f"<author><name>{xml_text(draw(xml_titles))}</name></author>",
            f"<category term={quoteattr(draw(xml_titles))}/>",
            f'<link href={quoteattr(draw(xml_titles))} rel="alternate"/>',
            f"<arxiv:announce_type>{xml_text(draw(xml_titles))}</arxiv:announce_type>",
        ]
        picked = parts[:2] + draw(st.lists(st.sampled_from(parts[2:]), max_size=6, unique=True))
        if draw(st.integers(0, 4)) == 0:  # now and then, an entry without its id or title
            picked = picked[draw(st.integers(1, 2)) :]
        entries.append(f"<entry>{''.join(picked)}</entry>")
    document = (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">'
        f"<title>{xml_text(draw(xml_titles))}</title>{''.join(entries)}</feed>"
    )
    return document.encode("utf-8", "surrogatepass")


@st.composite
def hostile_feed(draw) -> bytes:
    items = []
    for _ in range(draw(st.integers(0, 5))):
        parts = [
            f"<title>{xml_text(draw(xml_titles))}</title>",
            f"<link>{xml_text(draw(st.one_of(hostile_text, st.just('javascript:alert(1)'))))}</link>",
            f"<description>{xml_text(draw(xml_titles))}</description>",
            f"<pubDate>{xml_text(draw(dates))}</pubDate>",
            f"<guid>{xml_text(draw(xml_titles))}</guid>",
            f"<category>{xml_text(draw(xml_titles))}</category>",
            f"<author>{xml_text(draw(xml_titles))}</author>",
        ]
        picked = draw(st.lists(st.sampled_from(parts), max_size=len(parts), unique=True))
        items.append(f"<item>{''.join(picked)}</item>")
    document = f'<rss version="2.0"><channel><title>Blog</title>{"".join(items)}</channel></rss>'
    return document.encode("utf-8", "surrogatepass")


DUMP_HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\nDec 12\n\n"
)
dump_lines = st.one_of(
    hostile_text.map(lambda t: t.replace("\n", " ")),
    st.sampled_from(
        [
            "·",
            "  • 2 authors",
            "• 99999999999999999999 authors",
            "acme Acme Corp",
            "Nov 28, 2024 3",
            "Nov 28 1.5k",
            "Feb 30, 2025",
            "Dec 99",
            "Jan 1, 9999 4",
            "Nov 28, 2024 " + "9" * 5000,
            "Sept 3 12,345",
        ]
    ),
)


@st.composite
def hostile_dump(draw) -> bytes:
    lines = draw(st.lists(dump_lines, max_size=25))
    return (DUMP_HEADER + "\n\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


@PURE
@given(st.binary(max_size=2_000))
def test_every_reader_answers_arbitrary_bytes_with_records_or_its_own_error(data):
    for kind in readers.READERS:
        assert_reader_answers(kind, data)
    with contextlib.suppress(ReaderError):
        readers.detect(data[: readers.SNIFF_BYTES])


@PURE
@given(hostile_json())
def test_the_json_reader_answers_hostile_json(data):
    answer = assert_reader_answers(SourceKind.HF_JSON, data)
    for record in answer:
        if isinstance(record, PaperRecord):
            assert record.upvotes is None or 0 <= record.upvotes < 2**31


@PURE
@given(hostile_arxiv())
def test_the_arxiv_reader_answers_hostile_atom(data):
    assert_reader_answers(SourceKind.ARXIV, data)


@PURE
@given(hostile_feed())
def test_the_feed_reader_answers_hostile_rss(data):
    for record in assert_reader_answers(SourceKind.FEED, data):
        if isinstance(record, PaperRecord):
            assert record.url == "" or record.url.lower().startswith(("http://", "https://"))


@PURE
@given(hostile_dump())
def test_the_dump_reader_answers_hostile_dumps(data):
    assert_reader_answers(SourceKind.DAILY_DUMP, data)


TEN_MB = "x" * 10_000_000


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (
            SourceKind.HF_JSON,
            json.dumps(
                [{"paper": {"id": "2501.00001", "title": TEN_MB, "summary": TEN_MB}}]
            ).encode(),
        ),
        (
            SourceKind.ARXIV,
            (
                f'<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
                f"<id>http://arxiv.org/abs/2501.00001</id><title>{TEN_MB}</title>"
                f"<summary>{TEN_MB}</summary></entry></feed>"
            ).encode(),
        ),
        (
            SourceKind.FEED,
            (
                f"<rss version='2.0'><channel><item><title>{TEN_MB}</title>"
                f"<link>https://e.org/{TEN_MB}</link></item></channel></rss>"
            ).encode(),
        ),
        (SourceKind.DAILY_DUMP, (DUMP_HEADER + f"{TEN_MB}\n\n{TEN_MB}\n").encode()),
    ],
    ids=["json", "arxiv", "feed", "dump"],
)
def test_ten_megabyte_strings_are_cut_to_what_a_paper_holds(kind, data):
    [record] = assert_reader_answers(kind, data)
    assert len(record.title) == 1_000
    assert len(record.abstract) <= 20_000
    assert record.url == "" or len(record.url) <= 500
    assert any("cut" in warning for warning in record.warnings)


GOOD = json.dumps(
    [{"paper": {"id": f"2501.{n:05}", "title": f"Good paper {n}", "upvotes": n}} for n in range(3)]
).encode()
GOOD_TITLES = {f"Good paper {n}" for n in range(3)}
hostile_inputs = st.one_of(
    st.binary(max_size=500),
    hostile_json(),
    hostile_arxiv(),
    hostile_feed(),
    hostile_dump(),
)


@pytest.mark.django_db
@STORED
@given(hostile_inputs)
def test_a_hostile_file_then_a_good_one_stores_what_each_reader_returned(data):
    """The hostile file stores what its reader returned, or nothing when the file is rejected;
    the database never refuses a record a reader returned; the good file stores all of its own."""
    with transaction.atomic():
        hostile = source_ingest(stream=io.BytesIO(data), source="hostile")
        if hostile.error:
            assert hostile.new == hostile.updated == hostile.unchanged == 0
            assert not Paper.objects.exists()
        else:
            answer = read_all(SourceKind(hostile.format), data)
            assert not isinstance(answer, ReaderError)
            records = [r for r in answer if isinstance(r, PaperRecord)]
            assert hostile.rejected == len(answer) - len(records)
            assert hostile.read == len(records)
        stored = Paper.objects.count()
        assert stored == hostile.new

        good = source_ingest(stream=io.BytesIO(GOOD), source="good")

        assert not good.error and good.rejected == 0
        assert good.new + good.updated + good.unchanged == 3
        titles = Paper.objects.filter(arxiv_id__startswith="2501.000").values_list(
            "title", flat=True
        )
        assert set(titles) >= GOOD_TITLES
        assert Paper.objects.count() == stored + good.new
        transaction.set_rollback(True)


def test_a_byte_order_mark_on_a_line_of_its_own_is_a_blank_line():
    """Found by the hostile dumps above: a BOM alone on a line was read as a paper's empty title."""
    data = (DUMP_HEADER + "\ufeff\n\nA real title\n\nIts abstract.\n").encode()
    [record] = assert_reader_answers(SourceKind.DAILY_DUMP, data)
    assert (record.title, record.abstract) == ("A real title", "Its abstract.")
