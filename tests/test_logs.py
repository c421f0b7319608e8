"""Logs: one JSON object a line in production, with the task's, digest's and subscriber's ids
where a line has them, and never an email address; readable lines with DEBUG (make run)."""

import json
import logging
import os
import subprocess
import sys

import pytest
from celery import shared_task

from config.logs import Context, Redact
from tests.conftest import ROOT

SCRIPT = """
import logging, django
django.setup()
logging.getLogger("newsletter.digests.delivery").warning(
    "Digest %s: %s", 7, "550 5.1.1 <Ada.Lovelace+news@Example.org> unknown; also bob@x.io",
    extra={"digest_id": 7, "subscriber_id": 3},
)
"""


def run(tmp_path, **env) -> str:
    environment = {
        **{k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "DEBUG")}, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x" * 60,
        "PAPERWIRE_VAR_DIR": str(tmp_path), "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db", "ALLOWED_HOSTS": "x.org", **env,
    }  # fmt: skip
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stderr.strip().splitlines()[-1]  # the line of the script (others come first)


@pytest.mark.process
def test_production_logs_are_json_lines_with_ids_and_no_address(tmp_path):
    line = run(tmp_path, DEBUG="0", SITE_URL="https://x.org")
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "newsletter.digests.delivery"
    assert (entry["digest_id"], entry["subscriber_id"]) == (7, 3)
    assert "time" in entry and "task_id" in entry
    assert "@" not in line and entry["message"].count("[address]") == 2


@pytest.mark.process
def test_local_logs_are_readable_lines_without_addresses(tmp_path):
    line = run(tmp_path, DEBUG="1")
    assert " WARNING newsletter.digests.delivery: Digest 7: 550 5.1.1 <[address]> " in line
    assert "@" not in line


@shared_task
def _log_in_a_task() -> dict:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "in a task", None, None)
    Context().filter(record)
    return {"task_id": record.task_id}


def test_a_line_logged_in_a_task_carries_its_id():
    result = _log_in_a_task.apply(task_id="task-42")
    assert result.get() == {"task_id": "task-42"}
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "outside", None, None)
    Context().filter(outside)
    assert outside.task_id is None


@pytest.mark.parametrize(
    "text", ["ada@example.org", "A.B+tag@sub.example.co.uk", "to: <x_y@z.io>", "ADA@EXAMPLE.ORG"]
)
def test_every_spelling_of_an_address_is_redacted(text):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "mail %s failed", (text,), None)
    Redact().filter(record)
    assert "@" not in record.getMessage() and "[address]" in record.getMessage()
