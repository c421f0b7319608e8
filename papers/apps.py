from django.apps import AppConfig

# Papers per search-indexing task: a large ingest becomes several tasks of bounded size.
INDEX_TASK_PAPERS = 5000


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = "Papers"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, post_save

        from core.text import use_acronym_oracle
        from papers import acronyms
        from papers.models import Paper
        from papers.search import index_saved_paper
        from papers.search.index import keep_delete_trigger
        from papers.signals import papers_ingested

        post_save.connect(index_saved_paper, sender=Paper, dispatch_uid="papers.search.saved")
        post_migrate.connect(keep_delete_trigger, sender=self, dispatch_uid="papers.search.trigger")
        papers_ingested.connect(index_ingested_papers, dispatch_uid="papers.search.ingested")
        # A rule's lowercase "tts" is read as the papers write it (papers/acronyms.py).
        use_acronym_oracle(acronyms.written_as_acronym)
        post_save.connect(acronyms.forget, sender=Paper, dispatch_uid="papers.acronyms.saved")
        papers_ingested.connect(acronyms.forget, dispatch_uid="papers.acronyms.ingested")


def index_ingested_papers(sender, run_id: int, paper_ids: list[int], **kwargs) -> None:
    """The ingest hook: index for search what an ingest created or changed (after its commit)."""
    from papers.tasks import index_search

    for start in range(0, len(paper_ids), INDEX_TASK_PAPERS):
        index_search.delay(paper_ids[start : start + INDEX_TASK_PAPERS])
