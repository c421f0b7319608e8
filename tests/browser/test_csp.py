"""The Content-Security-Policy allows no inline script, and every page still works under it:
Chromium reports no violation on the public pages, the signup preview, the manage page and the
admin (hardening issue, item 10)."""

import pytest
from django.core.cache import cache

from papers.models import Paper

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_no_page_breaks_the_policy(page, live_server, admin_user, make_subscriber):
    cache.clear()
    from datetime import date

    paper = Paper.objects.create(
        title="Quantized attention", title_key="quantizedattention", listed_on=date.today(),
        abstract="We study quantization of attention.", upvotes=3,
        thumbnail_url="https://cdn-thumbnails.huggingface.co/x.png",
    )  # fmt: skip
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)  # fmt: skip
    response = page.goto(live_server.url + "/")
    policy = response.headers["content-security-policy"]
    script = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'self'" in script and "unsafe-inline" not in script and "unsafe-eval" not in script
    page.goto(live_server.url + "/subscribe/")
    page.get_by_label("Your topics").fill("quantization")
    page.get_by_text("would have matched 1 paper in the last 7 days").wait_for()
    for path in ("/trending/", f"/papers/{paper.pk}/", "/?q=attention"):
        page.goto(live_server.url + path)
    from newsletter.tokens import manage_token

    ada = make_subscriber("ada@example.org", "llm")
    page.goto(live_server.url + f"/manage/{manage_token(ada)}/")
    page.get_by_text("Change topics and schedule").click()
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Curation").wait_for()
    page.goto(live_server.url + f"/admin/papers/paper/{paper.pk}/change/")
    page.get_by_role("button", name="Save", exact=True).wait_for()
    assert violations == []
