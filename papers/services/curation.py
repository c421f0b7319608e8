"""What editors decide about papers: hidden from the site and digests, or featured first."""

from papers.models import Paper
from papers.search import papers_index

CURATION_FLAGS = ("hidden", "featured")


def papers_curate(*, paper_ids: list[int], flag: str, value: bool) -> int:
    """Set `hidden` or `featured` on these papers; how many there were. Search follows at once
    (it leaves hidden papers out and ranks featured ones first); a paper unhidden is matched by
    the next matching sweep, since hidden papers are never matched."""
    if flag not in CURATION_FLAGS:
        raise ValueError(f"not a curation flag: {flag!r}")
    count = Paper.objects.filter(pk__in=paper_ids).update(**{flag: value})
    papers_index(paper_ids)
    return count
