"""The in-memory facet index gives exactly the counts the SQL path gives, and follows
every kind of write: new trials, updates by the ORM and by raw SQL, links, deletes."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.cache import data_state
from catalogue.facet_index import INDEX, bitmap
from catalogue.models import Trial
from catalogue.selectors import _count_facets, parse_filters
from tests.factories import make_many, make_trial

pytestmark = pytest.mark.django_db
# Writes that commit: the data version, which tells the index to look, moves at commit.
committed = pytest.mark.django_db(transaction=True)


def both(params: dict, django_settings) -> tuple:
    """(index counts, SQL counts) for the same filters, uncached."""
    django_settings.CATALOGUE_FACET_INDEX = True
    with_index = _count_facets(parse_filters(params))
    django_settings.CATALOGUE_FACET_INDEX = False
    with_sql = _count_facets(parse_filters(params))
    django_settings.CATALOGUE_FACET_INDEX = True
    return with_index, with_sql


def normalized(counts: tuple) -> tuple:
    total, by_facet = counts
    extra = by_facet.get("_extra", {})
    return total, {name: values for name, values in by_facet.items() if name != "_extra"}, extra


@pytest.fixture
def catalogue(settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_many(40)
    make_trial(antigens=["CD19", "CD22"], diseases=[("Diffuse large B-cell lymphoma", "hematologic_malignancy")])
    make_trial(antigens=["CD19"], diseases=[("Follicular lymphoma", "hematologic_malignancy")])
    for year, age, results in ((2019, 0.5, True), (2021, 12, False), (2024, 65, None)):
        make_trial(antigens=["CD19"], start_date=dt.date(year, 3, 1), min_age_years=age, max_age_years=None,
                   has_results=results, has_publications=bool(results), sex={2019: "female", 2021: None}.get(year, "all"),
                   healthy_volunteers={2019: True, 2021: False}.get(year),
                   sites=[{"institution": "PUMCH", "city": "Beijing", "country": "China", "latitude": 39.9,
                           "longitude": 116.4, "geo_source": "registry", "status": "recruiting"}])  # fmt: skip
    make_trial(antigens=["CD19"], phase=None, status=None, in_scope=False, countries=[])
    make_trial(antigens=["GPC3"], cell_source="allogeneic", trial_type=None, registry="chictr",
               registry_id="ChiCTR2500000001")  # fmt: skip
    primary = make_trial(antigens=["BCMA"], registry_id="NCT95000001")
    make_trial(antigens=["BCMA"], registry="chictr", registry_id="ChiCTR2500000002", merged_into=primary)


PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "antigen": st.lists(st.sampled_from(["CD19", "BCMA", "cd276", "GD2", "GPC3", "Nope"]), min_size=1, max_size=2),
        "phase": st.lists(st.sampled_from(["phase1", "phase2", "not_stated"]), min_size=1, max_size=2),
        "status": st.lists(st.sampled_from(["recruiting", "not_stated"]), min_size=1),
        "country": st.lists(st.sampled_from(["China", "united states", "Germany"]), min_size=1, max_size=2),
        "disease": st.lists(
            st.sampled_from(["Neuroblastoma", "Multiple myeloma", "Lymphoma", "Plasma cell neoplasm"]),
            min_size=1,
            max_size=2,
        ),
        "registry": st.sampled_from(["ctgov", "chictr"]),
        "cell_source": st.sampled_from(["allogeneic", "autologous"]),
        "age": st.sampled_from(["12", "40", "80"]),
        "age_min": st.sampled_from(["0", "12.5", "70"]),
        "age_max": st.sampled_from(["1", "17", "80"]),
        "dose_min": st.sampled_from(["1e6", "3e6", "2e7"]),
        "dose_max": st.sampled_from(["1e6", "2.5e6"]),
        "start_year": st.sampled_from(["2019", "2021", "2022"]),
        # text only; concepts only (answered by the index); a negation and an alternative naming
        # no concept (the "tagged" count then needs the text, in SQL)
        "q": st.sampled_from(
            ["CAR-T", "trial number 7", "淋巴瘤", "CD19 neuroblastoma", "CD19 or GD2", "myeloma -CD19", "GD2 or trial"]
        ),
        "scope": st.sampled_from(["all", "out"]),
        "has_results": st.lists(st.sampled_from(["yes", "no", "not_stated"]), min_size=1, max_size=2),
        "has_publications": st.sampled_from(["yes", "no"]),
        "sex": st.sampled_from(["female", "male"]),
        "healthy_volunteers": st.just("yes"),
        "age_group": st.sampled_from(["child", "adult", "older_adult"]),
        "near": st.sampled_from(["Boston", "Beijing"]),
        "antigen_mode": st.just("all"),
        "target_combination": st.sampled_from(["BCMA + CD19", "CD19 + CD22"]),
        "show": st.sampled_from(["antigen", "disease", "country"]),
        "open": st.lists(
            st.sampled_from(["Lymphoma", "Hematologic malignancy", "Solid tumor", "Leukemia"]), max_size=2
        ),
    },
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=PARAMS)
def test_it_counts_exactly_what_sql_counts_for_any_filters(catalogue, settings, params):
    with_index, with_sql = both(params, settings)
    assert normalized(with_index) == normalized(with_sql)


def test_it_counts_a_fresh_catalogue(catalogue, settings):
    with_index, with_sql = both({}, settings)
    total, by_facet, extra = normalized(with_index)
    assert total == 47  # of 49: the linked record is shown through its primary; one is out of scope
    assert extra == {"hidden": 1}
    assert by_facet["antigen"]["CD19"] == 15  # the out-of-scope CD19 trial is hidden
    assert "not_stated" not in by_facet["phase"]  # the trial with no phase is the hidden one
    assert normalized(with_index) == normalized(with_sql)


@committed
def test_it_follows_updates_without_building_again(catalogue, settings):
    both({}, settings)
    builds = INDEX.builds
    trial = Trial.objects.filter(antigen_names__contains=["GD2"]).first()
    Trial.objects.filter(pk=trial.pk).update(antigen_names=["GPC3"], phase="phase3")  # the ORM, no save()
    with connection.cursor() as cursor:  # raw SQL
        cursor.execute("UPDATE catalogue_trial SET countries = ARRAY['Japan'] WHERE registry_id = 'NCT95000001'")
    make_trial(antigens=["CD70"], phase="phase2")
    for params in ({}, {"antigen": ["GPC3"]}, {"country": ["Japan"]}, {"phase": ["phase3"]}, {"antigen": ["CD70"]}):
        with_index, with_sql = both(params, settings)
        assert normalized(with_index) == normalized(with_sql), params
    assert INDEX.builds == builds
    assert INDEX.refreshes >= 1
    assert normalized(both({"antigen": ["CD70"]}, settings)[0])[0] == 1


@committed
def test_it_follows_links_and_scope_changes(catalogue, settings):
    both({}, settings)
    one, other = Trial.objects.filter(merged_into__isnull=True, in_scope=True)[:2]
    Trial.objects.filter(pk=other.pk).update(merged_into=one)
    Trial.objects.filter(pk=one.pk).update(in_scope=False)
    for params in ({}, {"scope": "out"}, {"scope": "all"}):
        with_index, with_sql = both(params, settings)
        assert normalized(with_index) == normalized(with_sql), params


@committed
def test_a_deleted_trial_makes_it_build_again(catalogue, settings):
    both({}, settings)
    builds = INDEX.builds
    Trial.objects.filter(antigen_names__contains=["GPC3"]).delete()
    with_index, with_sql = both({"antigen": ["GPC3"]}, settings)
    assert normalized(with_index) == normalized(with_sql)
    assert normalized(with_index)[0] == 0
    assert INDEX.builds == builds + 1


def test_an_unchanged_data_state_reads_nothing(catalogue, settings, django_assert_num_queries):
    both({}, settings)
    filters = parse_filters({"antigen": ["CD19"]})
    with django_assert_num_queries(1):  # the data state (synonyms were resolved when parsing): no counting query
        _count_facets(filters)


def test_bitmaps_hold_exactly_their_ids():
    ids = [0, 1, 7, 8, 63, 64, 1000, 99_999]
    mask = bitmap(ids)
    assert [n for n in range(100_000) if mask >> n & 1] == ids
    assert bitmap([]) == 0
    assert mask.bit_count() == len(ids)


@committed
def test_a_refresh_that_touches_every_row_is_still_a_refresh(catalogue, settings):
    both({}, settings)
    builds = INDEX.builds
    Trial.objects.update(status="completed")
    with_index, with_sql = both({"status": ["completed"]}, settings)
    assert normalized(with_index) == normalized(with_sql)
    assert normalized(with_index)[0] == 47
    assert INDEX.builds == builds


@committed
def test_a_background_build_leaves_counting_to_sql_until_it_is_ready(catalogue, settings):
    settings.CATALOGUE_FACET_INDEX_BACKGROUND = True
    settings.CATALOGUE_FACET_INDEX_WAIT = 0
    INDEX.clear()
    builds = INDEX.builds
    while_building = _count_facets(parse_filters({"antigen": ["CD19"]}))  # starts the build, counts in SQL
    deadline = time.monotonic() + 60
    while INDEX.builds == builds and time.monotonic() < deadline:
        time.sleep(0.05)
    assert INDEX.builds == builds + 1, "the background build never finished"
    filters = parse_filters({"antigen": ["CD19"]})
    snapshot = INDEX.current("default", data_state().token)
    assert snapshot is not None
    assert normalized(_count_facets(filters)) == normalized(while_building)


@committed
def test_a_request_waits_for_a_running_build_rather_than_counting_in_sql(catalogue, settings):
    settings.CATALOGUE_FACET_INDEX_BACKGROUND = True
    settings.CATALOGUE_FACET_INDEX_WAIT = 60
    INDEX.clear()
    builds = INDEX.builds
    filters = parse_filters({"antigen": ["CD19"]})
    with CaptureQueriesContext(connection) as queries:  # the build reads on its own connection
        waited = _count_facets(filters)
    assert INDEX.builds == builds + 1, "the count did not wait for the build"
    assert not [q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"]], "it counted in SQL"
    settings.CATALOGUE_FACET_INDEX = False
    assert normalized(waited) == normalized(_count_facets(filters))


def test_the_trials_tagged_with_a_searched_concept_are_counted_without_sql(catalogue, settings):
    with_index, with_sql = both({"q": "CD19 neuroblastoma", "registry": "ctgov"}, settings)
    assert normalized(with_index) == normalized(with_sql)
    assert normalized(with_index)[2]["concepts"] > 0
    with CaptureQueriesContext(connection) as queries:
        _count_facets(parse_filters({"q": "CD19 neuroblastoma", "registry": "ctgov"}))
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"].upper()], "a count ran in SQL"


@committed
def test_after_a_deletion_sql_counts_while_the_index_rebuilds(catalogue, settings):
    settings.CATALOGUE_FACET_INDEX_BACKGROUND = True
    settings.CATALOGUE_FACET_INDEX_WAIT = 60
    INDEX.clear()
    filters = {"antigen": ["CD19"]}
    _count_facets(parse_filters(filters))  # the start: waits for the first build
    Trial.objects.filter(antigen_names__contains=["GPC3"]).delete()
    with CaptureQueriesContext(connection) as queries:
        after = _count_facets(parse_filters(filters))
    assert [q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"]], "it did not count in SQL"
    settings.CATALOGUE_FACET_INDEX = False
    assert normalized(after) == normalized(_count_facets(parse_filters(filters)))
    deadline = time.monotonic() + 60
    while INDEX._snapshot is None and time.monotonic() < deadline:  # let the rebuild end before teardown
        time.sleep(0.05)
