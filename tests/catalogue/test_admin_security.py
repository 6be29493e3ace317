"""Admin sign-in is rate-limited and every admin action needs POST with CSRF."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


def test_repeated_failed_admin_logins_are_locked_out() -> None:
    User.objects.create_superuser("admin", "a@example.org", "the-right-long-password")
    client = Client()
    statuses = [
        client.post("/admin/login/?next=/admin/", {"username": "admin", "password": f"wrong-{i}"}).status_code
        for i in range(6)
    ]
    assert statuses[:4] == [200] * 4  # the form again, with an error
    assert statuses[4:] == [429, 429]  # the fifth failure locks the username from this address
    locked = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "the-right-long-password"})
    assert locked.status_code == 429  # even the right password waits out the lock


def test_a_good_login_still_works_before_the_limit() -> None:
    User.objects.create_superuser("admin", "a@example.org", "the-right-long-password")
    client = Client()
    client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "wrong"})
    response = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "the-right-long-password"})
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_admin_login_form_requires_a_csrf_token() -> None:
    User.objects.create_superuser("admin", "a@example.org", "the-right-long-password")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "admin", "password": "the-right-long-password"})
    assert response.status_code == 403
