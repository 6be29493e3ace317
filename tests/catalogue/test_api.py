"""The JSON API: /api/trials/, /api/trials/<id>/ and /api/schema/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalogue.filters import FACETS
from catalogue.serializers import DETAIL_FIELDS, EXPORT_FIELDS
from tests.factories import make_many, make_trial

B7H3_SARCOMA = "ChiCTR2500108722"
HER2 = "NCT06101082"
GD2_B7H3 = "NCT06836505"
LUPUS = "ChiCTR2500105227"

pytestmark = pytest.mark.django_db
API = reverse("catalogue:api_trial_list")

CONTRACT = [
    "registry", "registry_id", "secondary_ids", "title", "official_title", "title_zh", "status", "phase",
    "study_type", "antigens", "diseases", "disease_categories", "min_age_years", "max_age_years", "sex",
    "dose_min_cells_per_kg", "dose_max_cells_per_kg", "dose_levels", "enrollment", "start_date",
    "completion_date", "registration_date", "registry_updated", "sponsor", "sponsor_type", "countries", "cell_source", "modalities",
    "trial_type", "in_scope", "products", "has_results", "results_date", "results_url", "references", "source_url",
    "source_format", "raw", "curated_fields", "updated_at",
]  # fmt: skip
# One trial (the API detail, the JSON download): the contract, then these.
DETAIL = [
    *CONTRACT, "brief_summary", "conditions", "inclusion_criteria", "exclusion_criteria", "sites", "contacts",
    "evidence",
]  # fmt: skip


def get(client, params=None, status=200, url=API):
    response = client.get(url, params or {})
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_the_export_contract_is_exactly_the_documented_keys():
    assert list(EXPORT_FIELDS) == CONTRACT
    assert list(DETAIL_FIELDS) == DETAIL


def test_the_list_has_the_documented_shape(client, seed_trials):
    body = get(client)
    assert list(body) == ["count", "next", "previous", "results", "facets"]
    assert body["count"] == len(seed_trials) == len(body["results"])
    assert body["next"] is None and body["previous"] is None
    for item in body["results"]:
        assert list(item) == CONTRACT
    assert list(body["facets"]) == list(FACETS)
    for values in body["facets"].values():
        for value in values:
            assert set(value) == {"value", "label", "count", "selected"}
    phases = {v["value"]: v["label"] for v in body["facets"]["phase"]}
    assert phases["phase1_phase2"] == "Phase 1/2"  # display labels, not only codes


def test_a_result_carries_the_trials_values_as_json_types(client, seed_trials):
    body = get(client, {"q": B7H3_SARCOMA})
    item = next(r for r in body["results"] if r["registry_id"] == B7H3_SARCOMA)
    trial = seed_trials[B7H3_SARCOMA]
    assert item["antigens"] == ["B7-H3"]
    assert item["min_age_years"] == 10 and isinstance(item["min_age_years"], int)
    assert item["max_age_years"] == 65
    assert item["dose_min_cells_per_kg"] == 1e6 and item["dose_max_cells_per_kg"] == 5e6
    assert [lvl["raw"] for lvl in item["dose_levels"]] == trial.raw["doses"]
    assert all(set(lvl) == {"arm", "low", "high", "unit", "basis", "raw"} for lvl in item["dose_levels"])
    assert item["title_zh"] == trial.title_zh
    assert item["raw"]["phase"] == trial.raw["phase"]
    assert item["countries"] == ["China"]


def test_unknowns_are_null(client, seed_trials):
    item = get(client, url=reverse("catalogue:api_trial_detail", args=[LUPUS]))
    assert item["min_age_years"] is None and item["max_age_years"] is None
    assert item["dose_min_cells_per_kg"] is None and item["dose_max_cells_per_kg"] is None
    her2 = get(client, url=reverse("catalogue:api_trial_detail", args=[HER2]))
    assert her2["title_zh"] is None  # an English-only registration


def test_filters_and_counts_match_the_selectors(client, seed_trials):
    body = get(client, {"antigen": "cd276", "age": "12"})
    expected = {
        rid for rid, t in seed_trials.items()
        if "B7-H3" in t.antigen_names
        and (t.min_age_years is None or t.min_age_years <= 12)
        and (t.max_age_years is None or t.max_age_years >= 12)
    }  # fmt: skip
    assert body["count"] == len(expected)
    assert {r["registry_id"] for r in body["results"]} == expected


def test_facets_count_under_the_other_filters_and_mark_the_selection(client, seed_trials):
    body = get(client, {"antigen": "B7-H3"})
    antigen = {v["value"]: v for v in body["facets"]["antigen"]}
    assert antigen["B7-H3"]["selected"] is True and antigen["B7-H3"]["count"] == 2
    assert antigen["HER2"]["selected"] is False and antigen["HER2"]["count"] == 1
    assert sum(v["count"] for v in body["facets"]["phase"]) == body["count"] == 2


@pytest.mark.parametrize(
    "params, name",
    [({"age": "abc"}, "age"), ({"phase": "bogus"}, "phase"), ({"dose_min": "lots"}, "dose_min"),
     ({"page": "0"}, "page"), ({"sort": "random"}, "sort"), ({"start_year": "99999"}, "start_year")],
)  # fmt: skip
def test_invalid_filters_are_a_400_with_the_errors(client, seed_trials, params, name):
    body = get(client, params, status=400)
    assert list(body) == ["errors"]
    assert name in body["errors"] and all(isinstance(m, str) for m in body["errors"][name])


def test_pages_link_to_each_other_and_page_size_is_capped(client, seed_trials, settings):
    first = get(client, {"page_size": "2", "sort": "registry_id", "antigen": "B7-H3"})
    assert first["count"] == 2 and first["next"] is None
    first = get(client, {"page_size": "2", "sort": "registry_id"})
    assert first["previous"] is None and "page=2" in first["next"] and "page_size=2" in first["next"]
    assert first["next"].startswith("http://testserver" + API)
    second = client.get(first["next"]).json()
    assert [r["registry_id"] for r in second["results"]] == sorted(seed_trials)[2:4]
    assert "page=1" in second["previous"]
    capped = get(client, {"page_size": "1000"})
    assert len(capped["results"]) == len(seed_trials)
    make_many(settings.CATALOGUE_MAX_PAGE_SIZE + 5)
    capped = get(client, {"page_size": "1000"})
    assert len(capped["results"]) == settings.CATALOGUE_MAX_PAGE_SIZE


def test_a_page_past_the_end_is_empty_and_points_back_to_the_last_page(client, seed_trials):
    body = get(client, {"page": "999", "page_size": "2"})
    assert body["results"] == [] and body["count"] == len(seed_trials)
    assert body["next"] is None
    assert "page=3" in body["previous"]


def test_the_list_query_count_is_fixed(client, seed_trials, django_assert_num_queries):
    make_many(30)
    # the data state (the cache key), the counts (facets and total in one UNION), page rows,
    # their dose levels, their references
    with django_assert_num_queries(5):
        body = client.get(API, {"page_size": "100"}).json()
    assert len(body["results"]) == 35


def test_the_detail_returns_one_trial_in_the_contract(client, seed_trials):
    item = get(client, url=reverse("catalogue:api_trial_detail", args=[GD2_B7H3]))
    assert list(item) == DETAIL
    assert item["registry_id"] == GD2_B7H3
    assert sorted(item["antigens"]) == ["B7-H3", "GD2"]


def test_an_unknown_id_is_a_json_404(client, seed_trials):
    body = get(client, url=reverse("catalogue:api_trial_detail", args=["NCT00000000"]), status=404)
    assert "detail" in body


def test_a_merged_record_answers_with_its_primary(client, seed_trials):
    make_trial(registry="chictr", registry_id="ChiCTR2400000009", merged_into=seed_trials[HER2])
    item = get(client, url=reverse("catalogue:api_trial_detail", args=["ChiCTR2400000009"]))
    assert item["registry_id"] == HER2


def test_the_api_is_read_only(client, seed_trials):
    assert client.post(API, {}).status_code == 405
    assert client.delete(reverse("catalogue:api_trial_detail", args=[HER2])).status_code == 405


def test_the_openapi_schema_describes_the_endpoints_and_the_contract(client):
    schema = get(client, url=reverse("catalogue:api_schema"))
    assert schema["openapi"].startswith("3.")
    assert {"/api/trials/", "/api/trials/{registry_id}/", "/trials.csv", "/trials.json"} <= set(schema["paths"])
    assert list(schema["components"]["schemas"]["Trial"]["properties"]) == CONTRACT
    assert list(schema["components"]["schemas"]["TrialDetail"]["properties"]) == DETAIL
    names = {p["name"] for p in schema["paths"]["/api/trials/"]["get"]["parameters"]}
    assert set(FACETS) | {"age", "age_min", "age_max", "dose_min", "dose_max", "q", "page", "page_size"} <= names
