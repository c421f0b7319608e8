from django.contrib import admin
from django.urls import path

admin.site.site_header = "Paperwire"
admin.site.site_title = "Paperwire admin"
admin.site.index_title = "Curation"

urlpatterns = [
    path("admin/", admin.site.urls),
]
