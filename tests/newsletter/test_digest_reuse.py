"""A sending process keeps what its batches share (each paper's card, its rendering, the signers'
keys) from one batch to the next: what it keeps must never outlive a change."""

import io
import time

import pytest
from django.core import signing
from django.core.management import call_command

from newsletter import tokens
from papers.models import Paper

pytestmark = pytest.mark.django_db


def _send(outbox) -> str:
    outbox.clear()
    call_command("send_digests", "--no-progress", stdout=io.StringIO())
    [message] = outbox
    return message.body + message.alternatives[0][0]


def test_a_paper_edited_between_two_batches_shows_as_it_is_now(
    make_paper, make_subscriber, due_now, outbox
):
    paper = make_paper("Quantized verilog models", upvotes=7)
    first = make_subscriber("first@example.org", "verilog")
    due_now(first)
    email = _send(outbox)
    assert "Quantized verilog models" in email and "github.com/example/qv" not in email

    Paper.objects.filter(pk=paper.pk).update(
        title="Quantised Verilog models, revised", upvotes=55,
        code_url="https://github.com/example/qv",
    )  # fmt: skip
    second = make_subscriber("second@example.org", "verilog")
    due_now(second)
    email = _send(outbox)
    assert "Quantised Verilog models, revised" in email
    assert "Quantized verilog models" not in email
    assert "https://github.com/example/qv" in email and "55" in email


def test_a_hidden_paper_leaves_the_next_batch(make_paper, make_subscriber, due_now, outbox):
    make_paper("Verilog one", upvotes=3)
    hidden = make_paper("Verilog two", upvotes=9)
    due_now(make_subscriber("first@example.org", "verilog"))
    assert "Verilog two" in _send(outbox)
    Paper.objects.filter(pk=hidden.pk).update(hidden=True)
    due_now(make_subscriber("second@example.org", "verilog"))
    email = _send(outbox)
    assert "Verilog one" in email and "Verilog two" not in email


def test_the_manage_token_is_djangos_own_and_follows_the_secret_key(
    settings, monkeypatch, make_subscriber
):
    ada = make_subscriber("ada@example.org", "llm")
    monkeypatch.setattr(signing.time, "time", lambda: 1_800_000_000.5)
    mine = tokens.manage_token(ada)
    assert mine == signing.dumps(ada.token, salt=tokens.MANAGE_SALT)
    settings.SECRET_KEY = "another key, long enough to be a secret key for this test"
    again = tokens.manage_token(ada)
    assert again != mine and again == signing.dumps(ada.token, salt=tokens.MANAGE_SALT)
    monkeypatch.undo()
    assert tokens.subscriber_for_manage(tokens.manage_token(ada)) == ada


def test_a_readers_feedback_tokens_are_those_signed_one_by_one(make_subscriber, monkeypatch):
    ada = make_subscriber("ada@example.org", "llm")
    sign = tokens.feedback_signer(ada)
    for paper_id in (1, 42, 10**12):
        assert sign(paper_id) == tokens.feedback_token(ada, paper_id)
        assert tokens.feedback_for_token(sign(paper_id)) == (ada, paper_id)
    # The day in a token is the day it is made, however long the process has run.
    later = time.time() + 3 * 86400
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    assert tokens.feedback_token(ada, 1) != sign(1)
    assert (
        tokens.feedback_token(ada, 1)
        .split(":")[0]
        .endswith(signing.b62_encode(int(later // 86400)))
    )


def test_the_file_journal_keeps_every_record_and_no_file_open(tmp_path):
    import gc
    import os

    from newsletter.digests.journal import FileJournal

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0

    before = open_files()
    log = FileJournal(tmp_path)
    for n in range(5):  # two claims interleaved, as a redelivered task's would be
        log.record("first", n, {"message_id": f"<{n}@x>", "items": [[n, ["llm"], [0]]]})
        log.record("second", 100 + n, {"message_id": f"<{100 + n}@x>"})
    assert sorted(log.read("first")) == [0, 1, 2, 3, 4]
    assert log.read("first")[3]["items"] == [[3, ["llm"], [0]]]
    assert sorted(FileJournal(tmp_path).read("second")) == [100, 101, 102, 103, 104]
    log.forget("first")
    assert log.read("first") == {} and not (tmp_path / "first.log").exists()
    log.record("second", 105, {"message_id": "<105@x>"})
    assert len(log.read("second")) == 6
    del log
    gc.collect()
    assert open_files() == before
