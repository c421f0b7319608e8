"""A record of each message as it is sent, kept outside the database.

A batch writes the database once, at its end (the query budget is five per batch of 500).
A worker killed half-way would leave its claimed digests "sending" with no trace of which ones
had gone out. So each send is written to the journal the moment the backend accepts it, and
recovery settles those digests from the journal: journaled ones are sent, the rest are sent
again. The one window left is between the backend's acceptance and the journal write (a single
Redis command or file append, well under a millisecond); no sender can close it without an
idempotent ESP API.

With Redis (NEWSLETTER_JOURNAL_URL, by default REDIS_URL) every worker on every host shares it;
without, it is an append-only file per claim under var/journal, for the single-host stack.
"""

import json
import os
import weakref
from pathlib import Path
from typing import Protocol

from django.conf import settings

KEEP_SECONDS = 7 * 24 * 3600


class Journal(Protocol):
    """Entries are what the database would have recorded: Message-ID, ESP id, subject, items."""

    def record(self, claim: str, digest_id: int, entry: dict) -> None: ...

    def read(self, claim: str) -> dict[int, dict]: ...

    def forget(self, claim: str) -> None: ...


class RedisJournal:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)

    def _key(self, claim: str) -> str:
        return f"paperwire:digest-journal:{claim}"

    def record(self, claim: str, digest_id: int, entry: dict) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(self._key(claim), str(digest_id), json.dumps(entry))
        pipe.expire(self._key(claim), KEEP_SECONDS)
        pipe.execute()

    def read(self, claim: str) -> dict[int, dict]:
        entries = self.client.hgetall(self._key(claim))
        return {int(key): json.loads(value) for key, value in entries.items()}

    def forget(self, claim: str) -> None:
        self.client.delete(self._key(claim))


class FileJournal:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._open: tuple | None = None  # (claim, file descriptor, its finalizer)

    def _path(self, claim: str) -> Path:
        return self.directory / f"{claim}.log"

    def record(self, claim: str, digest_id: int, entry: dict) -> None:
        line = f"{digest_id}\t{json.dumps(entry)}\n".encode()
        # One write(2) with O_APPEND: the kernel keeps it even if this process is killed next.
        os.write(self._fd(claim), line)

    def _fd(self, claim: str) -> int:
        """The claim's file, opened once for the batch's records (closed when it is forgotten,
        or with the journal)."""
        if self._open is not None and self._open[0] == claim:
            return self._open[1]
        self._close()
        fd = os.open(self._path(claim), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._open = (claim, fd, weakref.finalize(self, os.close, fd))
        return fd

    def _close(self) -> None:
        if self._open is not None:
            self._open[2]()  # closes the file, once
            self._open = None

    def read(self, claim: str) -> dict[int, dict]:
        try:
            lines = self._path(claim).read_text().splitlines()
        except FileNotFoundError:
            return {}
        entries = {}
        for line in lines:
            digest_id, _, entry = line.partition("\t")
            try:
                entries[int(digest_id)] = json.loads(entry)
            except ValueError:  # a line cut short by a crash
                continue
        return entries

    def forget(self, claim: str) -> None:
        if self._open is not None and self._open[0] == claim:
            self._close()
        self._path(claim).unlink(missing_ok=True)


def journal() -> Journal:
    url = settings.NEWSLETTER_JOURNAL_URL
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisJournal(url)
    return FileJournal(Path(url.removeprefix("file://")))
