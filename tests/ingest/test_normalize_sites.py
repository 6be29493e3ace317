"""Normalizing sites and contacts (ingest.normalize.sites) and yes/no answers."""

from __future__ import annotations

import pytest

from ingest.normalize import enums, normalize
from ingest.normalize.sites import contacts, site_value
from ingest.records import Contact, SiteRecord, TrialRecord


def site(**fields) -> SiteRecord:
    return SiteRecord(**fields).filled()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("RECRUITING", "recruiting"),
        ("Recruiting", "recruiting"),
        ("NOT_YET_RECRUITING", "not_yet_recruiting"),
        ("Active, not recruiting", "active_not_recruiting"),
        ("WITHDRAWN", "withdrawn"),
        ("正在招募", "recruiting"),
        ("", None),
        (None, None),
    ],
)
def test_a_sites_status_is_read_with_the_trial_statuss_words(raw, expected):
    assert site_value(site(institution="A", status=raw)).status == expected


def test_the_registrys_coordinates_come_first():
    value = site_value(site(city="Houston", state="Texas", country="United States", latitude="1.5", longitude="2.5"))
    assert (value.latitude, value.longitude, value.geo_source) == (1.5, 2.5, "registry")


@pytest.mark.parametrize("latitude, longitude", [("", ""), ("abc", "1"), ("91", "0"), (None, None)])
def test_without_usable_registry_coordinates_the_gazetteer_places_the_city(latitude, longitude):
    value = site_value(
        site(city="Houston", state="Texas", country="United States", latitude=latitude, longitude=longitude)
    )
    assert value.geo_source == "gazetteer" and 29 < value.latitude < 30.5 and -96 < value.longitude < -95


def test_a_site_that_cannot_be_placed_keeps_no_coordinates():
    value = site_value(site(institution="Somewhere", city="Nowhereville", country="United States"))
    assert (value.latitude, value.longitude, value.geo_source) == (None, None, "")


def test_chinese_place_names_are_kept_beside_the_english_ones_and_place_the_site():
    value = site_value(site(institution="医院", city_zh="厦门市", state_zh="福建省", country_zh="中国"))
    assert value.country == "China" and value.city_zh == "厦门市" and value.state_zh == "福建省"
    assert value.geo_source == "gazetteer" and 24 < value.latitude < 25


def test_contacts_keep_their_site_and_drop_empty_entries_and_repeats():
    leader = Contact(role="Study leader", name="Li", phone="1", email="li@example.org").filled()
    empty = Contact(role="central", name="", phone="").filled()
    sites = [site(institution="A", contacts=[leader]), site(institution="B", contacts=[empty, leader])]
    found = contacts([leader, empty, leader], sites)
    assert [(c.role, c.name, c.site) for c in found] == [("study_leader", "Li", None), ("study_leader", "Li", 0),
                                                         ("study_leader", "Li", 1)]  # fmt: skip


def test_a_record_without_contacts_or_sites_gives_none():
    record = TrialRecord(registry="ctgov", registry_id="NCT00000001", source_format="test", title="T")
    normalized = normalize(record)
    assert normalized.contacts == [] and normalized.sites == [] and normalized.healthy_volunteers is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("true", True),
        ("Yes", True),
        ("Accepts Healthy Volunteers", True),
        ("false", False),
        ("No", False),
        ("否", False),
        ("", None),
        (None, None),
        ("N/A", None),
        ("perhaps", None),
    ],
)
def test_yes_no_answers(raw, expected):
    assert enums.yes_no(raw) is expected
