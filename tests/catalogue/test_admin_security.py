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


PROXY = "127.0.0.1"  # nginx on the same host
LOGIN = "/admin/login/?next=/admin/"


def _fail_five_times(client: Client, **meta: str) -> list[int]:
    return [client.post(LOGIN, {"username": "victim", "password": f"wrong-{i}"}, **meta).status_code for i in range(5)]


def test_a_direct_deployment_ignores_x_forwarded_for_so_an_attacker_cannot_dodge_the_lockout(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    User.objects.create_superuser("victim", "v@example.org", "the-right-long-password")
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    statuses = [
        attacker.post(
            LOGIN, {"username": "victim", "password": f"wrong-{i}"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}"
        ).status_code
        for i in range(6)
    ]
    assert statuses[4:] == [429, 429]  # a new made-up X-Forwarded-For per try changes nothing
    victim = Client(REMOTE_ADDR="192.0.2.10")
    response = victim.post(LOGIN, {"username": "victim", "password": "the-right-long-password"})
    assert response.status_code == 302  # the lock is on the attacker's address only


def test_behind_one_proxy_failures_lock_out_the_client_not_everyone_behind_the_proxy(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    User.objects.create_superuser("victim", "v@example.org", "the-right-long-password")
    # nginx appends the address it sees; client A also sends a forged entry of B's address.
    client_a = Client(REMOTE_ADDR=PROXY)
    statuses = _fail_five_times(client_a, HTTP_X_FORWARDED_FOR="192.0.2.10, 198.51.100.7")
    assert statuses[4] == 429
    again = client_a.post(
        LOGIN, {"username": "victim", "password": "the-right-long-password"}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert again.status_code == 429  # A is locked out
    client_b = Client(REMOTE_ADDR=PROXY)
    response = client_b.post(
        LOGIN, {"username": "victim", "password": "the-right-long-password"}, HTTP_X_FORWARDED_FOR="192.0.2.10"
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"  # B, same proxy, signs in


def test_behind_a_proxy_a_request_without_the_header_is_keyed_on_its_peer(settings) -> None:
    from django.test import RequestFactory

    from config.client_ip import client_ip

    settings.TRUSTED_PROXY_COUNT = 2
    factory = RequestFactory()
    assert (
        client_ip(factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.10, 10.0.0.1"))
        == "192.0.2.10"
    )
    assert client_ip(factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="10.0.0.1")) == "10.0.0.2"
    assert client_ip(factory.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
