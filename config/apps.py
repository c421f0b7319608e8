from django.apps import AppConfig


class SiteConfig(AppConfig):
    """What belongs to the whole site rather than to papers or the newsletter: setting it up
    (`setup`, `local_setup`), photographing it (`screenshots`), the admin's state of the service,
    and the production checks. The top floor: it may import every app, and no app imports it."""

    name = "config"
    label = "site"
    verbose_name = "Site"

    def ready(self) -> None:
        from django.core import checks
        from django.db.backends.signals import connection_created

        from config.checks import check_production_settings
        from core.postgres import fast_timestamps

        checks.register(check_production_settings, checks.Tags.security, deploy=True)
        # Timestamps read from PostgreSQL at C speed (core/postgres.py).
        connection_created.connect(fast_timestamps, dispatch_uid="core.postgres.fast_timestamps")
