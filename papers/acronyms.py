"""Acronyms that end in S: is a rule's lowercase word a plural, or an acronym of its own?

"LLMs" is the plural of LLM, and a rule `llms` finds the papers on LLMs however they write it
(`core.text.plural_variant`). But "TTS" (text-to-speech) is not the plural of "TT" (tensor-train),
nor "GPS" of "GP", "SDS" (score distillation) of "SD". A word written in capitals throughout is
an acronym of its own, and the analyzer keeps it whole; a rule typed in lowercase does not say
which it means, so the papers decide.

Among the papers whose text has the word's term ("tts"), this counts how often it is written in
capitals throughout ("TTS"); among those with its singular's term ("tt"), how often it is written
as capitals and a lowercase s ("TTs"). When the capitals are at least a tenth as frequent as the
plural, the word is an acronym and the rule finds it alone; when the papers write it only as a
plural, or never, it stays a plural ("llms" finds "LLM"). Text in capitals throughout (a title
that shouts) says nothing of either and is not counted.

The search index finds the papers of each term (SAMPLE of them at most), so a decision costs two
small queries. Decisions are kept per process for TTL seconds, and forgotten when a paper is saved
or an ingest ends in this process: the corpus changes slowly, and a rule is parsed often (every
distinct rule at every matching).
"""

import re
import threading
import time

from django.db import DatabaseError, connection, transaction

from core.text import term
from papers.search.engines import lexeme

SAMPLE = 300  # papers read per term
ACRONYM_SHARE = 0.1  # capitals at least this share of the plural's count: an acronym
SHOUTING = 0.6  # a text whose letters are mostly capitals says nothing of case
TTL = 600

_decisions: dict[str, tuple[float, bool]] = {}
_lock = threading.Lock()


def written_as_acronym(word: str) -> bool:
    """Whether the papers write `word` (lowercase, ending in s: "tts") as an acronym of its own
    rather than as the plural of its singular. False when the papers cannot be read."""
    now = time.monotonic()
    known = _decisions.get(word)
    if known is not None and known[0] > now:
        return known[1]
    try:
        capitals, plurals = _counts(word)
    except (DatabaseError, RuntimeError, AssertionError):
        # No database here (a test that reads none, a command before migrations): a plural,
        # as before the papers were asked, and nothing remembered.
        return False
    decision = capitals > 0 and capitals >= ACRONYM_SHARE * plurals
    with _lock:
        _decisions[word] = (now + TTL, decision)
    return decision


def forget(**kwargs) -> None:
    """Forget every decision (a paper was saved or an ingest ended): ask the papers again."""
    with _lock:
        _decisions.clear()


def _counts(word: str) -> tuple[int, int]:
    """(times written in capitals throughout, times written as a plural) in the papers read."""
    singular = word[:-1]
    capitals_re = re.compile(rf"(?<!\w){re.escape(word.upper())}(?!\w)")
    plural_re = re.compile(rf"(?<!\w)((?i:{re.escape(singular)}))s(?!\w)")
    capitals = 0
    for text in _texts(term(word)):
        if found := len(capitals_re.findall(text)):
            capitals += 0 if _shouts(text) else found
    plurals = 0
    for text in _texts(term(singular)):
        found = sum(
            1 for m in plural_re.finditer(text) if sum(c.isupper() for c in m.group(1)) >= 2
        )
        if found:
            plurals += 0 if _shouts(text) else found
    return capitals, plurals


def _texts(found: str):
    """The titles and abstracts (each a text) of up to SAMPLE papers the index has `found` in.
    Whether a text shouts is asked only of those where the word is found (most are not)."""
    if connection.vendor == "sqlite":
        inner = "SELECT rowid FROM papers_search WHERE papers_search MATCH %s LIMIT %s"
        param = '{title body}: "' + found.replace('"', '""') + '"'
    else:
        inner = "SELECT paper_id FROM papers_searchentry WHERE vector @@ %s::tsquery LIMIT %s"
        param = lexeme(found)
    sql = f"SELECT title, abstract FROM papers_paper WHERE id IN ({inner})"
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint in a transaction
        cursor.execute(sql, [param, SAMPLE])
        rows = cursor.fetchall()
    for row in rows:
        for text in row:
            if text:
                yield text


def _shouts(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and sum(char.isupper() for char in letters) > SHOUTING * len(letters)
