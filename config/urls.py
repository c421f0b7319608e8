from django.contrib import admin
from django.urls import include, path

from papers import views as paper_views

admin.site.site_header = "Paperwire"
admin.site.site_title = "Paperwire admin"
admin.site.index_title = "Curation"

urlpatterns = [
    path("", paper_views.home, name="home"),
    path("papers/<int:pk>/", paper_views.paper, name="paper"),
    path("admin/", admin.site.urls),
    # ESP tracking webhooks: /anymail/<esp>/tracking/, basic auth from ANYMAIL_WEBHOOK_SECRET.
    path("anymail/", include("anymail.urls")),
    path("", include("newsletter.urls")),
]
