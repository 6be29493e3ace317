"""Settings come from the environment, fail loudly on bad values, and are secure in production."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from config.env import ConfigError, env_bool, env_int, local_database_url, parse_database_url
from tests.conftest import ROOT

CLEARED = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "STATIC_ROOT", "DJANGO_ALLOW_ASYNC_UNSAFE")


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in CLEARED}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**_base_env(), **env}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def production(**overrides: str) -> dict[str, str]:
    """Everything DEBUG=0 requires (DATABASE_URL comes from the test run's own environment)."""
    return {
        "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "catalogue.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://catalogue.example.org", "DATABASE_URL": os.environ.get("DATABASE_URL") or local_database_url(ROOT),
        **overrides,
    }  # fmt: skip


def test_a_database_url_is_parsed_into_django_settings() -> None:
    config = parse_database_url("postgres://cat:s%40cret@db.example.org:6543/trials")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"], config["NAME"]) == (
        "cat",
        "s@cret",
        "db.example.org",
        "6543",
        "trials",
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
    proc = _manage("check", "--deploy", "--fail-level", "WARNING", **production())
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "no issues" in proc.stdout


@pytest.mark.parametrize("variable", ["DATABASE_URL", "CSRF_TRUSTED_ORIGINS"])
def test_production_refuses_to_start_without_a_variable_the_readme_requires(variable: str) -> None:
    env = production()
    del env[variable]
    base = _base_env()
    base.pop(variable, None)
    proc = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode != 0
    assert f"{variable} must be set when DEBUG=0" in proc.stderr


@pytest.mark.parametrize("hosts", ["*", "catalogue.example.org,*"])
def test_production_refuses_a_wildcard_allowed_host(hosts: str) -> None:
    proc = _manage("check", **production(ALLOWED_HOSTS=hosts))
    assert proc.returncode != 0 and "ALLOWED_HOSTS=* is refused" in proc.stderr


def test_the_readme_names_every_variable_production_requires() -> None:
    operating = (ROOT / "README.md").read_text().split("## Operating", 1)[1]
    for variable in ("SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL"):
        assert f"`{variable}`" in operating.split("**Backups.**")[0], variable


def _wsgi_start(static_root: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=ROOT,
        env={**_base_env(), "STATIC_ROOT": static_root, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_static_files_collected_under_debug_stop_a_production_server_at_start_up(tmp_path) -> None:
    debug_collected = tmp_path / "debug"
    collect = _manage("collectstatic", "--noinput", "-v0", DEBUG="1", STATIC_ROOT=str(debug_collected))
    assert collect.returncode == 0, collect.stderr
    assert any(debug_collected.rglob("*.css")) and not (debug_collected / "staticfiles.json").exists()

    proc = _wsgi_start(str(debug_collected), **production())
    assert proc.returncode != 0
    assert "staticfiles.json" in proc.stderr and "collectstatic" in proc.stderr

    production_collected = tmp_path / "production"
    collect = _manage("collectstatic", "--noinput", "-v0", STATIC_ROOT=str(production_collected), **production())
    assert collect.returncode == 0, collect.stderr
    proc = _wsgi_start(str(production_collected), **production())
    assert proc.returncode == 0, proc.stderr


def test_development_defaults_are_local_only() -> None:
    from django.conf import settings

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert set(settings.ALLOWED_HOSTS) <= {"127.0.0.1", "localhost", "[::1]", "testserver"}
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_a_percent_encoded_socket_path_keeps_its_case() -> None:
    config = parse_database_url("postgres://postgres@%2FSrv%2FPg%2FRun/catalogue")
    assert config["HOST"] == "/Srv/Pg/Run"
    assert parse_database_url("postgres://u@[::1]:5433/db")["HOST"] == "::1"
