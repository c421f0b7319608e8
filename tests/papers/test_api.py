"""The open API that speaks Hugging Face's: /api/daily_papers with its parameters and items,
/api/papers/<id>, /api/search, the schema, CORS, rate limits, a round trip through our own
hf-json reader, and schemathesis against the schema."""

import io
import json
import time
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.cache import cache
from django.core.management import call_command
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from papers.models import Paper
from tests.conftest import examples

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_rate_limits")]

DAY = date(2026, 7, 31)


@pytest.fixture
def listing(make_paper):
    return {
        "top": make_paper(
            "Quantized attention", arxiv_id="2607.00001", upvotes=30, listed_on=DAY,
            published_on=DAY - timedelta(days=3), authors=["Ada Lovelace", "Alan Turing"],
            org="deepseek-ai", ai_keywords=["quantization"], ai_summary="Short.",
            code_url="https://github.com/x/y", github_stars=12, comment_count=4,
            thumbnail_url="https://cdn.example.org/t.png",
        ),
        "dump": make_paper("A paper from a dump", upvotes=5, listed_on=DAY, author_count=3),
        "featured": make_paper("Featured pick", arxiv_id="2607.00003", upvotes=1, listed_on=DAY,
                               featured=True, published_on=DAY),
        "hidden": make_paper("Hidden one", arxiv_id="2607.00004", upvotes=99, listed_on=DAY,
                             hidden=True),
        "other_day": make_paper("Another day", arxiv_id="2607.00005", listed_on=DAY - timedelta(1)),
    }  # fmt: skip


def get(client, url, **params):
    response = client.get(url, params)
    return response, (response.json() if response["Content-Type"].startswith("application/json")
                      else None)  # fmt: skip


def test_daily_papers_answers_hugging_faces_items(client, listing):
    response, items = get(client, "/api/daily_papers", date=DAY.isoformat(), sort="trending")
    assert response.status_code == 200
    assert [item["title"] for item in items] == [
        "Featured pick", "Quantized attention", "A paper from a dump"
    ]  # fmt: skip
    top = items[1]
    paper = top["paper"]
    assert paper["id"] == "2607.00001" and paper["upvotes"] == 30
    assert [a["name"] for a in paper["authors"]] == ["Ada Lovelace", "Alan Turing"]
    assert paper["summary"] and paper["ai_summary"] == "Short."
    assert paper["ai_keywords"] == ["quantization"]
    assert paper["githubRepo"] == "https://github.com/x/y" and paper["githubStars"] == 12
    assert paper["organization"]["name"] == "deepseek-ai"
    assert paper["publishedAt"].startswith(str(DAY - timedelta(days=3)))
    assert paper["submittedOnDailyAt"].startswith(str(DAY))
    assert top["thumbnail"] == "https://cdn.example.org/t.png" and top["numComments"] == 4
    assert top["featured"] is False and items[0]["featured"] is True
    assert items[2]["paper"]["id"] == f"pw-{listing['dump'].pk}"  # no arXiv id: ours


def test_periods_pages_and_sorts(client, listing):
    _, by_date = get(client, "/api/daily_papers", date=DAY.isoformat())
    assert by_date[0]["title"] == "Featured pick"  # published last
    week = f"{DAY.isocalendar().year}-W{DAY.isocalendar().week:02d}"
    _, by_week = get(client, "/api/daily_papers", week=week, sort="trending")
    assert {i["title"] for i in by_week} >= {"Quantized attention", "Another day"}
    _, by_month = get(client, "/api/daily_papers", month=f"{DAY:%Y-%m}")
    assert len(by_month) == 4  # never the hidden one
    _, first = get(client, "/api/daily_papers", month=f"{DAY:%Y-%m}", sort="trending", limit=2)
    _, second = get(client, "/api/daily_papers", month=f"{DAY:%Y-%m}", sort="trending", limit=2,
                    p=1)  # fmt: skip
    assert len(first) == 2 and len(second) == 2
    assert not {i["title"] for i in first} & {i["title"] for i in second}
    _, latest = get(client, "/api/daily_papers")
    assert {i["title"] for i in latest} == {"Featured pick", "Quantized attention",
                                            "A paper from a dump"}  # fmt: skip


@pytest.mark.parametrize(
    "params",
    [{"date": "2026-13-01"}, {"week": "2026-48"}, {"month": "2026/07"},
     {"date": "2026-07-31", "week": "2026-W31"}],
)  # fmt: skip
def test_a_bad_period_is_a_400_that_says_how_to_write_it(client, listing, params):
    response, body = get(client, "/api/daily_papers", **params)
    # 422 for what the schema's pattern refuses, 400 for a date that has its shape but is none
    assert response.status_code in (400, 422) and body["detail"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"p": -1}, {"sort": "x"}])
def test_out_of_range_parameters_are_refused(client, listing, params):
    response, _ = get(client, "/api/daily_papers", **params)
    assert response.status_code in (400, 422)


def test_one_paper_by_arxiv_id_or_our_own(client, listing):
    _, paper = get(client, "/api/papers/2607.00001")
    assert paper["title"] == "Quantized attention"
    _, own = get(client, f"/api/papers/pw-{listing['dump'].pk}")
    assert own["title"] == "A paper from a dump"
    for missing in ("2607.00004", "2607.99999", "pw-999999", "nonsense"):
        response, body = get(client, f"/api/papers/{missing}")
        assert response.status_code == 404 and body["detail"]


def test_search_speaks_the_rules_language(client, listing):
    _, found = get(client, "/api/search", q='author:"Ada Lovelace" quantized')
    assert [i["title"] for i in found] == ["Quantized attention"]
    _, none = get(client, "/api/search", q="hidden")
    assert none == []
    response, _ = get(client, "/api/search")
    assert response.status_code in (400, 422)


def test_cors_for_get_and_its_preflight(client, listing):
    response = client.get("/api/daily_papers", HTTP_ORIGIN="https://tool.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/daily_papers", HTTP_ORIGIN="https://tool.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )  # fmt: skip
    assert preflight.status_code == 204
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


def test_the_schema_is_openapi_with_every_operation(client):
    schema = client.get("/api/schema/").json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/daily_papers", "/api/papers/{paper_id}", "/api/search"} <= set(schema["paths"])


def test_rate_limited_like_the_site(client, listing, monkeypatch):
    # One window for all 125 requests: crossing a minute's edge would reset the count.
    now = time.time()
    monkeypatch.setattr("django_ratelimit.core.time", SimpleNamespace(time=lambda: now))
    statuses = [client.get("/api/papers/2607.00001").status_code for _ in range(125)]
    assert statuses[:120] == [200] * 120 and statuses[-1] == 429


def test_a_round_trip_through_our_own_hf_json_reader(client, listing, tmp_path):
    _, items = get(client, "/api/daily_papers", month=f"{DAY:%Y-%m}", limit=100)
    fields = ("title", "arxiv_id", "upvotes", "authors", "listed_on", "github_stars",
              "code_url", "ai_keywords")  # fmt: skip
    before = sorted(Paper.objects.filter(hidden=False).values_list(*fields))
    Paper.objects.all().delete()
    dump = tmp_path / "daily_papers.json"
    dump.write_text(json.dumps(items))
    call_command("ingest", str(dump), "--no-progress", stdout=io.StringIO())
    after = sorted(Paper.objects.values_list(*fields))
    assert [row[:3] for row in after] == [row[:3] for row in before]
    assert after == before
    # numComments is always a number, as Hugging Face's: an unknown count comes back as 0
    assert Paper.objects.get(arxiv_id="2607.00001").comment_count == 4
    # and the same again is nothing new
    call_command("ingest", str(dump), "--no-progress", stdout=io.StringIO())
    assert Paper.objects.count() == len(before)


# -- Schemathesis: every operation, against its own schema -----------------------------------


@pytest.fixture
def api_schema(listing):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from config.wsgi import application

    # As Django's test client does: the WSGI app must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=examples(40), deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
def test_every_operation_conforms_to_its_schema(case):
    cache.clear()  # the rate limit is tested above; here, every answer is a real one
    # A request the schema allows may still be refused with its reason: 2024-02-30 has a
    # date's shape and is no date, and date= with month= asks for two periods.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
