from django.urls import path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.trial_list_view, name="trial_list"),
    path("trials/<str:registry_id>/", views.trial_detail_view, name="trial_detail"),
    path("landscape/", views.landscape_view, name="landscape"),
    path("map/sites.json", views.results_map_view, name="results_map"),
    path("products/<slug:slug>/", views.product_detail_view, name="product_detail"),
    path("trials.csv", views.export_csv, name="export_csv"),
    path("trials.json", views.export_json, name="export_json"),
    path("api/trials/", views.api_trial_list, name="api_trial_list"),
    path("api/trials/<str:registry_id>/", views.api_trial_detail, name="api_trial_detail"),
    path("api/schema/", views.api_schema, name="api_schema"),
    path("api/status/", views.api_status, name="api_status"),
]
