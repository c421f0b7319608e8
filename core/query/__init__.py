"""The query language: what subscribers write as topic rules and visitors type in the search box.

    quantization                  papers whose title or abstract has the word (any form of it:
                                  "quantized", "Quantization" and "quantize" all count)
    "speculative decoding"        the words next to each other, in this order
    verilog rtl                   both words (terms separated by spaces must all be found)
    pruning OR distillation       either word (OR binds a group of terms; any case: or, Or)
    llm -survey                   "llm" but not "survey"
    title:benchmark               only in the title
    abstract:benchmark            only in the abstract
    author:hinton                 an author's name (author:"geoffrey hinton" for the full name)
    org:deepseek                  the organization's handle or name

Matching ignores case and punctuation, and stems English words. A query needs at least one term
that is not excluded. An exclusion stands on its own, never inside an OR group. Queries are at
most 300 characters and 12 terms, with at most 10 terms in an OR group.

This package is pure Python with no ORM, and it is the only parser of the language: topic rules
and their matcher, the signup preview, `preview_rule`, the rule feeds and the site's search all
read text with `parse`, so a query means the same everywhere. A rule is parsed strictly (an
error names the column); the search box reads leniently (see parser.py).
"""

from core.query.document import FIELDS, Document, document, words
from core.query.parser import Clause, Query, QueryError, Term, parse

__all__ = [
    "FIELDS",
    "Clause",
    "Document",
    "Query",
    "QueryError",
    "Term",
    "document",
    "parse",
    "words",
]
