"""Read-path and ingest benchmarks on the data already in the database.

`python manage.py bench [--json] [--repetitions R]` runs `run_benchmark()`:

- the list page `/` (results, every facet with counts, the summary) and the
  API `/api/trials/`, through Django's test Client in-process, over the fixed
  23 filter combinations of `LIST_COMBOS`, each requested once to warm up and
  then `repetitions` times;
- the trial page for a fixed sample of registry ids; `/landscape/` for a few
  combinations;
- SQL queries per list page (CaptureQueriesContext, during the warm-up);
- ingest throughput: `bench.ingest.bench_ingest` over the sample pages and
  the ClinicalTrials.gov v2 corpus pages, to at least `ingest_pages` pages.

A URL that does not resolve (or answers 404 to everything) is reported as None:
the views may not exist yet. Timings are wall-clock milliseconds per request.
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import Resolver404, resolve

from bench.ingest import bench_ingest, default_pages
from bench.synthetic import SOURCE_FORMAT
from catalogue.models import Trial
from config import startup

# The list page's fixed workload: (label, query string). Realistic mixes of what
# people filter on, including the expensive corners (free text, Chinese
# substrings, deep pages, open age limits, every facet at once).
LIST_COMBOS: tuple[tuple[str, str], ...] = (
    ("no filter", ""),
    ("antigen", "antigen=CD19"),
    ("antigen + age", "antigen=BCMA&age=65"),
    ("category + phase + status", "disease_category=solid_tumor&phase=phase1&status=recruiting"),
    ("dose range", "dose_min=1e6&dose_max=1e7"),
    ("q English word", "q=lymphoma"),
    ("q English phrase", "q=relapsed+refractory+multiple+myeloma"),
    ("q Chinese 肉瘤", "q=" + "肉瘤"),
    ("q Chinese 淋巴瘤", "q=" + "淋巴瘤"),
    ("deep page", "page=100"),
    ("antigen synonym CD276", "antigen=CD276"),
    ("product synonym + status", "product=Kymriah&status=recruiting"),
    ("sort updated + category", "sort=updated&disease_category=autoimmune"),
    ("start year + sort id", "start_year=2024&sort=registry_id"),
    ("country + antigen", "country=China&antigen=CD19"),
    ("country + status", "country=United+States&status=recruiting"),
    ("cell source", "cell_source=allogeneic"),
    ("age range 0-17", "age_min=0&age_max=17"),
    ("disease + age + status", "disease=Multiple+myeloma&age=70&status=recruiting"),
    ("q + 2 antigens + phase + country", "q=CAR-T&antigen=CD19&antigen=CD22&phase=phase1_phase2&country=China"),
    # Distance: a GiST-served EXISTS per trial, the nearest site annotated on each row.
    ("near city", "near=Houston&within_km=100"),
    ("near + recruiting + sort distance", "near=Beijing&status=recruiting&sort=distance"),
    ("near 上海 + antigen", "near=" + "上海" + "&within_km=50&antigen=CD19"),
)
LANDSCAPE_COMBOS: tuple[tuple[str, str], ...] = (
    ("no filter", ""),
    ("antigen", "antigen=CD19"),
    ("category + status", "disease_category=solid_tumor&status=recruiting"),
    ("country + phase", "country=China&phase=phase1"),
    ("q English word", "q=lymphoma"),
)
LIST_URL = "/"
API_URL = "/api/trials/"
LANDSCAPE_URL = "/landscape/"
DETAIL_URL = "/trials/{}/"
TARGETS = {  # the targets at 100,000 trials
    "list_p95_ms": 100,
    "api_p95_ms": 100,
    "detail_p95_ms": 20,
    "landscape_p95_ms": 150,
    "ingest_pages_per_s": 100,
}


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Series:
    """Timings of one URL family, per combination."""

    name: str
    implemented: bool = True
    timings: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, set[int]] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    sql_ms: dict[str, dict[str, float]] = field(default_factory=dict)  # label -> {kind: ms}, warm-up request
    errors: int = 0

    def all(self) -> list[float]:
        return [t for values in self.timings.values() for t in values]

    def p(self, q: float) -> float | None:
        return _round(percentile(self.all(), q)) if self.implemented else None

    def by_combo(self) -> dict[str, dict[str, Any]]:
        return {
            label: {
                "p50_ms": _round(percentile(values, 50)),
                "p95_ms": _round(percentile(values, 95)),
                "max_ms": _round(max(values) if values else None),
                "status": sorted(self.statuses.get(label, ())),
                **({"queries": self.queries[label]} if label in self.queries else {}),
                **({"sql_ms": self.sql_ms[label]} if label in self.sql_ms else {}),
            }
            for label, values in self.timings.items()
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _client():
    # Errors become 500 responses (counted), not exceptions that stop the run.
    return Client(raise_request_exception=False)


def _request(client, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(url, secure=True)
    if getattr(response, "streaming", False):
        for _ in response.streaming_content:
            pass
    else:
        response.content  # noqa: B018 - rendered already; make sure
    return (time.perf_counter() - started) * 1000, response.status_code


def measure_urls(name: str, base: str, combos: tuple[tuple[str, str], ...], repetitions: int, *,
                 count_queries: bool = False) -> Series:  # fmt: skip
    """Warm up each combination once, then time it `repetitions` times (round-robin)."""
    series = Series(name)
    if not _resolves(base):
        series.implemented = False
        return series
    client = _client()
    urls = {label: f"{base}?{query}" if query else base for label, query in combos}
    for label, url in urls.items():
        if count_queries:
            with CaptureQueriesContext(connection) as captured:
                _, status = _request(client, url)
            series.queries[label] = len(captured.captured_queries)
            series.sql_ms[label] = sql_breakdown(captured.captured_queries)
        else:
            _, status = _request(client, url)
        series.statuses.setdefault(label, set()).add(status)
    for _ in range(repetitions):
        for label, url in urls.items():
            ms, status = _request(client, url)
            series.timings.setdefault(label, []).append(ms)
            series.statuses[label].add(status)
            if status >= 400:
                series.errors += 1
    if all(statuses <= {404} for statuses in series.statuses.values()):
        series.implemented = False  # the route exists but the view answers 404 to everything
    return series


def query_kind(sql: str) -> str:
    """A coarse name for a captured query: facets, count, rows, landscape, vocabulary, version, other."""
    head = sql.lstrip()[:200]
    if head.startswith("(SELECT '") or head.startswith("WITH facet_base AS"):
        return "facets"
    if '"catalogue_dataversion"' in head:
        return "version"
    if head.startswith("WITH t AS"):
        return "landscape"
    if head.startswith("SELECT COUNT(*)"):
        return "count"
    if '"catalogue_antigen"' in head or '"catalogue_disease"' in head:
        return "vocabulary"
    if head.startswith("SELECT") and '"catalogue_trial"' in head and " LIMIT " in sql:
        return "rows"
    return "other"


def sql_breakdown(captured: list[dict[str, Any]]) -> dict[str, float]:
    """Milliseconds spent in SQL per query kind (as Django measured them)."""
    totals: dict[str, float] = {}
    for query in captured:
        kind = query_kind(query["sql"])
        totals[kind] = round(totals.get(kind, 0.0) + float(query["time"]) * 1000, 1)
    return totals


def sample_registry_ids(n: int) -> list[str]:
    """A fixed, spread-out sample of catalogue entries (same ids for the same data)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT registry_id FROM catalogue_trial WHERE merged_into_id IS NULL ORDER BY md5(registry_id) LIMIT %s",
            [n],
        )
        return [r[0] for r in cursor.fetchall()]


def measure_detail(ids: list[str], repetitions: int) -> Series:
    series = Series("detail")
    if not ids or not _resolves(DETAIL_URL.format(ids[0])):
        series.implemented = False
        return series
    client = _client()
    for registry_id in ids:
        _, status = _request(client, DETAIL_URL.format(registry_id))
        series.statuses.setdefault(registry_id, set()).add(status)
    for _ in range(repetitions):
        for registry_id in ids:
            ms, status = _request(client, DETAIL_URL.format(registry_id))
            series.timings.setdefault(registry_id, []).append(ms)
            series.statuses[registry_id].add(status)
            if status >= 400:
                series.errors += 1
    if all(statuses <= {404} for statuses in series.statuses.values()):
        series.implemented = False
    return series


def measure_ingest(pages: int, paths: list[Path] | None = None) -> dict[str, Any]:
    if pages <= 0:
        return {"ingest_pages": 0, "ingest_pages_per_s": None, "ingest_seconds": None}
    result = bench_ingest(paths or default_pages(), min_pages=pages)
    return {
        "ingest_pages": result.pages,
        "ingest_pages_per_s": round(result.pages_per_s, 1),
        "ingest_seconds": round(result.seconds, 2),
        "ingest_failed": result.report.failed,
    }


def explain_queries(url: str, *, top: int = 2) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the `top` slowest SQL queries one request to `url` runs."""
    client = _client()
    _request(client, url)  # warm
    with CaptureQueriesContext(connection) as captured:
        _request(client, url)
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:top]
    plans = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "(SELECT")):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans.append(
                {"ms": float(query["time"]) * 1000, "sql": sql, "plan": "\n".join(r[0] for r in cursor.fetchall())}
            )
    return plans


def _load_average() -> list[float] | None:
    """The machine's 1/5/15-minute load averages: other work skews the timings."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def database_facts() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('catalogue_trial'))")
        (size,) = cursor.fetchone()
        settings_rows = {}
        for name in ("shared_buffers", "work_mem", "jit", "effective_cache_size"):
            cursor.execute(f"SHOW {name}")
            settings_rows[name] = cursor.fetchone()[0]
    return {
        "trials": Trial.objects.count(),
        "entries": Trial.objects.filter(merged_into__isnull=True).count(),
        "synthetic_trials": Trial.objects.filter(source_format=SOURCE_FORMAT).count(),
        "postgres": version,
        "trial_table_size": size,
        "pg_settings": settings_rows,
        "debug": settings.DEBUG,
        "cache_seconds": settings.CATALOGUE_CACHE_SECONDS,
        "database": connection.settings_dict.get("NAME"),
        "python": platform.python_version(),
    }


def run_benchmark(
    *,
    repetitions: int = 5,
    detail_sample: int = 50,
    ingest_pages: int = 500,
    ingest_paths: list[Path] | None = None,
    progress: Callable[[str], None] | None = None,
    session_sql: list[str] | None = None,
    web: bool = True,
) -> dict[str, Any]:
    """Everything the `bench` command reports, as one dict (see module docstring).

    `session_sql`: statements run on the connection first (e.g. "SET jit = off"),
    to measure a server setting before changing it for everyone.
    """
    say = progress or (lambda message: None)
    if session_sql:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            for statement in session_sql:
                cursor.execute(statement)
    result: dict[str, Any] = database_facts()
    result["session_sql"] = list(session_sql or [])
    result["load_average_start"] = _load_average()
    say(f"{result['trials']} trials ({result['synthetic_trials']} synthetic) in {result['database']}")
    started = time.perf_counter()
    # In-process requests as production renders them (no debug pages, no query log),
    # from a host the settings accept, as one client (no per-client search limit).
    list_series, api_series = Series("list", implemented=web), Series("api", implemented=web)
    detail_series, landscape_series = Series("detail", implemented=web), Series("landscape", implemented=web)
    if web:
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"], SEARCH_RATE=""):
            # As a web worker is once loaded (config/startup.py): the index built, the gazetteer
            # read, the heap frozen.
            Client().get(LIST_URL)
            startup.settle()
            list_series = measure_urls("list", LIST_URL, LIST_COMBOS, repetitions, count_queries=True)
            say(f"list page: p95 {list_series.p(95)} ms")
            api_series = measure_urls("api", API_URL, LIST_COMBOS, repetitions)
            say(f"api: p95 {api_series.p(95)} ms")
            detail_series = measure_detail(sample_registry_ids(detail_sample), repetitions)
            say(f"trial page: p95 {detail_series.p(95)} ms")
            landscape_series = measure_urls("landscape", LANDSCAPE_URL, LANDSCAPE_COMBOS, repetitions)
            say(f"landscape: p95 {landscape_series.p(95)} ms")
    queries = list(list_series.queries.values())
    result.update(
        repetitions=repetitions,
        list_p50_ms=list_series.p(50),
        list_p95_ms=list_series.p(95),
        api_p50_ms=api_series.p(50),
        api_p95_ms=api_series.p(95),
        detail_p50_ms=detail_series.p(50),
        detail_p95_ms=detail_series.p(95),
        landscape_p50_ms=landscape_series.p(50),
        landscape_p95_ms=landscape_series.p(95),
        queries_per_list_page=max(queries) if queries and list_series.implemented else None,
        queries_per_list_page_min=min(queries) if queries and list_series.implemented else None,
        errors={s.name: s.errors for s in (list_series, api_series, detail_series, landscape_series)},
        list_by_combo=list_series.by_combo() if list_series.implemented else None,
        api_by_combo=api_series.by_combo() if api_series.implemented else None,
        landscape_by_combo=landscape_series.by_combo() if landscape_series.implemented else None,
        detail_sample=len(detail_series.timings),
    )
    result["web_seconds"] = round(time.perf_counter() - started, 1)
    say("ingest…")
    result.update(measure_ingest(ingest_pages, ingest_paths))
    result["load_average_end"] = _load_average()
    result["targets_met"] = {
        key: (result[key] >= target if key == "ingest_pages_per_s" else result[key] <= target)
        if result.get(key) is not None
        else None
        for key, target in TARGETS.items()
    }
    return result


def format_table(result: dict[str, Any]) -> str:
    """The human-readable report."""

    def ms(value: Any) -> str:
        return "—" if value is None else f"{value:.1f}"

    lines = [
        f"database {result['database']}: {result['trials']} trials ({result['synthetic_trials']} synthetic, "
        f"{result['entries']} catalogue entries), table {result['trial_table_size']}, PostgreSQL {result['postgres']}",
        f"{result['repetitions']} repetitions after one warm-up; DEBUG off for the requests; "
        f"load average {result.get('load_average_start')} → {result.get('load_average_end')}"
        + (f"; session: {'; '.join(result['session_sql'])}" if result.get("session_sql") else ""),
        "",
        f"{'page':<12} {'p50 ms':>8} {'p95 ms':>8} {'target':>8}  errors",
    ]
    for key, label in (("list", "list /"), ("api", "api"), ("detail", "trial page"), ("landscape", "landscape")):
        target = TARGETS.get(f"{key}_p95_ms")
        lines.append(
            f"{label:<12} {ms(result.get(f'{key}_p50_ms')):>8} {ms(result.get(f'{key}_p95_ms')):>8} "
            f"{'≤' + str(target) if target else '':>8}  {result['errors'].get(key, 0)}"
        )
    lines.append(
        f"queries per list page: {result['queries_per_list_page']} max, {result['queries_per_list_page_min']} min"
    )
    rate = result.get("ingest_pages_per_s")
    lines.append(
        f"ingest: {result.get('ingest_pages')} pages, "
        f"{'—' if rate is None else f'{rate:.0f}'} pages/s (target ≥{TARGETS['ingest_pages_per_s']})"
    )
    for key, title in (("list_by_combo", "list page"), ("api_by_combo", "api"), ("landscape_by_combo", "landscape")):
        combos = result.get(key)
        if not combos:
            continue
        lines += ["", f"{title} by filter combination:",
                  f"  {'combination':<34} {'p50':>7} {'p95':>7} {'max':>7} {'queries':>7}  status  SQL ms (warm-up)"]  # fmt: skip
        for label, row in combos.items():
            sql = ", ".join(f"{kind} {value:.0f}" for kind, value in row.get("sql_ms", {}).items())
            lines.append(
                f"  {label:<34} {ms(row['p50_ms']):>7} {ms(row['p95_ms']):>7} {ms(row['max_ms']):>7} "
                f"{row.get('queries', ''):>7}  {','.join(map(str, row['status'])):<6}  {sql}"
            )
    return "\n".join(lines)
