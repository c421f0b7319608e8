"""Topic rules: the small query language subscribers use to say what they follow.

    quantization                  papers whose title or abstract has the word (any form of it:
                                  "quantized", "Quantization" and "quantize" all count)
    "speculative decoding"        the words next to each other, in this order
    verilog rtl                   both words (terms separated by spaces must all be found)
    pruning OR distillation       either word (OR binds a group of terms; any case: or, Or)
    llm -survey                   "llm" but not "survey"
    title:benchmark               only in the title
    author:hinton                 an author's name (author:"geoffrey hinton" for the full name)
    org:deepseek                  the organization's handle or name

Matching ignores case and punctuation, and stems English words. A rule needs at least one term
that is not excluded. An exclusion stands on its own, never inside an OR group. Rules are at most
300 characters and 12 terms.

This package is pure Python with no ORM: the signup preview, `preview_rule` and the matcher all
use it, so a rule means the same everywhere.
"""

from newsletter.rules.parser import Clause, Rule, RuleError, Term, parse
from newsletter.rules.text import Document, document, words

__all__ = ["Clause", "Document", "Rule", "RuleError", "Term", "document", "parse", "words"]
