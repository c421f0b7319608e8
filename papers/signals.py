"""The hook after an ingest: receivers learn which papers are new or changed.

Sent once the ingest's transaction has committed (never for a dry run or a rejected file), with
`run_id` (the IngestRun) and `paper_ids`. The newsletter app connects its matcher here.
"""

from django.dispatch import Signal

papers_ingested = Signal()
