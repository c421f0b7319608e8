"""`/metrics`: the service in Prometheus' text format, for an operator's scraper.

Mounted only with METRICS_TOKEN set, and every request must carry `Authorization: Bearer
<token>` (compared in constant time); anything else is a 401. It serves django-prometheus'
request, response and database metrics (per web process) and the service's own, read from the
database and the broker at each scrape, so every process tells the same:

- `paperwire_papers{source}`: papers stored, by the source that first brought them;
- `paperwire_papers_ingested_total{format}`: papers the kept ingest runs stored, by format;
- `paperwire_matches`: stored matches;
- `paperwire_digests{status}`: digests by status;
- `paperwire_esp_events{type}`: the ESP's webhook events by type (delivered, bounced, ...),
  which are the sends by the ESP's response;
- `paperwire_queue_depth{queue}`: tasks waiting in each Celery queue;
- `paperwire_bounce_rate{window}`, `paperwire_complaint_rate{window}`: over 24h and 7d, with
  `paperwire_sends{window}`;
- `paperwire_sending_paused`: 1 while the deliverability guard holds sending.
"""

import hmac

from celery import current_app
from django.conf import settings
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector


class ServiceCollector(Collector):
    """The service's own figures, read at each scrape."""

    def collect(self):
        from newsletter.models import DeliveryEvent, Digest, Match
        from newsletter.selectors import deliverability, sending_paused
        from papers.models import IngestRun, Paper

        papers = GaugeMetricFamily("paperwire_papers", "Papers stored.", labels=["source"])
        for row in Paper.objects.values("sources").annotate(n=Count("pk")):
            papers.add_metric([(row["sources"] or "unknown").split(",")[0]], row["n"])
        yield papers
        ingested = CounterMetricFamily(
            "paperwire_papers_ingested", "New papers stored by ingest runs.", labels=["format"]
        )
        for row in IngestRun.objects.values("format").annotate(n=Sum("new_count")):
            ingested.add_metric([row["format"] or "unknown"], row["n"] or 0)
        yield ingested
        yield GaugeMetricFamily("paperwire_matches", "Stored matches.", value=Match.objects.count())
        digests = GaugeMetricFamily("paperwire_digests", "Digests by status.", labels=["status"])
        for row in Digest.objects.values("status").annotate(n=Count("pk")):
            digests.add_metric([row["status"]], row["n"])
        yield digests
        events = GaugeMetricFamily(
            "paperwire_esp_events", "ESP webhook events by type.", labels=["type"]
        )
        for row in DeliveryEvent.objects.values("event_type").annotate(n=Count("pk")):
            events.add_metric([row["event_type"]], row["n"])
        yield events
        yield from _rates(deliverability())
        yield GaugeMetricFamily(
            "paperwire_sending_paused", "1 while the deliverability guard holds sending.",
            value=1 if sending_paused() else 0,
        )  # fmt: skip
        yield _queue_depths()


def _rates(windows: dict):
    sends = GaugeMetricFamily("paperwire_sends", "Digests sent.", labels=["window"])
    bounces = GaugeMetricFamily(
        "paperwire_bounce_rate", "Hard bounces per digest sent.", labels=["window"]
    )
    complaints = GaugeMetricFamily(
        "paperwire_complaint_rate", "Spam complaints per digest sent.", labels=["window"]
    )
    for name, figures in windows.items():
        sends.add_metric([name], figures.sends)
        bounces.add_metric([name], figures.bounce_rate)
        complaints.add_metric([name], figures.complaint_rate)
    return sends, bounces, complaints


def _queue_depths() -> GaugeMetricFamily:
    depth = GaugeMetricFamily(
        "paperwire_queue_depth", "Tasks waiting in each Celery queue.", labels=["queue"]
    )
    queues = sorted(
        {settings.CELERY_TASK_DEFAULT_QUEUE, *getattr(settings, "CELERY_QUEUE_NAMES", ())}
    )
    try:
        with current_app.connection_for_read(settings.CELERY_BROKER_URL) as connection:
            channel = connection.default_channel
            for queue in queues:
                try:
                    count = channel.queue_declare(queue=queue, passive=True).message_count
                except Exception:  # a queue nobody declared yet holds nothing
                    count = 0
                depth.add_metric([queue], count)
    except Exception:  # the broker is down: /health/ says so; the metric is left out
        pass
    return depth


_registered = False


def metrics(request: HttpRequest) -> HttpResponse:
    """The metrics, for a request with the bearer token."""
    global _registered
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: set METRICS_TOKEN.")
    sent = request.headers.get("Authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        response = HttpResponse(
            "A bearer token is required.", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="Paperwire metrics"'
        return response
    if not _registered:
        REGISTRY.register(ServiceCollector())
        _registered = True
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
