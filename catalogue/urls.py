from django.urls import path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.trial_list_view, name="trial_list"),
]
