"""Every date, page and number in a URL is validated: out of range is a 400 or a 404 with a page,
never a 500 (hardening issue, item 7)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BAD_PATHS = [
    "/?span=week&date=9999-12-27",
    "/?span=month&date=9999-12-31",
    "/?date=0001-01-01",
    "/?date=2026-13-45",
    "/?date=2026-11-23T00:00",
    "/?date=" + "9" * 5000,
    "/papers/99999999999999999999999/",
    "/papers/9223372036854775808/",
]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_out_of_range_is_a_404_with_a_page(path, settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code == 404
    assert "Not found" in response.content.decode() and "<html" in response.content.decode()


@pytest.mark.parametrize(
    "query", ["page=99999999999999999999", "page=-1", "page=1e309", "page=" + "9" * 5000, "page=x"]
)
def test_any_page_number_gives_a_page(client, query):
    assert client.get(f"/?{query}").status_code == 200
    assert client.get(f"/?q=llm&{query}").status_code == 200
    assert client.get(f"/trending/?{query}").status_code == 200


def test_numbers_in_forms_and_links_are_bounded(client, make_subscriber, settings):
    from newsletter.tokens import manage_token

    settings.DEBUG = False
    ada = make_subscriber("ada@example.org", "llm")
    manage = f"/manage/{manage_token(ada)}/"
    quiet = Client(raise_request_exception=False)
    for field in ("paper", "subscription", "entry"):
        for value in ("99999999999999999999999", "-5", "x", "9" * 5000):
            action = {"paper": "forget", "subscription": "unmute", "entry": "library_remove"}[field]
            response = quiet.post(manage, {"action": action, field: value})
            assert response.status_code in (302, 404), (field, value, response.status_code)
