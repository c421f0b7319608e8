from django.apps import AppConfig

# Papers per matching task: a large ingest becomes several tasks of bounded size.
MATCH_TASK_PAPERS = 5000


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Newsletter"

    def ready(self) -> None:
        from anymail.signals import tracking
        from django.core import checks

        from newsletter.webhooks import on_tracking
        from papers.signals import papers_ingested

        papers_ingested.connect(match_ingested_papers, dispatch_uid="newsletter.match")
        tracking.connect(on_tracking, dispatch_uid="newsletter.tracking")
        checks.register(check_webhook_secret, checks.Tags.security, deploy=True)


def match_ingested_papers(sender, run_id: int, paper_ids: list[int], **kwargs) -> None:
    """The ingest hook: match what an ingest created or changed (sent after its commit)."""
    from newsletter.tasks import match_papers

    for start in range(0, len(paper_ids), MATCH_TASK_PAPERS):
        match_papers.delay(paper_ids[start : start + MATCH_TASK_PAPERS])


def check_webhook_secret(app_configs, **kwargs) -> list:
    """`manage.py check --deploy`: without a secret, anyone could post bounces and complaints."""
    from django.conf import settings
    from django.core.checks import Warning

    if settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return []
    return [
        Warning(
            "ANYMAIL_WEBHOOK_SECRET is not set: the ESP tracking webhook accepts anyone's events.",
            hint="Set ANYMAIL_WEBHOOK_SECRET=user:password and give the ESP that URL.",
            id="newsletter.W001",
        )
    ]
