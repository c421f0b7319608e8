"""What every log line carries, and what it never does.

- `Context` adds the Celery task's id (`task_id`) to every record made inside a task, so a
  JSON line can be followed to its task; the digest's and subscriber's ids come as `extra`
  where a line is about one (`digest_id`, `subscriber_id`).
- `Redact` replaces anything that looks like an email address in a line's message and
  arguments with "[address]": logs name subscribers by their id, never by their address, even
  when an ESP's error message quotes it.
"""

import logging
import re

ADDRESS_RE = re.compile(r"[^\s<>()\"',;:@]+@[^\s<>()\"',;:@]+\.[A-Za-z]{2,}")


class Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "task_id"):
            try:
                from celery import current_task

                task = current_task
                record.task_id = task.request.id if task and task.request.id else None
            except Exception:  # no Celery here: nothing to add
                record.task_id = None
        return True


class Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "@" in message:
            record.msg, record.args = ADDRESS_RE.sub("[address]", message), None
        return True
