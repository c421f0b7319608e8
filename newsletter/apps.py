from django.apps import AppConfig

# Papers per matching task: a large ingest becomes several tasks of bounded size.
MATCH_TASK_PAPERS = 5000


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Newsletter"

    def ready(self) -> None:
        from anymail.signals import tracking
        from django.core import checks

        from config.checks import check_production_settings
        from newsletter.webhooks import on_tracking
        from papers.signals import papers_ingested

        papers_ingested.connect(match_ingested_papers, dispatch_uid="newsletter.match")
        tracking.connect(on_tracking, dispatch_uid="newsletter.tracking")
        checks.register(check_webhook_secret, checks.Tags.security, deploy=True)
        checks.register(check_production_settings, checks.Tags.security, deploy=True)


def match_ingested_papers(sender, run_id: int, paper_ids: list[int], **kwargs) -> None:
    """The ingest hook: match what an ingest created or changed (sent after its commit)."""
    from newsletter.tasks import match_papers

    for start in range(0, len(paper_ids), MATCH_TASK_PAPERS):
        match_papers.delay(paper_ids[start : start + MATCH_TASK_PAPERS])


def check_webhook_secret(app_configs, **kwargs) -> list:
    """`manage.py check --deploy`: a production site without the webhook's secret has no
    bounce or complaint handling (the webhook is not mounted without it), and must say so."""
    from django.conf import settings
    from django.core.checks import Error, Warning

    from newsletter.webhooks import webhook_secrets

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
