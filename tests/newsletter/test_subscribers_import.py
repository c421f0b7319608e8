"""`manage.py subscribers_import FILE.csv [--confirmed]`: every row checked before any is
written, known addresses never changed, and a report of what was refused and why."""

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from newsletter.models import Subscriber, Topic

pytestmark = pytest.mark.django_db

LIST = """email,topic
ada@example.org,quantization -survey
ada@example.org,Hardware design
ADA@example.org,quantization -survey
bob@example.org,
not-an-address,llm
carol@example.org,"unclosed ""quote"
dave@example.org,verilog
eve@example.org,fpga
"""


def run(tmp_path, text: str, *options) -> tuple[str, str | None]:
    path = tmp_path / "list.csv"
    path.write_text(text)
    out = io.StringIO()
    try:
        call_command("subscribers_import", str(path), *options, stdout=out)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def test_rows_are_checked_and_the_good_ones_imported_pending(tmp_path, make_subscriber, outbox,
                                                             django_capture_on_commit_callbacks):  # fmt: skip
    Topic.objects.create(name="Hardware design", slug="hardware", rule="verilog OR fpga")
    make_subscriber("eve@example.org", "gpu", status="unsubscribed")
    with django_capture_on_commit_callbacks(execute=True):
        out, error = run(tmp_path, LIST)
    assert "Imported 3 subscribers (pending, each sent a confirmation email) with 3 topics" in out
    assert "line 6: not-an-address: not a valid email address" in out
    assert "line 7: carol@example.org: topic" in out and "never closed" in out
    assert "line 9: eve@example.org: unsubscribed: only they can sign up again" in out
    assert "1 follow no topic yet" in out
    assert error and "3 rows refused" in error
    ada = Subscriber.objects.get(email="ada@example.org")
    assert ada.status == "pending"
    assert sorted(str(s) for s in ada.subscriptions.all()) == [
        "Hardware design",
        "quantization -survey",
    ]
    assert Subscriber.objects.get(email="eve@example.org").status == "unsubscribed"
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ada@example.org",
        "bob@example.org",
        "dave@example.org",
    ]


def test_confirmed_lists_are_active_at_once_and_known_addresses_unchanged(
    tmp_path, make_subscriber, outbox
):
    make_subscriber("dave@example.org", "gpu")
    out, _error = run(
        tmp_path, "email,topic\nada@example.org,llm\ndave@example.org,verilog\n", "--confirmed"
    )
    assert "Imported 1 subscriber (active) with 1 topic; refused 1 row." in out
    assert "dave@example.org: already subscribed (unchanged)" in out
    ada = Subscriber.objects.get(email="ada@example.org")
    assert ada.status == "active" and ada.confirmed_at and ada.next_digest_at
    assert [
        s.rule for s in Subscriber.objects.get(email="dave@example.org").subscriptions.all()
    ] == ["gpu"]
    assert not outbox


def test_a_file_that_is_no_list_imports_nothing(tmp_path):
    _, error = run(tmp_path, "name,rule\nada,llm\n")
    assert error and "email" in error and "Nothing was imported" in error
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"email\ncaf\xe9@example.org\n")
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("subscribers_import", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("subscribers_import", str(tmp_path / "missing.csv"), stdout=io.StringIO())
    assert not Subscriber.objects.exists()
