"""Feeds that reach inside (SSRF): every fetch path refuses loopback, private, link-local, shared,
reserved and multicast addresses in every spelling, before connecting and after every redirect,
and connects to the address it checked. The loopback test server is fetched only where a test
allows it on purpose (PAPERS_FETCH_ALLOW_PRIVATE), or where it stands for a public host."""

import socket
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core import fetch
from core.fetch import FetchError, PrivateAddressError, check_public_url, http_fetch
from papers.models import Feed, Paper
from papers.services.feeds import feed_fetch
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Inside</title><item>'
    b"<title>A secret internal paper</title><link>https://arxiv.org/abs/2411.00001</link>"
    b"<description>Only for the intranet.</description></item></channel></rss>"
)
# Loopback, in the spellings a parser may read: dotted, decimal, octal, hex, short, a name,
# a trailing dot, IPv6 and IPv4-mapped IPv6.
LOOPBACK = [
    "127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "127.1", "localhost",
    "127.0.0.1.", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "127.9.9.9",
]  # fmt: skip
INSIDE = [
    "169.254.169.254", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "[fe80::1]", "[fc00::1]", "[2002:7f00:1::]",
    "[::]", "198.18.0.1",
]  # fmt: skip


@pytest.fixture
def inside(http_server, settings):
    """The loopback server, with fetching inside refused as in production."""
    settings.PAPERS_FETCH_ALLOW_PRIVATE = False
    http_server.serve("/feed.xml", RSS, content_type="application/rss+xml")
    return http_server


def port_of(server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


@pytest.mark.parametrize("host", LOOPBACK)
def test_every_spelling_of_loopback_is_refused_before_connecting(inside, host):
    url = f"http://{host}:{port_of(inside)}/feed.xml"
    with pytest.raises(PrivateAddressError, match="an address inside"):
        http_fetch(url, retries=0)
    assert inside.requests == []


@pytest.mark.parametrize("host", INSIDE)
def test_private_link_local_shared_reserved_and_multicast_addresses_are_refused(settings, host):
    settings.PAPERS_FETCH_ALLOW_PRIVATE = False
    with pytest.raises(PrivateAddressError, match="PAPERS_FETCH_ALLOW_PRIVATE"):
        http_fetch(f"http://{host}/latest/meta-data/", retries=0)


@pytest.mark.parametrize("host", ["8.8.8.8", "[2001:4860:4860::8888]", "1.1.1.1"])
def test_a_public_address_passes_the_check(settings, host):
    settings.PAPERS_FETCH_ALLOW_PRIVATE = False
    check_public_url(f"https://{host}/feed.xml")  # no connection is made by the check


def test_an_open_and_a_closed_port_inside_answer_alike(inside):
    """No port-scan oracle: both are refused before any connection, with the same words."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]
    messages = []
    for port in (port_of(inside), closed_port):
        with pytest.raises(FetchError) as caught:
            http_fetch(f"http://127.0.0.1:{port}/feed.xml", retries=0)
        messages.append(str(caught.value).replace(str(port), "PORT"))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("target", ["2130706434", "0177.0.0.2", "[::1]", "169.254.169.254"])
def test_a_redirect_inside_is_refused(inside, monkeypatch, target):
    """The test server (127.0.0.1) stands for a public host; its redirect to an address inside
    (127.0.0.2 in two spellings, IPv6 loopback, the cloud metadata address) is refused."""
    real = fetch._is_public
    monkeypatch.setattr(fetch, "_is_public", lambda a: a == "127.0.0.1" or real(a))
    moved = inside.serve(
        "/moved", b"", status=302,
        headers={"Location": f"http://{target}:{port_of(inside)}/feed.xml"},
    )  # fmt: skip
    with pytest.raises(PrivateAddressError):
        http_fetch(moved, retries=0)
    assert [path for path, _ in inside.requests] == ["/moved"]


def test_the_connection_goes_to_the_address_checked(inside, monkeypatch):
    """DNS rebinding: the name is resolved once per request, and the socket connects to that
    answer; a second answer (inside) is never asked for nor used."""
    real_resolve = socket.getaddrinfo
    answers = iter(["127.0.0.1", "10.255.255.1", "10.255.255.1"])
    asked = []

    def resolve(host, port, *args, **kwargs):
        if host == "feeds.example":
            asked.append(host)
            return real_resolve(next(answers), port, *args, **kwargs)
        return real_resolve(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(fetch, "_is_public", lambda a: a == "127.0.0.1")
    result = http_fetch(f"http://feeds.example:{port_of(inside)}/feed.xml", retries=0)
    assert result.body.read() == RSS
    assert asked == ["feeds.example"]
    assert inside.requests[0][1]["Host"] == f"feeds.example:{port_of(inside)}"


def test_a_feed_inside_is_not_fetched_and_the_editor_sees_why(inside, client):
    feed = Feed.objects.create(name="inside", url=f"http://2130706433:{port_of(inside)}/feed.xml")
    report = feed_fetch(feed=feed)
    feed.refresh_from_db()
    assert feed.last_status == "error"
    assert "an address inside" in feed.last_error and "PAPERS_FETCH_ALLOW_PRIVATE" in report.error
    assert Paper.objects.count() == 0 and inside.requests == []
    page = client.get("/search/?q=secret+internal").content.decode()
    assert "A secret internal paper" not in page and "address inside" not in page


def test_feeds_add_refuses_an_address_inside_and_accepts_it_when_allowed(inside, settings):
    url = f"http://0x7f.0.0.1:{port_of(inside)}/feed.xml"
    with pytest.raises(CommandError, match="an address inside"):
        call_command("feeds", "add", url)
    assert not Feed.objects.exists()
    settings.PAPERS_FETCH_ALLOW_PRIVATE = True
    call_command("feeds", "add", inside.base_url + "/feed.xml", "--name", "intranet")
    feed = Feed.objects.get(name="intranet")
    feed_fetch(feed=feed)
    assert Paper.objects.filter(title="A secret internal paper").exists()


def test_the_admin_refuses_a_feed_inside(inside, admin_client):
    response = admin_client.post(
        "/admin/papers/feed/add/",
        {"name": "meta", "url": "http://169.254.169.254/latest/", "kind": "", "enabled": "on"},
    )
    assert response.status_code == 200
    assert "an address inside" in response.content.decode()
    assert not Feed.objects.exists()


@pytest.mark.process
def test_the_ingest_command_refuses_a_url_inside(inside, tmp_path, monkeypatch):
    """`ingest URL` is a fetch path too (a process of its own, as an operator runs it)."""
    monkeypatch.setenv("PAPERS_FETCH_ALLOW_PRIVATE", "0")
    done = subprocess.run(
        [sys.executable, "manage.py", "ingest", f"http://127.1:{port_of(inside)}/feed.xml"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "DEBUG": "1", "PAPERWIRE_VAR_DIR": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode != 0
    assert "an address inside" in done.stdout + done.stderr
    assert inside.requests == []
