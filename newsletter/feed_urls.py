"""/feeds/: Atom and RSS for trending, each curated topic, any rule, and each subscriber."""

from django.urls import path

from newsletter import views
from newsletter.syndication import RuleFeed, SubscriberFeed, TopicFeed
from papers.syndication import AuthorFeed, OrganizationFeed, TrendingFeed, feed_view

app_name = "feeds"

urlpatterns = [path("", views.feeds, name="index")]
for kind in ("atom", "rss"):
    urlpatterns += [
        path(f"trending.{kind}", feed_view(TrendingFeed, kind), name=f"trending_{kind}"),
        path(f"rule.{kind}", feed_view(RuleFeed, kind), name=f"rule_{kind}"),
        path(f"topics/<slug:slug>.{kind}", feed_view(TopicFeed, kind), name=f"topic_{kind}"),
        path(f"author/<path:name>.{kind}", feed_view(AuthorFeed, kind), name=f"author_{kind}"),
        path(f"org/<path:handle>.{kind}", feed_view(OrganizationFeed, kind), name=f"org_{kind}"),
        path(
            f"private/<str:token>.{kind}",
            feed_view(SubscriberFeed, kind, private=True),
            name=f"private_{kind}",
        ),
    ]
