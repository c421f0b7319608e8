"""A pending signup cannot be rewritten by anyone (hardening 2, item 5): each signup of a pending
address is a request of its own, whose mail recaps it and whose link confirms exactly it."""

import random
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.test import Client

from newsletter.models import SignupRequest, Subscriber, Topic
from newsletter.tokens import CONFIRM_SALT

pytestmark = pytest.mark.django_db(transaction=True)  # mail leaves after the commit

FORM = {"frequency": "daily", "send_weekday": 0, "timezone": "UTC", "min_upvotes": 0}


@pytest.fixture(autouse=True)
def empty_outbox(fresh_rate_limits):
    mail.outbox = []


def sign_up(address: str, email: str = "ada@example.org", **fields) -> None:
    """A signup from its own client address (so no per-address limit is reached)."""
    client = Client(REMOTE_ADDR=address)
    form = {**FORM, "email": email, "send_hour": 8, "max_papers": 10, **fields}
    assert client.post("/subscribe/", form).status_code == 302


def confirm_path(message) -> str:
    return urlsplit(re.search(r"https?://\S+/confirm/\S+/", message.body)[0]).path


def test_a_stranger_s_later_signup_never_rewrites_what_the_owner_confirms():
    sign_up("203.0.113.1", rules="quantization", send_hour=8, max_papers=10)
    sign_up("198.51.100.66", rules="crypto airdrop", send_hour=3, max_papers=50)
    ada_mail, stranger_mail = mail.outbox
    assert "quantization" in ada_mail.body and "crypto" not in ada_mail.body
    assert "crypto airdrop" in stranger_mail.body and "08:00" in ada_mail.body
    subscriber = Subscriber.objects.get()
    assert subscriber.send_hour == 8  # the later signup changed nothing yet
    assert [s.rule for s in subscriber.subscriptions.all()] == ["quantization"]

    owner = Client()
    page = owner.get(confirm_path(ada_mail)).content.decode()
    before_button = page.split("Confirm my subscription</button>")[0]
    assert "quantization" in before_button and "crypto" not in page
    assert "every day at 08:00" in before_button.lower() and "at most 10 papers" in before_button
    owner.post(confirm_path(ada_mail))
    subscriber.refresh_from_db()
    assert subscriber.status == "active"
    assert [s.rule for s in subscriber.subscriptions.all()] == ["quantization"]
    assert (subscriber.send_hour, subscriber.max_papers) == (8, 10)

    # The stranger's link, opened later: the address is confirmed; nothing changes.
    page = owner.get(confirm_path(stranger_mail)).content.decode()
    assert "already confirmed" in page
    owner.post(confirm_path(stranger_mail))
    subscriber.refresh_from_db()
    assert [s.rule for s in subscriber.subscriptions.all()] == ["quantization"]
    assert subscriber.send_hour == 8


def test_the_later_link_confirms_the_later_request_exactly():
    topic = Topic.objects.create(name="Hardware design", slug="hw", rule="verilog OR rtl")
    sign_up("203.0.113.1", rules="quantization")
    sign_up("203.0.113.2", rules="", topics=[topic.pk], send_hour=17, max_papers=5)
    later = mail.outbox[1]
    assert "Hardware design" in later.body and "17:00" in later.body
    Client().post(confirm_path(later))
    subscriber = Subscriber.objects.get()
    assert [(s.rule, s.topic_id) for s in subscriber.subscriptions.all()] == [("", topic.pk)]
    assert (subscriber.send_hour, subscriber.max_papers) == (17, 5)
    assert SignupRequest.objects.filter(confirmed_at__isnull=False).count() == 1


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_any_link_of_many_signups_confirms_what_its_own_mail_recapped(seed):
    rng = random.Random(seed)
    words = ["quantization", "diffusion", "verilog", "robotics", "retrieval", "agents", "moe"]
    asked = []
    for n in range(rng.randint(2, 6)):
        rules = rng.sample(words, rng.randint(1, 3))
        hour = rng.randrange(24)
        sign_up(f"203.0.113.{n + 1}", rules="\n".join(rules), send_hour=hour)
        asked.append((sorted(rules), hour))
    pick = rng.randrange(len(asked))
    message = mail.outbox[pick]
    for rule in asked[pick][0]:
        assert rule in message.body
    Client().post(confirm_path(message))
    subscriber = Subscriber.objects.get()
    assert sorted(s.rule for s in subscriber.subscriptions.all()) == asked[pick][0]
    assert subscriber.send_hour == asked[pick][1]


def test_a_link_mailed_before_requests_existed_confirms_the_address_as_it_is():
    sign_up("203.0.113.1", rules="quantization")
    subscriber = Subscriber.objects.get()
    old = signing.dumps([subscriber.token, subscriber.email], salt=CONFIRM_SALT)
    Client().post(f"/confirm/{old}/")
    subscriber.refresh_from_db()
    assert subscriber.status == "active"
    assert [s.rule for s in subscriber.subscriptions.all()] == ["quantization"]


def test_a_link_naming_another_reader_s_request_is_refused():
    sign_up("203.0.113.1", rules="quantization")
    sign_up("203.0.113.2", email="bob@example.org", rules="crypto")
    ada, bob = (
        Subscriber.objects.get(email="ada@example.org"),
        Subscriber.objects.get(email="bob@example.org"),
    )
    foreign = bob.signup_requests.get().pk
    forged = signing.dumps([ada.token, ada.email, foreign], salt=CONFIRM_SALT)
    assert Client().post(f"/confirm/{forged}/").status_code == 400
    ada.refresh_from_db()
    assert ada.status == "pending"
