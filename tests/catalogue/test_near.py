"""Trials near a place (near= / within_km=, sort=distance) and the quick eligibility
filters (sex, healthy_volunteers, age_group): on the real ClinicalTrials.gov corpus
where it can be, on factory trials where a case needs one. Expected distances are
computed here, independently, with the haversine formula."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from catalogue import facets as facet_registry
from catalogue import places
from catalogue.selectors import catalogue_counts, facet_counts, parse_filters, trial_list
from catalogue.summary import build_summary
from ingest.pipeline import ingest_paths
from tests.conftest import corpus_path
from tests.factories import make_trial

pytestmark = pytest.mark.django_db
LIST = reverse("catalogue:trial_list")
API = reverse("catalogue:api_trial_list")
HOUSTON = (29.760, -95.370)  # the city centre, from a public atlas
BEIJING = (39.904, 116.407)
PAGE = ("ctgov-api", "ctgov_v2_studies_page_kras_pancreatic_10studies.json")


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = a, b
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def ids(params) -> list[str]:
    return list(trial_list(filters=params).values_list("registry_id", flat=True))


def studies(*paths: Path) -> list[dict]:
    """The API v2 study objects of these corpus files, read here, not by our parser."""
    found = []
    for path in paths:
        for file in sorted(path.glob("*.json")) if path.is_dir() else [path]:
            data = json.loads(file.read_bytes())
            found.extend(data.get("studies", [data]))
    return found


def locations(study: dict) -> list[dict]:
    return study["protocolSection"].get("contactsLocationsModule", {}).get("locations", [])


def nct(study: dict) -> str:
    return study["protocolSection"]["identificationModule"]["nctId"]


def nearest_km(study: dict, point: tuple[float, float], statuses: set[str] | None = None) -> float | None:
    distances = [
        haversine_km(point, (loc["geoPoint"]["lat"], loc["geoPoint"]["lon"]))
        for loc in locations(study)
        if "geoPoint" in loc and (statuses is None or loc.get("status") in statuses or "status" not in loc)
    ]
    return min(distances, default=None)


@pytest.fixture
def ctgov_corpus(db) -> list[dict]:
    """The 14 API v2 records and the real 10-study API page, ingested; their study objects."""
    paths = [corpus_path("ctgov-v2"), corpus_path(*PAGE)]
    report = ingest_paths([str(p) for p in paths])
    assert report.failed == 0, report.problems
    return studies(*paths)


def houston() -> tuple[float, float]:
    found = places.lookup("Houston")
    assert found.latitude is not None and found.longitude is not None
    assert haversine_km((found.latitude, found.longitude), HOUSTON) < 10
    return found.latitude, found.longitude


def assert_lists_exactly_the_trials_within(listed: list[str], corpus: list[dict], point, km: float) -> None:
    distances = {nct(s): nearest_km(s, point) for s in corpus}
    # The database measures on a sphere of 6,378 km, this test on one of 6,371 km: a site
    # within 0.2% of the edge could go either way, and the corpus must have none there.
    assert not [i for i, d in distances.items() if d is not None and abs(d - km) < km * 0.002]
    expected = {i for i, d in distances.items() if d is not None and d <= km}
    assert set(listed) == expected


# --- near= on the real corpus ---------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize("km", [100, 1500, 3000])
def test_near_lists_the_trials_with_a_site_that_close_and_no_other(ctgov_corpus, km):
    listed = ids({"near": "Houston", "within_km": str(km), "scope": "all"})
    assert_lists_exactly_the_trials_within(listed, ctgov_corpus, houston(), km)
    if km == 100:
        assert "NCT04571138" in listed  # Texas Children's Hospital, Houston


@pytest.mark.corpus
def test_near_houston_within_100_km_on_the_corpus_and_the_bulk_snapshot(ctgov_corpus):
    """The same, with the 2,587 trials of the bulk snapshot beside them (none of which lists a site)."""
    report = ingest_paths([str(corpus_path("bulk", "ctgov-cart-snapshot-2026-08-22.json"))])
    assert report.failed == 0, report.problems[:5]
    listed = ids({"near": "Houston", "within_km": "100", "scope": "all"})
    assert_lists_exactly_the_trials_within(listed, ctgov_corpus, houston(), 100)
    assert "NCT04571138" in listed


@pytest.mark.corpus
def test_sort_by_distance_orders_by_the_nearest_site_and_each_entry_says_which_it_is(ctgov_corpus):
    point = houston()
    rows = list(trial_list(filters={"near": "Houston", "within_km": "20000", "scope": "all", "sort": "distance"}))
    expected = {nct(s): nearest_km(s, point) for s in ctgov_corpus}
    assert {t.registry_id for t in rows} == {i for i, d in expected.items() if d is not None}
    distances = [expected[t.registry_id] for t in rows]
    assert all(a <= b * 1.003 for a, b in zip(distances, distances[1:]))  # up to the spheres' difference
    for trial in rows:
        assert trial.nearest_site["distance_km"] == pytest.approx(expected[trial.registry_id], rel=0.003, abs=0.2)


@pytest.mark.corpus
def test_near_beijing_in_chinese_finds_the_beijing_trial(ctgov_corpus):
    filters = parse_filters({"near": "北京"})
    near = filters.values["near"]
    assert haversine_km((near.latitude, near.longitude), BEIJING) < 10
    assert "NCT04835519" in ids(filters)
    listed = ids({"near": "北京", "scope": "all"})  # with the real page's (non-CAR-T) Beijing trials
    expected = {nct(s) for s in ctgov_corpus if (d := nearest_km(s, BEIJING)) is not None and d < 150}
    assert len(expected) > 1 and expected <= set(listed)
    assert str(build_summary(filters)) == "Trials with a site within 200 km of Beijing (北京)"


@pytest.mark.corpus
def test_with_a_status_filter_the_near_site_itself_must_have_it(ctgov_corpus):
    """A real trial recruiting at some sites and not yet at others: measured from one of its
    not-yet-recruiting sites, it is a recruiting trial near there only through a recruiting site."""
    page = studies(corpus_path(*PAGE))
    cases = 0
    for study in page:
        for loc in locations(study):
            if loc.get("status") != "NOT_YET_RECRUITING" or "geoPoint" not in loc:
                continue
            point = (loc["geoPoint"]["lat"], loc["geoPoint"]["lon"])
            params = {"near": f"{point[0]},{point[1]}", "within_km": "5", "scope": "all"}
            assert nct(study) in ids(params)
            recruiting_near = nearest_km(study, point, {"RECRUITING"})
            listed = nct(study) in ids({**params, "status": "recruiting"})
            trial_recruiting = study["protocolSection"]["statusModule"]["overallStatus"] == "RECRUITING"
            assert listed == (trial_recruiting and recruiting_near is not None and recruiting_near <= 5)
            cases += 1
    assert cases  # the page has not-yet-recruiting sites


# --- near= and the status filter, case by case ------------------------------------------------------------


def site(lat, lon, status=None, name="Hospital"):
    return {"institution": name, "city": "", "country": "United States", "latitude": lat, "longitude": lon,
            "status": status, "geo_source": "registry"}  # fmt: skip


@pytest.fixture
def around_houston(db) -> dict[str, str]:
    """Trials around Houston, by what makes them match or not."""
    trials = {
        "near_recruiting": make_trial(status="recruiting", sites=[site(29.71, -95.40, "recruiting", "Near")]),
        "near_completed_far_recruiting": make_trial(
            status="recruiting", sites=[site(29.70, -95.39, "completed", "Near"), site(40.7, -74.0, "recruiting")]
        ),
        "near_unstated": make_trial(status="recruiting", sites=[site(29.8, -95.3, None, "Near")]),
        "completed_trial_near": make_trial(status="completed", sites=[site(29.76, -95.36, "recruiting")]),
        "far_only": make_trial(status="recruiting", sites=[site(32.78, -96.80, "recruiting", "Dallas")]),
        "no_coordinates": make_trial(status="recruiting", sites=[{"institution": "X", "city": "Houston"}]),
        "not_yet_near": make_trial(status="not_yet_recruiting", sites=[site(29.75, -95.35, "not_yet_recruiting")]),
    }
    return {key: t.registry_id for key, t in trials.items()}


def test_near_keeps_trials_with_any_site_that_close(around_houston):
    listed = set(ids({"near": "Houston", "within_km": "100"}))
    keys = {"near_recruiting", "near_completed_far_recruiting", "near_unstated", "completed_trial_near", "not_yet_near"}
    assert listed == {around_houston[k] for k in keys}


def test_near_with_recruiting_needs_the_near_site_itself_recruiting_or_stating_no_status(around_houston):
    listed = set(ids({"near": "Houston", "within_km": "100", "status": "recruiting"}))
    assert listed == {around_houston["near_recruiting"], around_houston["near_unstated"]}


def test_near_with_two_statuses_takes_a_near_site_of_either(around_houston):
    listed = set(ids({"near": "Houston", "within_km": "100", "status": ["recruiting", "not_yet_recruiting"]}))
    assert listed == {around_houston[k] for k in ("near_recruiting", "near_unstated", "not_yet_near")}


def test_the_nearest_site_shown_is_the_nearest_qualifying_one(around_houston):
    rows = {t.registry_id: t for t in trial_list(filters={"near": "Houston", "within_km": "2000"})}
    both = rows[around_houston["near_completed_far_recruiting"]].nearest_site
    assert both["institution"] == "Near" and both["status"] == "completed"
    far = rows[around_houston["far_only"]].nearest_site
    assert far["institution"] == "Dallas"
    centre = places.lookup("Houston")
    assert far["distance_km"] == pytest.approx(
        haversine_km((centre.latitude, centre.longitude), (32.78, -96.80)), rel=0.003
    )


@pytest.mark.parametrize(
    "params",
    [
        {"near": "Houston", "within_km": "100"},
        {"near": "Houston", "within_km": "100", "status": "recruiting"},
        {"near": "29.76,-95.37", "within_km": "2000", "status": ["recruiting", "completed"], "phase": "phase1"},
        {"near": "Houston", "status": "recruiting", "age": "30"},
    ],
)
def test_facet_counts_under_near_equal_counting_each_facets_trials_one_by_one(around_houston, params):
    facets = facet_counts(parse_filters(params))
    for facet in facet_registry.FACETS:
        without = {k: v for k, v in params.items() if k != facet.name}
        expected: dict[str, int] = {}
        for value in trial_list(filters=without).values_list(facet.column, flat=True):
            for item in value if facet.array else [facet.value_of(value)]:
                if item:
                    expected[item] = expected.get(item, 0) + 1
        assert {v.value: v.count for v in facets[facet.name] if v.count} == expected, facet.name
    assert catalogue_counts(parse_filters(params))[0] == len(ids(params))


# --- the list page, the API ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["", "distance"])
def test_the_list_page_with_near_uses_a_fixed_number_of_queries(
    client, around_houston, django_assert_num_queries, sort
):
    params = {"near": "Houston", "within_km": "100", "status": "recruiting", **({"sort": sort} if sort else {})}
    # the data state, the facet index's refresh, the trials near (one query of the site table;
    # the counts come from the index), the disease tree (per data version), the rows (nearest
    # site included)
    with django_assert_num_queries(5):
        small = client.get(LIST, params)
    for i in range(30):
        make_trial(status="recruiting", sites=[site(29.7 + i / 100, -95.4, "recruiting", f"Extra {i}")])
    with django_assert_num_queries(5):
        large = client.get(LIST, params)
    assert small.status_code == large.status_code == 200
    assert "Extra 0" in large.content.decode()


def test_the_cards_show_the_nearest_site_and_its_distance(client, around_houston):
    response = client.get(LIST, {"near": "Houston", "within_km": "100", "sort": "distance"})
    doc = BeautifulSoup(response.content.decode(), "html.parser")
    items = doc.select(".facts__item--nearest dd")
    assert len(items) == 5
    assert all(" km" in item.get_text() for item in items)
    summary = doc.select_one(".summary__text").get_text(" ", strip=True)
    assert "with a site within 100 km of Houston" in summary
    assert doc.select_one("#f-near")["value"] == "Houston"
    assert doc.select_one("#f-within option[selected]")["value"] == "100"
    assert "distance" in [o["value"] for o in doc.select("#f-sort option")]


def test_without_near_the_form_offers_no_distance_sort_and_sending_it_is_a_notice(client, around_houston):
    response = client.get(LIST, {"sort": "distance", "within_km": "100"})
    doc = BeautifulSoup(response.content.decode(), "html.parser")
    assert "distance" not in [o["value"] for o in doc.select("#f-sort option")]
    assert "needs a place to measure from" in doc.select_one(".notices").get_text()
    filters = parse_filters({"within_km": "100"})
    assert filters.values == {} and not filters.notices  # the form always sends a distance


@pytest.mark.parametrize("place, words", [("Portland", "Portland, Oregon"), ("Atlantis City Of Gold", "No city")])
def test_an_ambiguous_or_unknown_place_is_a_notice_on_the_page_and_a_400_in_the_api(
    client, around_houston, place, words
):
    response = client.get(LIST, {"near": place})
    assert response.status_code == 200
    doc = BeautifulSoup(response.content.decode(), "html.parser")
    assert words in doc.select_one(".notices").get_text()
    assert doc.select_one("#f-near")["aria-invalid"] == "true"
    api = client.get(API, {"near": place})
    assert api.status_code == 400 and words in json.dumps(api.json(), ensure_ascii=False)


def test_the_api_gives_each_result_its_nearest_site(client, around_houston):
    body = client.get(API, {"near": "29.76,-95.37", "within_km": "100", "sort": "distance"}).json()
    distances = [r["nearest_site"]["distance_km"] for r in body["results"]]
    assert len(distances) == 5 and distances == sorted(distances)
    plain = client.get(API).json()
    assert all("nearest_site" not in r for r in plain["results"])


def test_the_openapi_schema_documents_the_new_parameters(client):
    schema = client.get(reverse("catalogue:api_schema")).json()
    names = {p["name"] for p in schema["paths"]["/api/trials/"]["get"]["parameters"]}
    assert {"near", "within_km", "sex", "healthy_volunteers", "age_group"} <= names


# --- sex, healthy volunteers, age groups ----------------------------------------------------------------------


@pytest.fixture
def eligibility(db) -> dict[str, str]:
    trials = {
        "all": make_trial(sex="all", healthy_volunteers=False, min_age_years=18, max_age_years=75),
        "female": make_trial(sex="female", healthy_volunteers=True, min_age_years=18, max_age_years=None),
        "male": make_trial(sex="male", min_age_years=None, max_age_years=17),
        "unstated": make_trial(sex=None, min_age_years=None, max_age_years=None),
        "child_only": make_trial(sex="all", min_age_years=1, max_age_years=17.99),
        "older_only": make_trial(sex="all", min_age_years=65, max_age_years=None),
        "until_65": make_trial(sex="all", min_age_years=40, max_age_years=65),
    }
    return {key: t.registry_id for key, t in trials.items()}


def _keys(eligibility, params) -> set[str]:
    listed = set(ids(params))
    return {key for key, rid in eligibility.items() if rid in listed}


def test_sex_keeps_trials_open_to_it_and_those_stating_no_sex(eligibility):
    everyone = {"all", "unstated", "child_only", "older_only", "until_65"}
    assert _keys(eligibility, {"sex": "female"}) == everyone | {"female"}
    assert _keys(eligibility, {"sex": "male"}) == everyone | {"male"}


def test_healthy_volunteers_yes_keeps_only_trials_that_accept_them(eligibility):
    assert _keys(eligibility, {"healthy_volunteers": "yes"}) == {"female"}


@pytest.mark.parametrize(
    "group, expected",
    [
        ("child", {"male", "unstated", "child_only"}),
        ("adult", {"all", "female", "unstated", "until_65"}),
        ("older_adult", {"all", "female", "unstated", "older_only", "until_65"}),
    ],
)
def test_an_age_group_keeps_trials_whose_age_range_overlaps_it(eligibility, group, expected):
    assert _keys(eligibility, {"age_group": group}) == expected


@pytest.mark.parametrize("params", [{"sex": "other"}, {"healthy_volunteers": "maybe"}, {"age_group": "teen"}])
def test_unknown_eligibility_values_are_notices(eligibility, params):
    filters = parse_filters(params)
    assert filters.values == {} and filters.errors


def test_the_summary_names_the_eligibility_filters(eligibility):
    summary = build_summary(parse_filters({"sex": "female", "healthy_volunteers": "yes", "age_group": "older_adult"}))
    assert str(summary) == ("Trials for older adults (65+), open to female patients, accepting healthy volunteers")
    assert {p.params for p in summary.parts} == {("sex",), ("healthy_volunteers",), ("age_group",)}


def test_the_landscape_and_the_downloads_take_near_like_the_list(client, around_houston):
    params = {"near": "Houston", "within_km": "100", "status": "recruiting"}
    expected = set(ids(params))
    assert client.get(reverse("catalogue:landscape"), params).status_code == 200
    rows = client.get(reverse("catalogue:export_json"), params)
    assert rows.status_code == 200
    assert {r["registry_id"] for r in json.loads(b"".join(rows.streaming_content))["trials"]} == expected


# --- result pages through the facet index ------------------------------------------------------------


@pytest.fixture
def crowded_houston(around_houston, settings) -> None:
    """Around Houston, plus 45 trials whose sites share one spot (a city's centre, as the
    gazetteer places them), with ids in mixed case and out of creation order."""
    settings.CATALOGUE_CACHE_SECONDS = 0
    for i in range(45):
        registry_id = f"NCT8{(i * 37) % 45:07d}" if i % 3 else f"ChiCTR25{(i * 7) % 45:08d}"
        make_trial(
            registry="chictr" if registry_id.startswith("ChiCTR") else "ctgov",
            registry_id=registry_id,
            status=["recruiting", "completed", "not_yet_recruiting"][i % 3],
            phase=["phase1", "phase2"][i % 2],
            sites=[site(29.76, -95.37, [None, "recruiting", "completed"][i % 3], f"Centre {i}")],
        )


def page_both(params: dict, number: int, django_settings) -> tuple[list, list]:
    """(page `number` through the facet index, the same page from SQL alone): registry ids
    and nearest sites."""
    from catalogue.selectors import page_rows

    def read() -> list:
        rows = page_rows(parse_filters(params), number, lambda queryset: queryset)
        return [(t.registry_id, t.nearest_site) for t in rows]

    django_settings.CATALOGUE_FACET_INDEX = True
    with_index = read()
    django_settings.CATALOGUE_FACET_INDEX = False
    with_sql = read()
    django_settings.CATALOGUE_FACET_INDEX = True
    return with_index, with_sql


@pytest.mark.parametrize(
    "params",
    [
        {"near": "Houston", "within_km": "100", "sort": "distance"},
        {"near": "Houston", "within_km": "100", "status": "recruiting", "sort": "distance"},
        {"near": "Houston", "within_km": "100", "status": ["recruiting", "completed"], "sort": "distance"},
        {"near": "Houston", "within_km": "100"},
        {"near": "Houston", "within_km": "100", "status": "recruiting", "phase": "phase2"},
        {"near": "29.76,-95.37", "within_km": "5", "sort": "registry_id", "q": "CAR-T"},
    ],
)
@pytest.mark.parametrize("page_size", ["4", "20"])
def test_a_near_page_read_through_the_index_is_the_page_sql_gives(crowded_houston, settings, params, page_size):
    for number in range(1, 14):
        with_index, with_sql = page_both({**params, "page_size": page_size}, number, settings)
        assert with_index == with_sql, number
    assert page_both({**params, "page_size": "4"}, 1, settings)[0]  # the pages are not all empty


def test_trials_near_gives_what_has_site_near_keeps_and_the_nearest_distance(around_houston):
    from catalogue import nearby
    from catalogue.models import Trial

    houston = parse_filters({"near": "Houston"}).values["near"]
    found = nearby.trials_near(houston, 100, ["recruiting"])
    near = Trial.objects.filter(nearby.has_site_near(houston, 100))
    qualifying = Trial.objects.filter(nearby.has_site_near(houston, 100, ["recruiting"]))
    assert sorted(found.near) == sorted(near.values_list("id", flat=True))
    assert sorted(found.qualifying) == sorted(qualifying.values_list("id", flat=True))
    expected = dict(
        qualifying.annotate(km=nearby.nearest_distance(houston, 100, ["recruiting"])).values_list("id", "km")
    )
    assert found.km == expected
