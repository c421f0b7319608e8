"""Editors watch digests in the admin: status, period, papers, error; preview; test sends."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from newsletter.models import Digest

pytestmark = pytest.mark.django_db
DIGESTS = "/admin/newsletter/digest/"


@pytest.fixture
def digests(make_paper, make_subscriber, due_now, outbox):
    make_paper("Speculative LLM decoding", upvotes=12)
    ada = make_subscriber("ada@example.org", "llm")
    bob = make_subscriber("bob@example.org", "verilog")
    due_now(ada, bob)
    return Digest.objects.get(subscriber=ada), Digest.objects.get(subscriber=bob)


def test_the_subscriber_action_sends_a_digest_now_and_only_once_a_day(
    admin_client, digests, outbox, django_capture_on_commit_callbacks
):
    ada_digest, _ = digests
    ada_digest.delete()
    ada = ada_digest.subscriber
    for expected in ("Queued 1 digest.", "1 already had today"):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                "/admin/newsletter/subscriber/",
                {"action": "send_digest_now", "_selected_action": [ada.pk]},
                follow=True,
            )
        assert expected in response.content.decode()
    assert [m.to for m in outbox] == [["ada@example.org"]]
    assert Digest.objects.get(subscriber=ada).status == "sent"


def test_the_list_shows_status_subscriber_period_papers_and_error(admin_client, digests):
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    page = admin_client.get(DIGESTS).content.decode()
    assert "ada@example.org" in page and "bob@example.org" in page
    assert "Sent" in page and "Empty" in page and "No new papers matched your topics." in page
    sent = Digest.objects.get(status="sent")
    detail = admin_client.get(f"{DIGESTS}{sent.pk}/change/").content.decode()
    first = sent.paper_ids[0]
    assert (
        f'/admin/papers/paper/{first}/change/">#{first}</a> Speculative LLM decoding '
        "<small>(matched llm)</small>"
    ) in detail
    subscribers = admin_client.get("/admin/newsletter/subscriber/").content.decode()
    assert f"/admin/newsletter/digest/?subscriber__id__exact={sent.subscriber_id}" in subscribers
    assert sent.message_id.replace("<", "&lt;").replace(">", "&gt;") in detail


def test_preview_renders_the_email_in_the_browser(admin_client, digests):
    ada_digest, _ = digests
    response = admin_client.post(
        DIGESTS, {"action": "preview", "_selected_action": [ada_digest.pk]}, follow=True
    )
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "Speculative LLM decoding" in html and 'style="' in html  # inlined, as sent
    text = admin_client.get(f"{DIGESTS}{ada_digest.pk}/preview/?part=text").content.decode()
    assert "1 new paper on your topics" in text
    assert Digest.objects.get(pk=ada_digest.pk).status == "pending"  # a preview sends nothing


def test_send_test_to_me_goes_to_the_editor_only(admin_client, digests, outbox):
    User.objects.filter(username="admin").update(email="editor@example.org")
    ada_digest, _ = digests
    response = admin_client.post(
        DIGESTS, {"action": "send_test_to_me", "_selected_action": [ada_digest.pk]}, follow=True
    )
    assert "Sent 1 test email to editor@example.org." in response.content.decode()
    [message] = outbox
    assert message.to == ["editor@example.org"]
    assert message.subject.startswith("[Test] 1 new paper on llm — ")
    assert Digest.objects.get(pk=ada_digest.pk).status == "pending"


def test_digests_cannot_be_edited_or_added_by_hand(admin_client, digests):
    assert admin_client.get(f"{DIGESTS}add/").status_code == 403
    ada_digest, _ = digests
    response = admin_client.post(f"{DIGESTS}{ada_digest.pk}/change/", {"status": "sent"})
    assert response.status_code == 403
