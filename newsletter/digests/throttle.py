"""Sending throttled per ESP, shared by every worker on every machine, as listmonk's message
rate and sliding window are: at most NEWSLETTER_SEND_RATE messages a second, and (optionally) at
most NEWSLETTER_SEND_WINDOW_LIMIT in any NEWSLETTER_SEND_WINDOW_SECONDS, counted in the cache
every process shares (Redis, or the database with its atomic increment).

Counts go by fixed windows (the second, the window) keyed by the ESP (the email backend's
module: "mailgun", "smtp", ...). A worker takes its messages' allowance in chunks (one increment
for up to THROTTLE_CHUNK messages, and at most a tenth of the limit), so the cost is one cache
operation per chunk, not per message; a window that is full makes it wait for the next. With neither setting, nothing is
counted and nothing waits.
"""

import time

from django.conf import settings
from django.core.cache import cache

THROTTLE_CHUNK = 20


def esp_name() -> str:
    backend = settings.EMAIL_BACKEND
    parts = backend.split(".")
    return parts[-2] if len(parts) >= 2 else backend


class Throttle:
    """One process's view of the shared allowance (a digest batch makes one)."""

    def __init__(self, *, sleep=time.sleep, clock=time.time):
        self.rate = settings.NEWSLETTER_SEND_RATE
        self.window_limit = settings.NEWSLETTER_SEND_WINDOW_LIMIT
        self.window_seconds = max(settings.NEWSLETTER_SEND_WINDOW_SECONDS, 1)
        self.esp = esp_name()
        self.sleep, self.clock = sleep, clock
        self.allowance: dict[str, int] = {}  # the taken, unspent messages of the current windows

    @property
    def active(self) -> bool:
        return self.rate > 0 or self.window_limit > 0

    def acquire(self) -> float | None:
        """Wait, if need be, until one more message may go out; the moment it was counted in
        (None when nothing is counted)."""
        if not self.active:
            return None
        for _ in range(1_000_000):  # bounded; each turn waits for the next window at most
            now = self.clock()
            limits = []
            if self.rate > 0:
                limits.append(("s", 1, self.rate))
            if self.window_limit > 0:
                limits.append(("w", self.window_seconds, self.window_limit))
            keys = [(f"send:{self.esp}:{name}:{int(now // span)}", span, limit)
                    for name, span, limit in limits]  # fmt: skip
            waits = [self._take(key, span, limit, now) for key, span, limit in keys]
            if all(wait == 0 for wait in waits):
                for key, _span, _limit in keys:
                    self.allowance[key] -= 1
                return now
            self.sleep(max(waits))
        return None

    def _take(self, key: str, span: int, limit: int, now: float) -> float:
        """0 when `key`'s window has a message left for this process, else seconds to wait."""
        if self.allowance.get(key, 0) > 0:
            return 0
        for old in [k for k in self.allowance if k.rsplit(":", 2)[1] == key.rsplit(":", 2)[1]]:
            del self.allowance[old]  # an earlier window of the same kind
        # A chunk is at most a tenth of the limit: what one sender holds unspent at a window's end
        # is lost to the others, so it must stay small beside the limit.
        want = max(1, min(THROTTLE_CHUNK, limit // 10))
        cache.add(key, 0, timeout=span * 2)
        try:
            counted = cache.incr(key, want)
        except ValueError:  # the key expired between add and incr: start it again
            cache.add(key, want, timeout=span * 2)
            counted = want
        granted = max(0, min(want, limit - (counted - want)))
        if granted:
            self.allowance[key] = granted
            return 0
        return (int(now // span) + 1) * span - now + 0.001
