"""`manage.py bench`: measures what is in the database and ends with one JSON line.

No timing assertions here: the numbers are the benchmark's output, not a test."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from bench import benchmark
from bench.synthetic import seed_synthetic

REQUIRED_KEYS = (
    "trials", "list_p50_ms", "list_p95_ms", "api_p95_ms", "detail_p95_ms", "landscape_p95_ms",
    "ingest_pages_per_s", "queries_per_list_page",
)  # fmt: skip


@pytest.mark.django_db
def test_bench_json_prints_every_key_as_the_last_line_on_a_small_database():
    seed_synthetic(50, seed=1)
    out = io.StringIO()

    call_command("bench", json=True, repetitions=1, detail_sample=5, ingest_pages=20, stdout=out)

    lines = out.getvalue().strip().splitlines()
    result = json.loads(lines[-1])
    assert all(key in result for key in REQUIRED_KEYS)
    assert result["trials"] == 50 and result["synthetic_trials"] == 50
    for key in REQUIRED_KEYS[1:]:
        assert isinstance(result[key], (int, float)), key  # every page exists, so nothing is None
    assert result["ingest_pages"] >= 20
    assert result["errors"] == {"list": 0, "api": 0, "detail": 0, "landscape": 0}
    assert set(result["list_by_combo"]) == {label for label, _ in benchmark.LIST_COMBOS}
    assert all(row["status"] == [200] for row in result["list_by_combo"].values())
    # The human table comes first.
    assert any(line.startswith("list /") for line in lines[:-1])


@pytest.mark.django_db
def test_the_benchmark_leaves_no_ingested_trials_behind():
    seed_synthetic(10, seed=1)

    benchmark.run_benchmark(repetitions=1, detail_sample=2, ingest_pages=20)

    from catalogue.models import Trial

    assert Trial.objects.count() == 10


@pytest.mark.django_db
def test_a_page_that_does_not_exist_is_reported_as_none_and_the_run_carries_on():
    series = benchmark.measure_urls("missing", "/no-such-page/", (("no filter", ""),), repetitions=1)

    assert series.implemented is False
    assert series.p(95) is None


def test_there_are_fixed_list_combinations_covering_the_expensive_corners():
    queries = dict(benchmark.LIST_COMBOS)

    assert len(queries) == len(benchmark.LIST_COMBOS) == 23
    assert any("near=" in q and "sort=distance" in q and "status=" in q for q in queries.values())
    assert queries["no filter"] == ""
    assert any("肉瘤" in q for q in queries.values()) and any("淋巴瘤" in q for q in queries.values())
    assert any("page=" in q for q in queries.values()) and any("dose_min" in q for q in queries.values())


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]

    assert benchmark.percentile(values, 50) == 50.0
    assert benchmark.percentile(values, 95) == 95.0
    assert benchmark.percentile([7.0], 95) == 7.0
    assert benchmark.percentile([], 95) is None
