""" "Email me papers like this" on a paper's page: a visitor signs up with that paper as the first
of their library; a reader who came by their manage link adds it to their own library."""

import re

import pytest
from django.core import mail

from newsletter.models import Subscriber
from newsletter.tokens import manage_token

# Real commits, so the emails queued after commit go out as they do in production.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_rate_limits")]

FORM = {
    "email": "ada@example.org", "rules": "", "frequency": "daily", "send_weekday": "0",
    "send_hour": "7", "timezone": "UTC", "min_upvotes": "0", "max_papers": "10",
}  # fmt: skip


@pytest.fixture
def paper(make_paper):
    return make_paper("Quantized attention for long contexts", arxiv_id="2611.01234")


def test_a_visitor_signs_up_with_the_paper_as_the_first_of_their_library(client, paper):
    page = client.get(f"/papers/{paper.pk}/").content.decode()
    assert f'href="/subscribe/?paper={paper.pk}">Email me papers like this</a>' in page
    signup = client.get(f"/subscribe/?paper={paper.pk}").content.decode()
    assert "Your library starts with" in signup and paper.title in signup
    assert f'name="paper" value="{paper.pk}"' in signup
    # No topic is needed: the library may be followed alone.
    response = client.post("/subscribe/", {**FORM, "paper": paper.pk}, follow=True)
    assert "Check your inbox" in response.content.decode()
    [message] = mail.outbox
    assert f"Your library starts with: {paper.title}" in message.body
    link = re.search(r"https?://[^/\s]+(/confirm/\S+/)", message.body)[1]
    recap = client.get(link).content.decode()
    assert "Your library starts with" in recap and paper.title in recap
    client.post(link)
    ada = Subscriber.objects.get(email="ada@example.org")
    assert ada.status == "active"
    assert list(ada.library.values_list("paper_id", "identity", "source")) == [
        (paper.pk, "arxiv:2611.01234", "paper page")
    ]
    assert ada.taste_changed_at is not None  # its ranking will be trained


def test_a_reader_who_came_by_their_manage_link_adds_it_to_their_library(
    client, paper, make_subscriber
):
    ada = make_subscriber("ada@example.org", "llm")
    client.get(f"/manage/{manage_token(ada)}/")  # the manage link, from a mail
    page = client.get(f"/subscribe/?paper={paper.pk}").content.decode()
    assert "Add it to my library" in page and paper.title in page
    response = client.post(f"/subscribe/like/{paper.pk}/")
    assert response.status_code == 302
    assert response["Location"].endswith("?library=1#library")
    assert "Added 1 paper to your library" in client.get(response["Location"]).content.decode()
    assert ada.library.get().paper_id == paper.pk
    again = client.post(f"/subscribe/like/{paper.pk}/")
    assert again["Location"].endswith("?library=0#library")  # once is enough
    assert ada.library.count() == 1
    assert mail.outbox == []  # nothing to confirm: it is their own library


def test_without_a_manage_link_the_add_is_a_signup(client, paper):
    response = client.post(f"/subscribe/like/{paper.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/subscribe/?paper={paper.pk}"
    assert client.get(f"/subscribe/like/{paper.pk}/").status_code == 405


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "", "1e9"])
def test_a_paper_that_is_not_there_is_ignored_on_the_page_and_refused_in_the_form(
    client, paper, value
):
    page = client.get(f"/subscribe/?paper={value}")
    assert page.status_code == 200 and "Your library starts with" not in page.content.decode()
    response = client.post("/subscribe/", {**FORM, "paper": value})
    assert response.status_code == 400
    assert mail.outbox == []


def test_a_hidden_paper_cannot_start_a_library(client, paper):
    paper.hidden = True
    paper.save()
    response = client.post("/subscribe/", {**FORM, "paper": paper.pk})
    assert response.status_code == 400
    assert "no longer" in response.content.decode()
