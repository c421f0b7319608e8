"""`manage.py check --deploy` with DEBUG off: the documented production settings are clean, and
each example default or dangerous value is an error (hardening issue, item 11)."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parent.parent


def documented() -> dict[str, str]:
    """The production settings as the README gives them, with a real key and secret."""
    block = re.search(
        r"production settings that matter.*?```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S
    )
    settings = {}
    for line in block.group(1).splitlines():
        name, _, value = line.split("#", 1)[0].strip().partition("=")
        settings[name] = value
    settings["SECRET_KEY"] = secrets.token_urlsafe(50)
    settings["ANYMAIL_WEBHOOK_SECRET"] = "esp:" + secrets.token_urlsafe(24)
    return settings


def check(tmp_path, **overrides) -> subprocess.CompletedProcess:
    unset = ("SITE_URL", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the browser tests set it
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(documented())
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", PAPERWIRE_VAR_DIR=str(tmp_path),
               STATIC_ROOT=str(tmp_path / "static"), DJANGO_SETTINGS_MODULE="config.settings")  # fmt: skip
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_documented_production_settings_are_clean(tmp_path):
    done = check(tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "no issues" in done.stdout


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"SECRET_KEY": "change-me-to-a-long-random-string"}, "paperwire.E001"),
        ({"SECRET_KEY": "short-but-not-empty"}, "paperwire.E001"),
        ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "paperwire.E001"),
        ({"SITE_URL": None}, "paperwire.E002"),
        ({"SITE_URL": "http://localhost:8000"}, "paperwire.E002"),
        ({"ALLOWED_HOSTS": "*"}, "paperwire.E003"),
        ({"ANYMAIL_WEBHOOK_SECRET": None}, "newsletter.E001"),
    ],
)
def test_each_dangerous_default_is_an_error(tmp_path, overrides, code):
    done = check(tmp_path, **overrides)
    assert done.returncode != 0
    assert f"({code})" in done.stderr and "ERRORS:" in done.stderr
