"""The public listing and search, through HTTP."""

from datetime import date, timedelta

import pytest
from django.db import connection, transaction

from papers.models import Paper
from papers.selectors import Period, neighbour_periods, papers_in_period, period_containing

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)  # a Monday


def paper(title, day=TODAY, upvotes=0, **fields):
    return Paper.objects.create(
        title=title, title_key=title.lower(), listed_on=day, upvotes=upvotes, **fields
    )


def titles(response) -> list[str]:
    return [p.title for p in response.context["page"]]


def test_a_day_lists_its_papers_featured_first_then_by_upvotes_never_hidden(client):
    paper("Low", upvotes=1)
    paper("High", upvotes=50)
    paper("Featured", upvotes=0, featured=True)
    paper("Hidden", upvotes=99, hidden=True)
    paper("Yesterday", day=TODAY - timedelta(days=1), upvotes=70)
    response = client.get("/", {"date": "2026-11-23"})
    assert titles(response) == ["Featured", "High", "Low"]


def test_the_front_page_shows_the_latest_day_with_papers(client):
    paper("Older", day=date(2020, 1, 6))
    paper("Latest", day=date(2020, 1, 9))
    assert titles(client.get("/")) == ["Latest"]


def test_week_and_month_views_and_the_links_between_periods(client):
    paper("Monday", day=TODAY)
    paper("Sunday", day=TODAY + timedelta(days=6))
    paper("Last week", day=TODAY - timedelta(days=1))
    paper("Last month", day=date(2026, 10, 2))
    week = client.get("/", {"date": "2026-11-25", "span": "week"})
    assert sorted(titles(week)) == ["Monday", "Sunday"]
    assert week.context["earlier"].start == date(2026, 11, 16)
    month = client.get("/", {"date": "2026-11-25", "span": "month"})
    assert sorted(titles(month)) == ["Last week", "Monday", "Sunday"]
    assert month.context["earlier"] == Period("month", date(2026, 10, 1), date(2026, 10, 31))
    assert month.context["later"] is None
    page = month.content.decode()
    assert "October 2026" in page and 'rel="prev"' in page


def test_a_card_shows_what_the_daily_papers_page_shows(client):
    from papers.models import Organization

    org = Organization.objects.create(handle="LiquidAI", name="Liquid AI")
    paper("LFM2 Technical Report", upvotes=3, organization=org, arxiv_id="2511.23404",
          abstract="We present LFM2.", code_url="https://github.com/liquid/lfm2",
          published_on=date(2025, 11, 28))  # fmt: skip
    paper("Counted", author_count=5)
    page = client.get("/", {"date": "2026-11-23"}).content.decode()
    for text in ("LFM2 Technical Report", "We present LFM2.", "Liquid AI", "Nov 28, 2025",
                 "https://github.com/liquid/lfm2", "https://arxiv.org/abs/2511.23404", "5 authors",
                 "Get trending papers in your email inbox!"):  # fmt: skip
        assert text in page


def test_an_unknown_paper_or_a_hidden_one_is_not_found(client):
    hidden = paper("Hidden", hidden=True)
    assert client.get(f"/papers/{hidden.pk}/").status_code == 404
    assert client.get("/papers/999999/").status_code == 404
    assert client.get("/", {"date": "yesterday"}).status_code == 404


def test_search_finds_words_in_titles_and_abstracts_and_ranks_titles_first(client):
    paper("Speculative decoding at scale", upvotes=1)
    paper("Another paper", upvotes=90, abstract="We improve speculative decoding for drafts.")
    paper("Unrelated", upvotes=100, abstract="Nothing here.")
    paper("Hidden speculative decoding", hidden=True)
    response = client.get("/", {"q": "speculative decoding"})
    found = titles(response)
    assert set(found) == {"Speculative decoding at scale", "Another paper"}
    assert found[0] == "Speculative decoding at scale"  # ranked: the title first, despite upvotes
    assert client.get("/", {"q": "decoded"}).context["page"].paginator.count == 2  # stemmed
    assert "2 papers for" in response.content.decode()


def test_periods_know_their_bounds():
    assert period_containing(date(2026, 11, 25), "week") == Period(
        "week", TODAY, date(2026, 11, 29)
    )
    assert period_containing(date(2024, 2, 10), "month").end == date(2024, 2, 29)


def explain(queryset) -> str:
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # is an index usable at all?
            return queryset.explain()
    return queryset.explain()


@pytest.mark.parametrize("span", ["day", "week", "month"])
def test_the_listing_reads_an_index_not_the_whole_table(span):
    plan = explain(papers_in_period(period_containing(TODAY, span)))
    assert "INDEX" in plan.upper() and "SCAN PAPERS_PAPER\n" not in plan.upper() + "\n"
    assert "Seq Scan" not in plan


def test_the_period_links_read_an_index():
    paper("x")
    with connection.cursor():
        plan = explain(
            Paper.objects.filter(hidden=False, listed_on__lt=TODAY).order_by("-listed_on")[:1]
        )
    assert "INDEX" in plan.upper() and "Seq Scan" not in plan
    assert neighbour_periods(period_containing(TODAY, "day")) == (None, None)
