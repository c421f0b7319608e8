"""anymail's own test backend, made to answer as a struggling or strict ESP would."""

import random
from types import SimpleNamespace

from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus

UNAVAILABLE = SimpleNamespace(
    status_code=503, reason="Service Unavailable", text="overloaded", json=lambda: {}
)


class FlakyBackend(AnymailTestBackend):
    """Fails a share of API calls with HTTP 503 before anything is accepted."""

    failure_rate = 0.3
    rng = random.Random(2026)
    failures = 0

    def post_to_esp(self, payload, message):
        if type(self).rng.random() < self.failure_rate:
            type(self).failures += 1
            raise AnymailAPIError(
                "Service unavailable", status_code=503, response=UNAVAILABLE,
                email_message=message, payload=payload,
            )  # fmt: skip
        return super().post_to_esp(payload, message)


class DownBackend(AnymailTestBackend):
    """Every call fails with HTTP 503."""

    def post_to_esp(self, payload, message):
        raise AnymailAPIError("Service unavailable", status_code=503, response=UNAVAILABLE)


class RejectingBackend(AnymailTestBackend):
    """Rejects recipients whose address starts with "rejected", as after an earlier bounce."""

    def post_to_esp(self, payload, message):
        if payload.recipient_emails[0].startswith("rejected"):
            status = AnymailRecipientStatus(message_id="r-1", status="rejected")
            return {"recipient_status": dict.fromkeys(payload.recipient_emails, status)}
        return super().post_to_esp(payload, message)
