import pytest
from django.urls import reverse

from papers.models import Feed, IngestRun, Organization, Paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers(shared, ingest_file):
    for path in sorted((shared / "dumps").glob("*.txt")):
        ingest_file(path, year=2026)
    ingest_file(shared / "feeds" / "arxiv-api-query.xml")
    return Paper.objects.all()


def changelist(model: str) -> str:
    return reverse(f"admin:papers_{model}_changelist")


def test_the_paper_list_shows_upvotes_and_first_seen_with_its_filters(admin_client, papers):
    response = admin_client.get(changelist("paper"))
    assert response.status_code == 200
    page = response.content.decode()
    for column in ("column-upvotes", "column-first_seen_at", "column-hidden", "column-featured"):
        assert column in page
    for facet in ("By published on", "By organization", "By hidden", "By featured", "By source"):
        assert facet in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("LFM2", "LFM2 Technical Report"),  # title
        ("Liquid Foundation Models", "LFM2 Technical Report"),  # abstract
        ("2606.13677", "Mana: Dexterous Manipulation of Articulated Tools"),  # arXiv id
    ],
)
def test_papers_are_searched_by_title_abstract_and_arxiv_id(admin_client, papers, query, expected):
    response = admin_client.get(changelist("paper"), {"q": query})
    titles = [paper.title for paper in response.context["cl"].result_list]
    assert titles == [expected]


def test_papers_filter_by_source_and_organization(admin_client, papers):
    response = admin_client.get(changelist("paper"), {"source": "arxiv"})
    assert response.context["cl"].result_count == 5
    liquid = Organization.objects.get(handle="LiquidAI")
    response = admin_client.get(changelist("paper"), {"organization__id__exact": liquid.pk})
    assert [p.title for p in response.context["cl"].result_list] == ["LFM2 Technical Report"]


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [("hide", "hidden", True), ("feature", "featured", True)],
)
def test_curation_actions_set_and_clear_the_flags(admin_client, papers, action, field, value):
    chosen = list(papers.order_by("pk").values_list("pk", flat=True)[:3])
    response = admin_client.post(
        changelist("paper"), {"action": action, "_selected_action": chosen}, follow=True
    )
    assert response.status_code == 200
    assert Paper.objects.filter(**{field: value}).count() == 3
    assert "3 papers." in response.content.decode()

    admin_client.post(changelist("paper"), {"action": "un" + action, "_selected_action": chosen})
    assert not Paper.objects.filter(**{field: value}).exists()


def test_a_paper_page_shows_its_sources_and_upvote_history(admin_client, papers):
    lfm2 = Paper.objects.get(title="LFM2 Technical Report")
    response = admin_client.get(reverse("admin:papers_paper_change", args=[lfm2.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Seen in" in page and "Daily Papers dump" in page
    assert "Upvote observations" in page


def test_the_organization_admin_counts_papers(admin_client, papers):
    response = admin_client.get(changelist("organization"), {"q": "liquid"})
    [organization] = response.context["cl"].result_list
    assert (organization.handle, organization.paper_count) == ("LiquidAI", 1)


def test_fetch_now_fetches_the_chosen_feeds_and_shows_their_status(
    admin_client, http_server, shared, django_capture_on_commit_callbacks
):
    url = http_server.serve("/hf", (shared / "feeds" / "hf-daily-papers.json").read_bytes())
    feed = Feed.objects.create(name="HF daily", url=url)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            changelist("feed"), {"action": "fetch_now", "_selected_action": [feed.pk]}, follow=True
        )
    assert "Queued 1 feed for fetching" in response.content.decode()
    feed.refresh_from_db()
    assert feed.last_status == "ok"
    assert Paper.objects.filter(sources="hf-json").count() == 5
    listing = admin_client.get(changelist("feed")).content.decode()
    assert "OK" in listing and "HF daily" in listing


def test_ingest_runs_are_read_only_and_show_counts_and_errors(admin_client, ingest_bytes):
    ingest_bytes(b"<html></html>", source="broken.html")
    run = IngestRun.objects.get()
    assert admin_client.get(reverse("admin:papers_ingestrun_add")).status_code == 403
    page = admin_client.get(reverse("admin:papers_ingestrun_change", args=[run.pk]))
    assert page.status_code == 200
    assert "XML or HTML that is not an RSS or Atom feed" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    listing = admin_client.get(changelist("ingestrun")).content.decode()
    assert "column-rejected_count" in listing
