"""bench/browser.py, the browser timing benchmark (`make bench-browser`): one run of its
measurement on the five sample trials behind Django's live server. The shape and the sanity
of the numbers only: no timing thresholds (the numbers are the benchmark's output)."""

from __future__ import annotations

import json

import pytest

from bench import browser as browser_bench
from tests import conftest


def step(name: str, click_ms: float, size: int) -> browser_bench.Step:
    return browser_bench.Step(
        name=name, url=f"http://x/{name}", click_ms=click_ms, load_ms=click_ms - 5, wall_ms=click_ms + 40,
        ttfb_ms=10.0, after_response_ms=50.0, dcl_ms=click_ms - 10, status=200, bytes=size, document_bytes=size,
        document_decoded=size * 8, resources=3, resources_from_network=0, encoding="br", results=10,
    )  # fmt: skip


def test_a_phase_summarizes_each_step_by_median_min_and_max_and_the_target_is_per_click():
    phase = browser_bench.Phase("warm")
    for ms in (120.0, 100.0, 180.0):
        phase.visits.append([step("load /", ms + 100, 20_000), step("click antigen=CD19", ms, 9_000)])

    load, click = phase.summaries()

    assert (click.median_ms, click.min_ms, click.max_ms, click.runs) == (120.0, 100.0, 180.0, 3)
    assert (load.median_ms, load.bytes_median, click.bytes_median) == (220.0, 20_000, 9_000)
    result = {"phases": {"warm": {"steps": [vars(load), vars(click)]}}}
    assert browser_bench.clicks_meet_target(result) == {"warm": True}  # the load of / is not a click
    result["phases"]["warm"]["steps"][1]["median_ms"] = browser_bench.TARGET_CLICK_MS + 1
    assert browser_bench.clicks_meet_target(result) == {"warm": False}
    # A visit that failed (a 503 from the statement timeout, say) is reported, never met.
    result["phases"]["warm"]["steps"][1]["median_ms"] = 100.0
    result["phases"]["warm"]["errors"] = ["http://x/?antigen=CD19 answered 503"]
    assert browser_bench.clicks_meet_target(result) == {"warm": False}
    result["runs"] = 3
    assert "1 of 3 visits failed: http://x/?antigen=CD19 answered 503" in browser_bench.format_table(result)
    assert browser_bench.Phase("cold").summaries() == []


def test_the_benchmark_launches_chromium_as_the_browser_tests_do():
    assert (browser_bench.CHROMIUM, browser_bench.CHROMIUM_ARGS) == (conftest.CHROMIUM, conftest.CHROMIUM_ARGS)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_one_run_times_a_first_load_and_two_facet_clicks(browser, live_server, seed_trials):
    from catalogue.cache import touch_version

    bumps = []

    def cold() -> None:
        touch_version()
        bumps.append(1)

    warmed: list[list[str]] = []

    result = browser_bench.run_browser_benchmark(browser, live_server.url, runs=1, cold=cold, warm=warmed.append)

    assert bumps == [1] and len(warmed) == 2
    assert set(result["phases"]) == {"cold", "warm"}
    json.dumps(result)  # --json prints it
    for name, phase in result["phases"].items():
        (visit,) = phase["visits"]
        assert [s["name"].split()[0] for s in visit] == ["load", "click", "click"], name
        assert visit[1]["name"].startswith("click antigen=") and visit[2]["name"].startswith("click status=")
        for s in visit:
            assert s["status"] == 200
            for key in ("click_ms", "load_ms", "wall_ms", "dcl_ms"):
                assert s[key] > 0, (name, s["name"], key)
            assert s["ttfb_ms"] >= 0 and s["after_response_ms"] >= 0
            assert s["click_ms"] >= s["load_ms"] - 1  # the click comes before the navigation starts
            assert s["document_bytes"] > 0 and s["bytes"] >= s["document_bytes"]
            assert s["document_decoded"] > s["document_bytes"]  # compressed, as deployed
            assert s["encoding"] in ("br", "gzip")
        # The first load fetches the stylesheet and the script; the clicks take them from the cache.
        assert visit[0]["resources_from_network"] >= 2 and visit[0]["bytes"] > visit[0]["document_bytes"]
        assert all(s["resources_from_network"] == 0 for s in visit[1:])
        # Each click goes to a new URL and narrows the list.
        urls = [s["url"] for s in visit]
        assert len(set(urls)) == 3 and "antigen=" in urls[1] and "status=" in urls[2] and "antigen=" in urls[2]
        counts = [s["results"] for s in visit]
        assert counts[0] == len(seed_trials) and counts[0] > counts[1] > counts[2] > 0, counts
        for summary, s in zip(phase["steps"], visit, strict=True):
            assert summary["median_ms"] == summary["min_ms"] == summary["max_ms"] == s["click_ms"]
            assert summary["bytes_median"] == s["bytes"] and summary["runs"] == 1
    assert warmed[0] == [s["url"] for s in result["phases"]["cold"]["visits"][0]]
    table = browser_bench.format_table(result)
    assert "click antigen=" in table and "target: median ≤ 150 ms per click" in table
