from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Newsletter"

    def ready(self) -> None:
        """Wire what others announce to what handles it: work that services and the ingest
        hand on is queued by newsletter/tasks.py; the ESP's tracking events go to the webhook's
        receiver; the deploy checks are registered."""
        from anymail.signals import tracking
        from django.core import checks

        from newsletter import signals, tasks
        from newsletter.checks import check_webhook_secret
        from newsletter.webhooks import on_tracking
        from papers.signals import papers_ingested

        signals.confirmation_needed.connect(tasks.queue_confirmation, dispatch_uid="nl.confirm")
        signals.manage_link_needed.connect(tasks.queue_manage_link, dispatch_uid="nl.manage")
        signals.links_reset.connect(tasks.queue_links_reset, dispatch_uid="nl.links_reset")
        signals.library_upload_received.connect(
            tasks.queue_library_upload, dispatch_uid="nl.library_upload"
        )
        signals.subscriptions_changed.connect(
            tasks.queue_subscription_matching, dispatch_uid="nl.match_subscriptions"
        )
        papers_ingested.connect(tasks.queue_paper_matching, dispatch_uid="newsletter.match")
        tracking.connect(on_tracking, dispatch_uid="newsletter.tracking")
        checks.register(check_webhook_secret, checks.Tags.security, deploy=True)
