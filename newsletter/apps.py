from django.apps import AppConfig

# Papers per matching task: a large ingest becomes several tasks of bounded size.
MATCH_TASK_PAPERS = 5000


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Newsletter"

    def ready(self) -> None:
        from papers.signals import papers_ingested

        papers_ingested.connect(match_ingested_papers, dispatch_uid="newsletter.match")


def match_ingested_papers(sender, run_id: int, paper_ids: list[int], **kwargs) -> None:
    """The ingest hook: match what an ingest created or changed (sent after its commit)."""
    from newsletter.tasks import match_papers

    for start in range(0, len(paper_ids), MATCH_TASK_PAPERS):
        match_papers.delay(paper_ids[start : start + MATCH_TASK_PAPERS])
