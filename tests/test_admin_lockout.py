"""Admin logins are throttled per username and address (django-axes), and the lockout shows
in the admin (hardening issue, item 6)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_repeated_failures_lock_that_username_from_that_address(admin_user, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "admin", "wrong").status_code == 200  # the form again
    assert login(client, "admin", "wrong").status_code == 429  # the last allowed failure
    locked = login(client, "admin", "password")  # even the right password now
    assert locked.status_code == 429 and "Too many failed logins" in locked.content.decode()
    assert login(Client(), "admin", "password", address="198.51.100.9").status_code == 302

    admin = Client()
    admin.force_login(admin_user)
    page = admin.get("/admin/axes/accessattempt/").content.decode()
    assert "203.0.113.7" in page and "admin" in page


def test_forwarded_addresses_are_ignored_unless_a_proxy_is_trusted(admin_user, settings):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):  # a new X-Forwarded-For each time: no escape
        client.post(
            "/admin/login/", {"username": "admin", "password": "wrong"},
            REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )  # fmt: skip
    assert login(client, "admin", "password").status_code == 429
