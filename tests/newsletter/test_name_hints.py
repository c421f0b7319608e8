"""org: and author: values that match no known organization or author are named, with the
closest known names, in the live preview, on signup and by preview_rule."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command

from core.query import parse
from newsletter.selectors import name_hints
from papers.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(make_paper):
    nvidia = Organization.objects.create(handle="nvidia", name="NVIDIA")
    Organization.objects.create(handle="deepseek-ai", name="DeepSeek")
    Organization.objects.create(handle="zurich-lab", name="Zürich Lab")
    make_paper("GPU kernels", organization=nvidia, authors=["Geoffrey Hinton", "Ada Lovelace"])


@pytest.mark.parametrize(
    "rule", ["org:nvidia", "org:NVIDIA", "org:deepseek", "org:zurich", "author:hinton"]
)
def test_known_names_give_no_hint(known, rule):
    assert name_hints(parse(rule)) == []


def test_org_matches_the_handle_and_the_full_name_ignoring_case_and_accents(known, make_paper):
    from core.query import document

    doc = document(title="x", org="zurich-lab Zürich Lab")
    for rule in ("org:zurich", "org:ZÜRICH", "org:zurich-lab", "org:zurichlab", 'org:"zurich lab"'):
        assert parse(rule).matches(doc), rule


def test_an_unknown_org_is_named_with_the_closest_known_ones(known):
    assert name_hints(parse("gpu org:nvida")) == [
        "org:nvida matches no organization we know yet; closest: NVIDIA (nvidia)."
    ]
    assert name_hints(parse("org:qwertyuiop")) == [
        "org:qwertyuiop matches no organization we know yet."
    ]


def test_an_unknown_author_is_named_with_the_closest_known_ones(known):
    assert name_hints(parse("author:hintn")) == [
        "author:hintn matches no author we know yet; closest: Geoffrey Hinton."
    ]


def test_the_preview_and_signup_say_so(known, client):
    cache.clear()
    data = client.get("/subscribe/preview/", {"rule": "org:nvida"}).json()
    assert data["hints"] == [
        "org:nvida matches no organization we know yet; closest: NVIDIA (nvidia)."
    ]
    page = client.post(
        "/subscribe/",
        {
            "email": "ada@example.org",
            "rules": "org:nvida",
            "frequency": "daily",
            "send_weekday": "0",
            "send_hour": "8",
            "timezone": "UTC",
            "max_papers": "10",
        },
        follow=True,
    ).content.decode()
    assert "org:nvida matches no organization we know yet" in page


def test_preview_rule_prints_the_hint(known, capsys):
    call_command("preview_rule", "org:nvida", stdout=io.StringIO())
    assert "closest: NVIDIA (nvidia)" in capsys.readouterr().err
