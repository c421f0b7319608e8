"""The people and labs behind the papers: an author's page and an organization's, their feeds,
their Follow buttons, and the links to them from every card."""

from datetime import date, timedelta
from urllib.parse import quote

import feedparser
import pytest

from papers.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers(make_paper):
    today = date.today()
    return {
        "new": make_paper(
            "Quantized attention", upvotes=30, authors=["José García-Pérez", "Song Han"],
            org="deepseek-ai",
        ),
        "old": make_paper(
            "Sparse kernels", upvotes=7, authors=["Jose  Garcia Perez"],
            listed_on=today - timedelta(days=40),
        ),
        "other": make_paper("Pruning transformers", upvotes=20, authors=["Song Hanson"]),
        "hidden": make_paper(
            "Hidden work", upvotes=50, authors=["José García-Pérez"], hidden=True,
            org="deepseek-ai",
        ),
    }  # fmt: skip


ALL = ("Quantized attention", "Sparse kernels", "Pruning transformers", "Hidden work")


def titles(html: str) -> list[str]:
    """The fixture's papers a page shows, in its order."""
    return [title for _, title in sorted((html.index(t), t) for t in ALL if t in html)]


@pytest.mark.parametrize(
    "name", ["José García-Pérez", "jose garcia perez", "JOSE GARCIA-PEREZ", "José  García Pérez"]
)
def test_an_authors_page_lists_their_papers_newest_first_matched_folded(client, papers, name):
    response = client.get(f"/authors/{quote(name)}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert titles(html) == ["Quantized attention", "Sparse kernels"]  # no hidden, newest first
    assert "▲ 30" in html or "30 upvotes" in html
    assert ">Follow</a>" in html
    assert "?rule=" + quote('author:"José García-Pérez"', safe="") in html


def test_an_author_is_a_whole_name_not_a_part_of_one(client, papers):
    html = client.get("/authors/Song%20Han/").content.decode()
    assert titles(html) == ["Quantized attention"]  # not "Song Hanson"


def test_an_unknown_author_is_a_404_with_the_closest_known_names(client, papers):
    response = client.get("/authors/Song%20Hann/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Song Han" in html and "/authors/Song%20Han/" in html


@pytest.mark.parametrize("handle", ["deepseek-ai", "DeepSeek-AI", "Deepseek Ai"])
def test_an_organizations_page_lists_its_papers(client, papers, handle):
    response = client.get(f"/orgs/{quote(handle)}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert titles(html) == ["Quantized attention"]
    assert "?rule=org%3Adeepseek-ai" in html  # Follow: the signup with the rule


def test_an_unknown_organization_is_a_404_with_the_closest(client, papers):
    response = client.get("/orgs/deepsek-ai/")
    assert response.status_code == 404
    assert "/orgs/deepseek-ai/" in response.content.decode()


def test_every_card_and_paper_page_links_to_its_authors_and_organization(client, papers):
    for url in ("/search/?q=quantized", f"/papers/{papers['new'].pk}/", "/?span=month"):
        html = client.get(url).content.decode()
        assert f'href="/authors/{quote("José García-Pérez")}/"' in html, url
        assert 'href="/orgs/deepseek-ai/"' in html, url


def test_a_name_no_page_can_have_is_shown_without_a_link(client, make_paper):
    paper = make_paper("Odd names", authors=["", "/", "Ada Lovelace"])
    response = client.get(f"/papers/{paper.pk}/")
    assert response.status_code == 200
    assert 'href="/authors/Ada%20Lovelace/"' in response.content.decode()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"/feeds/author/{quote('jose garcia perez')}.atom", ["Quantized attention",
                                                              "Sparse kernels"]),
        ("/feeds/org/deepseek-ai.atom", ["Quantized attention"]),
    ],
)  # fmt: skip
def test_author_and_organization_feeds_with_conditional_get(client, papers, url, expected):
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo
    assert [entry.title for entry in parsed.entries] == expected
    assert response["ETag"] and response["Last-Modified"]
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert (
        client.get(url.replace("deepseek-ai", "nobody").replace("jose", "nobody")).status_code
        == 404
    )


def test_the_signup_from_follow_is_filled_in_and_previewed(client, papers):
    html = client.get("/authors/Song%20Han/").content.decode()
    follow = html.split('class="button primary cta" href="')[1].split('"')[0].replace("&amp;", "&")
    signup = client.get(follow).content.decode()
    assert "author:&quot;Song Han&quot;" in signup
    preview = client.get("/subscribe/preview/", {"rule": 'author:"Song Han"'}).json()
    assert preview["count"] == 1


def test_an_organization_with_an_avatar_shows_it(client, papers):
    Organization.objects.filter(handle="deepseek-ai").update(
        name="DeepSeek", avatar_url="https://example.org/a.png"
    )
    html = client.get("/orgs/deepseek/").content.decode()  # its name finds it too
    assert "DeepSeek" in html and "https://example.org/a.png" in html
