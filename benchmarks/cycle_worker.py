"""What `benchmarks/cycle.py` loads into its Celery workers, to count what they do.

- `EmailBackend`: anymail's test backend (nothing leaves the machine), which also appends one
  line per message handed to it ("<digest id> <recipient>") to a file of this process under
  CYCLE_OUTBOX_DIR, and keeps no message in memory (the test backend's outbox would grow with
  every message of the day). The benchmark counts the day's deliveries from these files.
- Queries per batch: while a `send_digest_batch` task runs, the queries it makes are counted and
  appended to the same directory ("queries-<pid>.txt"). Hooked when the worker starts, through
  CELERY_IMPORTS (the benchmark sets it to this module).
"""

import os
import re

from anymail.backends.test import EmailBackend as TestBackend
from celery.signals import task_postrun, task_prerun
from django.core import mail
from django.db import connection

DIGEST_ID = re.compile(r"<digest\.(\d+)\.")


def _path(kind: str) -> str:
    return os.path.join(os.environ["CYCLE_OUTBOX_DIR"], f"{kind}-{os.getpid()}.txt")


class EmailBackend(TestBackend):
    def post_to_esp(self, payload, message):
        mail.outbox = []  # the test backend keeps each message; an ESP would not
        response = super().post_to_esp(payload, message)
        found = DIGEST_ID.search(message.extra_headers.get("Message-ID", ""))
        line = f"{found.group(1) if found else '-'} {message.to[0]}\n"
        # One write a message, in append mode: a worker killed after this line has handed the
        # message over, and one killed before it has not.
        with open(_path("outbox"), "a") as out:
            out.write(line)
        return response


class _Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


_counting: dict[str, _Counter] = {}


@task_prerun.connect
def _count_queries(task_id=None, task=None, **kwargs) -> None:
    if task is not None and task.name == "newsletter.tasks.send_digest_batch":
        counter = _counting[task_id] = _Counter()
        connection.execute_wrappers.append(counter)


@task_postrun.connect
def _record_queries(task_id=None, task=None, **kwargs) -> None:
    counter = _counting.pop(task_id, None)
    if counter is None:
        return
    if counter in connection.execute_wrappers:
        connection.execute_wrappers.remove(counter)
    with open(_path("queries"), "a") as out:
        out.write(f"{counter.count}\n")
