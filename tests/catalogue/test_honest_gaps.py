"""Pages say what we hold and no more: gaps, "not stated" enums, registry freshness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from catalogue.models import DataVersion
from ingest.pipeline import ingest_paths
from tests.conftest import corpus_path
from tests.factories import make_trial

pytestmark = pytest.mark.django_db
LIST = reverse("catalogue:trial_list")


def bulk_only(tmp_path: Path, nct_id: str) -> None:
    data = json.loads(corpus_path("bulk", "ctgov-cart-snapshot-2026-08-22.json").read_bytes())
    studies = [s for s in data["studies"] if s["protocolSection"]["identificationModule"]["nctId"] == nct_id]
    path = tmp_path / "bulk.json"
    path.write_text(json.dumps({"studies": studies}))
    assert ingest_paths([str(path)]).created == 1


def trial_page(client, registry_id: str) -> BeautifulSoup:
    response = client.get(reverse("catalogue:trial_detail", args=[registry_id]))
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def section_text(doc: BeautifulSoup, heading_id: str) -> str:
    return " ".join(doc.find(id=heading_id).find_parent("section").get_text().split())


@pytest.mark.corpus
def test_a_trial_known_only_from_the_bulk_copy_never_claims_the_registry_has_no_criteria(client, tmp_path) -> None:
    bulk_only(tmp_path, "NCT04835519")
    doc = trial_page(client, "NCT04835519")
    eligibility = section_text(doc, "eligibility")
    assert "Not in our copy of this record — see the registry" in eligibility
    assert "has no eligibility criteria" not in eligibility and "lists no" not in eligibility
    link = doc.find(id="eligibility").find_parent("section").find("a")
    assert link["href"] == "https://clinicaltrials.gov/study/NCT04835519"
    assert "Not in our copy of this record" in section_text(doc, "sites-h")


@pytest.mark.corpus
def test_the_full_record_fills_those_sections_and_says_where_each_value_came_from(client, tmp_path) -> None:
    bulk_only(tmp_path, "NCT04835519")
    ingest_paths([str(corpus_path("ctgov-v2", "NCT04835519.ctgov-v2.json"))])
    doc = trial_page(client, "NCT04835519")
    assert "Not in our copy" not in section_text(doc, "eligibility")
    text = " ".join(doc.select("table.compare")[0].get_text().split())
    assert "from the ClinicalTrials.gov record of 2024-06-21" in text  # the status, from the newer copy
    assert "from the ClinicalTrials.gov record of 2023-02-08" in text  # the sex, only the older copy states it
    assert "Registry last updated 2024-06-21" in " ".join(doc.select(".trial__updated")[0].get_text().split())


def test_an_empty_section_a_copy_carries_says_the_registry_lists_none(client) -> None:
    trial = make_trial(inclusion_criteria="", exclusion_criteria="", missing_fields=[])
    eligibility = section_text(trial_page(client, trial.registry_id), "eligibility")
    assert "The registry lists no eligibility criteria." in eligibility
    assert "Not in our copy" not in eligibility


def test_a_trial_with_no_phase_sex_or_status_shows_not_stated_never_a_default(client) -> None:
    trial = make_trial(phase=None, sex=None, status=None, study_type=None)
    doc = trial_page(client, trial.registry_id)
    badges = " ".join(doc.select(".trial__top")[0].get_text().split())
    assert "Phase not stated" in badges and "Status not stated" in badges
    compare = {
        row.th.get_text().split("curated")[0].strip(): row.select("td")[0].get_text().strip()
        for row in doc.select("table.compare tbody tr")
    }
    assert compare["Phase"] == compare["Sex"] == compare["Status"] == compare["Study type"] == "not stated"
    page = client.get(LIST).content.decode()
    assert "Phase not stated" in page and ">All<" not in page


def test_not_stated_is_counted_apart_from_not_applicable_and_can_be_filtered(client) -> None:
    make_trial(phase=None)
    make_trial(phase="not_applicable")
    make_trial(phase="phase1")
    body = client.get(reverse("catalogue:api_trial_list")).json()
    phases = {v["value"]: v["count"] for v in body["facets"]["phase"]}
    assert phases["not_stated"] == 1 and phases["not_applicable"] == 1
    assert client.get(reverse("catalogue:api_trial_list"), {"phase": "not_stated"}).json()["count"] == 1


def test_every_card_shows_when_the_registry_last_updated_the_trial(client) -> None:
    import datetime as dt

    make_trial(registry_updated=dt.date(2024, 3, 6), title="Dated CAR-T trial")
    make_trial(registry_updated=None, title="Undated CAR-T trial")
    doc = BeautifulSoup(client.get(LIST).content.decode(), "html.parser")
    cards = {
        " ".join(c.select(".trial__title")[0].get_text().split()): " ".join(c.get_text(" ").split())
        for c in doc.select("li.trial")
    }
    assert "Registry last updated 2024-03-06" in cards["Dated CAR-T trial"]
    assert "Registry last updated not stated" in cards["Undated CAR-T trial"]


def test_the_recently_updated_sort_follows_the_registrys_date(client) -> None:
    import datetime as dt

    old = make_trial(registry_updated=dt.date(2019, 1, 1))
    new = make_trial(registry_updated=dt.date(2025, 1, 1))
    none = make_trial(registry_updated=None)
    # updated_at (our own write time) says the opposite order
    body = client.get(reverse("catalogue:api_trial_list"), {"sort": "updated"}).json()
    assert [r["registry_id"] for r in body["results"]] == [new.registry_id, old.registry_id, none.registry_id]


@pytest.mark.parametrize("url", [LIST, reverse("catalogue:landscape")])
def test_list_and_landscape_say_how_fresh_the_data_is(client, url: str) -> None:
    import datetime as dt

    make_trial()
    DataVersion.objects.filter(pk=1).update(
        registry_updated_max=dt.date(2026, 8, 22),
        last_ingest_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC),
    )
    text = " ".join(
        BeautifulSoup(client.get(url).content.decode(), "html.parser").select(".data-as-of")[0].get_text().split()
    )
    assert text == "Data as of 2026-08-22 (the newest registry update we hold) · last ingest 2026-12-01 09:30 UTC."


def test_the_trial_page_says_how_fresh_the_data_is(client) -> None:
    trial = make_trial()
    assert trial_page(client, trial.registry_id).select(".data-as-of")
