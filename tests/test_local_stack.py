"""What `make run` starts: the Procfile's web server, worker and beat, with no external service."""

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.celery_worker import wait_until

pytestmark = pytest.mark.process

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


def processes_with(marker: str) -> list[str]:
    """The command lines of the processes whose environment holds this marker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:  # gone, or not ours to read
            continue
    return found


def kill_all_with(marker: str) -> None:
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue


def make_run(env: dict, log: Path, *, piped: bool) -> subprocess.Popen:
    """`make run`, its output through a pipe to `tee` or straight into the log, in a process
    group of its own: a SIGINT to the group is a terminal's Ctrl-C."""
    command = "make --no-print-directory run 2>&1"
    command = f"{command} | tee {log}" if piped else f"exec {command} > {log}"
    return subprocess.Popen(
        ["bash", "-c", command], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def run_then_ctrl_c(local_env: dict, tmp_path: Path, *, piped: bool, sigterm: bool = False) -> str:
    """Start `make run`, wait until web, worker and beat serve, press Ctrl-C (or send `make` a
    SIGTERM, as a service manager does), and check that no process of it is left; the log."""
    marker = f"paperwire-run-{os.getpid()}-{tmp_path.name}"
    env = {**local_env, "PAPERWIRE_TEST_MARKER": marker}
    env.pop("SITE_URL", None)
    log = tmp_path / "run.log"
    run = make_run(env, log, piped=piped)
    url = f"http://127.0.0.1:{env['WEB_PORT']}/admin/login/"
    try:
        up = wait_until(
            lambda: responds(url) and "ready." in log.read_text() and "beat: Starting" in
            log.read_text(), timeout=180,
        )  # fmt: skip
        assert up, log.read_text() if log.exists() else "no output"
        if sigterm:  # bash execs make: run.pid is make's
            os.kill(run.pid, signal.SIGTERM)
        else:
            os.killpg(run.pid, signal.SIGINT)
        run.wait(timeout=30)
        gone = wait_until(lambda: not processes_with(marker), timeout=30)
        assert gone, processes_with(marker)
    finally:
        kill_all_with(marker)  # never leave a server behind a failed test
    assert not responds(url)
    return log.read_text()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the processes left")
def test_make_run_through_a_pipe_leaves_nothing_running_after_ctrl_c(local_env, tmp_path):
    """`make run | tee log`: the Ctrl-C stops tee first, so the pipe closes under make run while
    it stops its processes; they are all stopped all the same."""
    text = run_then_ctrl_c(local_env, tmp_path, piped=True)
    port = local_env["WEB_PORT"]
    assert f"Starting web on http://127.0.0.1:{port}/ (this machine only)" in text
    assert f"links in mail point to http://127.0.0.1:{port}." in text
    assert f"Admin: http://127.0.0.1:{port}/admin/" in text  # SITE_URL follows WEB_PORT


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the processes left")
@pytest.mark.parametrize("sigterm", [False, True], ids=["ctrl-c", "sigterm"])
def test_make_run_starts_without_a_warning_and_stops_without_an_error(local_env, tmp_path, sigterm):
    text = run_then_ctrl_c(local_env, tmp_path, piped=False, sigterm=sigterm)
    for name in ("web", "worker", "beat"):
        assert re.search(rf"{name} +\| stopped", text), text
    # From the start of the services (before it, `make` may install: pip's own notes are not ours).
    served = text[text.index("Starting web on") :]
    problems = [line for line in served.splitlines()
                if re.search(r"\bERROR\b|Traceback|WARNING|No hostname", line)]  # fmt: skip
    assert problems == []
    assert (tmp_path / "var" / "paperwire.sqlite3").exists()


def test_the_process_manager_shows_every_line_at_once_and_stops_on_sigterm(tmp_path):
    """Lines that come together are all shown, though the process says nothing more after them
    (a line left in a read buffer would wait unseen), and a SIGTERM stops the whole tree."""
    procfile = tmp_path / "Procfile"
    procfile.write_text("quiet: printf 'one\\ntwo\\nthree' && sleep 60 & sleep 60\n")
    log = tmp_path / "out.log"
    with open(log, "wb") as output:
        manager = subprocess.Popen(
            [sys.executable, "-m", "config.procs", str(procfile)], cwd=ROOT, stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            assert wait_until(lambda: "quiet | two" in log.read_text(), timeout=10), log.read_text()
            manager.send_signal(signal.SIGTERM)
            assert manager.wait(timeout=20) == 0
        finally:
            if manager.poll() is None:
                manager.kill()
    text = log.read_text()
    assert "quiet | three" in text  # the last line, without its newline, at the end
    assert "SIGTERM: stopping everything" in text and "quiet | stopped" in text
