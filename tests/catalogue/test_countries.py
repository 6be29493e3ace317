"""Registry country strings (English variants, ISO-style abbreviations, Chinese) become one English name each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue import countries
from catalogue.countries import country_list, country_name

BULK = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "bulk" / "ctgov-cart-snapshot-2026-08-22.json"


def _bulk_countries() -> set[str]:
    studies = json.loads(BULK.read_text(encoding="utf-8"))["studies"]
    return {
        location["country"]
        for study in studies
        for location in study["protocolSection"].get("contactsLocationsModule", {}).get("locations", [])
        if location.get("country")
    }


@pytest.mark.corpus
@pytest.mark.skipif(not BULK.exists(), reason="shared bulk corpus not present")
def test_every_country_in_the_clinicaltrials_gov_corpus_is_known_and_kept_under_its_own_name() -> None:
    names = _bulk_countries()
    assert len(names) > 50
    assert {name for name in names if country_name(name) != name} == set()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("China", "China"),
        ("中国", "China"),
        ("P.R.China", "China"),
        ("PR China", "China"),
        ("People's Republic of China", "China"),
        ("People’s Republic of China", "China"),
        ("CHINA", "China"),
        ("  China \n", "China"),
        ("中国 China", "China"),
        ("United States", "United States"),
        ("USA", "United States"),
        ("U.S.", "United States"),
        ("United States of America", "United States"),
        ("美国", "United States"),
        ("Korea, Republic of", "South Korea"),
        ("Republic of Korea", "South Korea"),
        ("韩国", "South Korea"),
        ("Iran, Islamic Republic of", "Iran"),
        ("Russian Federation", "Russia"),
        ("Czech Republic", "Czechia"),
        ("Turkey", "Turkey (Türkiye)"),
        ("Viet Nam", "Vietnam"),
        ("UK", "United Kingdom"),
        ("英国", "United Kingdom"),
        ("日本", "Japan"),
        ("德国", "Germany"),
        ("the Netherlands", "Netherlands"),
    ],
)
def test_country_variants_map_to_the_clinicaltrials_gov_name(raw: str, expected: str) -> None:
    assert country_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hong Kong", "Hong Kong"),
        ("Hong Kong, China", "Hong Kong"),
        ("香港", "Hong Kong"),
        ("中国香港", "Hong Kong"),
        ("Taiwan", "Taiwan"),
        ("Taiwan, Province of China", "Taiwan"),
        ("台湾", "Taiwan"),
        ("Macau", "Macao"),
    ],
)
def test_hong_kong_taiwan_and_macao_keep_their_own_names(raw: str, expected: str) -> None:
    assert country_name(raw) == expected


def test_a_location_line_with_city_and_postcode_still_yields_its_country() -> None:
    assert country_name("Shenzhen, Guangdong, China, 518000") == "China"


@pytest.mark.parametrize("raw", ["", None, "   ", "Atlantis", "Contact us", "N/A", "12345"])
def test_an_unrecognised_country_string_gives_none(raw: str | None) -> None:
    assert country_name(raw) is None


def test_every_canonical_name_maps_to_itself() -> None:
    for name in countries._COUNTRIES:
        assert country_name(name) == name


def test_the_country_list_is_unique_english_names_in_first_seen_order() -> None:
    assert country_list(["中国", "USA", "China", "美国", "P.R.China", "Japan"]) == ["China", "United States", "Japan"]


def test_the_country_list_keeps_an_unknown_country_as_written_and_drops_empty_and_placeholder_strings() -> None:
    assert country_list(["", "  Atlantis   Land ", "N/A", "China", "Unknown", "Atlantis Land"]) == [
        "Atlantis Land",
        "China",
    ]


def test_an_empty_country_list_stays_empty() -> None:
    assert country_list([]) == []


@given(st.lists(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(list("中国美,.()\u200f\x00"))))))
def test_country_functions_never_raise_and_the_list_has_no_duplicates(raws: list[str]) -> None:
    for raw in raws:
        name = country_name(raw)
        assert name is None or name in countries._COUNTRIES
    result = country_list(raws)
    assert len(result) == len(set(result))
    assert all(item and item == item.strip() for item in result)
