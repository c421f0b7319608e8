"""The people and labs behind the papers: an author's papers, an organization's, and the names
closest to one that is not known.

An author is a name as the papers write it, matched folded: accents, case, dots, hyphens and
spacing aside ("José  García-Pérez" is "jose garcia perez"). The search index finds the papers
whose authors have the name's words in a row (`author:"…"`); of those, a paper is the author's
when one of its authors folds to exactly the name. An organization is its Hugging Face handle,
matched without case; its name finds it too.
"""

import difflib
import re
from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from core.text import fold_accents
from papers.models import Organization, Paper
from papers.search.engines import parse_query
from papers.search.results import found_ids
from papers.selectors import visible_papers

NAME_SAMPLE = 5000  # recent papers whose authors are offered as the closest names
CLOSEST = 5
NAME_MAX = 200
SEPARATORS_RE = re.compile(r"[\s.\-\u2010\u2011\u2013_]+")


def name_key(name: str) -> str:
    """A name as it is matched: "José  García-Pérez" -> "jose garcia perez"."""
    return " ".join(SEPARATORS_RE.split(fold_accents(name or ""))).strip()


def newest_first(papers: QuerySet) -> QuerySet:
    return papers.order_by("-listed_on", "-first_seen_at", "-pk")


@dataclass(frozen=True)
class Author:
    name: str  # as the papers write it most often
    papers: QuerySet  # visible, newest first


def author_named(name: str) -> Author | None:
    """The author the papers write as `name` (folded), or None when no visible paper does."""
    key = name_key(name[:NAME_MAX])
    words = key.replace('"', " ").split()
    if not words:
        return None
    query = parse_query(f'author:"{" ".join(words)}"')
    if query.problem:
        return None
    sql, params = found_ids(query)
    written: Counter[str] = Counter()
    ids = []
    candidates = visible_papers().filter(pk__in=RawSQL(sql, params))
    for pk, authors in candidates.values_list("pk", "authors").iterator(chunk_size=2000):
        mine = [str(a) for a in authors or () if name_key(str(a)) == key]
        if mine:
            ids.append(pk)
            written.update(mine)
    if not ids:
        return None
    papers = newest_first(visible_papers().filter(pk__in=ids).select_related("organization"))
    return Author(name=written.most_common(1)[0][0], papers=papers)


def closest_authors(name: str) -> list[str]:
    """The known authors whose names are closest to `name`, as the papers write them."""
    known: dict[str, str] = {}
    recent = Paper.objects.filter(hidden=False).order_by("-pk")
    for authors in recent.values_list("authors", flat=True)[:NAME_SAMPLE]:
        for author in authors or ():
            known.setdefault(name_key(str(author)), str(author))
    close = difflib.get_close_matches(name_key(name[:NAME_MAX]), known, n=CLOSEST, cutoff=0.6)
    return [known[key] for key in close]


def organization_named(handle: str) -> Organization | None:
    """The organization with this handle (any case), or else this name (folded)."""
    handle = handle.strip()[:NAME_MAX]
    if not handle:
        return None
    found = Organization.objects.filter(handle__iexact=handle).first()
    if found is not None:
        return found
    key = name_key(handle)
    for org in Organization.objects.exclude(name=""):
        if name_key(org.name) == key or name_key(org.handle) == key:
            return org
    return None


def organization_papers(org: Organization) -> QuerySet:
    return newest_first(visible_papers().filter(organization=org).select_related("organization"))


def closest_organizations(handle: str) -> list[Organization]:
    orgs = {}
    for org in Organization.objects.all():
        orgs.setdefault(name_key(org.handle), org)
        if org.name:
            orgs.setdefault(name_key(org.name), org)
    close = difflib.get_close_matches(name_key(handle[:NAME_MAX]), orgs, n=CLOSEST, cutoff=0.6)
    return list({orgs[key].pk: orgs[key] for key in close}.values())
