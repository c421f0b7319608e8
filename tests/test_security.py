"""What a hostile paper or visitor could try: markup in titles, and pages that must not leak."""

from datetime import date
from pathlib import Path

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


# -- Smaller holes (hardening 2, item 7) -----------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        "evil。com", "evil．com", "evil｡com", "evil﹒com", "ｅｖｉｌ．ｃｏｍ", "cheap-pills．example",
        "spam․org", "mail me＠x", "ｈｔｔｐ：／／x", "ｗｗｗ。spam",
    ],
)  # fmt: skip
def test_the_recap_folds_every_spelling_a_mail_client_reads_as_a_link(rule):
    from newsletter.emails import recap_text

    assert recap_text(rule) == "a topic with a link-like word (see it on your manage page)"


@pytest.mark.parametrize("rule", ["quantization", "LLM 4-bit", "vision-language", "état de l'art"])
def test_the_recap_keeps_a_plain_topic(rule):
    from newsletter.emails import recap_text

    assert recap_text(rule) == rule


@pytest.mark.parametrize(
    "url", ["/feeds/trending.atom", "/feeds/rule.rss?q=llm", "/feeds/topics/q.atom", "/feeds/"]
)
@pytest.mark.parametrize("method", ["trace", "put", "delete", "patch"])
def test_feeds_answer_only_get_and_head(client, url, method):
    Topic.objects.create(name="Q", slug="q", rule="quantization")
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD"}


def _is_secure(tmp_path, proxies: str, header: str) -> str:
    """Whether a production site (DEBUG off, an https SITE_URL) takes a request with this
    X-Forwarded-Proto for https."""
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup();"
        "from django.test import RequestFactory;"
        f"print(RequestFactory().get('/', HTTP_X_FORWARDED_PROTO={header!r}).is_secure())"
    )
    env = {
        **os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 60, "SITE_URL": "https://p.example.org",
        "ALLOWED_HOSTS": "p.example.org", "TRUSTED_PROXIES": proxies,
        "DJANGO_SETTINGS_MODULE": "config.settings", "PAPERWIRE_VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"), "DATABASE_URL": f"sqlite:///{tmp_path}/db",
    }  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.process
def test_x_forwarded_proto_is_believed_only_behind_trusted_proxies(tmp_path):
    assert _is_secure(tmp_path, "0", "https") == "False"
    assert _is_secure(tmp_path, "1", "https") == "True"
    assert _is_secure(tmp_path, "1", "http") == "False"
