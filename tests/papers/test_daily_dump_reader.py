import io
from datetime import date

import pytest

from core.text import title_key
from papers import readers
from papers.readers import daily_dump
from papers.sample import sample_papers, write_daily_dump

# The table in ../shared/dumps/README.md: papers, with metadata, author count, organization,
# capture year (None: the page shows no year).
FIGURES = {
    "000_cd369d9721a4ae50.txt": (54, 50, 47, 3, 2025),
    "002_30513ec8edee20c4.txt": (82, 0, 0, 0, None),
    "003_0acdbd93ffc31cac.txt": (63, 60, 58, 2, 2026),
    "004_55e2aa79c85e9f50.txt": (33, 32, 32, 0, 2025),
}


def read_dump(path, **options):
    with open(path, "rb") as stream:
        return list(daily_dump.read(stream, **options))


def read_text(text: str, **options):
    return list(daily_dump.read(io.BytesIO(text.encode()), **options))


def dump(*blocks: str, page_date: str = "Dec 12", daily_papers_line: bool = True) -> str:
    header = ["new", "Get trending papers in your email inbox!", "Subscribe"]
    if daily_papers_line:
        header.append("Daily Papers")
    header += ["byAK and the research community", page_date]
    return "\n\n".join(header + list(blocks)) + "\n"


@pytest.mark.parametrize("name", FIGURES)
def test_it_finds_the_figures_of_each_real_dump(shared, name):
    papers, with_metadata, with_count, with_org, capture_year = FIGURES[name]
    records = read_dump(shared / "dumps" / name, year=1999)

    assert len(records) == papers
    assert sum(1 for r in records if r.published_on) == with_metadata
    assert sum(1 for r in records if r.author_count) == with_count
    assert sum(1 for r in records if r.org_handle) == with_org
    # The page date takes the capture year; 1999 is the operator's fallback for pages with none.
    assert records[0].listed_on.year == (capture_year or 1999)


def test_the_four_dumps_hold_183_distinct_papers(shared):
    keys = {
        title_key(r.title) for path in (shared / "dumps").glob("*.txt") for r in read_dump(path)
    }
    assert len(keys) == 183


def test_lfm2_belongs_to_liquid_ai_with_its_date_and_upvotes(shared):
    records = read_dump(shared / "dumps" / "003_0acdbd93ffc31cac.txt")
    lfm2 = next(r for r in records if r.title == "LFM2 Technical Report")

    assert (lfm2.org_handle, lfm2.org_name) == ("LiquidAI", "Liquid AI")
    assert lfm2.published_on == date(2025, 11, 28)
    assert lfm2.upvotes == 3
    assert lfm2.author_count is None


def test_dates_without_a_year_are_in_the_capture_year(shared):
    records = read_dump(shared / "dumps" / "003_0acdbd93ffc31cac.txt")
    # "Mar 25 2" on a page whose latest explicit year is 2025.
    assert any(r.published_on == date(2026, 3, 25) and r.upvotes == 2 for r in records)
    assert records[0].listed_on == date(2026, 6, 16)


def test_a_date_with_and_without_its_year_is_the_same_day():
    block = "A Paper\n\nAbstract.\n\n  • 3 authors\n·\n{}"
    with_year = read_text(
        dump(block.format("Aug 21, 2025"), "Old\n\nAbs.\n\n  • 1 author\n·\nJan 2, 2024")
    )
    without = read_text(dump(block.format("Aug 21"), "Old\n\nAbs.\n\n  • 1 author\n·\nJan 2, 2024"))
    assert with_year[0].published_on == without[0].published_on == date(2025, 8, 21)


@pytest.mark.parametrize(
    ("date_line", "capture_year"),
    [
        ("Jan 2, 2024", 2025),
        ("\u2003Jan 2, 2030 4\u00a0", 2031),  # framed by Unicode spaces, with upvotes
        ("Jan 2, \u0662\u0660\u0662\u0663", 2024),  # a year in Arabic-Indic digits
        ("Jan 2, 2024, 2025", None),  # not a date line: no year from it
        ("In 2023, 2024 was", None),
    ],
)
def test_the_capture_year_comes_from_any_date_line_that_spells_one_out(date_line, capture_year):
    text = dump(
        "A Paper\n\nAbstract, 2040 words.\n\n  • 2 authors\n·\nMay 3", f"Old\n\n{date_line}"
    )
    records = read_text(text, year=1990)
    assert records[0].published_on == date(capture_year or 1990, 5, 3)


def test_blank_lines_of_any_white_space_and_a_lone_byte_order_mark_are_skipped():
    text = dump("A Paper\n \t\r\n\ufeff\n\u00a0\n\x0b\x0c\nAbstract.", page_date="Dec 12, 2024")
    [record] = read_text(text)
    assert (record.title, record.abstract) == ("A Paper", "Abstract.")


def test_a_page_without_any_year_falls_back_to_the_operators_year():
    records = read_text(dump("A Paper\n\nAbstract.\n\n  • 2 authors\n·\nMay 3 7"), year=2021)
    assert records[0].published_on == date(2021, 5, 3)
    assert records[0].listed_on == date(2021, 12, 12)


def test_a_page_without_any_year_or_operator_year_uses_this_year():
    records = read_text(dump("A Paper\n\nAbstract."))
    assert records[0].listed_on == date(date.today().year, 12, 12)


def test_a_missing_upvote_count_means_zero_and_a_present_one_is_read():
    records = read_text(
        dump(
            "One\n\nAbs.\n\n  • 2 authors\n·\nMay 3, 2024",
            "Two\n\nAbs.\n\n  • 2 authors\n·\nMay 3 1,204",
        )
    )
    assert [r.upvotes for r in records] == [0, 1204]


def test_the_header_may_lack_the_daily_papers_line_and_lines_may_be_indented():
    text = dump("   Indented title\n\n  Abstract here.   ", daily_papers_line=False)
    [record] = read_text(text, year=2024)
    assert (record.title, record.abstract) == ("Indented title", "Abstract here.")
    assert record.published_on is None and record.upvotes is None


def test_an_organization_line_is_a_handle_and_a_display_name():
    [record] = read_text(dump("T\n\nA.\n\ndeepseek-ai DeepSeek AI Lab\n·\nNov 28, 2025 3"))
    assert (record.org_handle, record.org_name) == ("deepseek-ai", "DeepSeek AI Lab")


def test_it_finds_the_code_link_in_an_abstract(shared):
    records = read_dump(shared / "dumps" / "000_cd369d9721a4ae50.txt")
    with_code = [r for r in records if r.code_url]
    assert with_code
    assert all(r.code_url.startswith("https://github.com/") for r in with_code)
    assert not any(r.code_url.endswith(".") for r in with_code)


def test_the_sample_writer_writes_what_the_reader_reads():
    papers = list(sample_papers(25, today=date(2026, 1, 5)))
    out = io.StringIO()
    write_daily_dump(iter(papers), out, page_date=date(2026, 1, 5))
    data = out.getvalue().encode()

    assert readers.detect(data[:8192]) == "daily-dump"
    records = read_text(out.getvalue())
    assert [r.title for r in records] == [p.title for p in papers]
    assert [r.published_on for r in records] == [p.published_on for p in papers]
    assert [r.upvotes for r in records] == [p.upvotes for p in papers]
    assert [r.org_handle for r in records] == [p.organization and p.organization[0] for p in papers]
