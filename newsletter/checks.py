"""`manage.py check --deploy`: what the newsletter needs in production."""

from django.conf import settings
from django.core.checks import Error, Warning

from newsletter.webhooks import webhook_secrets


def check_webhook_secret(app_configs, **kwargs) -> list:
    """A production site without the webhook's secret has no bounce or complaint handling (the
    webhook is not mounted without it), and must say so."""
    if webhook_secrets():
        return []
    kind, code = (Warning, "newsletter.W001") if settings.DEBUG else (Error, "newsletter.E001")
    return [
        kind(
            "ANYMAIL_WEBHOOK_SECRET is not set, so the ESP tracking webhook is not mounted: "
            "bounces and complaints from the ESP are never received, and addresses that bounce "
            "keep being mailed.",
            hint="Set ANYMAIL_WEBHOOK_SECRET=user:password (a long random password) and give "
            "the ESP https://user:password@your-site/anymail/<esp>/tracking/.",
            id=code,
        )
    ]
