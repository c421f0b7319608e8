from papers.services.feeds import feed_fetch
from papers.services.fetch import FetchError, FetchResult, http_fetch
from papers.services.ingest import IngestReport, source_ingest

__all__ = ["FetchError", "FetchResult", "IngestReport", "feed_fetch", "http_fetch", "source_ingest"]
