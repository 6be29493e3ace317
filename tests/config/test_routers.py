"""Read replicas: public catalogue pages read from a replica, everything else from the primary.

A real second database on the local cluster stands in for the replica: it gets
the primary's schema (as streaming replication would copy it) and different
data, so each test can tell which database a page was served from.
"""

from __future__ import annotations

import csv
import io
import json
import runpy
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.test import override_settings

from catalogue.models import Trial
from config.env import ConfigError
from config.routers import ReplicaRouter, read_alias, reads_from
from tests.conftest import ROOT, SAMPLES
from tests.factories import make_trial

REPLICA = "replica_test"
SETTINGS = str(ROOT / "config" / "settings.py")

pytestmark = pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica_database(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A second test database, `<test database>_replica`, configured as alias REPLICA."""
    primary = connections[DEFAULT_DB_ALIAS]
    name = f"{primary.settings_dict['NAME']}_replica"
    test = {**primary.settings_dict["TEST"], "NAME": name, "MIRROR": None}
    config = {**primary.settings_dict, "NAME": name, "TEST": test}

    def recreate(create: bool) -> None:
        with primary._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            if create:
                cursor.execute(f'CREATE DATABASE "{name}"')

    assert connections.settings is settings.DATABASES
    with django_db_blocker.unblock():
        recreate(create=True)
        settings.DATABASES[REPLICA] = config
        # The router never migrates a replica; replication would bring the schema.
        with override_settings(DATABASE_ROUTERS=[]):
            call_command("migrate", database=REPLICA, verbosity=0)
    yield REPLICA
    with django_db_blocker.unblock():
        connections[REPLICA].close()
        del connections[REPLICA]
        del settings.DATABASES[REPLICA]
        recreate(create=False)


@pytest.fixture(autouse=True)
def replica_configured(settings, reads_from_the_primary) -> None:
    """REPLICA is the one replica. The cache is emptied: cached counts are keyed by
    data version, and the two test databases number theirs independently."""
    settings.DATABASE_REPLICAS = [REPLICA]
    caches["counts"].clear()


@contextmanager
def on_the_replica() -> Iterator[None]:
    """Test data written straight to the replica (reads and writes of the catalogue)."""
    with reads_from(REPLICA), mock.patch.object(ReplicaRouter, "db_for_write", return_value=REPLICA):
        yield


@pytest.fixture
def trials() -> dict[str, Trial]:
    """One trial only the primary has, two only the replica has."""
    primary = make_trial(registry_id="NCT10000001", title="Only on the primary", antigens=["CD19"])
    with on_the_replica():
        replica = make_trial(registry_id="NCT20000001", title="Only on the replica", antigens=["BCMA"])
        make_trial(registry_id="NCT20000002", title="Also only on the replica", antigens=["BCMA"])
    assert not Trial.objects.using(DEFAULT_DB_ALIAS).filter(registry_id__startswith="NCT2").exists()
    assert not Trial.objects.using(REPLICA).filter(registry_id__startswith="NCT1").exists()
    return {"primary": primary, "replica": replica}


def test_replica_urls_become_database_aliases_like_the_primary(monkeypatch) -> None:
    urls = "postgres://reader@replica-a/catalogue, postgres://reader@replica-b:6432/catalogue"
    monkeypatch.setenv("DATABASE_REPLICA_URLS", urls)
    monkeypatch.setenv("CONN_MAX_AGE", "30")
    configured = runpy.run_path(SETTINGS)
    databases = configured["DATABASES"]
    assert list(databases) == ["default", "replica_1", "replica_2"]
    assert configured["DATABASE_REPLICAS"] == ["replica_1", "replica_2"]
    assert (databases["replica_2"]["HOST"], databases["replica_2"]["PORT"]) == ("replica-b", "6432")
    for alias in ("replica_1", "replica_2"):
        assert databases[alias]["CONN_MAX_AGE"] == 30 and databases[alias]["CONN_HEALTH_CHECKS"] is True
        assert databases[alias]["OPTIONS"]["connect_timeout"] == 5
        assert databases[alias]["TEST"] == {"MIRROR": "default"}


def test_without_replica_urls_there_is_only_the_primary(monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_REPLICA_URLS", raising=False)
    configured = runpy.run_path(SETTINGS)
    assert list(configured["DATABASES"]) == ["default"] and configured["DATABASE_REPLICAS"] == []


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgres://u@h:5432/", "postgres://u@h:port/db"])
def test_a_bad_replica_url_stops_start_up_naming_the_variable(monkeypatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_REPLICA_URLS", f"postgres://u@h/ok,{url}")
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URLS"):
        runpy.run_path(SETTINGS)


def test_the_list_page_reads_from_the_replica(client, trials) -> None:
    for method in (client.get, client.head):
        response = method("/")
        assert response.status_code == 200
    content = client.get("/").content.decode()
    assert "NCT20000001" in content and "NCT20000002" in content
    assert "NCT10000001" not in content
    assert read_alias() is None


def test_a_trial_page_reads_from_the_replica(client, trials) -> None:
    assert client.get("/trials/NCT20000001/").status_code == 200
    assert client.get("/trials/NCT10000001/").status_code == 404


def test_the_landscape_reads_from_the_replica(client, trials) -> None:
    content = client.get("/landscape/").content.decode()
    assert "How 2 trials split" in content
    assert "BCMA" in content and "CD19" not in content


def test_the_api_reads_from_the_replica(client, trials) -> None:
    listing = client.get("/api/trials/").json()
    assert listing["count"] == 2
    assert {t["registry_id"] for t in listing["results"]} == {"NCT20000001", "NCT20000002"}
    assert client.get("/api/trials/NCT20000001/").json()["title"] == "Only on the replica"
    assert client.get("/api/trials/NCT10000001/").status_code == 404


def test_a_streamed_export_reads_from_the_replica_while_it_is_sent(client, trials) -> None:
    response = client.get("/trials.csv")
    assert response.streaming
    # The view has returned and the middleware has cleared the choice; the rows are read only now.
    assert read_alias() is None
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert sorted(row["registry_id"] for row in rows) == ["NCT20000001", "NCT20000002"]
    assert read_alias() is None

    response = client.get("/trials.json")
    items = json.loads(b"".join(response.streaming_content))["trials"]
    assert sorted(item["registry_id"] for item in items) == ["NCT20000001", "NCT20000002"]
    assert read_alias() is None


def test_the_admin_reads_from_the_primary(admin_client, trials) -> None:
    content = admin_client.get("/admin/catalogue/trial/").content.decode()
    assert "NCT10000001" in content
    assert "NCT20000001" not in content
    response = admin_client.get(f"/admin/catalogue/trial/{trials['primary'].pk}/change/")
    assert response.status_code == 200 and "Only on the primary" in response.content.decode()


def test_writes_go_to_the_primary_even_during_a_public_request(trials) -> None:
    with reads_from(REPLICA):
        assert router.db_for_write(Trial) == DEFAULT_DB_ALIAS
        replica_trial = Trial.objects.get(registry_id="NCT20000001")
        assert replica_trial._state.db == REPLICA
        assert router.allow_relation(replica_trial, trials["primary"])
        Trial.objects.filter(registry_id="NCT10000001").update(title="Edited on the primary")
    assert Trial.objects.get(registry_id="NCT10000001").title == "Edited on the primary"


def test_sessions_and_users_are_read_from_the_primary(django_user_model) -> None:
    with reads_from(REPLICA):
        assert router.db_for_read(django_user_model) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Trial) == REPLICA


def test_management_commands_use_the_primary(trials, capsys) -> None:
    call_command("ingest", str(SAMPLES))
    assert Trial.objects.using(DEFAULT_DB_ALIAS).count() > 1
    assert Trial.objects.using(REPLICA).count() == 2
    capsys.readouterr()
    call_command("export", "--format", "json")
    exported = {item["registry_id"] for item in json.loads(capsys.readouterr().out)["trials"]}
    assert "NCT10000001" in exported and "NCT20000001" not in exported


def test_replicas_are_never_migrated() -> None:
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "catalogue")
    assert not router.allow_migrate(REPLICA, "catalogue")
    assert not router.allow_migrate(REPLICA, "auth")


def test_without_replicas_public_pages_read_from_the_primary(client, trials, settings) -> None:
    settings.DATABASE_REPLICAS = []
    content = client.get("/").content.decode()
    assert "NCT10000001" in content and "NCT20000001" not in content
    rows = b"".join(client.get("/trials.csv").streaming_content).decode()
    assert "NCT10000001" in rows and "NCT20000001" not in rows
