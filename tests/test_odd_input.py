"""Odd input never makes a server error: control characters in queries and feeds, over-long
identities in a library, and arbitrary text in every parameter of every public GET endpoint."""

from datetime import date
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.models import Digest, Subscriber, Subscription, Topic
from newsletter.services.library import library_import
from newsletter.tokens import (
    InvalidToken,
    confirm_token,
    digest_token,
    feedback_token,
    mute_token,
    subscriber_for_opaque,
)
from papers.models import Paper
from tests.conftest import examples

pytestmark = pytest.mark.django_db

CONTROLS = ["%01", "%1b", "%00", "%7f", "%c2%85", "%0b", "%ef%bf%be", "%ed%a0%80"]


@pytest.fixture
def world(db):
    paper = Paper.objects.create(
        title="Quantization of LLMs", title_key="quantizationofllms",
        abstract="We quantize large language models.", listed_on=date.today(), upvotes=3,
    )  # fmt: skip
    topic = Topic.objects.create(name="Quantization", slug="quantization", rule="quantization")
    subscriber = Subscriber.objects.create(email="odd@example.org", status="active")
    Subscription.objects.create(subscriber=subscriber, rule="quantization")
    digest = Digest.objects.create(
        subscriber=subscriber, period=date.today(), frequency="daily",
        scheduled_for=timezone.now(), status=Digest.Status.SENT, sent_at=timezone.now(),
        items=[[paper.pk, []]],
    )  # fmt: skip
    return paper, topic, subscriber, digest


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize("path", ["/feeds/rule.atom", "/feeds/rule.rss", "/search/", "/"])
def test_a_control_character_in_a_query_is_dropped_not_a_server_error(client, world, path, control):
    response = client.get(f"{path}?q={control}llm{control}%20quantization")
    assert response.status_code in (200, 302)
    body = response.content.decode()
    for raw in ("\x01", "\x1b", "\x00", "\x7f", "\x85", "\x0b", "\ufffe"):
        assert raw not in body


@pytest.mark.usefixtures("fresh_rate_limits")
@pytest.mark.parametrize("control", CONTROLS[:-1])  # the last is no character: read as U+FFFD
@pytest.mark.parametrize("path", ["/api/search", "/api/daily_papers"])
def test_the_api_refuses_a_control_character_in_a_query_rather_than_read_a_shorter_one(
    client, world, path, control
):
    # 201 characters, one of them a control: cleaned to 200, it would pass the schema's bound.
    response = client.get(f"{path}?q={control}{'a' * 200}&date=2026-01-01")
    assert response.status_code == 400
    assert response.json() == {"detail": "A query parameter has a control character in it."}
    assert client.get(f"/api/search?q={'a' * 201}").status_code == 422
    assert client.get(f"/api/search?q={'a' * 200}").status_code == 200


def test_a_rule_feed_of_only_control_characters_is_a_404_with_its_reason(client, world):
    response = client.get("/feeds/rule.atom?q=%01%02%1b")
    assert response.status_code == 404


def test_a_paper_whose_title_carries_control_characters_is_served_in_every_feed(client, world):
    paper = world[0]
    Paper.objects.filter(pk=paper.pk).update(title="Quantization\x01 of \x1bLLMs\x0c")
    for kind in ("atom", "rss"):
        for url in (f"/feeds/rule.{kind}?q=quantization", f"/feeds/topics/quantization.{kind}"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert b"Quantization of LLMs" in response.content


@pytest.mark.parametrize(
    "identity_of",
    [
        lambda n: f"@article{{a{n}, title={{{'Long title ' * 60}{n}}}}}",
        lambda n: f"@article{{a{n}, doi={{10.1000/{'x' * 400}{n}}}}}",
        lambda n: f"@article{{a{n}, title={{{'Ü' * 320}}}}}",
    ],
)
def test_a_library_identity_over_its_column_is_compared_as_stored(world, identity_of):
    """Two entries alike in their first 300 characters are one entry, whether they come in one
    file or two: never a unique-constraint error."""
    subscriber = world[2]
    first = library_import(subscriber=subscriber, data=identity_of(1) + "\n" + identity_of(2))
    second = library_import(subscriber=subscriber, data=identity_of(3))
    assert first.imported == 1 and first.count("duplicate") == 1
    assert second.imported == 0 and second.count("duplicate") == 1
    assert subscriber.library.count() == 1


def test_a_long_identity_uploaded_on_the_manage_page_is_no_server_error(
    world, django_capture_on_commit_callbacks
):
    from newsletter.tokens import manage_token

    subscriber = world[2]
    client = Client()
    url = f"/manage/{manage_token(subscriber)}/"
    client.get(url)
    text = f"@article{{a, title={{{'A very long title ' * 40}}}}}".encode()
    for _ in range(2):
        upload = SimpleUploadedFile("library.bib", text, content_type="application/x-bibtex")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"action": "library_add", "library_file": upload})
        assert response.status_code == 302
    assert subscriber.library.count() == 1


# -- Arbitrary text everywhere -------------------------------------------------------------

# Any character a URL can carry: everything but lone surrogates, which no client can encode.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


def public_gets(paper, topic, subscriber, digest):
    """Every public GET endpoint, with the parameters it reads."""
    return [
        ("/", ["q", "span", "date", "page"]),
        ("/trending/", ["page"]),
        ("/search/", ["q", "page"]),
        (f"/papers/{paper.pk}/", []),
        ("/feeds/", []),
        ("/feeds/trending.atom", []),
        ("/feeds/rule.atom", ["q"]),
        ("/feeds/rule.rss", ["q"]),
        (f"/feeds/topics/{topic.slug}.rss", []),
        ("/subscribe/", ["rule", "topic", "email"]),
        ("/subscribe/preview/", ["rule"]),
        ("/subscribe/check-inbox/", []),
        ("/manage/", []),
        ("/manage/link-sent/", []),
        (f"/confirm/{confirm_token(subscriber)}/", []),
        (f"/unsubscribe/{subscriber.token}/", []),
        (f"/digests/{digest_token(digest.pk, subscriber)}/", ["topic", "page", "format"]),
        (f"/feedback/{feedback_token(subscriber, paper.pk)}/up/", ["done", "excluded"]),
        (f"/mute/{mute_token(subscriber, subscriber.subscriptions.get().pk)}/", ["done"]),
    ]


PATHS = [
    "/papers/{}/", "/confirm/{}/", "/manage/{}/", "/unsubscribe/{}/", "/digests/{}/",
    "/feedback/{}/up/", "/feedback/x/{}/", "/mute/{}/", "/feeds/topics/{}.atom",
    "/feeds/private/{}.atom", "/unsubscribe/{}/one-click/",
]  # fmt: skip


@pytest.mark.parametrize("control", ["%00", "a%00b", "%01x", "x%1b", "%7f", "%c2%85"])
@pytest.mark.parametrize("template", PATHS)
def test_a_control_character_in_a_path_is_a_bad_request_before_any_lookup(
    world, template, control, django_assert_max_num_queries
):
    # PostgreSQL refuses a NUL in a query: /unsubscribe/%00/ was a server error there.
    with django_assert_max_num_queries(0):
        response = Client().get(template.format(control))
    assert response.status_code == 400
    assert "control character" in response.content.decode()


@pytest.mark.parametrize("value", ["\x00", "token\x00", "\x00.atom"])
@pytest.mark.parametrize("pick", range(19))
def test_a_nul_in_any_parameter_of_any_public_page_is_never_a_server_error(world, value, pick):
    path, names = public_gets(*world)[pick]
    response = Client().get(path, dict.fromkeys(names, value))
    assert response.status_code < 500


def test_an_opaque_token_that_cannot_be_one_is_refused_unread(world, django_assert_num_queries):
    with django_assert_num_queries(0):
        for token in ("a" * 65, "semi;colon", "sp ace", "", "%00"):
            with pytest.raises(InvalidToken):
                subscriber_for_opaque(token)
    assert subscriber_for_opaque(world[2].token) == world[2]


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=TEXT, extra=TEXT, pick=st.integers(min_value=0, max_value=10_000))
def test_arbitrary_text_in_any_parameter_of_any_public_page_is_never_a_server_error(
    world, value, extra, pick
):
    client = Client()  # the test client raises what a view raises: a 500 fails here
    endpoints = public_gets(*world)
    path, names = endpoints[pick % len(endpoints)]
    params = {name: value if i % 2 == 0 else extra for i, name in enumerate(names)}
    response = client.get(path, params)
    assert response.status_code < 500
    template = PATHS[pick % len(PATHS)]
    response = client.get(template.format(quote(value, safe="") or "x"))
    assert response.status_code < 500
