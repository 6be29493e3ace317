"""Settings come from the environment, fail loudly on bad values, and are secure in production."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from config.env import ConfigError, env_bool, env_int, parse_database_url
from tests.conftest import ROOT


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_a_database_url_is_parsed_into_django_settings() -> None:
    config = parse_database_url("postgres://cat:s%40cret@db.example.org:6543/trials")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"], config["NAME"]) == (
        "cat", "s@cret", "db.example.org", "6543", "trials",
    )


def test_a_socket_directory_can_be_given_as_the_host_parameter() -> None:
    config = parse_database_url("postgres://postgres@/catalogue?host=/tmp/pg&sslmode=disable")
    assert config["HOST"] == "/tmp/pg" and config["NAME"] == "catalogue"
    assert config["OPTIONS"] == {"sslmode": "disable"}


@pytest.mark.parametrize(
    "url", ["sqlite:///db.sqlite3", "mysql://u:p@h/db", "postgres://u:p@h:5432/", "postgres://u:p@h:notaport/db"]
)
def test_a_bad_database_url_fails_with_a_clear_message(url: str) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        parse_database_url(url)


def test_booleans_and_integers_refuse_garbage(monkeypatch) -> None:
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ConfigError, match="X_FLAG"):
        env_bool("X_FLAG", False)
    monkeypatch.setenv("X_FLAG", "off")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ConfigError, match="X_NUM"):
        env_int("X_NUM", 1)


def test_the_app_refuses_to_start_in_production_without_a_secret_key() -> None:
    proc = _manage("check", DEBUG="0", ALLOWED_HOSTS="catalogue.example.org")
    assert proc.returncode != 0
    assert "SECRET_KEY must be set" in proc.stderr


def test_a_weak_secret_key_is_refused_in_production() -> None:
    proc = _manage("check", DEBUG="0", SECRET_KEY="short", ALLOWED_HOSTS="catalogue.example.org")
    assert proc.returncode != 0 and "too weak" in proc.stderr


def test_a_bad_debug_value_stops_start_up_naming_the_variable() -> None:
    proc = _manage("check", DEBUG="perhaps")
    assert proc.returncode != 0 and "DEBUG='perhaps'" in proc.stderr


def test_check_deploy_passes_under_production_settings() -> None:
    proc = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="catalogue.example.org",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "no issues" in proc.stdout


def test_development_defaults_are_local_only() -> None:
    from django.conf import settings

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert set(settings.ALLOWED_HOSTS) <= {"127.0.0.1", "localhost", "[::1]", "testserver"}
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_a_percent_encoded_socket_path_keeps_its_case() -> None:
    config = parse_database_url("postgres://postgres@%2FSrv%2FPg%2FRun/catalogue")
    assert config["HOST"] == "/Srv/Pg/Run"
    assert parse_database_url("postgres://u@[::1]:5433/db")["HOST"] == "::1"
