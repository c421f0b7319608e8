import collections
import io
from datetime import date

import pytest

from papers import readers
from papers.readers import ReaderError, arxiv, feed, hf_json
from papers.readers.base import author_names


def read(module, path):
    with open(path, "rb") as stream:
        return list(module.read(stream))


def read_bytes(module, data: bytes):
    return list(module.read(io.BytesIO(data)))


RSS_ITEM = """<item><title>{title}</title><link>https://arxiv.org/abs/{id}</link>
<description>arXiv:{id}v2 Announce Type: {type}
Abstract: An abstract.</description><guid isPermaLink="false">oai:arXiv.org:{id}v2</guid>
<category>cs.LG</category><pubDate>Fri, 29 Nov 2024 00:00:00 -0500</pubDate>
<arxiv:announce_type>{type}</arxiv:announce_type><dc:creator>{creators}</dc:creator></item>"""


def arxiv_rss(*items: str, title: str = "cs updates on arXiv.org") -> bytes:
    return (
        '<?xml version="1.0"?><rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>'
        f"<title>{title}</title>{''.join(items)}</channel></rss>"
    ).encode()


def assert_agrees_with_feedparser(path) -> None:
    """arXiv's streaming reader and the generic one (feedparser) read the same papers."""
    ours, theirs = read(arxiv, path), read(feed, path)
    assert [(r.arxiv_id, r.title, r.authors) for r in ours] == [
        (r.arxiv_id, r.title, r.authors) for r in theirs
    ]


class TestArxivRss:
    def test_a_whole_day_has_1504_items_with_1504_distinct_ids(self, shared):
        records = read(arxiv, shared / "feeds" / "arxiv-rss-all-2024-11-28.xml")
        assert len(records) == 1504
        assert len({r.arxiv_id for r in records}) == 1504

    def test_announce_types_are_926_new_569_replace_9_cross(self, shared):
        records = read(arxiv, shared / "feeds" / "arxiv-rss-all-2024-11-28.xml")
        types = collections.Counter(r.announce_type for r in records)
        assert types == {"new": 926, "replace": 569, "cross": 9}

    def test_an_item_has_a_versionless_id_its_abstract_authors_and_announce_date(self, shared):
        records = read(arxiv, shared / "feeds" / "arxiv-rss-all-2024-11-28.xml")
        first = records[0]
        assert first.arxiv_id == "2411.17700"
        assert first.abstract.startswith("This study investigates the influence")
        assert "Announce Type" not in first.abstract
        assert first.authors == ["Jun Cui"]
        assert first.categories == ["cs.CY"]
        assert first.listed_on == first.published_on == date(2024, 11, 28)
        assert first.url == "https://arxiv.org/abs/2411.17700"

    def test_tex_accents_in_author_names_become_unicode(self, shared):
        records = read(arxiv, shared / "feeds" / "arxiv-rss-all-2024-11-28.xml")
        names = {name for r in records for name in r.authors}
        assert "Jarosław Żygierewicz" in names
        assert "Václav Vavryčuk" in names
        assert not any("\\" in name or "{" in name for name in names)

    def test_affiliations_in_parentheses_are_not_authors(self, shared):
        records = read(arxiv, shared / "feeds" / "arxiv-rss-all-2024-11-28.xml")
        record = next(r for r in records if "Benjamin Rémy" in r.authors)
        assert "Mohammed Riadh Berramdane" in record.authors
        assert not any("IFPEN" in name for name in record.authors)

    def test_a_replace_is_listed_that_day_but_does_not_claim_a_publication_date(self):
        [record] = read_bytes(
            arxiv,
            arxiv_rss(RSS_ITEM.format(title="T", id="2401.00001", type="replace", creators="A")),
        )
        assert record.announce_type == "replace"
        assert record.listed_on == date(2024, 11, 29)
        assert record.published_on is None

    def test_the_streaming_reader_agrees_with_feedparser_on_the_real_day(self, shared):
        assert_agrees_with_feedparser(shared / "feeds" / "arxiv-rss-all-2024-11-28.xml")

    def test_an_error_channel_with_no_items_is_an_error_not_zero_papers(self):
        data = arxiv_rss(title="Error: invalid archive specified")
        with pytest.raises(ReaderError, match="arXiv reports an error"):
            read_bytes(arxiv, data)

    def test_an_empty_weekend_listing_is_zero_papers(self):
        assert read_bytes(arxiv, arxiv_rss()) == []


class TestArxivAtom:
    def test_the_api_response_has_five_entries_with_separate_authors(self, shared):
        records = read(arxiv, shared / "feeds" / "arxiv-api-query.xml")
        assert len(records) == 5
        first = records[0]
        assert first.arxiv_id == "2606.13677"
        assert first.authors == ["Zhao-Heng Yin", "Guanya Shi", "Pieter Abbeel", "C. Karen Liu"]
        assert first.categories == ["cs.RO", "cs.AI", "cs.CV", "cs.LG"]
        assert first.published_on == date(2026, 6, 11)
        assert first.listed_on is None  # the API says when v1 appeared, not when it was listed
        assert first.announce_type is None

    def test_the_api_and_feedparser_agree(self, shared):
        assert_agrees_with_feedparser(shared / "feeds" / "arxiv-api-query.xml")

    def test_an_api_error_entry_is_an_error(self):
        data = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
<id>http://arxiv.org/api/xyz</id><title>arXiv Query: error</title>
<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title>
<summary>incorrect id format for 1234</summary></entry></feed>"""
        with pytest.raises(ReaderError, match="arXiv API error: incorrect id format") as caught:
            read_bytes(arxiv, data)
        assert caught.value.item == 1

    def test_the_rss_arxiv_org_atom_listing_is_read_like_its_rss(self):
        data = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns:dc="http://purl.org/dc/elements/1.1/">
  <id>http://rss.arxiv.org/atom/cs</id><title>cs updates on arXiv.org</title>
  <entry>
    <id>oai:arXiv.org:2411.17701v1</id><title>Atom Listing Paper</title>
    <summary>arXiv:2411.17701v1 Announce Type: cross
Abstract: The abstract.</summary>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <published>2024-11-28T00:00:00-05:00</published>
    <arxiv:announce_type>cross</arxiv:announce_type>
    <dc:creator>Andr\\'e Weil, Emmy Noether</dc:creator>
  </entry>
</feed>"""
        assert readers.detect(data) == "arxiv"
        [record] = read_bytes(arxiv, data)
        assert record.arxiv_id == "2411.17701"
        assert record.abstract == "The abstract."
        assert record.announce_type == "cross"
        assert record.authors == ["André Weil", "Emmy Noether"]
        assert record.listed_on == record.published_on == date(2024, 11, 28)


class TestHuggingFaceJson:
    def test_five_items_two_with_an_organization_two_with_a_repo(self, shared):
        records = read(hf_json, shared / "feeds" / "hf-daily-papers.json")
        assert len(records) == 5
        assert sum(1 for r in records if r.org_handle) == 2
        assert sum(1 for r in records if "github.com" in r.code_url) >= 2

    def test_an_item_carries_ids_dates_upvotes_and_organization(self, shared):
        records = read(hf_json, shared / "feeds" / "hf-daily-papers.json")
        first = records[0]
        assert first.arxiv_id == "2607.23193"
        assert first.published_on == date(2026, 7, 28)
        assert first.listed_on == date(2026, 7, 31)  # submittedOnDailyAt
        assert first.upvotes == 3
        assert first.code_url == "https://github.com/MAC-AutoML/OmniScope"
        assert len(first.authors) == 6
        org = next(r for r in records if r.org_handle == "NanyangTechnologicalUniversity")
        assert org.org_name == "Nanyang Technological University"

    def test_optional_fields_may_be_absent(self):
        data = b'[{"paper": {"id": "2501.00001", "title": "Minimal"}}]'
        [record] = read_bytes(hf_json, data)
        assert (record.upvotes, record.org_handle, record.code_url) == (None, None, "")


class TestOtherFeeds:
    def test_any_rss_feed_is_read_with_feedparser(self):
        data = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Lab blog</title>
<item><title>Our &lt;b&gt;new&lt;/b&gt; paper</title><link>https://example.org/p/1</link>
<description>&lt;p&gt;We show &lt;em&gt;things&lt;/em&gt;. Code: https://github.com/lab/thing.&lt;/p&gt;</description>
<author>ada@example.org (Ada Lovelace)</author><pubDate>Mon, 02 Dec 2024 10:00:00 GMT</pubDate>
<category>ml</category></item></channel></rss>"""
        assert readers.detect(data) == "feed"
        [record] = read_bytes(feed, data)
        assert record.title == "Our new paper"
        assert record.abstract == "We show things. Code: https://github.com/lab/thing."
        assert record.code_url == "https://github.com/lab/thing"
        assert record.published_on == date(2024, 12, 2)
        assert record.url == "https://example.org/p/1"
        assert record.arxiv_id is None

    def test_an_arxiv_link_in_another_feed_gives_the_arxiv_id(self):
        data = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>
<entry><title>Linked</title><id>tag:x,2024:1</id><link href="https://arxiv.org/abs/2412.01234v3"/>
<updated>2024-12-03T00:00:00Z</updated></entry></feed>"""
        [record] = read_bytes(feed, data)
        assert record.arxiv_id == "2412.01234"


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("A, B and C", ["A", "B", "C"]),
        ("Ann Lee (MIT, CSAIL), Bo Li (Tsinghua)", ["Ann Lee", "Bo Li"]),
        ("P\\'eter Dus\\'an", ["Péter Dusán"]),
        ("", []),
    ],
)
def test_author_strings_split_into_names(raw, names):
    assert author_names([raw]) == names
