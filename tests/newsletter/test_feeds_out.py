"""Feeds out: Atom and RSS for trending, a curated topic, any rule and one subscriber's digests.
Each parses with feedparser without a bozo flag, has the expected entries, names itself with
<link rel="self">, and answers a conditional GET with 304."""

import io
from datetime import date, timedelta

import feedparser
import pytest
from django.core.management import call_command

from newsletter.models import Topic
from newsletter.syndication import feed_token
from papers.models import Paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers(make_paper):
    today = date.today()
    return {
        "quantized": make_paper(
            "Quantized attention",
            upvotes=30,
            arxiv_id="2611.00001",
            org="acme",
            ai_keywords=["quantization"],
        ),
        "pruned": make_paper("Pruning transformers", upvotes=20, authors=["Ada", "Alan"]),
        "month": make_paper(
            "Quantization a month ago", upvotes=5, listed_on=today - timedelta(days=30)
        ),
        "old": make_paper("Quantization of old", upvotes=99, listed_on=today - timedelta(days=400)),
        "hidden": make_paper("Hidden quantization", upvotes=50, hidden=True),
    }


def fetch(client, url: str, **headers):
    response = client.get(url, **headers)
    return response, feedparser.parse(response.content)


def titles(parsed) -> list[str]:
    return [entry.title for entry in parsed.entries]


@pytest.mark.parametrize("kind", ["atom", "rss"])
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/feeds/trending.{kind}", ["Quantized attention", "Pruning transformers"]),
        ("/feeds/rule.{kind}?q=quantization", ["Quantized attention", "Quantization a month ago"]),
        (
            "/feeds/rule.{kind}?q=prune+OR+quantize",
            ["Quantized attention", "Pruning transformers", "Quantization a month ago"],
        ),
        ("/feeds/topics/quant.{kind}", ["Quantized attention", "Quantization a month ago"]),
    ],
)
def test_each_feed_is_well_formed_with_its_entries_and_its_self_link(
    client, papers, url, expected, kind
):
    Topic.objects.create(name="Quantization", slug="quant", rule="quantization")
    url = url.format(kind=kind)
    response, parsed = fetch(client, url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/atom+xml" if kind == "atom" else "application/rss+xml"
    )
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == ("atom10" if kind == "atom" else "rss20")
    assert titles(parsed) == expected
    assert any(link.rel == "self" and link.href.endswith(url) for link in parsed.feed.links)
    entry = parsed.entries[0]
    assert entry.link.startswith("http") and "/papers/" in entry.link
    assert entry.published_parsed


def test_a_conditional_get_is_answered_with_304(client, papers):
    response = client.get("/feeds/trending.atom")
    etag, modified = response["ETag"], response["Last-Modified"]
    assert "max-age" in response["Cache-Control"]
    assert client.get("/feeds/trending.atom", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/feeds/trending.atom", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    papers["pruned"].title = "Pruning transformers, revised"
    papers["pruned"].save()
    changed = client.get("/feeds/trending.atom", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_subscribers_private_feed_carries_their_digest_papers(
    client, papers, make_subscriber, due_now, outbox
):
    ada = make_subscriber("ada@example.org", "quantization")
    due_now(ada)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    url = f"/feeds/private/{feed_token(ada)}.atom"
    response, parsed = fetch(client, url)
    assert response.status_code == 200 and not parsed.bozo
    [digest] = ada.digests.filter(status="sent")
    sent = [Paper.objects.get(pk=row[0]).title for row in digest.items]
    assert "Quantized attention" in sent
    assert titles(parsed) == sent  # the email's papers, in its order
    assert "private" in response["Cache-Control"]
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    manage = client.get(f"/manage/{_manage_token(ada)}/").content.decode()
    assert url in manage  # offered on the manage page


def _manage_token(subscriber):
    from newsletter.tokens import manage_token

    return manage_token(subscriber)


def test_a_forged_or_stale_private_feed_link_is_a_404(client, make_subscriber):
    ada = make_subscriber("ada@example.org", "llm")
    token = feed_token(ada)
    assert client.get(f"/feeds/private/{token[:-2]}xx.atom").status_code == 404
    ada.status = "unsubscribed"
    ada.save()
    assert client.get(f"/feeds/private/{token}.atom").status_code == 404


@pytest.mark.parametrize("query", ["", "?q=", "?q=-survey", "?q=" + "x" * 400])
def test_a_rule_feed_without_a_rule_is_a_404_with_a_reason(client, query):
    assert client.get(f"/feeds/rule.atom{query}").status_code == 404


def test_the_feeds_page_lists_every_feed(client, papers):
    Topic.objects.create(name="Quantization", slug="quant", rule="quantization")
    page = client.get("/feeds/").content.decode()
    for url in ("/feeds/trending.atom", "/feeds/trending.rss", "/feeds/topics/quant.atom",
                "/feeds/rule.atom"):  # fmt: skip
        assert url in page


def test_a_private_feed_link_is_the_same_every_time_and_old_links_still_open(
    client, make_subscriber, monkeypatch
):
    from django.core import signing

    ada = make_subscriber("ada@example.org", "llm")
    first = feed_token(ada)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: "1zzzzz")
    assert feed_token(ada) == first  # a feed reader keeps the URL it was given
    before = signing.dumps([ada.pk, ada.token[:8]], salt="paperwire.subscriber-feed", compress=True)
    assert client.get(f"/feeds/private/{before}.atom").status_code == 200
    assert client.get(f"/feeds/private/{first}.atom").status_code == 200


def test_a_rule_feed_carries_its_latest_50_papers_however_long_ago_within_a_year(
    client, make_paper, settings
):
    today = date.today()
    for n in range(60):  # a rare topic: a paper every five days
        make_paper(f"Tensor-train layers, part {n}", listed_on=today - timedelta(days=5 * n + 8))
    make_paper("Tensor-train layers of long ago", listed_on=today - timedelta(days=400))
    make_paper("Quantized attention", listed_on=today)
    _, parsed = fetch(client, "/feeds/rule.atom?q=tensor-train")
    assert titles(parsed) == [f"Tensor-train layers, part {n}" for n in range(50)]
    settings.PAPERS_FEED_DAYS = 30
    _, parsed = fetch(client, "/feeds/rule.atom?q=tensor-train")
    assert titles(parsed) == [f"Tensor-train layers, part {n}" for n in range(5)]
