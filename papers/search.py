"""Paper search: PostgreSQL full-text search, ranked, and a plain fallback elsewhere (SQLite).

On PostgreSQL, `search_vector` (title weighted above abstract) is kept by a trigger and indexed
with GIN (migration 0003), so a search reads the index instead of every abstract.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, QuerySet

from papers.selectors import visible_papers

MAX_WORDS = 8


def search_papers(query: str) -> QuerySet:
    papers = visible_papers()
    if connection.vendor == "postgresql":
        search = SearchQuery(query, config="english", search_type="websearch")
        return (
            papers.filter(search_vector=search)
            .annotate(rank=SearchRank(F("search_vector"), search))
            .order_by("-featured", "-rank", "-upvotes", "-pk")
        )
    condition = Q()
    for word in query.split()[:MAX_WORDS]:
        condition &= Q(title__icontains=word) | Q(abstract__icontains=word)
    return papers.filter(condition).order_by("-featured", "-upvotes", "-pk")
