from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "CAR-T trials catalogue — curation"
admin.site.site_title = "CAR-T catalogue admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("catalogue.urls")),
]
