"""The counts cache: facet counts, totals and rendered pages cached per filter and data
version. These tests commit (transactional_db), because the data version moves
when a change commits: a database trigger bumps it at commit time."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import transaction
from django.urls import reverse

from catalogue.models import Antigen, DataVersion, Trial
from catalogue.selectors import catalogue_counts, parse_filters
from tests.factories import make_trial

pytestmark = pytest.mark.django_db(transaction=True)
LIST = reverse("catalogue:trial_list")
API = reverse("catalogue:api_trial_list")
LANDSCAPE = reverse("catalogue:landscape")


@pytest.fixture
def cache_on(settings):
    settings.CATALOGUE_CACHE_SECONDS = 600
    caches["counts"].clear()
    yield
    caches["counts"].clear()


def version() -> int:
    return DataVersion.objects.get(pk=1).version


def test_a_committed_write_moves_the_data_version():
    before = version()
    make_trial(antigens=["CD19"])
    assert version() > before


def test_a_transaction_moves_the_version_once_however_many_rows_it_writes():
    before = version()
    with transaction.atomic():
        for _ in range(3):
            make_trial(antigens=["BCMA"])
    after = version()
    with transaction.atomic():
        Trial.objects.update(title="renamed")
    # One bump per transaction: the sequence moved by one for each of the two.
    assert after == before + 1
    assert version() == after + 1


def test_a_rolled_back_write_leaves_the_version_alone():
    make_trial()
    before = version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Trial.objects.update(title="never committed")
        raise RuntimeError
    assert version() == before


def test_an_update_that_changes_no_row_leaves_the_version_alone():
    make_trial()
    before = version()
    Trial.objects.filter(registry_id="NCT-none").update(title="x")
    assert version() == before


def test_a_repeated_list_page_reads_its_counts_and_cards_from_the_cache(client, cache_on, django_assert_num_queries):
    for _ in range(3):
        make_trial(antigens=["CD19"])
    params = {"antigen": "CD19"}
    # the data version, the antigen synonym lookup, the counts, the rows
    with django_assert_num_queries(4):
        first = client.get(LIST, params)
    # the data version and the synonym lookup for the summary of active filters: the
    # counts, the facet sidebar and the trial cards are cached, so no row is read
    with django_assert_num_queries(2):
        second = client.get(LIST, params)
    assert first.status_code == second.status_code == 200
    assert b"3 trials" in first.content
    assert first.content == second.content


def test_a_new_trial_shows_in_the_counts_right_after_it_commits(client, cache_on):
    make_trial(antigens=["CD19"])
    body = client.get(API, {"antigen": "CD19"}).json()
    assert body["count"] == 1
    make_trial(antigens=["CD19"])
    body = client.get(API, {"antigen": "CD19"}).json()
    assert body["count"] == 2
    assert len(body["results"]) == 2
    assert {"value": "CD19", "label": "CD19", "count": 2, "selected": True} in body["facets"]["antigen"]


def test_a_curators_synonym_takes_effect_at_once(client, cache_on):
    make_trial(antigens=["GPC3"])
    assert client.get(API, {"antigen": "glypican-3"}).json()["count"] == 0
    antigen = Antigen.objects.get(name="GPC3")
    antigen.synonyms = [*antigen.synonyms, "glypican-3"]
    antigen.save()
    assert client.get(API, {"antigen": "glypican-3"}).json()["count"] == 1


def test_pages_and_sort_orders_share_one_counts_entry(cache_on, django_assert_num_queries):
    for _ in range(3):
        make_trial()
    catalogue_counts(parse_filters({"page": "1"}))
    # only the data version: the counts are the cached ones
    with django_assert_num_queries(1):
        total, counts = catalogue_counts(parse_filters({"page": "2", "sort": "updated", "page_size": "1"}))
    assert total == 3
    assert counts["phase"] == {"phase1": 3}


def test_the_landscape_is_cached_and_invalidated_like_the_list(client, cache_on, django_assert_num_queries):
    make_trial(antigens=["CD19"])
    first = client.get(LANDSCAPE)
    with django_assert_num_queries(1):
        again = client.get(LANDSCAPE)
    assert first.content == again.content
    make_trial(antigens=["BCMA"])
    assert b"BCMA" in client.get(LANDSCAPE).content


def test_with_the_cache_off_nothing_is_stored(client, settings):
    settings.CATALOGUE_CACHE_SECONDS = 0
    caches["counts"].clear()
    make_trial()
    client.get(LIST)
    client.get(API)
    assert not caches["counts"]._cache  # type: ignore[attr-defined]  # LocMemCache's own store


def test_the_cache_holds_one_data_version_at_a_time(client, cache_on):
    store = caches["counts"]._cache  # type: ignore[attr-defined]  # LocMemCache's own store
    make_trial(antigens=["CD19"])
    for params in ({}, {"antigen": "CD19"}, {"phase": "phase1"}):
        client.get(LIST, params)
    before = set(store)
    assert len(before) >= 9  # counts, facets and cards for each
    make_trial(antigens=["BCMA"])
    client.get(LIST)
    assert store and not before & set(store)


def test_an_ingest_moves_the_version_once_when_it_ends_not_at_each_record(client, cache_on):
    from ingest.pipeline import ingest_paths
    from tests.conftest import SAMPLES

    before = version()
    assert client.get(API).json()["count"] == 0
    report = ingest_paths([str(SAMPLES)])
    assert report.created == 5
    assert version() == before + 1
    assert client.get(API).json()["count"] == 5


def test_a_running_ingest_moves_the_version_on_its_clock():
    from catalogue.cache import deferred_version as data_version_batches

    before = version()
    with data_version_batches(interval=3600) as tick:
        make_trial()
        tick()
        assert version() == before  # committed, but inside the interval
    assert version() == before + 1
    with data_version_batches(interval=0) as tick:
        make_trial()
        tick()
        assert version() == before + 2
        make_trial()
    assert version() == before + 3  # and at the end, for what came after the last move
    with data_version_batches(interval=0) as tick:
        tick()
    assert version() == before + 3  # a batch that committed nothing moves nothing
    # Outside a batch, each commit moves it again.
    make_trial()
    assert version() > before + 3


def test_a_batch_that_commits_nothing_leaves_the_version_and_the_cache_alone():
    from catalogue.cache import deferred_version

    make_trial(registry_id="NCT90000601")
    before = version()
    with deferred_version(interval=0) as tick:
        Trial.objects.filter(registry_id="NCT-none").update(title="x")
        tick()
        try:
            with transaction.atomic():
                make_trial(registry_id="NCT90000602")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        tick()
    assert version() == before
    with deferred_version(interval=3600):
        Trial.objects.filter(registry_id="NCT90000601").update(title="changed")
    assert version() == before + 1


def test_a_repeated_api_page_is_served_from_the_cache_with_links_for_its_host(
    client, cache_on, settings, django_assert_num_queries
):
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example.org"]
    for _ in range(3):
        make_trial(status="recruiting")
    params = {"status": "recruiting", "page_size": "2"}
    first = client.get(API, params).json()
    with django_assert_num_queries(1):  # the data version
        again = client.get(API, params, HTTP_HOST="mirror.example.org").json()
    assert again["results"] == first["results"] and again["facets"] == first["facets"]
    assert again["count"] == 3
    assert again["next"].startswith("http://mirror.example.org/api/trials/?")


def test_a_long_document_moves_the_version_between_its_records(monkeypatch, tmp_path):
    """A 2,587-study page used to move the version only after linking, a minute later."""
    import json

    from catalogue import cache
    from ingest.pipeline import ingest_paths
    from tests.conftest import corpus_path

    bulk = json.loads(corpus_path("bulk", "ctgov-cart-snapshot-2026-08-22.json").read_bytes())
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"studies": bulk["studies"][:5]}))
    seen: list[int] = []
    touch = cache._touch_if_changed

    def recording_touch() -> None:
        touch()
        seen.append(version())

    from ingest import pipeline

    monkeypatch.setattr(cache, "_touch_if_changed", recording_touch)
    monkeypatch.setattr(cache, "BATCH_INTERVAL", 0.0)
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 2)
    report = ingest_paths([str(page)])
    assert report.created == 5
    # Moved after each batch of records (3 here): not once at the very end.
    assert len(set(seen)) >= 3
    assert seen == sorted(seen)


def test_commits_a_killed_batch_never_announced_still_reach_the_next_request(client, cache_on, settings):
    """A batch writer killed mid-run leaves its last commits without a version move:
    once they are older than the batch interval allows, the cache key changes."""
    import datetime as dt

    from django.db import connection

    settings.CATALOGUE_CACHE_STALE_SECONDS = 30  # production's grace: three batch intervals
    make_trial(antigens=["CD19"])
    assert client.get(API, {"antigen": "CD19"}).json()["count"] == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('catalogue.data_version_deferred', 'on', false)")
    try:
        make_trial(antigens=["CD19"])  # committed, version not moved: the "killed" writer
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('catalogue.data_version_deferred', 'off', false)")
    assert client.get(API, {"antigen": "CD19"}).json()["count"] == 1  # within the interval: still the cached count
    DataVersion.objects.filter(pk=1).update(
        changed_at=Trial.objects.latest("updated_at").updated_at - dt.timedelta(minutes=5)
    )
    assert client.get(API, {"antigen": "CD19"}).json()["count"] == 2


def test_after_a_restore_puts_the_version_back_no_page_of_the_thrown_away_data_is_served(client, cache_on):
    from django.db import connection

    make_trial(registry_id="NCT90000501", antigens=["CD19"])
    # The backup: the data version row and its sequence as a dump would hold them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT version, changed_at FROM catalogue_dataversion WHERE id = 1")
        dumped_version, dumped_at = cursor.fetchone()
        cursor.execute("SELECT last_value FROM catalogue_data_version_seq")
        (dumped_sequence,) = cursor.fetchone()
    make_trial(registry_id="NCT90000502", antigens=["BCMA"])
    cached_version = version()
    before = client.get(API).json()
    assert {f["value"] for f in before["facets"]["antigen"]} == {"CD19", "BCMA"}  # now cached

    # The restore: the dump's rows come back, and with them the version row and sequence.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL catalogue.data_version_deferred = 'on'")  # pg_restore fires no trigger
        Trial.objects.filter(registry_id="NCT90000502").delete()
        cursor.execute(
            "UPDATE catalogue_dataversion SET version = %s, changed_at = %s WHERE id = 1", [dumped_version, dumped_at]
        )
        cursor.execute("SELECT setval('catalogue_data_version_seq', %s)", [dumped_sequence])
    # The first write after the restore takes the version number the cached pages were stored under.
    make_trial(registry_id="NCT90000503", antigens=["GPC3"])
    assert version() == cached_version

    after = client.get(API).json()
    assert {f["value"] for f in after["facets"]["antigen"]} == {"CD19", "GPC3"}
    assert sorted(r["registry_id"] for r in after["results"]) == ["NCT90000501", "NCT90000503"]
