"""Sites as data through the real pipeline: place names, each site's own status,
coordinates (the registry's, else the gazetteer's), contacts, healthy volunteers;
the merge never lets a copy without sites erase them; unplaced sites are counted."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from catalogue.countries import country_name
from catalogue.models import Site, Trial, TrialContact
from ingest.parsers import parse_document
from ingest.pipeline import ingest_paths
from tests.conftest import SAMPLES, corpus_path

pytestmark = pytest.mark.django_db
PAGE = ("ctgov-api", "ctgov_v2_studies_page_kras_pancreatic_10studies.json")
STUDY = ("ctgov-api", "ctgov_v2_study_NCT06008288.json")
CHICTR_REAL = ("chictr-real", "ChiCTR2600132949.chictr.html")
# City centres from public atlases, to check where the gazetteer puts a site.
CITY_CENTRES = {
    "Shanghai": (31.230, 121.474),
    "Zhangzhou": (24.513, 117.647),
    "Xiamen": (24.480, 118.089),
    "Putian": (25.454, 119.007),
}


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = a, b
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def ingest(*paths: Path):
    report = ingest_paths([str(p) for p in paths])
    assert report.failed == 0, report.problems
    return report


def sites_of(registry_id: str) -> list[Site]:
    return list(Site.objects.filter(trial__registry_id=registry_id).order_by("position"))


def seed(registry_id: str) -> Path:
    for path in sorted(SAMPLES.iterdir()):
        if registry_id.encode() in path.read_bytes():
            return path
    raise AssertionError(registry_id)


# --- ClinicalTrials.gov: what the registry gives ----------------------------------------------------


@pytest.mark.corpus
def test_each_site_keeps_its_place_status_and_the_registrys_coordinates():
    path = corpus_path(*PAGE)
    report = ingest(path)
    studies = json.loads(path.read_bytes())["studies"]
    unplaced = 0
    for study in studies:
        section = study["protocolSection"]
        locations = section["contactsLocationsModule"]["locations"]
        sites = sites_of(section["identificationModule"]["nctId"])
        assert len(sites) == len(locations)
        for site, loc in zip(sites, locations):
            assert site.institution == loc.get("facility", "")
            assert (site.city, site.state, site.zip) == (loc.get("city", ""), loc.get("state", ""), loc.get("zip", ""))
            assert site.country == country_name(loc["country"])
            assert site.status == loc["status"].lower()
            if "geoPoint" in loc:
                assert (site.latitude, site.longitude) == (loc["geoPoint"]["lat"], loc["geoPoint"]["lon"])
                assert site.geo_source == "registry"
            elif site.latitude is None:
                assert site.geo_source == "" and site.longitude is None
                unplaced += 1
            else:
                assert site.geo_source == "gazetteer"
    assert unplaced and report.unplaced_sites == unplaced
    assert f"sites without coordinates: {unplaced}" in report.summary()


def as_stored(contact: dict) -> tuple[str, str, str]:
    """(name, phone, email) of an API contact; an extension follows the number ("020-1234 ext. 5")."""
    phone = contact.get("phone", "")
    if contact.get("phoneExt"):
        phone = f"{phone} ext. {contact['phoneExt']}"
    return contact.get("name", ""), phone, contact.get("email", "")


@pytest.mark.corpus
def test_central_and_site_contacts_are_stored_as_the_registry_publishes_them():
    path = corpus_path(*PAGE)
    ingest(path)
    checked_site_contacts = 0
    for study in json.loads(path.read_bytes())["studies"]:
        section = study["protocolSection"]
        module = section["contactsLocationsModule"]
        trial = Trial.objects.get(registry_id=section["identificationModule"]["nctId"])
        central = [
            (c.name, c.phone, c.email)
            for c in TrialContact.objects.filter(trial=trial, site__isnull=True, role="central")
        ]
        for contact in module.get("centralContacts", []):
            assert as_stored(contact) in central
        sites = sites_of(trial.registry_id)
        for site, loc in zip(sites, module["locations"]):
            stored = {(c.name, c.phone, c.email) for c in site.contacts.all()}
            for contact in loc.get("contacts", []):
                assert as_stored(contact) in stored
                checked_site_contacts += 1
    assert checked_site_contacts >= 20
    # Only what the registry publishes: no contact is an empty shell.
    for contact in TrialContact.objects.all():
        assert contact.name or contact.phone or contact.email or contact.affiliation or contact.address


@pytest.mark.corpus
def test_healthy_volunteers_are_stored_as_stated_and_unknown_when_not():
    ingest(corpus_path(*STUDY), seed("ChiCTR2500108722"))
    stated = json.loads(corpus_path(*STUDY).read_bytes())["protocolSection"]["eligibilityModule"]["healthyVolunteers"]
    assert Trial.objects.get(registry_id="NCT06008288").healthy_volunteers is stated
    assert Trial.objects.get(registry_id="ChiCTR2500108722").healthy_volunteers is None


# --- ChiCTR: the gazetteer -------------------------------------------------------------------------


def test_the_chictr_seeds_sites_are_placed_from_their_city_names(db):
    ingest(seed("ChiCTR2500108722"), seed("ChiCTR2500105227"))
    for registry_id in ("ChiCTR2500108722", "ChiCTR2500105227"):
        (site,) = sites_of(registry_id)
        assert site.state_zh == "上海" and site.country == "China" and site.country_zh == "中国"
        assert site.geo_source == "gazetteer"
        assert haversine_km((site.latitude, site.longitude), CITY_CENTRES["Shanghai"]) < 30


@pytest.mark.corpus
def test_a_real_chictr_page_places_the_sites_its_institutions_locate_and_counts_the_others():
    report = ingest(corpus_path(*CHICTR_REAL))
    sites = sites_of("ChiCTR2600132949")
    assert len(sites) == 5 and all(s.state_zh == "福建省" for s in sites)
    placed = {s.institution: s for s in sites if s.latitude is not None}
    for city in ("Zhangzhou", "Xiamen", "Putian"):
        site = next(s for name, s in placed.items() if city in name)
        assert site.geo_source == "gazetteer"
        assert haversine_km((site.latitude, site.longitude), CITY_CENTRES[city]) < 30, city
    assert report.unplaced_sites == 5 - len(placed) == 2
    assert all(s.geo_source == "" for s in sites if s.latitude is None)


# --- the merge ----------------------------------------------------------------------------------------


def _edited_copy(tmp_path: Path, edit, *, partial: bool = False) -> Path:
    """The real single-study file, edited at test time and dated later (so it ranks first).
    `partial`: without the derived section, as an answer to a `fields=` query is (whatever
    it leaves out is absent, not empty)."""
    study = json.loads(corpus_path(*STUDY).read_bytes())
    if partial:
        study.pop("derivedSection")
    status = study["protocolSection"]["statusModule"]
    status["lastUpdatePostDateStruct"]["date"] = "2099-01-01"
    edit(study["protocolSection"])
    path = tmp_path / "NCT06008288-edited.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    return path


@pytest.mark.corpus
@pytest.mark.parametrize("newer_first", [False, True])
def test_a_newer_copy_without_sites_never_erases_them(tmp_path, newer_first):
    original = corpus_path(*STUDY)
    edited = _edited_copy(tmp_path, lambda s: s.pop("contactsLocationsModule"), partial=True)
    (record,) = parse_document(edited.read_bytes()).records
    assert record.sites is None  # absent, not empty
    ingest(*((edited, original) if newer_first else (original, edited)))
    locations = json.loads(original.read_bytes())["protocolSection"]["contactsLocationsModule"]["locations"]
    sites = sites_of("NCT06008288")
    assert [(s.institution, s.latitude, s.status) for s in sites] == [
        (loc["facility"], loc["geoPoint"]["lat"], loc["status"].lower()) for loc in locations
    ]
    assert Trial.objects.get(registry_id="NCT06008288").registry_updated.isoformat() == "2099-01-01"


@pytest.mark.corpus
def test_a_newer_copy_without_coordinates_keeps_the_older_copys_for_the_same_site(tmp_path):
    def drop_points(section):
        for loc in section["contactsLocationsModule"]["locations"]:
            loc.pop("geoPoint")
            loc["status"] = "COMPLETED"

    ingest(corpus_path(*STUDY), _edited_copy(tmp_path, drop_points, partial=True))
    sites = sites_of("NCT06008288")
    assert sites and all(s.geo_source == "registry" and s.status == "completed" for s in sites)


@pytest.mark.corpus
def test_sites_and_contacts_are_replaced_when_the_registry_changes_them(tmp_path):
    def one_site_left(section):
        module = section["contactsLocationsModule"]
        module["locations"] = module["locations"][:1]
        module["locations"][0]["contacts"] = [{"name": "Dr Example", "role": "CONTACT", "phone": "555-0100"}]

    ingest(corpus_path(*STUDY))
    assert len(sites_of("NCT06008288")) == 31
    ingest(_edited_copy(tmp_path, one_site_left))
    (site,) = sites_of("NCT06008288")
    assert [(c.name, c.phone, c.site_id) for c in site.contacts.all()] == [("Dr Example", "555-0100", site.pk)]
    trial = Trial.objects.get(registry_id="NCT06008288")
    assert TrialContact.objects.filter(trial=trial, site__isnull=False).count() == 1
    assert TrialContact.objects.filter(trial=trial, site__isnull=True, role="central").exists()


@pytest.mark.corpus
def test_renormalize_fills_the_new_site_columns_of_trials_stored_before_them():
    from ingest.pipeline import renormalize

    ingest(corpus_path(*STUDY))
    trial = Trial.objects.get(registry_id="NCT06008288")
    # As an older version stored it: place names only, and a snapshot without the new keys.
    Site.objects.filter(trial=trial).update(latitude=None, longitude=None, status=None, geo_source="", state="")
    TrialContact.objects.filter(trial=trial).delete()
    parsed = dict(trial.parsed)
    parsed["sites"] = [{k: s[k] for k in ("institution", "city", "country")} for s in parsed["sites"]]
    parsed.pop("contacts")
    Trial.objects.filter(pk=trial.pk).update(parsed=parsed)
    report = renormalize()
    assert report.updated == 1
    sites = sites_of("NCT06008288")
    assert all(s.geo_source == "registry" and s.status and s.state for s in sites)
    assert TrialContact.objects.filter(trial=trial).exists()
