from django.urls import path, re_path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.trial_list_view, name="trial_list"),
    path("trials/<str:registry_id>/", views.trial_detail_view, name="trial_detail"),
    path("landscape/", views.landscape_view, name="landscape"),
    path("map/sites.json", views.results_map_view, name="results_map"),
    re_path(
        r"^landscape/(?P<chart>[a-z_]+)\.(?P<fmt>svg|png|csv)$", views.landscape_chart_view, name="landscape_chart"
    ),
    path("products/<slug:slug>/", views.product_detail_view, name="product_detail"),
    path("trials.csv", views.export_csv, name="export_csv"),
    path("trials.json", views.export_json, name="export_json"),
    path("api/trials/", views.api_trial_list, name="api_trial_list"),
    path("api/trials/<str:registry_id>/", views.api_trial_detail, name="api_trial_detail"),
    path("api/", views.api_docs, name="api_docs"),
    path("api/schema/", views.api_schema, name="api_schema"),
    path("feeds/trials.atom", views.trial_feed, name="trial_feed"),
    path("recent/", views.recent_view, name="recent"),
    path("api/suggest/", views.api_suggest, name="api_suggest"),
    path("api/status/", views.api_status, name="api_status"),
]
