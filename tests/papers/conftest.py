import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from papers.services import source_ingest


@pytest.fixture
def ingest_file():
    """Ingest one file through the service, as `manage.py ingest` does."""

    def ingest(path: Path, **options):
        with open(path, "rb") as stream:
            return source_ingest(stream=stream, source=str(path), **options)

    return ingest


@pytest.fixture
def ingest_bytes():
    def ingest(data: bytes, source: str = "input", **options):
        return source_ingest(stream=io.BytesIO(data), source=source, **options)

    return ingest


@dataclass
class CommandResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_ingest(capsys):
    """`manage.py ingest ARGS`, as a user runs it: exit code, standard output and error."""

    def run(*args: object) -> CommandResult:
        code, failure = 0, ""
        try:
            call_command("ingest", *map(str, args), "--no-progress")
        except CommandError as exc:
            code, failure = exc.returncode, f"CommandError: {exc}\n"
        out, err = capsys.readouterr()
        return CommandResult(code=code, out=out, err=err + failure)

    return run
