from django.contrib import admin
from django.urls import include, path, register_converter
from django.urls.converters import get_converters

from config.health import Health
from config.metrics import metrics
from core.numbers import IdConverter
from newsletter.webhooks import tracking_webhook, webhook_secrets
from papers import views as paper_views
from papers.api import api

admin.site.site_header = "Paperwire"
admin.site.site_title = "Paperwire admin"
admin.site.index_title = "Curation"
admin.site.index_template = "admin/paperwire_index.html"  # adds the state of the service
# The changelists need the width (they fit 1,280 px); the index and breadcrumbs lead everywhere.
admin.site.enable_nav_sidebar = False

if "id" not in get_converters():  # once, though tests reload this module
    register_converter(IdConverter, "id")

urlpatterns = [
    path("", paper_views.home, name="home"),
    path("trending/", paper_views.trending_view, name="trending"),
    path("search/", paper_views.search, name="search"),
    path("papers/<id:pk>/", paper_views.paper, name="paper"),
    path("authors/<path:name>/", paper_views.author, name="author"),
    path("orgs/<path:handle>/", paper_views.organization, name="organization"),
    path("feeds/", include("newsletter.feed_urls")),
    path("favicon.ico", paper_views.favicon, name="favicon"),
    path("api/", api.urls),
    path("health/", Health.as_view(), name="health"),
    path("metrics", metrics, name="metrics"),  # a 404 without METRICS_TOKEN
    path("admin/", admin.site.urls),
    path("", include("newsletter.urls")),
]
# ESP tracking webhooks, /anymail/<esp>/tracking/: only with the basic-auth credentials of
# ANYMAIL_WEBHOOK_SECRET (without them anyone could post bounces and complaints).
if webhook_secrets():
    urlpatterns.insert(
        -1, path("anymail/<str:esp>/tracking/", tracking_webhook, name="esp_tracking")
    )
