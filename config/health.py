"""`/health/`: what an operator's monitor and the compose healthchecks ask (django-health-check).

Each check raises when its part is down, and the page answers 503 then (200 when all is well),
as HTML, text (`?format=text`) or JSON (`?format=json`):
- the database and the cache (django-health-check's own checks);
- the broker: a connection to it (Redis or RabbitMQ), or its folder for the embedded one;
- beat: its last tick (the newest run of a periodic task) within HEALTH_BEAT_MAX_AGE;
- feeds: no enabled feed failing PAPERS_FEED_FAILURES_ALERT times in a row, and each one's
  last successful fetch named;
- disk: at least HEALTH_MIN_FREE_DISK_MB free where the service writes (PAPERWIRE_VAR_DIR);
- sending: not paused by the deliverability guard (if it is: degraded, a 200 that says why).
Messages name what is wrong and never a secret (the broker's URL is never shown).
"""

import dataclasses
import shutil
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker answers a connection."""

    timeout = timedelta(seconds=5)

    def run(self) -> None:
        url = settings.CELERY_BROKER_URL
        if url.startswith("filesystem://"):
            folder = settings.BROKER_DIR
            if not folder.is_dir():
                raise ServiceUnavailable("the embedded broker's folder is missing")
            return
        try:
            with current_app.connection_for_write(url) as connection:
                connection.ensure_connection(max_retries=1, timeout=3)
        except Exception as exc:  # kombu raises many kinds; the reason, without the URL
            raise ServiceUnavailable(f"cannot reach the broker ({type(exc).__name__})") from None


@dataclasses.dataclass
class Beat(HealthCheck):
    """Beat ticked lately: some periodic task ran within HEALTH_BEAT_MAX_AGE."""

    def run(self) -> None:
        from django_celery_beat.models import PeriodicTask

        last = PeriodicTask.objects.aggregate(last=Max("last_run_at"))["last"]
        if last is None:
            raise ServiceUnavailable("beat has never run a periodic task: is it running?")
        age = timezone.now() - last
        if age > timedelta(minutes=settings.HEALTH_BEAT_MAX_AGE_MINUTES):
            raise ServiceUnavailable(
                f"beat's last tick was {int(age.total_seconds() // 60)} minutes ago"
            )


@dataclasses.dataclass
class Feeds(HealthCheck):
    """No enabled feed is failing; each one's last success is named."""

    def run(self) -> None:
        from papers.models import Feed

        failing = [
            f"{feed.name} (last success {_ago(feed.last_success_at)})"
            for feed in Feed.objects.filter(
                enabled=True, consecutive_failures__gte=settings.PAPERS_FEED_FAILURES_ALERT
            )
        ]
        if failing:
            raise ServiceUnavailable("failing feeds: " + "; ".join(failing))


@dataclasses.dataclass
class Disk(HealthCheck):
    """Free space where the service writes."""

    def run(self) -> None:
        free_mb = shutil.disk_usage(settings.VAR_DIR).free // (1024 * 1024)
        if free_mb < settings.HEALTH_MIN_FREE_DISK_MB:
            raise ServiceUnavailable(
                f"{free_mb:,} MB free, under HEALTH_MIN_FREE_DISK_MB ({settings.HEALTH_MIN_FREE_DISK_MB:,})"
            )


@dataclasses.dataclass
class Sending(HealthCheck):
    """Mail goes out: the deliverability guard has not paused it (degraded, not down)."""

    def run(self) -> None:
        from newsletter.selectors import sending_paused

        paused = sending_paused()
        if paused is not None:
            raise ServiceWarning(f"sending is paused by the deliverability guard: {paused.reason}")


def _ago(moment) -> str:
    if moment is None:
        return "never"
    minutes = int((timezone.now() - moment).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min ago" if minutes >= 60 else f"{minutes} min ago"


class Health(HealthCheckView):
    """The checks above: 503 (not the package's 500) when a part is down, as monitors expect;
    200 with `X-Health: degraded` when only a warning stands (sending paused)."""

    checks = (
        "health_check.checks.Database",
        "health_check.checks.Cache",
        Broker,
        Beat,
        Feeds,
        Disk,
        Sending,
    )

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        errors = [result.error for result in getattr(self, "results", []) if result.error]
        down = [error for error in errors if not isinstance(error, ServiceWarning)]
        if response.status_code == 500:
            response.status_code = 503 if down else 200
        if errors and not down:
            response["X-Health"] = "degraded"
        return response
