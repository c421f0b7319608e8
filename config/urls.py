from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Paperwire"
admin.site.site_title = "Paperwire admin"
admin.site.index_title = "Curation"

urlpatterns = [
    # Until the public site exists, the front door is the editors' admin.
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("admin/", admin.site.urls),
    path("", include("newsletter.urls")),
]
