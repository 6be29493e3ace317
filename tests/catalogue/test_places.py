"""The offline gazetteer (catalogue.places): typed places and registry sites to
coordinates, Chinese names included, ambiguity told rather than guessed."""

from __future__ import annotations

import math

import pytest

from catalogue import places


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    return (
        2 * 6371.0 * math.asin(math.sqrt(math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2))
    )


# Reference points (city centres, from public atlases), to check the gazetteer lands in the right city.
BEIJING = (39.904, 116.407)
HOUSTON = (29.760, -95.370)
SHANGHAI = (31.230, 121.474)


def near(found_lat: float | None, found_lon: float | None, point: tuple[float, float], km: float = 30) -> bool:
    return found_lat is not None and found_lon is not None and haversine_km(found_lat, found_lon, *point) < km


@pytest.mark.parametrize("text", ["北京", "北京市", "Beijing", "Peking", "beijing, china"])
def test_beijing_is_found_by_its_chinese_and_english_names(text):
    found = places.lookup(text)
    assert found.found and found.place is not None
    assert found.place.name == "Beijing" and found.place.country == "China"
    assert near(found.latitude, found.longitude, BEIJING)


def test_a_chinese_name_shows_beside_the_english_one():
    assert places.lookup("北京").label == "Beijing (北京)"
    assert places.lookup("Houston").label == "Houston"


@pytest.mark.parametrize("text", ["Houston", "houston, tx", "Houston, Texas", "Houston, United States", "休斯敦"])
def test_houston_is_houston_texas(text):
    found = places.lookup(text)
    assert found.place is not None and found.place.label == "Houston, Texas, United States"
    assert near(found.latitude, found.longitude, HOUSTON)


def test_coordinates_are_read_as_latitude_then_longitude():
    found = places.lookup(" 29.76 , -95.37 ")
    assert (found.latitude, found.longitude) == (29.76, -95.37) and found.place is None
    assert found.label == "29.76, -95.37"


@pytest.mark.parametrize("text", ["91,0", "0,181", "nan,1"])
def test_coordinates_out_of_range_are_not_a_place(text):
    assert not places.lookup(text).found


def test_a_name_shared_by_comparable_cities_is_ambiguous_with_its_candidates():
    found = places.lookup("Portland")
    assert not found.found and found.ambiguous
    labels = [c.label for c in found.candidates]
    assert "Portland, Oregon, United States" in labels and "Portland, Maine, United States" in labels
    # Each candidate's label resolves to itself.
    for candidate in found.candidates:
        assert places.lookup(candidate.label).place == candidate


def test_a_state_or_a_country_settles_an_ambiguous_name():
    assert places.lookup("Portland, OR").place.state == "Oregon"
    assert places.lookup("Paris, France").place.country == "France"


def test_a_much_smaller_namesake_does_not_make_a_name_ambiguous():
    found = places.lookup("Paris")  # Paris, Texas is far smaller than Paris, France
    assert found.place is not None and found.place.country == "France"


@pytest.mark.parametrize("text", ["Atlantis City Of Gold", "", "   ", "Houston, Narnia"])
def test_an_unknown_place_is_not_found_and_has_no_candidates(text):
    found = places.lookup(text)
    assert not found.found and not found.ambiguous


def test_a_province_is_not_a_point_but_a_municipality_is():
    assert not places.lookup("Guangdong").found
    assert near(*(lambda f: (f.latitude, f.longitude))(places.lookup("上海市")), SHANGHAI)


# --- registry sites ------------------------------------------------------------------------------


def test_a_site_is_placed_by_its_city_state_and_country():
    place = places.locate("Houston", "Texas", "United States")
    assert place is not None and near(place.latitude, place.longitude, HOUSTON)


def test_a_state_places_a_city_whose_name_is_shared_across_the_country():
    assert places.locate("Springfield", "", "United States") is None  # several, none dominant
    assert places.locate("Springfield", "Illinois", "United States").state == "Illinois"
    assert places.locate("Springfield", "MA", "United States").state == "Massachusetts"


def test_a_site_of_a_municipality_with_no_city_is_in_that_city():
    for state in ("Shanghai", "上海", "上海市", "Shanghai Municipality"):
        place = places.locate("", state, "China")
        assert place is not None and place.name == "Shanghai", state


def test_a_site_with_only_a_province_is_placed_by_a_city_its_institution_names():
    zhangzhou = places.locate("", "Fujian", "China", institution="Zhangzhou Municipal Hospital")
    assert zhangzhou is not None and zhangzhou.name == "Zhangzhou"
    putian = places.locate("", "", "China", state_zh="福建省", institution_zh="莆田市第一医院")
    assert putian is not None and putian.name == "Putian"


def test_a_city_named_in_the_institution_counts_only_inside_the_sites_province():
    # "Peking University Shenzhen Hospital" is in Shenzhen, not Beijing.
    place = places.locate("", "Guangdong", "China", institution="Peking University Shenzhen Hospital")
    assert place is not None and place.name == "Shenzhen"
    # 中山大学 (Sun Yat-sen University) names no city: Zhongshan the city is not guessed.
    assert places.locate("", "Guangdong", "China", institution_zh="中山大学肿瘤防治中心") is None
    assert places.locate("", "Fujian", "China", institution="Fujian Medical University Union Hospital") is None


def test_a_site_in_a_country_the_gazetteer_does_not_know_is_not_placed():
    assert places.locate("Houston", "", "Narnia") is None


@pytest.mark.parametrize(
    "latitude, longitude, expected",
    [("29.76", "-95.37", (29.76, -95.37)), (None, "1", None), ("", "", None), ("95", "0", None), ("a", "b", None)],
)
def test_registry_coordinates_are_taken_only_when_both_are_numbers_in_range(latitude, longitude, expected):
    assert places.coordinates(latitude, longitude) == expected


def test_the_distance_is_the_great_circle_distance():
    assert places.distance_km(*HOUSTON, *HOUSTON) == 0
    assert places.distance_km(*BEIJING, *SHANGHAI) == pytest.approx(haversine_km(*BEIJING, *SHANGHAI), rel=1e-3)
