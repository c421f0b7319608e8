"""/metrics: only with METRICS_TOKEN, only for its bearer, in Prometheus' format."""

import pytest
from django.utils import timezone

from newsletter.models import DeliveryEvent, Digest

pytestmark = pytest.mark.django_db


def test_without_a_token_there_are_no_metrics(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic c2VjcmV0", "Bearer ", "secret"])
def test_a_scrape_without_the_bearer_token_is_refused(client, settings, header):
    settings.METRICS_TOKEN = "secret"
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")


def test_the_service_s_own_figures_are_in_the_scrape(client, settings, make_subscriber, make_paper):
    settings.METRICS_TOKEN = "secret"
    make_paper("Sparse attention", sources="arxiv")
    reader = make_subscriber("ada@example.org", "llm")
    Digest.objects.create(subscriber=reader, period=timezone.now().date(), frequency="daily",
                          scheduled_for=timezone.now(), status="sent", sent_at=timezone.now())  # fmt: skip
    DeliveryEvent.objects.create(event_id="1", esp_name="test", event_type="complained")
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer secret")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    for line in (
        'paperwire_papers{source="arxiv"} 1.0',
        'paperwire_digests{status="sent"} 1.0',
        'paperwire_esp_events{type="complained"} 1.0',
        'paperwire_sends{window="24h"} 1.0',
        'paperwire_complaint_rate{window="24h"} 1.0',
        'paperwire_bounce_rate{window="7d"} 0.0',
        "paperwire_sending_paused 0.0",
        "paperwire_matches ",
        "paperwire_queue_depth{",
    ):
        assert line in body, line
