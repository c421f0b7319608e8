"""The site's search, in the query language of topic rules (core/query), through the house's
analyzer (core/text.py): a search finds the papers that a rule with the same text matches.

    speculative decoding          every word, in any form ("decoders", "Decoding")
    "speculative decoding"        the words next to each other
    pruning OR distillation       either word
    llm -survey                   "llm" but not "survey"
    title:benchmark               only in the title (abstract: only in the abstract)
    author:"song han" quantization    an author's papers on a subject
    org:deepseek-ai               an organization's papers

- engines.py: a query in SQLite FTS5's and PostgreSQL's syntax;
- index.py: each paper's terms, written from Python, and when;
- results.py: counting and paging a query's papers, best first.
"""

from papers.search.engines import SearchQuery, parse_query
from papers.search.index import (
    Entry,
    index_rebuild,
    index_saved_paper,
    papers_index,
    papers_index_pending,
    papers_unindexed,
)
from papers.search.results import SearchResults, search_papers

__all__ = [
    "Entry",
    "SearchQuery",
    "SearchResults",
    "index_rebuild",
    "index_saved_paper",
    "papers_index",
    "papers_index_pending",
    "papers_unindexed",
    "parse_query",
    "search_papers",
]
