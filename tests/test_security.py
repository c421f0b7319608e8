"""What a hostile paper or visitor could try: markup in titles, and pages that must not leak."""

from datetime import date

import pytest

from newsletter.models import Topic
from papers.models import Paper

pytestmark = pytest.mark.django_db

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def evil_paper():
    return Paper.objects.create(
        title=f"Quantization {EVIL}",
        title_key="evil",
        abstract=f"An abstract with {EVIL} inside.",
        listed_on=date.today(),
        upvotes=5,
        code_url="javascript:alert(1)",
    )


@pytest.mark.parametrize(
    "url",
    [
        lambda p: "/",
        lambda p: f"/?date={date.today():%Y-%m-%d}&span=week",
        lambda p: "/?q=quantization",
        lambda p: f"/papers/{p.pk}/",
        lambda p: "/admin/papers/paper/",
        lambda p: f"/admin/papers/paper/{p.pk}/change/",
    ],
)
def test_markup_in_a_paper_is_shown_as_text_on_every_page(admin_client, evil_paper, url):
    page = admin_client.get(url(evil_paper)).content.decode()
    assert "Quantization" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_markup_in_a_paper_is_text_in_the_topic_preview(admin_client, evil_paper):
    topic = Topic.objects.create(name="Q", slug="q", rule="quantization")
    page = admin_client.get(f"/admin/newsletter/topic/{topic.pk}/change/").content.decode()
    assert "&lt;script&gt;" in page and "<script>alert" not in page


def test_the_preview_json_is_json_not_html(client, evil_paper):
    response = client.get("/subscribe/preview/", {"rule": "quantization"})
    assert response["Content-Type"] == "application/json"
    assert response.json()["papers"][0]["title"] == evil_paper.title


def test_a_javascript_code_link_is_not_rendered_as_a_link(client, evil_paper):
    page = client.get(f"/papers/{evil_paper.pk}/").content.decode()
    assert 'href="javascript:' not in page
