from papers.services.feeds import feed_fetch
from papers.services.ingest import IngestReport, source_ingest

__all__ = ["IngestReport", "feed_fetch", "source_ingest"]
