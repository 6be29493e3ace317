"""The cache pre-warm after writing commands. These tests commit (transactional_db):
the data version, which the warm and its trigger follow, moves at commit time."""

from __future__ import annotations

from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalogue.warm import warm, warm_paths
from tests.conftest import SAMPLES
from tests.factories import make_trial

pytestmark = pytest.mark.django_db(transaction=True)
LIST = reverse("catalogue:trial_list")


def test_it_warms_the_landing_page_each_common_facet_value_and_the_landscape(client, django_assert_num_queries):
    for _ in range(19):
        make_trial(antigens=["CD19"], phase="phase1")
    make_trial(antigens=["GPC3"], phase="phase2")
    paths = warm_paths(0.1)
    assert paths[0] == LIST and paths[-1] == reverse("catalogue:landscape")
    assert f"{LIST}?{urlencode({'antigen': 'CD19'})}" in paths
    assert f"{LIST}?{urlencode({'phase': 'phase1'})}" in paths
    assert f"{LIST}?{urlencode({'antigen': 'GPC3'})}" not in paths  # 5 % of the trials

    report = warm(share=0.1)
    assert report.pages == len(paths) and report.failed == 0
    assert "cache warmed" in report.summary()
    # the data version and the synonym lookup of the filter summary: nothing else is computed
    with django_assert_num_queries(2):
        response = client.get(LIST, {"antigen": "CD19"})
    assert b"19 trials" in response.content
    with django_assert_num_queries(1):
        assert client.get(LIST).status_code == 200
    # not warmed: the version, the synonyms, the rows; counted from the (current) facet index
    with django_assert_num_queries(3):
        assert b"1 trial" in client.get(LIST, {"antigen": "GPC3"}).content


def test_it_is_not_stopped_by_the_search_rate_limit(settings):
    settings.SEARCH_RATE = "1/h"
    for antigen in ("CD19", "BCMA", "CD22", "GD2"):
        make_trial(antigens=[antigen])
    report = warm(share=0.01)
    assert report.failed == 0 and report.pages >= 6


def test_it_says_when_it_is_off(settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    assert "caching is off" in warm().summary()
    settings.CATALOGUE_CACHE_SECONDS = 600
    assert "CATALOGUE_WARM_SHARE=0" in warm(share=0).summary()


def test_an_ingest_that_changed_the_data_warms_the_cache_and_one_that_did_not_leaves_it(settings):
    settings.CATALOGUE_WARM_SHARE = 0.01
    out = StringIO()
    call_command("ingest", str(SAMPLES), stdout=out)
    assert "cache warmed:" in out.getvalue()
    again = StringIO()
    call_command("ingest", str(SAMPLES), stdout=again)
    assert "unchanged" in again.getvalue()
    assert "cache warmed" not in again.getvalue()
