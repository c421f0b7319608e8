"""`manage.py check --deploy`: settings that must never reach production. With DEBUG off each is
an error, so a deployment that runs `check --deploy` before it starts stops with the reason
instead of running with it."""

import os
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error

# The example key in .env.example, and the prefix of the keys Django generates for new projects.
EXAMPLE_SECRET_KEYS = {"change-me-to-a-long-random-string"}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}


def check_production_settings(app_configs=None, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    errors = []
    key = str(settings.SECRET_KEY)
    if key in EXAMPLE_SECRET_KEYS or _weak(key):
        errors.append(Error(
            "SECRET_KEY is the example from .env.example or too weak (under 50 characters, "
            "fewer than 5 distinct ones, or a 'django-insecure-' key): signed links, sessions "
            "and passwords resets could be forged.",
            hint="Set SECRET_KEY to a long random string, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
            id="paperwire.E001",
        ))  # fmt: skip
    site = urlsplit(settings.SITE_URL)
    if "SITE_URL" not in os.environ or (site.hostname or "") in LOCAL_HOSTS:
        errors.append(Error(
            f"SITE_URL is {'not set' if 'SITE_URL' not in os.environ else settings.SITE_URL!r}: "
            "every link in every email (confirm, manage, unsubscribe, 👍 / 👎) would point to "
            "this machine instead of your site.",
            hint="Set SITE_URL to the address readers use, e.g. https://papers.example.org.",
            id="paperwire.E002",
        ))  # fmt: skip
    if "*" in settings.ALLOWED_HOSTS:
        errors.append(Error(
            "ALLOWED_HOSTS contains '*': any Host header is accepted, which lets an attacker "
            "poison links built from the request and caches keyed on it.",
            hint="List the site's host names, e.g. ALLOWED_HOSTS=papers.example.org.",
            id="paperwire.E003",
        ))  # fmt: skip
    return errors


def _weak(key: str) -> bool:
    """What Django's own check (security.W009) calls weak."""
    return len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-")
