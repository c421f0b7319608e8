"""Feeds out: Atom and RSS with Django's syndication framework, so a reader can follow papers in a
feed reader instead of by mail.

- trending: the papers of the Trending page (here);
- in `newsletter.syndication`: a curated topic's papers and any rule's (`/feeds/rule.atom?q=...`),
  matched by the digests' matcher, and a private feed of one subscriber's digest papers.

Every feed names itself (`<link rel="self">`) and answers a conditional GET: `conditional_feed`
gives each an ETag (of its body) and a Last-Modified (its newest entry), and a 304 when the reader
already has it.
"""

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, time

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from core.text import without_controls
from papers.models import Paper
from papers.people import author_named, organization_named, organization_papers
from papers.selectors import trending_now

ENTRIES = 50


def _writable(value):
    """A feed's or an entry's field as XML 1.0 can carry it: text without control characters
    (a title stored before they were dropped, or typed in the admin, must not break a feed)."""
    if isinstance(value, str):
        return without_controls(value)
    if isinstance(value, list | tuple):
        return [_writable(part) for part in value]
    return value


class _Writable:
    """A feed generator that drops what XML cannot carry from every field it is given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*map(_writable, args), **{k: _writable(v) for k, v in kwargs.items()})

    def add_item(self, *args, **kwargs):
        super().add_item(*map(_writable, args), **{k: _writable(v) for k, v in kwargs.items()})


class AtomFeed(_Writable, Atom1Feed):
    pass


class RssFeed(_Writable, Rss201rev2Feed):
    pass


FORMATS = {"atom": AtomFeed, "rss": RssFeed}


class PaperFeed(Feed):
    """What every paper feed shares: its entries, their text, their dates and links."""

    def __init__(self, kind: str = "atom"):
        super().__init__()
        self.feed_type = FORMATS[kind]
        self.newest = None

    def __call__(self, request, *args, **kwargs):
        self.request = request
        response = super().__call__(request, *args, **kwargs)
        response.newest = self.newest  # for Last-Modified (conditional_feed)
        return response

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        self.newest = feed.latest_post_date()
        return feed

    def feed_url(self, obj=None) -> str:
        return self.request.build_absolute_uri(self.request.get_full_path())

    def item_title(self, paper: Paper) -> str:
        return paper.title

    def item_description(self, paper: Paper) -> str:
        parts = []
        if paper.ai_summary:
            parts.append(paper.ai_summary)
        parts.append(paper.abstract or "")
        return "\n\n".join(part for part in parts if part)

    def item_link(self, paper: Paper) -> str:
        return reverse("paper", args=[paper.pk])

    def item_guid(self, paper: Paper) -> str:
        return f"{settings.SITE_URL}{reverse('paper', args=[paper.pk])}"

    item_guid_is_permalink = True

    def item_author_name(self, paper: Paper) -> str | None:
        if paper.organization_id:
            return str(paper.organization)
        authors = paper.authors or []
        if not authors:
            return None
        return ", ".join(authors[:3]) + (" et al." if len(authors) > 3 else "")

    def item_pubdate(self, paper: Paper) -> datetime:
        return entry_date(paper)

    def item_updateddate(self, paper: Paper) -> datetime:
        return max(entry_date(paper), paper.updated_at)

    def item_categories(self, paper: Paper) -> list[str]:
        return list(paper.ai_keywords or [])[:5]

    def papers(self, queryset) -> list[Paper]:
        return list(queryset.select_related("organization")[:ENTRIES])


def entry_date(paper: Paper) -> datetime:
    """When a paper appeared: its listing day (midnight UTC), else when we first saw it."""
    if paper.listed_on:
        return datetime.combine(paper.listed_on, time(0), tzinfo=UTC)
    return paper.first_seen_at


class TrendingFeed(PaperFeed):
    title = "Paperwire: trending papers"
    description = "The research papers people upvote most, as on the Trending page."

    def link(self) -> str:
        return reverse("trending")

    def items(self) -> list[Paper]:
        return self.papers(trending_now(now=timezone.now()).papers)


class AuthorFeed(PaperFeed):
    """An author's latest papers (`/feeds/author/<name>.atom`), the name matched folded."""

    def get_object(self, request: HttpRequest, name: str):
        found = author_named(name)
        if found is None:
            raise Http404("No paper we know has this author.")
        return found

    def title(self, author) -> str:
        return f"Paperwire: papers by {author.name}"

    def description(self, author) -> str:
        return f"The latest papers of {author.name}."

    def link(self, author) -> str:
        return reverse("author", args=[author.name])

    def items(self, author) -> list[Paper]:
        return list(author.papers[:ENTRIES])


class OrganizationFeed(PaperFeed):
    """An organization's latest papers (`/feeds/org/<handle>.atom`)."""

    def get_object(self, request: HttpRequest, handle: str):
        org = organization_named(handle)
        if org is None:
            raise Http404("No organization we know has this handle.")
        return org

    def title(self, org) -> str:
        return f"Paperwire: papers from {org}"

    def description(self, org) -> str:
        return f"The latest papers of {org} ({org.handle})."

    def link(self, org) -> str:
        return reverse("organization", args=[org.handle])

    def items(self, org) -> list[Paper]:
        return list(organization_papers(org)[:ENTRIES])


def conditional_feed(view: Callable[..., HttpResponse], *, private: bool = False):
    """The feed view, answering with an ETag of its body and a Last-Modified of its newest
    entry, and a 304 to a reader that already has it; cached for a few minutes."""

    def answer(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        body = response.content
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        newest = getattr(response, "newest", None)
        response.headers["ETag"] = etag
        if newest is not None:
            response.headers["Last-Modified"] = http_date(newest.timestamp())
        scope = {"private": True} if private else {"public": True}
        patch_cache_control(response, max_age=settings.PAPERS_FEED_MAX_AGE, **scope)
        return get_conditional_response(
            request, etag=etag, last_modified=int(newest.timestamp()) if newest else None,
            response=response,
        )  # fmt: skip

    return answer


def feed_view(feed_class: type[PaperFeed], kind: str, *, private: bool = False):
    """A view for one feed class in one format: a fresh feed object per request (they keep the
    request), with conditional GET; GET and HEAD only (405 otherwise, TRACE included)."""

    @require_safe
    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return feed_class(kind)(request, *args, **kwargs)

    return conditional_feed(view, private=private)
