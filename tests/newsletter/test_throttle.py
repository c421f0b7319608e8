"""Sending throttled per ESP: the rate and the window hold across every sender that shares the
cache (here, several throttles of one process, as several workers would share Redis), and a
throttle that is not set costs nothing."""

import random
from collections import Counter

import pytest
from django.core.cache import cache

from newsletter.digests import throttle as throttle_module
from newsletter.digests.throttle import Throttle, esp_name

pytestmark = pytest.mark.django_db


class Clock:
    """A clock that moves only when a throttle sleeps (or a sender takes time to send)."""

    def __init__(self, start: float = 1_000_000.0):
        self.now = start

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert 0 < seconds <= 3600
        self.now += seconds


def send(senders: list[Throttle], clock: Clock, messages: int, rng: random.Random) -> list[float]:
    """`messages` sends from senders picked at random; when each went out."""
    times = []
    for _ in range(messages):
        rng.choice(senders).acquire()
        times.append(clock.now)
        clock.now += rng.choice([0, 0.001, 0.01])
    return times


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("rate", [5, 50])
def test_no_second_carries_more_than_the_rate_across_senders(settings, seed, rate):
    cache.clear()
    settings.NEWSLETTER_SEND_RATE = rate
    clock = Clock()
    senders = [Throttle(sleep=clock.sleep, clock=clock.time) for _ in range(3)]
    messages = rate * 4 + 7
    times = send(senders, clock, messages, random.Random(seed))
    per_second = Counter(int(t) for t in times)
    assert max(per_second.values()) <= rate
    # It waited, and not much longer than it had to: senders' unspent chunks are small.
    assert messages / rate - 1 <= times[-1] - times[0] <= messages / rate * 1.25 + 1


def test_the_window_holds_too(settings):
    cache.clear()
    settings.NEWSLETTER_SEND_RATE = 0
    settings.NEWSLETTER_SEND_WINDOW_LIMIT = 30
    settings.NEWSLETTER_SEND_WINDOW_SECONDS = 60
    clock = Clock(start=6_000_000.0)  # a window's start
    senders = [Throttle(sleep=clock.sleep, clock=clock.time) for _ in range(2)]
    times = send(senders, clock, 75, random.Random(7))
    per_window = Counter(int(t // 60) for t in times)
    assert max(per_window.values()) <= 30 and len(per_window) <= 4


def test_without_settings_nothing_is_counted_nor_awaited(settings, monkeypatch):
    settings.NEWSLETTER_SEND_RATE = 0
    settings.NEWSLETTER_SEND_WINDOW_LIMIT = 0
    monkeypatch.setattr(throttle_module, "cache", None)  # any use would fail
    throttle = Throttle(sleep=lambda s: pytest.fail("slept"))
    for _ in range(100):
        throttle.acquire()


@pytest.mark.parametrize(
    "backend, name",
    [("anymail.backends.mailgun.EmailBackend", "mailgun"),
     ("django.core.mail.backends.smtp.EmailBackend", "smtp"),
     ("anymail.backends.amazon_ses.EmailBackend", "amazon_ses")],
)  # fmt: skip
def test_each_esp_has_a_rate_of_its_own(settings, backend, name):
    settings.EMAIL_BACKEND = backend
    assert esp_name() == name


SENDER = """
import json, sys, time
import django
django.setup()
from newsletter.digests.throttle import Throttle
throttle, start, times = Throttle(), float(sys.argv[1]), []
while time.time() < start:
    time.sleep(0.005)
for _ in range(int(sys.argv[2])):
    times.append(throttle.acquire())  # the second it was counted in (a loaded machine may
    # return from acquire in the next one: what the ESP sees then is the sender's pace)
print(json.dumps(times))
"""


@pytest.mark.process
@pytest.mark.services
def test_the_rate_is_shared_by_two_processes_on_redis(redis_url):
    """Two sender processes (as two workers on two machines would be) on one Redis: together
    they never pass the rate, and both send (neither starves the other)."""
    import json
    import os
    import subprocess
    import sys
    import time

    import redis

    redis.Redis.from_url(redis_url).flushdb()
    rate, each = 10, 25
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings",
           "REDIS_URL": redis_url, "NEWSLETTER_SEND_RATE": str(rate)}  # fmt: skip
    start = time.time() + 3  # both processes have started by then
    command = [sys.executable, "-c", SENDER, str(start), str(each)]
    senders = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    outputs = [sender.communicate(timeout=60)[0] for sender in senders]
    assert [sender.returncode for sender in senders] == [0, 0]
    times = [json.loads(output) for output in outputs]
    every = sorted(t for sent in times for t in sent)
    assert len(every) == 2 * each
    per_second = Counter(int(t) for t in every)
    assert max(per_second.values()) <= rate
    # 50 messages at 10 a second go out over 5 seconds at least; both processes sent throughout.
    assert len(per_second) >= 2 * each / rate
    assert all(len({int(t) for t in sent}) >= each / rate for sent in times)
