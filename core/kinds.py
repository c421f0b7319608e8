"""Where a paper was seen: the kinds of source, shared by the readers, the models and the admin."""

from enum import StrEnum


class SourceKind(StrEnum):
    """A kind of source; also the `source` of an upvote observation and a feed's format."""

    DAILY_DUMP = "daily-dump"
    ARXIV = "arxiv"
    HF_JSON = "hf-json"
    FEED = "feed"

    @property
    def label(self) -> str:
        return LABELS[self]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(kind.value, kind.label) for kind in cls]

    @classmethod
    def values(cls) -> list[str]:
        return [kind.value for kind in cls]


LABELS = {
    SourceKind.DAILY_DUMP: "Daily Papers dump",
    SourceKind.ARXIV: "arXiv feed or API",
    SourceKind.HF_JSON: "Hugging Face daily papers JSON",
    SourceKind.FEED: "Other RSS/Atom feed",
}
