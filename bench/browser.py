"""Browser timing: a first list load and two facet clicks in Chromium, as a visitor sees them.

    python -m bench.browser [--runs 5] [--cold bump|restart] [--settle S] [--json]   (make bench-browser)

The app is served as deployed (bench/load.py's machinery): gunicorn on 127.0.0.1 with DEBUG=0,
hashed static files from whitenoise, HTML compressed by catalogue.compression (Brotli or gzip,
whatever Chromium asks for). Each run is one visit in a **fresh browser context** (an empty
HTTP cache and no open connections):

1. the list page `/` (`page.goto`, until its `load` event);
2. a click on the top value of the antigen facet (the value with the most trials);
3. a click on the top value of the status facet that narrows the list further.

Per step: **click → load**, from the click event (its `timeStamp`, in the old document) to the
`loadEventEnd` of the new document (Navigation Timing), both on the browser's clock; for step 1
it is the navigation's own `loadEventEnd`. Beside it, as cross-checks: the wall-clock time
Playwright took (click or goto until the `load` event), the new document's navigation → load
and TTFB (requestStart → responseStart: the server's time plus the loopback). **Bytes** are the
`transferSize` of the document and of every resource timing entry (the stylesheet, the script
and the favicon, read once the network is quiet): headers plus the compressed body of what came
over the network (static files served from the browser's cache on the clicks count 0).

Two phases of `--runs` visits each (median, min and max per step):

- **cold** server cache: before each visit the data version moves (`--cold bump`, as a data
  change does: every cached count and fragment goes cold; writes one row) or gunicorn restarts
  (`--cold restart`: the processes are new too; writes nothing). Default: bump on the
  benchmark's own database, restart on a DATABASE_URL (somebody else's data). A new worker
  builds its facet index on a thread and counts in SQL until it is done (seconds at 100,000
  trials): `--settle S` waits S seconds after each start, so that only the cache is cold.
- **warm** server cache: each URL of the visit is requested by as many clients at once as the
  workers take (every worker computes it), then one browser visit is made and discarded.

The database: DATABASE_URL if set (used as it is: never migrated or loaded), else
`catalogue_browser` on the project's own cluster, created, migrated and loaded with the real
corpus (../shared/corpus/bulk/, 2,587 trials) on the first run. The search rate limit is off
for the server (SEARCH_RATE=""): the cold runs are one client asking for uncached counts.
Knobs for gunicorn as in bench/load.py: BENCH_BROWSER_PORT (8079), BENCH_BROWSER_WORKERS (3),
BENCH_BROWSER_WORKER_CLASS (gthread), BENCH_BROWSER_WORKER_THREADS (4).

`run_browser_benchmark()` is the measurement on any server (the tests use Django's live server);
`main()` adds the server, the database and the report.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from bench import load

ROOT = load.ROOT
# Debian's Chromium, launched the same way here and in the browser tests (tests/conftest.py).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}  # wide: the facets are a sidebar, not a drawer
# The facets clicked, in order: (facet name, value or None for the top value that narrows the list).
CLICKS: tuple[tuple[str, str | None], ...] = (("antigen", None), ("status", None))
TARGET_CLICK_MS = 150  # the target: median per click on this machine
DATABASE = "catalogue_browser"
CORPUS = ROOT.parent / "shared" / "corpus" / "bulk"
CLICK_KEY = "bench.browser.click"

# Installed in every document before its own scripts: the click's time on the browser's
# clock (epoch ms), kept across the navigation the click starts.
CLICK_RECORDER = (
    'window.addEventListener("click", function (event) {\n'
    f"  try {{ sessionStorage.setItem({json.dumps(CLICK_KEY)}, String(performance.timeOrigin + event.timeStamp)); }}"
    " catch (err) {}\n"
    "}, true);\n"
)

# What the document that just loaded says about itself (after its load event has ended).
TIMINGS = """
(key) => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const clicked = Number(sessionStorage.getItem(key) || "NaN");
  sessionStorage.removeItem(key);
  const heading = document.querySelector("#results-heading");
  return {
    origin: performance.timeOrigin,
    load: nav.loadEventEnd,
    dcl: nav.domContentLoadedEventEnd,
    request_start: nav.requestStart,
    response_start: nav.responseStart,
    response_end: nav.responseEnd,
    status: nav.responseStatus || 0,
    document_bytes: nav.transferSize,
    document_encoded: nav.encodedBodySize,
    document_decoded: nav.decodedBodySize,
    resource_bytes: resources.reduce((sum, r) => sum + r.transferSize, 0),
    resources: resources.length,
    resources_from_network: resources.filter((r) => r.transferSize > 0).length,
    clicked: clicked,
    results: heading ? heading.textContent.trim() : null,
  };
}
"""

# The facet value to click: `value` in `facet`, else its biggest non-empty, unselected value
# that narrows the list (fewer trials than listed now), else its biggest.
PICK = """
([facet, value, total]) => {
  const links = Array.from(document.querySelectorAll(
    `section.facet[aria-labelledby="facet-${facet}"] a.facet-value:not(.is-selected):not(.is-empty)`));
  const values = links.map((a) => ({
    anchor: a.getAttribute("data-anchor"),
    count: Number((a.querySelector(".facet-value__count") || {}).textContent.replace(/[^0-9]/g, "") || 0),
  })).filter((v) => v.anchor && v.count > 0);
  if (value !== null) return values.find((v) => v.anchor === `${facet}=${value}`) || null;
  values.sort((a, b) => b.count - a.count);
  return values.find((v) => total === null || v.count < total) || values[0] || null;
}
"""


class BenchError(Exception):
    """The visit did not go as planned (a missing facet, an error status)."""


@dataclass
class Step:
    """One step of one visit."""

    name: str  # "load /", "click antigen=CD19", …
    url: str
    click_ms: float  # click → loadEventEnd (step 1: navigation start → loadEventEnd)
    load_ms: float  # the new document's navigation start → loadEventEnd
    wall_ms: float  # Playwright's view: click (or goto) until the load event
    ttfb_ms: float  # requestStart → responseStart
    after_response_ms: float  # responseEnd → loadEventEnd: parsing, styles, layout, scripts
    dcl_ms: float  # navigation start → DOMContentLoaded end
    status: int
    bytes: int  # document + resources, transferSize
    document_bytes: int
    document_decoded: int
    resources: int
    resources_from_network: int
    encoding: str  # the document's Content-Encoding
    results: int | None  # the trials the page lists (#results-heading)


@dataclass
class Summary:
    step: str
    url: str
    runs: int
    median_ms: float
    min_ms: float
    max_ms: float
    wall_median_ms: float
    load_median_ms: float
    ttfb_median_ms: float
    after_response_median_ms: float
    bytes_median: int
    bytes_min: int
    bytes_max: int
    document_bytes_median: int
    document_decoded: int
    encoding: str
    results: int | None


@dataclass
class Phase:
    name: str  # "cold" / "warm"
    visits: list[list[Step]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # visits that failed (an error status, a timeout)

    def summaries(self) -> list[Summary]:
        """Per step, over the visits that completed."""
        out = []
        for i, first in enumerate(self.visits[0] if self.visits else []):
            steps = [visit[i] for visit in self.visits]
            clicks = [s.click_ms for s in steps]
            sizes = [s.bytes for s in steps]
            out.append(Summary(
                step=first.name, url=first.url, runs=len(steps), median_ms=_r(statistics.median(clicks)),
                min_ms=_r(min(clicks)), max_ms=_r(max(clicks)),
                wall_median_ms=_r(statistics.median(s.wall_ms for s in steps)),
                load_median_ms=_r(statistics.median(s.load_ms for s in steps)),
                ttfb_median_ms=_r(statistics.median(s.ttfb_ms for s in steps)),
                after_response_median_ms=_r(statistics.median(s.after_response_ms for s in steps)),
                bytes_median=int(statistics.median(sizes)), bytes_min=min(sizes), bytes_max=max(sizes),
                document_bytes_median=int(statistics.median(s.document_bytes for s in steps)),
                document_decoded=first.document_decoded, encoding=first.encoding, results=first.results,
            ))  # fmt: skip
        return out


def _r(value: float) -> float:
    return round(value, 1)


def _results(text: str | None) -> int | None:
    match = re.match(r"\s*([\d,]+)\s+trials?", text or "")
    return int(match.group(1).replace(",", "")) if match else None


def _measure(page: Any, name: str, wall_ms: float, response: Any) -> Step:
    page.wait_for_function(
        "() => { const n = performance.getEntriesByType('navigation')[0]; return n && n.loadEventEnd > 0; }"
    )
    # The favicon comes around the load event, sometimes after it: its bytes count once the
    # network is quiet (the timings are the entries' own, so waiting changes none of them).
    page.wait_for_load_state("networkidle")
    t = page.evaluate(TIMINGS, CLICK_KEY)
    status = t["status"] or (response.status if response is not None else 0)
    if status != 200:
        raise BenchError(f"{page.url} answered {status}")
    clicked = t["clicked"]
    click_ms = t["load"] if clicked != clicked else t["origin"] + t["load"] - clicked  # NaN: no click (goto)
    encoding = (response.header_value("content-encoding") if response is not None else None) or "identity"
    return Step(
        name=name, url=page.url, click_ms=_r(click_ms), load_ms=_r(t["load"]), wall_ms=_r(wall_ms),
        ttfb_ms=_r(t["response_start"] - t["request_start"]),
        after_response_ms=_r(t["load"] - t["response_end"]), dcl_ms=_r(t["dcl"]), status=status,
        bytes=int(t["document_bytes"] + t["resource_bytes"]), document_bytes=int(t["document_bytes"]),
        document_decoded=int(t["document_decoded"]), resources=t["resources"],
        resources_from_network=t["resources_from_network"], encoding=encoding, results=_results(t["results"]),
    )  # fmt: skip


def visit(browser: Any, base_url: str, clicks: Sequence[tuple[str, str | None]] = CLICKS) -> list[Step]:
    """One visit in a fresh browser context: `/`, then each facet click. The steps, timed."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.add_init_script(CLICK_RECORDER)
        page = context.new_page()
        started = time.perf_counter()
        response = page.goto(base_url.rstrip("/") + "/", wait_until="load")
        steps = [_measure(page, "load /", (time.perf_counter() - started) * 1000, response)]
        for facet, value in clicks:
            target = page.evaluate(PICK, [facet, value, steps[-1].results])
            if not target:
                raise BenchError(f"no {facet} facet value to click on {page.url}")
            link = page.locator(f'section.facet a.facet-value[data-anchor="{target["anchor"]}"]').first
            link.scroll_into_view_if_needed()
            started = time.perf_counter()
            with page.expect_navigation(wait_until="load") as navigation:
                link.click()
            wall_ms = (time.perf_counter() - started) * 1000
            steps.append(_measure(page, f"click {target['anchor']}", wall_ms, navigation.value))
        return steps
    finally:
        context.close()


def run_browser_benchmark(
    browser: Any,
    base_url: str,
    *,
    runs: int = 5,
    cold: Callable[[], None] | None = None,
    warm: Callable[[list[str]], None] | None = None,
    clicks: Sequence[tuple[str, str | None]] = CLICKS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One discarded visit and `warm(urls)` (the processes, PostgreSQL's buffers and the
    browser warmed up; the visit's URLs are what is measured), then `runs` visits with a
    cold server cache (`cold()` before each; no cold phase without it), then `warm(urls)`
    and one discarded visit again, then `runs` visits with a warm server cache.
    A dict: per phase the per-step summaries and every step of every visit."""
    from playwright.sync_api import Error as PlaywrightError  # noqa: PLC0415 - a development package

    say = progress or (lambda message: None)
    warm = warm or (lambda urls: None)
    urls = [s.url for s in visit(browser, base_url, clicks)]  # a failure here ends the run
    say("visit: " + " → ".join(urls))
    warm(urls)

    def measure(phase: Phase, before: Callable[[], None] | None) -> Phase:
        for n in range(1, runs + 1):
            if before is not None:
                before()
            try:
                phase.visits.append(visit(browser, base_url, clicks))
            except (BenchError, PlaywrightError) as error:
                phase.errors.append(str(error).splitlines()[0])
                say(f"{phase.name} {n}/{runs}: failed: {phase.errors[-1]}")
                continue
            say(f"{phase.name} {n}/{runs}: " + ", ".join(f"{s.click_ms:.0f}" for s in phase.visits[-1]) + " ms")
        return phase

    phases: list[Phase] = []
    if cold is not None:
        phases.append(measure(Phase("cold"), cold))
        warm(urls)
        try:
            visit(browser, base_url, clicks)  # discarded: every step warm in the browser's worker too
        except (BenchError, PlaywrightError) as error:
            say(f"warm-up visit failed: {error}")
    phases.append(measure(Phase("warm"), None))
    return {
        "runs": runs,
        "browser": f"Chromium {browser.version}",
        "target_click_ms": TARGET_CLICK_MS,
        "phases": {
            p.name: {
                "steps": [asdict(s) for s in p.summaries()],
                "visits": [[asdict(s) for s in v] for v in p.visits],
                "errors": p.errors,
            }
            for p in phases
        },
    }


def clicks_meet_target(result: dict[str, Any]) -> dict[str, bool]:
    """Per phase: every visit completed and every click step's median ≤ the target."""
    return {
        name: bool(phase["steps"])
        and not phase.get("errors")
        and all(s["median_ms"] <= TARGET_CLICK_MS for s in phase["steps"] if s["step"].startswith("click"))
        for name, phase in result["phases"].items()
    }


def format_table(result: dict[str, Any]) -> str:
    """The human-readable report of `run_browser_benchmark()`'s result."""

    def kb(n: float) -> str:
        return f"{n / 1024:.1f}"

    lines = [
        f"{'server cache':<13}{'step':<34}{'median':>7}{'min':>7}{'max':>7}{'wall':>7}{'ttfb':>6}{'after':>6}"
        f"{'KB':>7}{'doc KB':>7}{'html KB':>8}  enc  trials",
    ]
    for name, phase in result["phases"].items():
        for s in phase["steps"]:
            lines.append(
                f"{name:<13}{s['step'][:33]:<34}{s['median_ms']:>7.0f}{s['min_ms']:>7.0f}{s['max_ms']:>7.0f}"
                f"{s['wall_median_ms']:>7.0f}{s['ttfb_median_ms']:>6.0f}{s['after_response_median_ms']:>6.0f}{kb(s['bytes_median']):>7}"
                f"{kb(s['document_bytes_median']):>7}{kb(s['document_decoded']):>8}  {s['encoding'][:4]:<4} "
                f"{s['results'] if s['results'] is not None else '-':>6}"
            )
        if phase.get("errors"):
            lines.append(f"{name:<13}{len(phase['errors'])} of {result['runs']} visits failed: {phase['errors'][0]}")
    met = clicks_meet_target(result)
    lines += [
        "",
        f"ms: click (or navigation start) → the new page's loadEventEnd, {result['runs']} runs, fresh browser "
        "context each; medians of wall: Playwright's click → load event; ttfb: requestStart → responseStart (the "
        "server); after: responseEnd → loadEventEnd (the browser).",
        "KB: transferSize of the document + its resources (cached static files count 0); doc KB: the "
        "document as sent; html KB: decoded.",
        f"target: median ≤ {TARGET_CLICK_MS} ms per click: "
        + ", ".join(f"{name} {'met' if ok else 'NOT met'}" for name, ok in met.items()),
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The command: gunicorn, the database, the report
# --------------------------------------------------------------------------------------------


def warm_server(server: load.Server) -> Callable[[list[str]], None]:
    """Each URL from as many clients at once as the workers take, so that every worker has it."""

    def warm(urls: list[str]) -> None:
        with ThreadPoolExecutor(max_workers=server.concurrency) as pool:
            for url in urls:
                list(pool.map(load.get, [url.split("#")[0]] * server.concurrency * 2))

    return warm


def own_database(tag: str) -> None:
    """catalogue_browser on the project's own cluster: created, migrated and loaded with the
    real corpus the first time (before django.setup(): the settings read DATABASE_URL)."""
    load.own_database(tag, DATABASE)
    load.manage("migrate", "--noinput", "-v0")
    socket_dir = ROOT / ".pgdata" / "run"
    with psycopg.connect(host=str(socket_dir), user="postgres", dbname=DATABASE) as conn:
        (held,) = conn.execute("SELECT count(*) FROM catalogue_trial").fetchone()
    if held:
        return
    if not CORPUS.is_dir() or not any(CORPUS.glob("*.json")):
        raise load.Failure(f"the real corpus is not at {CORPUS}: set DATABASE_URL to a database that holds trials")
    load.say(tag, f"loading the real corpus ({CORPUS}) into {DATABASE}…")
    load.manage("ingest", "--skip-checks", str(CORPUS), quiet=True)


def database_facts() -> dict[str, Any]:
    from django.db import connection  # noqa: PLC0415 - after django.setup()

    from catalogue.models import Trial  # noqa: PLC0415 - after django.setup()

    facts = {
        "database": connection.settings_dict.get("NAME"),
        "trials": Trial.objects.count(),
        "entries": Trial.objects.filter(merged_into__isnull=True).count(),
    }
    connection.close()
    return facts


def bump_version() -> None:
    """Move the data version, as a committed data change does: every cached count and page goes cold.
    On a thread of its own: Playwright's sync API runs an event loop in this one, where Django
    refuses database work."""
    from django.db import connection  # noqa: PLC0415 - after django.setup()

    from catalogue.cache import touch_version  # noqa: PLC0415 - after django.setup()

    def touch() -> None:
        try:
            touch_version()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(touch).result()


def chromium_version() -> str:
    try:
        return subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="visits per phase (default 5)")
    parser.add_argument("--cold", choices=("bump", "restart"), default=None,
                        help="how the server cache goes cold before each cold visit (default: bump on the "
                             "benchmark's own database, restart on a DATABASE_URL)")  # fmt: skip
    parser.add_argument(
        "--settle",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds to wait after each gunicorn start (the facet index builds; default 0)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("-v", "--verbose", action="store_true", help="each visit's timings as it ends")
    args = parser.parse_args(argv)
    tag = "bench-browser"
    os.chdir(ROOT)
    load.on_signals()
    try:
        return _main(args, tag)
    except (load.Failure, BenchError) as failure:
        sys.stderr.write(f"{tag}: {failure}\n")
        return 1


def _main(args: argparse.Namespace, tag: str) -> int:
    if not Path(CHROMIUM).exists():
        raise load.Failure("needs Debian's chromium: make chromium")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a development package

    server = load.Server.from_env("BENCH_BROWSER", 8079)
    load.ensure_port_free(server.port, "BENCH_BROWSER_PORT")
    foreign = bool(os.environ.get("DATABASE_URL"))
    cold_mode = args.cold or ("restart" if foreign else "bump")
    if not foreign:
        own_database(tag)  # before production_env, which defaults DATABASE_URL to the development database
    load.production_env(server)
    os.environ["SEARCH_RATE"] = ""  # one client asking for uncached counts is the point of the cold runs
    load.django_setup()
    facts = database_facts()
    if not facts["trials"]:
        raise load.Failure(f"database {facts['database']} holds no trials")
    load.manage("collectstatic", "--noinput", "-v0")  # DEBUG=0 serves hashed static files (whitenoise manifest)
    commit, dirty = load.git_state()
    load_before = load.load_average()
    say = (lambda message: load.say(tag, message)) if args.verbose else None

    with tempfile.TemporaryDirectory(prefix="bench-browser.") as tmp:
        log = Path(tmp) / "gunicorn.log"
        gunicorn = load.Gunicorn(server, log)
        try:
            gunicorn.wait_ready(load.READY_PATH)
            time.sleep(args.settle)

            def restart() -> None:
                nonlocal gunicorn
                gunicorn.stop()
                gunicorn = load.Gunicorn(server, log)
                gunicorn.wait_ready(load.READY_PATH)
                time.sleep(args.settle)

            load.say(tag, f"{facts['trials']} trials in {facts['database']}; {server.describe()} (DEBUG=0); "
                          f"cold server cache by {cold_mode}; {args.runs} runs per phase")  # fmt: skip
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    result = run_browser_benchmark(
                        browser, server.base, runs=max(1, args.runs),
                        cold=bump_version if cold_mode == "bump" else restart,
                        warm=warm_server(server), progress=say,
                    )  # fmt: skip
                finally:
                    browser.close()
            problems = gunicorn.log_lines(r"WORKER TIMEOUT|Traceback")
        finally:
            gunicorn.stop()

    result.update(
        facts, cold_mode=cold_mode, settle_s=args.settle, server=server.describe(), debug=False, commit=commit, dirty=dirty,
        load_before=load_before, load_after=load.load_average(), cpus=os.cpu_count(), chromium=chromium_version(),
        date=time.strftime("%Y-%m-%d %H:%M %Z"), targets_met=clicks_meet_target(result),
    )  # fmt: skip
    print()
    print(f"== browser timing: {facts['trials']} trials ({facts['database']}), {server.describe()}, DEBUG=0, "
          f"{result['browser']}; cold = {cold_mode}"
          f"{f', settle {args.settle:g} s' if args.settle else ''} ==")  # fmt: skip
    print(format_table(result))
    print(f"load average {load_before} before, {result['load_after']} after; {os.cpu_count()} CPUs; "
          f"commit {commit}{' + uncommitted changes' if dirty else ''}")  # fmt: skip
    if problems:
        print("gunicorn log: " + "\n              ".join(problems))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
