"""A search's result page: ranked by one pass over its matches and picked with the facet
index, or ranked in SQL within the other filters; both give the same rows in the same
order. The relevance reads the rank vector the database keeps for every write."""

from __future__ import annotations

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.facet_index import bitmap, page_of
from catalogue.models import Trial
from catalogue.selectors import page_rows, parse_filters, ranks_by_pass
from tests.factories import make_many, make_trial

pytestmark = pytest.mark.django_db
HEME = "hematologic_malignancy"


def page_ids(params: dict, number: int = 1) -> list[str]:
    filters = parse_filters(params)
    return [t.registry_id for t in page_rows(filters, number, lambda queryset: queryset)]


def both(params: dict, django_settings, number: int = 1) -> tuple[list[str], list[str]]:
    """(the page through the facet index, the page ranked in SQL) for the same filters."""
    django_settings.CATALOGUE_FACET_INDEX = True
    with_index = page_ids(params, number)
    django_settings.CATALOGUE_FACET_INDEX = False
    with_sql = page_ids(params, number)
    django_settings.CATALOGUE_FACET_INDEX = True
    return with_index, with_sql


@pytest.fixture
def searched(settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    make_many(24)
    lymphoma = ("Follicular lymphoma", HEME)
    make_trial(title="CD19 CAR-T cells for relapsed lymphoma", antigens=["CD19"], diseases=[lymphoma])
    make_trial(title="Anti-CD19 CAR-T in lymphoma and leukemia", conditions=["Lymphoma", "Leukemia"])
    make_trial(title="A cell therapy study", brief_summary="Patients with lymphoma after two lines")
    make_trial(title="Tagged only", antigens=["CD22"], diseases=[lymphoma])
    make_trial(title="CAR-T for B-cell lymphoma", title_zh="淋巴瘤的CAR-T治疗", registry="chictr",
               registry_id="ChiCTR2500000101", countries=["China"])  # fmt: skip
    make_trial(title="另一项研究", title_zh="复发难治性淋巴瘤", conditions=["淋巴瘤"], registry="chictr",
               registry_id="ChiCTR2500000102", countries=["China"])  # fmt: skip
    make_trial(title="Myeloma trial", conditions=["Multiple myeloma"], antigens=["BCMA"], phase="phase2")


QUERIES = ["lymphoma", "淋巴瘤", "CAR-T", "CD19 lymphoma", "lymphoma -CD19", "myeloma or lymphoma", '"B-cell lymphoma"']
FILTERS = st.fixed_dictionaries(
    {"q": st.sampled_from(QUERIES)},
    optional={
        "antigen": st.lists(st.sampled_from(["CD19", "CD22", "BCMA"]), min_size=1, max_size=2),
        "phase": st.sampled_from(["phase1", "phase2"]),
        "country": st.sampled_from(["China", "United States"]),
        "age": st.sampled_from(["12", "40"]),
        "scope": st.just("all"),
        "page_size": st.sampled_from(["2", "5"]),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=FILTERS, number=st.integers(min_value=1, max_value=4))
def test_a_page_picked_from_the_ranked_pass_is_the_page_sql_ranks(searched, settings, params, number):
    with_index, with_sql = both(params, settings, number)
    assert with_index == with_sql


def test_a_broad_search_is_ranked_by_one_pass_and_a_narrowly_filtered_one_in_sql(searched, settings):
    assert ranks_by_pass(parse_filters({"q": "lymphoma"}))
    assert ranks_by_pass(parse_filters({"q": "lymphoma", "phase": "phase1"}))  # most trials are phase 1
    narrow = {"q": "lymphoma", "antigen": "CD22", "country": "China"}
    assert not ranks_by_pass(parse_filters(narrow))
    assert not ranks_by_pass(parse_filters({"q": "lymphoma", "sort": "newest"}))  # not ranked at all
    settings.CATALOGUE_FACET_INDEX = False
    assert not ranks_by_pass(parse_filters({"q": "lymphoma"}))  # no index: SQL ranks


def test_a_title_match_ranks_above_a_mention_in_the_summary(searched, settings):
    ranked, _ = both({"q": "lymphoma", "scope": "all"}, settings)
    assert ranked.index(Trial.objects.get(title="A cell therapy study").registry_id) > ranked.index(
        Trial.objects.get(title="Anti-CD19 CAR-T in lymphoma and leukemia").registry_id
    )
    # The Chinese title counts as a title.
    chinese, _ = both({"q": "淋巴瘤", "scope": "all"}, settings)
    assert chinese.index("ChiCTR2500000102") < chinese.index(
        Trial.objects.get(title="A cell therapy study").registry_id
    )


def test_a_deep_page_of_a_ranked_search_is_the_sql_page(searched, settings):
    everything, _ = both({"q": "CAR-T", "page_size": "100"}, settings)
    assert len(everything) > 20
    pages = [both({"q": "CAR-T", "page_size": "7"}, settings, n) for n in (1, 2, 3, 4)]
    assert [i for with_index, _ in pages for i in with_index] == everything[:28]
    assert all(with_index == with_sql for with_index, with_sql in pages)


def words(trial: Trial) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tsvector_to_array(rank_vector) FROM catalogue_trial WHERE id = %s", [trial.pk])
        return sorted(cursor.fetchone()[0])


def test_the_database_keeps_the_rank_vector_for_every_write():
    trial = make_trial(title="Neuroblastoma study", title_zh="神经母细胞瘤", conditions=["Relapsed sarcoma"])
    assert {"neuroblastoma", "studi", "神经", "瘤", "relaps", "sarcoma"} <= set(words(trial))
    trial.title = "Glioma study"
    trial.save()
    assert "glioma" in words(trial) and "neuroblastoma" not in words(trial)
    Trial.objects.filter(pk=trial.pk).update(conditions=["Myeloma"])
    assert "myeloma" in words(trial) and "sarcoma" not in words(trial)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalogue_trial SET title = 'Melanoma', rank_vector = NULL WHERE id = %s", [trial.pk])
    assert "melanoma" in words(trial)
    assert Trial.objects.filter(rank_vector=SearchQuery("melanoma")).get() == trial


def test_page_of_skips_what_the_filters_leave_out():
    order = [9, 3, 7, 1, 12, 5]
    kept = bitmap([3, 1, 12, 5, 40])
    assert page_of(order, kept, 0, 2) == [3, 1]
    assert page_of(order, kept, 2, 2) == [12, 5]
    assert page_of(order, kept, 4, 2) == []
    assert page_of(order, 0, 0, 5) == []
