"""The digest email: a Daily Papers card per paper, inlined CSS, a text part, the right headers."""

import io
import re
from datetime import date
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import resolve

from newsletter.emails import period_label
from newsletter.models import Digest
from newsletter.tokens import manage_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def digest_email(make_paper, make_subscriber, due_now, outbox, settings):
    settings.SITE_URL = "https://papers.example.org"
    make_paper(
        "Quantization for Verilog <script>alert(1)</script> models",
        abstract="We study quantization of models that write Verilog. " * 12,
        upvotes=42, arxiv_id="2611.01234", code_url="https://github.com/example/qv", org="acme",
    )  # fmt: skip
    make_paper("Verilog by hand", author_count=3, code_url="javascript:alert(1)", upvotes=7)
    subscriber = make_subscriber("ada@example.org", "quantization", "verilog")
    due_now(subscriber)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    [message] = outbox
    return message, Digest.objects.get(), subscriber


def test_the_subject_names_the_count_the_terms_and_the_day(digest_email):
    message, digest, _ = digest_email
    day = period_label(date.today())
    assert message.subject == f"2 new papers on quantization, verilog — {day}"
    assert digest.subject == message.subject
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}", day)


def test_it_has_a_plain_text_part_and_an_html_part_with_inlined_css(digest_email):
    message, _, _ = digest_email
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert 'class="card" style="background: #ffffff;' in html
    # Only the media queries stay in a <style> block: dark mode and narrow screens.
    [style] = re.findall(r"<style[^>]*>(.*?)</style>", html, re.S)
    assert "prefers-color-scheme: dark" in style and "max-width: 480px" in style
    assert '<meta name="viewport"' in html
    assert "Quantization for Verilog" in message.body and "<" not in message.body.split("\n")[0]


def test_each_paper_shows_what_a_daily_papers_card_shows(digest_email):
    message, _, _ = digest_email
    [(html, _)] = message.alternatives
    assert "Quantization for Verilog &lt;script&gt;alert(1)&lt;/script&gt; models" in html
    assert "<script>" not in html
    assert "Acme" in html and "3 authors" in html  # organization, else author count
    assert "▲ 42" in unescape(html) and "42 upvotes" in message.body
    assert 'href="https://arxiv.org/abs/2611.01234"' in html
    assert 'href="https://github.com/example/qv"' in html
    assert "javascript:" not in html and "javascript:" not in message.body
    assert '<span class="term"' in html and ">quantization</span>" in html
    assert "Matched: verilog, quantization" in message.body or (
        "Matched: quantization, verilog" in message.body
    )
    assert "We study quantization" in html and "…" in unescape(html)  # an excerpt


def test_the_headers_let_a_client_unsubscribe_and_identify_the_list(digest_email, settings):
    message, digest, subscriber = digest_email
    headers = message.extra_headers
    one_click = f"https://papers.example.org/unsubscribe/{subscriber.token}/one-click/"
    assert headers["List-Unsubscribe"].startswith(f"<{one_click}>, <mailto:")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Id"] == settings.NEWSLETTER_LIST_ID
    assert re.fullmatch(r"[^<>]+ <[a-z0-9.-]+>", headers["List-Id"])  # RFC 2919
    assert headers["Message-ID"] == digest.message_id
    assert digest.message_id.endswith("@papers.example.org>")
    assert digest.esp_message_id == "0"  # anymail's test backend numbers the messages it is handed


def test_every_link_to_the_site_resolves(digest_email, client: Client):
    message, _digest, _ = digest_email
    [(html, _)] = message.alternatives
    links = set(re.findall(r'href="(https://papers\.example\.org[^"]*)"', html))
    links |= set(re.findall(r"(https://papers\.example\.org\S*)", message.body))
    assert len(links) >= 5  # home, view in browser, two papers, manage, unsubscribe
    for link in links:
        path = urlsplit(link).path
        resolve(path)
        assert client.get(path).status_code == 200, link


def test_view_in_browser_shows_the_digest_and_past_digests_are_on_the_manage_page(
    digest_email, client: Client
):
    message, digest, subscriber = digest_email
    [view] = re.findall(r"View in your browser: (\S+)", message.body)
    page = client.get(urlsplit(view).path).content.decode()
    assert "Verilog by hand" in page and digest.subject in page
    manage = client.get(f"/manage/{manage_token(subscriber)}/").content.decode()
    assert "Past digests" in manage and urlsplit(view).path in manage


def test_a_tampered_view_link_is_refused(client: Client):
    response = client.get("/digests/1:forged/")
    assert response.status_code == 400


def test_the_html_is_ascii_and_reads_as_written(make_paper, make_subscriber, due_now, outbox):
    """Every character beyond ASCII is a character reference (a digest's parts join and encode as
    one-byte strings): a reader sees the same title, accents, dashes and 👍 / 👎."""
    title = "Über-fast décodage — 量子化 for LLMs 🚀, «quoted» & <escaped>"
    make_paper(title, abstract="Quantization, at last… ✓", upvotes=3, org="acme")
    due_now(make_subscriber("zoë@example.org", "quantization"))
    call_command("send_digests", stdout=io.StringIO())
    [message] = outbox
    [(html, _)] = message.alternatives
    assert html.isascii()
    assert "&#128640;, &#171;quoted&#187; &amp; &lt;escaped&gt;" in html  # escaped, then referred
    read = unescape(html)
    assert title in read and "👍" in read and "👎" in read and "▲ 3" in read and "… ✓" not in html
    assert "Über-fast décodage — 量子化" in message.body  # the text part is written as it is
