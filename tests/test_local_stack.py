"""What `make run` starts: the Procfile's web server, worker and beat, with no external service."""

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.celery_worker import wait_until

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def responds(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def local_env(tmp_path):
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_"))
    }
    return {
        **keep,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PAPERWIRE_VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "WEB_PORT": str(free_port()),
    }


def test_the_local_stack_serves_runs_a_worker_and_beat_and_stops_on_ctrl_c(local_env, tmp_path):
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--no-input"], ["local_setup"]):
        done = subprocess.run([*manage, *command], cwd=ROOT, env=local_env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert "username: admin  password: " in done.stdout

    log = tmp_path / "honcho.log"
    with open(log, "wb") as output:
        stack = subprocess.Popen(
            [str(BIN / "honcho"), "start", "--no-colour", "-f", "Procfile"],
            cwd=ROOT, env=local_env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{local_env['WEB_PORT']}/admin/login/"
            up = wait_until(
                lambda: (
                    responds(url)
                    and "ready." in log.read_text()
                    and "beat: Starting" in log.read_text()
                ),
                timeout=60,
            )
            assert up, log.read_text()
            stack.send_signal(signal.SIGINT)
            stack.wait(timeout=30)
        finally:
            if stack.poll() is None:
                stack.kill()
                stack.wait()

    text = log.read_text()
    assert "filesystem://" in text  # the broker lives on disk, no Redis needed
    for process in ("web.1", "worker.1", "beat.1"):
        assert f"{process} stopped" in text, text
    assert not responds(url)
    assert (tmp_path / "var" / "paperwire.sqlite3").exists()
