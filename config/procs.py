"""`make run`'s process manager: start each line of a Procfile, prefix its output with its name,
and stop them all, whole process trees included, on Ctrl-C, SIGTERM or SIGHUP.

    python -m config.procs Procfile

Each process runs in a session of its own, so the terminal's Ctrl-C reaches only this manager,
which stops them in order (a SIGTERM to each group, a SIGKILL to what is left after a grace
period) and exits when all are gone. Its output may go through a pipe (`make run | tee log`):
when the pipe closes (the reader was stopped by the same Ctrl-C), output is dropped and the
shutdown still completes, so nothing is left running. A process that exits on its own stops the
others, and the manager exits with its status.
"""

import contextlib
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

GRACE_SECONDS = 10
COLOURS = ("36", "33", "35", "32", "34")
LINE_RE = re.compile(r"^(?P<name>[\w-]+):\s*(?P<command>.+)$")


def read_procfile(path: Path) -> list[tuple[str, str]]:
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = LINE_RE.match(line)
        if not match:
            raise SystemExit(f"{path}:{number}: expected 'name: command', found {line!r}")
        entries.append((match["name"], match["command"]))
    return entries


class Output:
    """Lines to standard output, prefixed; silent for good once the reader has gone."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.open = True
        self.colour = sys.stdout.isatty()

    def line(self, name: str, index: int, text: str) -> None:
        if not self.open:
            return
        label = f"{time.strftime('%H:%M:%S')} {name:<{self.width}} |"
        if self.colour:
            label = f"\033[{COLOURS[index % len(COLOURS)]}m{label}\033[0m"
        try:
            sys.stdout.write(f"{label} {text}\n")
            sys.stdout.flush()
        except (BrokenPipeError, OSError):
            self.open = False
            # Any later write to the closed pipe is dropped rather than raised at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())


class Manager:
    def __init__(self, entries: list[tuple[str, str]]) -> None:
        self.entries = entries
        self.output = Output(max(len(name) for name, _ in entries))
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopping = False
        self.status = 0

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        selector = selectors.DefaultSelector()
        for index, (name, command) in enumerate(self.entries):
            process = subprocess.Popen(
                _exec(command), shell=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, bufsize=0,
            )  # fmt: skip
            self.processes[name] = process
            selector.register(process.stdout, selectors.EVENT_READ, (name, index))
            self.output.line(name, index, f"started with pid {process.pid}")
        open_streams = len(self.entries)
        deadline = None
        swept: set[str] = set()
        partial: dict[str, bytes] = {}  # each process's last line, until its end comes
        while open_streams:
            if self.stopping and deadline is None:
                # The leaders first: a Celery worker stops its own pool (a SIGTERM to the whole
                # group would kill the pool under it, which it reports as an error).
                deadline = time.monotonic() + GRACE_SECONDS
                self._signal_leaders(signal.SIGTERM)
            if self.stopping:  # then what a leader that has exited left in its group
                for name, process in self.processes.items():
                    if name not in swept and process.poll() is not None:
                        swept.add(name)
                        self._signal_group(process, signal.SIGTERM)
            if deadline is not None and time.monotonic() > deadline:
                self._signal_all(signal.SIGKILL)
                deadline = float("inf")
            for key, _ in selector.select(timeout=0.2):
                name, index = key.data
                # Whatever is there, read at once: a line left in a reader's buffer would wait,
                # unseen by select(), for the process's next output.
                chunk = os.read(key.fileobj.fileno(), 65536)
                if chunk:
                    *lines, partial[name] = (partial.get(name, b"") + chunk).split(b"\n")
                    for line in lines:
                        self.output.line(name, index, line.decode("utf-8", "replace"))
                    continue
                if partial.get(name):
                    self.output.line(name, index, partial.pop(name).decode("utf-8", "replace"))
                selector.unregister(key.fileobj)
                open_streams -= 1
                code = self.processes[name].wait()
                self.output.line(name, index, f"stopped (exit status {code})")
                if not self.stopping:  # one died on its own: stop the rest, and say so
                    self.status = code or 1
                    self.stopping = True
        self._signal_all(signal.SIGKILL)  # whatever a process left behind in its group
        return self.status

    def _on_signal(self, signum, frame) -> None:
        if not self.stopping:
            self.output.line("procs", 0, f"{signal.Signals(signum).name}: stopping everything")
        self.stopping = True

    def _signal_leaders(self, signum: int) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signum)

    def _signal_all(self, signum: int) -> None:
        for process in self.processes.values():
            self._signal_group(process, signum)

    @staticmethod
    def _signal_group(process: subprocess.Popen, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)


def _exec(command: str) -> str:
    """A simple command runs in the shell's place, so that its signals reach it directly."""
    return command if any(char in command for char in ";&|()`") else f"exec {command}"


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else "Procfile")
    return Manager(read_procfile(path)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
