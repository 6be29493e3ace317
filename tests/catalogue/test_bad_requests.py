"""Malformed requests are client errors, and the API always answers JSON (issue 18, item 11)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import include, path

from tests.factories import make_trial

pytestmark = pytest.mark.django_db


def _explode(request):  # a view with a bug, for the 500 test's own URLconf
    raise RuntimeError("a bug")


urlpatterns = [
    path("api/explode/", _explode),
    path("explode/", _explode),
    path("", include("config.urls")),
]


@pytest.mark.parametrize("url", ["/trials/%00/", "/trials/NCT%0012345678/", "/api/trials/%00/", "/landscape/%00"])
def test_a_nul_byte_in_the_path_is_a_client_error(client, url) -> None:
    make_trial(registry_id="NCT90000321")
    response = client.get(url)
    assert response.status_code in (400, 404), response.status_code


def test_a_nul_byte_in_an_admin_changelist_filter_is_a_client_error() -> None:
    make_trial(registry_id="NCT90000322")
    User.objects.create_superuser("curator", "curator@example.org", "a-long-test-password")
    staff = Client()
    staff.force_login(User.objects.get(username="curator"))
    for query in ("registry__exact=%00", "q=%00", "status=a%00b", "o=%00"):
        response = staff.get(f"/admin/catalogue/trial/?{query}")
        assert response.status_code in (400, 404), (query, response.status_code)
    assert staff.get("/admin/catalogue/trial/?q=NCT90000322").status_code == 200


def test_an_unknown_api_address_answers_json_404(client) -> None:
    response = client.get("/api/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_a_wrong_method_on_the_api_answers_json_405_with_allow(client) -> None:
    response = client.post("/api/trials/", {})
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert "GET" in response["Allow"] and "GET" in response.json()["detail"]
    assert response.has_header("Content-Security-Policy")


@pytest.mark.urls(__name__)
def test_a_server_error_in_the_api_answers_json_and_pages_stay_html() -> None:
    client = Client(raise_request_exception=False)
    api = client.get("/api/explode/")
    assert api.status_code == 500
    assert api["Content-Type"].startswith("application/json") and api.json() == {"detail": "Server error."}
    page = client.get("/explode/")
    assert page.status_code == 500 and not page["Content-Type"].startswith("application/json")


def test_an_api_outage_answers_json_503(client, dead_replica) -> None:
    response = client.get("/api/trials/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json") and response["Retry-After"]
    page = client.get("/")
    assert page.status_code == 503 and b"briefly unavailable" in page.content
