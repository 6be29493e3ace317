"""The landscape's counts from the in-memory facet index are exactly the landscape
query's (the reference), for any filters, and follow every kind of write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue import landscape
from catalogue.facet_index import INDEX
from catalogue.models import Disease, Trial
from catalogue.selectors import index_snapshot, parse_filters
from tests.catalogue.test_facet_index import PARAMS as LIST_PARAMS
from tests.factories import make_many, make_trial

pytestmark = pytest.mark.django_db
committed = pytest.mark.django_db(transaction=True)
MADE_UP = "Made-up syndrome"  # a disease no group names: its category's catch-all


def both(params: dict, django_settings) -> tuple:
    """(index counts, SQL counts) of the landscape for the same filters, uncached."""
    django_settings.CATALOGUE_FACET_INDEX = True
    filters = parse_filters(params)
    assert index_snapshot(filters) is not None  # near= with a status filter too (a near site's status)
    with_index = landscape._count(filters)
    django_settings.CATALOGUE_FACET_INDEX = False
    with_sql = landscape._landscape_counts(parse_filters(params))
    django_settings.CATALOGUE_FACET_INDEX = True
    return with_index, with_sql


@pytest.fixture
def catalogue(settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_many(30, modalities=["car_t"], sponsor_type="academic", enrollment=24, start_date=dt.date(2020, 6, 1))
    make_many(
        6, modalities=["car_nk", "car_t"], sponsor_type="industry", enrollment=600, start_date=dt.date(2023, 1, 1)
    )
    make_trial(
        antigens=["CD19", "CD22"],
        diseases=[("Diffuse large B-cell lymphoma", "hematologic_malignancy")],
        modalities=[],
        sponsor_type=None,
        enrollment=None,
        start_date=dt.date(2009, 1, 1),
    )
    make_trial(
        antigens=["CD19"],
        diseases=[("Follicular lymphoma", "hematologic_malignancy"), (MADE_UP, "other")],
        enrollment=0,
        sponsor_type="government",
        start_date=dt.date(2031, 2, 1),
        registry="chictr",
        registry_id="ChiCTR2500000009",
    )
    make_trial(antigens=[], diseases=[], countries=[], modalities=["tcr_t"], enrollment=10, phase=None, status=None)
    make_trial(
        antigens=["GD2"],
        diseases=[("Lupus nephritis", "autoimmune")],
        modalities=["car_t"],
        enrollment=11,
        start_date=dt.date(2024, 3, 1),
        min_age_years=0.5,
        max_age_years=None,
        has_results=True,
        sex="female",
        healthy_volunteers=True,
    )
    for year, age in ((2019, 12), (2021, 65)):
        make_trial(antigens=["CD19", "BCMA"], diseases=[("Multiple myeloma", "hematologic_malignancy")],
                   start_date=dt.date(year, 3, 1), min_age_years=age, max_age_years=None, enrollment=251,
                   modalities=["car_t"], sites=[{"institution": "PUMCH", "city": "Beijing", "country": "China",
                   "latitude": 39.9, "longitude": 116.4, "geo_source": "registry", "status": "recruiting"}])  # fmt: skip
    make_trial(antigens=["CD19"], phase=None, status=None, in_scope=False, countries=[], sponsor_type="other")
    make_trial(antigens=["GPC3"], cell_source="allogeneic", trial_type=None, registry="chictr",
               registry_id="ChiCTR2500000001", diseases=[("Hepatocellular carcinoma", "solid_tumor")])  # fmt: skip
    primary = make_trial(antigens=["BCMA"], registry_id="NCT95000001", start_date=dt.date(2022, 1, 1))
    make_trial(antigens=["BCMA"], registry="chictr", registry_id="ChiCTR2500000002", merged_into=primary)


PARAMS = LIST_PARAMS.flatmap(
    lambda base: st.fixed_dictionaries(
        {},
        optional={
            "disease_category": st.lists(
                st.sampled_from(["hematologic_malignancy", "solid_tumor", "autoimmune"]), min_size=1, max_size=2
            ),
            "modality": st.lists(st.sampled_from(["car_t", "car_nk", "tcr_t"]), min_size=1, max_size=2),
            "trial_type": st.sampled_from(["treatment", "not_stated"]),
        },
    ).map(lambda more: {**base, **more})
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=PARAMS)
def test_it_counts_exactly_what_the_landscape_query_counts_for_any_filters(catalogue, settings, params):
    with_index, with_sql = both(params, settings)
    assert with_index == with_sql


def test_every_chart_and_its_none_bucket_agree_on_the_whole_catalogue(catalogue, settings):
    for params in ({}, {"scope": "all"}, {"scope": "out"}, {"q": "CAR-T"}, {"start_year": "2019", "age": "12"}):
        with_index, with_sql = both(params, settings)
        assert with_index == with_sql, params
    total, counts = both({"scope": "all"}, settings)[0]
    assert total == Trial.objects.filter(merged_into__isnull=True).count()
    # trials stating none, chart by chart
    for key in ("antigen", "phase", "status", "sponsor_type", "enrollment", "start_year", "disease_category",
                "disease", "country", "modality"):  # fmt: skip
        assert counts[key].get("", 0) > 0, key
    assert counts["enrollment"]["0"] == 2  # 0 and 10
    assert counts["disease"]["Other conditions"] == 1  # the made-up disease, under its category's catch-all
    assert any(key.endswith(f"\x1f{MADE_UP}") for key in counts["disease_name"])
    assert any(key.endswith("\x1f") for key in counts["year_modality"])  # a year's trials with no modality


def test_the_page_reads_the_counts_once(client, catalogue, settings, django_assert_num_queries):
    client.get("/landscape/")  # builds the index, reads the disease vocabulary's categories
    # the data state: the counts come from the index, once for the lede, the charts and the map
    with django_assert_num_queries(1):
        response = client.get("/landscape/", {"phase": "phase1"})
    assert response.status_code == 200


@committed
def test_it_follows_updates_without_building_again(catalogue, settings):
    both({}, settings)
    builds = INDEX.builds
    trial = Trial.objects.filter(antigen_names__contains=["GD2"], merged_into__isnull=True).first()
    Trial.objects.filter(pk=trial.pk).update(
        antigen_names=["CD70"], sponsor_type="other", enrollment=1000, start_date=dt.date(2018, 5, 1),
        modalities=[], disease_names=["Melanoma"], disease_categories=["solid_tumor"],
    )  # fmt: skip
    with connection.cursor() as cursor:  # raw SQL
        cursor.execute("UPDATE catalogue_trial SET countries = ARRAY['Japan'] WHERE registry_id = 'NCT95000001'")
    make_trial(antigens=["CD70"], phase="phase2", start_date=dt.date(2018, 1, 1), sponsor_type="industry")
    for params in ({}, {"antigen": ["CD70"]}, {"country": ["Japan"]}, {"start_year": "2018"}, {"antigen": ["GD2"]}):
        with_index, with_sql = both(params, settings)
        assert with_index == with_sql, params
    assert INDEX.builds == builds
    assert INDEX.refreshes >= 1
    total, counts = both({"antigen": ["CD70"]}, settings)[0]
    assert total == 2
    assert counts["year_antigen"] == {"2018\x1fCD70": 2}
    assert counts["sponsor_type"] == {"other": 1, "industry": 1}


@committed
def test_a_deleted_trial_makes_it_build_again(catalogue, settings):
    both({}, settings)
    builds = INDEX.builds
    Trial.objects.filter(antigen_names__contains=["GPC3"]).delete()
    with_index, with_sql = both({}, settings)
    assert with_index == with_sql
    assert "GPC3" not in with_index[1]["antigen"]
    assert INDEX.builds == builds + 1


@committed
def test_a_disease_moved_to_another_category_moves_its_group(catalogue, settings):
    before = both({}, settings)[0][1]["disease"]
    assert before["Other conditions"] == 1
    Disease.objects.filter(name=MADE_UP).update(category="solid_tumor")  # the data version moves at commit
    with_index, with_sql = both({}, settings)
    assert with_index == with_sql
    assert "Other conditions" not in with_index[1]["disease"]
    assert with_index[1]["disease"]["Other solid tumors"] == before.get("Other solid tumors", 0) + 1


@committed
def test_links_and_scope_changes_are_followed(catalogue, settings):
    both({}, settings)
    one, other = Trial.objects.filter(merged_into__isnull=True, in_scope=True)[:2]
    Trial.objects.filter(pk=other.pk).update(merged_into=one)
    Trial.objects.filter(pk=one.pk).update(in_scope=False)
    for params in ({}, {"scope": "out"}, {"scope": "all"}):
        with_index, with_sql = both(params, settings)
        assert with_index == with_sql, params
