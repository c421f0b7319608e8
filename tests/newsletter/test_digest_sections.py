"""A digest has a section per topic: every topic with matches gets a slot before any topic gets
a second, a paper appears once, and one number is given everywhere."""

import io
import re

import pytest
from django.core.management import call_command

from newsletter.emails import digest_url
from newsletter.models import Digest
from newsletter.selectors import digest_counts
from newsletter.tokens import manage_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def broad_and_narrow(make_paper, make_subscriber, due_now, outbox):
    """One broad topic with 117 papers, two narrow ones with 1 each, 10 papers a digest."""
    for n in range(117):
        make_paper(f"A language model study number {n}", upvotes=100 + n)
    make_paper("Verilog generation from specifications", upvotes=1)
    make_paper("An FPGA accelerator for sparse kernels", upvotes=2)
    reader = make_subscriber("ada@example.org", "language model", "verilog", "fpga")
    due_now(reader)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    [message] = outbox
    return reader, message, Digest.objects.get()


def text_of(message) -> str:
    return message.body


def test_each_narrow_topic_has_its_section_in_the_email(broad_and_narrow):
    _, message, digest = broad_and_narrow
    text = text_of(message)
    for topic in ("language model", "verilog", "fpga"):
        assert f"== {topic} ==" in text
    assert "Verilog generation from specifications" in text
    assert "An FPGA accelerator for sparse kernels" in text
    assert digest.sections == ["language model", "verilog", "fpga"]
    sections_shown = [row[2][0] for row in digest.items]
    assert sections_shown.count(1) == 1 and sections_shown.count(2) == 1
    assert sections_shown.count(0) == 8  # the broad topic has the slots left


def test_one_number_everywhere(broad_and_narrow, client):
    reader, message, digest = broad_and_narrow
    counts = digest_counts(digest)
    assert (counts.total, counts.in_email, counts.more) == (119, 10, 109)
    assert message.subject.startswith("119 new papers on language model, verilog, fpga — ")
    assert "109 more on the web" in text_of(message)
    html = message.alternatives[0][0]
    assert "119 new papers on your topics" in html and "109 more on the web" in html
    page = client.get(
        digest_url(digest.pk, digest.subscriber).split("testserver")[-1]
    ).content.decode()
    assert "119 new papers on your topics, 10 in the email and 109 more here" in page
    manage = client.get(f"/manage/{manage_token(reader)}/").content.decode()
    assert re.search(r"119 papers", manage)


def test_the_page_shows_each_topic_and_pages_through_the_rest(broad_and_narrow, client):
    _, _, digest = broad_and_narrow
    path = "/" + digest_url(digest.pk, digest.subscriber).split("/", 3)[3]
    page = client.get(path).content.decode()
    for topic in ("language model", "verilog", "fpga"):
        assert f">{topic}</h2>" in page
    assert "More on language model" in page
    assert page.count('class="paper-card') == 10 + 5  # the email's, and five more
    assert "All 109 more on language model" in page
    first = client.get(path, {"topic": 0}).content.decode()
    assert first.count('class="paper-card') == 20 and "page 1 of 6" in first
    last = client.get(path, {"topic": 0, "page": 6}).content.decode()
    assert last.count('class="paper-card') == 9
    assert client.get(path, {"topic": 7}).status_code == 404
    assert client.get(path, {"topic": "x"}).status_code == 404


def test_a_paper_two_topics_matched_appears_once_naming_both(
    make_paper, make_subscriber, due_now, outbox
):
    make_paper("Quantized verilog models", upvotes=5)
    make_paper("Quantization alone", upvotes=4)
    reader = make_subscriber("q@example.org", "quantization", "verilog")
    due_now(reader)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    [message] = outbox
    assert message.body.count("Quantized verilog models") == 1
    assert "Also on quantization" in message.body or "Also on verilog" in message.body
    digest = Digest.objects.get()
    assert digest_counts(digest).total == 2


def test_also_trending_fills_the_room_left(make_paper, make_subscriber, due_now, outbox):
    make_paper("Verilog by hand", upvotes=3)
    make_paper("A hot diffusion paper", upvotes=500)
    make_paper("Another hot paper", upvotes=400)
    reader = make_subscriber("v@example.org", "verilog", max_papers=2)
    due_now(reader)
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    [message] = outbox
    assert "== Also trending ==" in message.body
    assert "A hot diffusion paper" in message.body and "Another hot paper" not in message.body
    assert message.subject.startswith("1 new paper on verilog — ")
    assert digest_counts(Digest.objects.get()).total == 1
