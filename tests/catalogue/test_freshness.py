"""How fresh the catalogue is: the footer of every page, `/api/status/`, the curators'
banner for a stale source, and the harvest runs in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalogue import freshness
from catalogue.models import HarvestRun

pytestmark = pytest.mark.django_db


def run(
    source: str = "ctgov", status: str = "ok", days_ago: float = 1, mode: str = "full", stamp: str = ""
) -> HarvestRun:
    finished = timezone.now() - dt.timedelta(days=days_ago)
    created = HarvestRun.objects.create(
        source=source, mode=mode, status=status, started_at=finished - dt.timedelta(minutes=5), finished_at=finished,
        data_timestamp=stamp,
    )  # fmt: skip
    freshness.publish()  # as the end of a harvest run does
    return created


@pytest.fixture
def staff_client() -> Client:
    user = User.objects.create_user("curator", "curator@example.org", "a-long-test-password", is_staff=True)
    user.groups.add(Group.objects.get(name="curators"))
    client = Client()
    client.force_login(user)
    return client


def test_the_status_api_gives_each_sources_last_successful_harvest_and_the_registry_timestamp(client) -> None:
    ok = run(stamp="2026-09-04T09:00:06", days_ago=1)
    failed = run(status="failed", days_ago=0.1)

    response = client.get("/api/status/")

    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.json()
    ctgov = body["sources"]["ctgov"]
    assert ctgov["last_successful_harvest"] == ok.finished_at.isoformat()
    assert ctgov["registry_data_timestamp"] == "2026-09-04T09:00:06"
    assert ctgov["stale"] is False and ctgov["watched"] is True
    assert ctgov["last_run"]["status"] == "failed" and ctgov["last_run"]["started_at"] == failed.started_at.isoformat()
    assert body["sources"]["ictrp"] == {
        "label": "WHO ICTRP exports", "watched": False, "last_successful_harvest": None,
        "registry_data_timestamp": None, "stale": False, "last_run": None,
    }  # fmt: skip
    assert body["stale"] is False and body["stale_after_days"] == 3
    assert set(body["data"]) == {"version", "changed_at", "registry_updated_max", "last_ingest_at"}


def test_a_source_whose_last_success_is_older_than_harvest_stale_days_is_stale(client, settings, tmp_path) -> None:
    assert client.get("/api/status/").json()["sources"]["ctgov"]["stale"] is True  # never harvested
    run(days_ago=4)
    run(mode="reconcile", days_ago=0.5)  # a reconcile brings no changed studies: it doesn't count
    run(status="up_to_date", mode="incremental", days_ago=3.5)

    body = client.get("/api/status/").json()
    assert body["stale"] is True and body["sources"]["ctgov"]["stale"] is True

    settings.HARVEST_STALE_DAYS = 5
    assert client.get("/api/status/").json()["sources"]["ctgov"]["stale"] is False
    run(status="up_to_date", mode="incremental", days_ago=0.2)  # "the registry had not changed" is fresh
    settings.HARVEST_STALE_DAYS = 3
    assert client.get("/api/status/").json()["stale"] is False

    settings.HARVEST_ICTRP_DIR = tmp_path  # a watched folder: ICTRP is now expected to be harvested
    ictrp = client.get("/api/status/").json()["sources"]["ictrp"]
    assert ictrp["watched"] is True and ictrp["stale"] is True


def test_the_status_api_answers_503_when_the_database_is_unreachable(client, dead_replica) -> None:
    response = client.get("/api/status/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json") and "unavailable" in response.json()["error"]
    assert response["Retry-After"]


def test_the_footer_names_the_last_harvest_and_a_second_page_asks_the_database_nothing_for_it(
    client, seed_trials
) -> None:
    ok = run(stamp="2026-09-04T09:00:06")

    first = client.get("/").content.decode()

    assert f'ClinicalTrials.gov: last harvested <time datetime="{ok.finished_at.isoformat()}"' in first
    assert "(registry data of 2026-09-04T09:00:06)" in first
    assert "WHO ICTRP" not in first  # neither watched nor ever harvested
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/").content.decode()
        detail = client.get(f"/trials/{next(iter(seed_trials))}/").content.decode()
    assert "ClinicalTrials.gov: last harvested" in again and "ClinicalTrials.gov: last harvested" in detail
    assert not [q for q in queries.captured_queries if "catalogue_harvestrun" in q["sql"]]


def test_the_footer_says_so_when_a_source_was_never_harvested(client) -> None:
    assert "ClinicalTrials.gov: not harvested yet" in client.get("/").content.decode()


def test_curators_see_a_banner_for_a_stale_source_and_none_when_it_is_fresh(client, staff_client) -> None:
    old = run(days_ago=5)
    page = staff_client.get("/admin/").content.decode()
    assert "ClinicalTrials.gov is stale" in page and old.finished_at.strftime("%Y-%m-%d %H:%M") in page
    assert "is stale" not in client.get("/").content.decode()  # the public never sees it

    run(days_ago=0.5)
    assert "is stale" not in staff_client.get("/admin/").content.decode()


def test_harvest_runs_are_listed_read_only_in_the_admin(staff_client) -> None:
    record = run(stamp="2026-09-04T09:00:06")

    listing = staff_client.get("/admin/catalogue/harvestrun/")
    assert listing.status_code == 200 and "2026-09-04T09:00:06" in listing.content.decode()
    detail = staff_client.get(f"/admin/catalogue/harvestrun/{record.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert staff_client.get("/admin/catalogue/harvestrun/add/").status_code == 403
    assert staff_client.post(f"/admin/catalogue/harvestrun/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert HarvestRun.objects.filter(pk=record.pk).exists()
