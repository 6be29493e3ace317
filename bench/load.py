"""Load tests against gunicorn under production settings on 127.0.0.1, driven by wrk.

    python -m bench.load loadtest     (make loadtest)
    python -m bench.load soak         (make soak)

**loadtest**: the current database (DATABASE_URL, or the project's own cluster). wrk at a
fixed concurrency for a fixed time on the list page (a few realistic filter URLs), then
on the JSON API. Reports requests/s, p50/p95/p99 latency and errors (non-2xx responses +
socket errors), then one JSON line. Knobs: LOADTEST_DURATION (30s), LOADTEST_CONNECTIONS
(16), LOADTEST_THREADS (wrk threads, 2), LOADTEST_WORKERS (3), LOADTEST_WORKER_CLASS
(gthread), LOADTEST_WORKER_THREADS (4), LOADTEST_TIMEOUT (10s), LOADTEST_PORT (8077).
Without wrk (and no way to install it) it falls back to `hey`, on one URL per page type.

**soak**: a bounded load on a database of SOAK_TRIALS synthetic trials while an ingest
of NEW registry pages runs beside it.

1. Database: DATABASE_URL if set, else `catalogue_soak` on the project's own cluster
   (.pgdata/run; created if missing), migrated, holding exactly SOAK_TRIALS synthetic
   trials (`seed_synthetic --trials N --seed 7 --clear` only when it does not already).
   Trials a previous soak ingested (ids NCT98xxxxxx) are deleted first (SOAK_RESET=0 keeps them).
2. Warm-up: wrk for SOAK_WARMUP, then each worker's RSS (VmRSS of the master's children).
3. For SOAK_DURATION: wrk at SOAK_CONNECTIONS on a rotation of realistic URLs (`SOAK_PATHS`)
   while a loop writes fresh ClinicalTrials.gov API v2 JSON pages (real studies from
   ../shared/corpus/bulk/ as templates, else tests/fixtures/parsers/, or SOAK_TEMPLATES;
   new NCT98xxxxxx ids each run) into a temp dir and runs `manage.py ingest` on them,
   batch after batch, until ~90% of the duration has passed. Worker RSS is sampled every
   SOAK_SAMPLE seconds.
4. Report: requests/s, latency, errors (status outside 2xx/3xx + socket errors including
   timeouts), trials the ingest created and its failures, worker RSS at start / end / peak
   with growth per worker and in total; then one JSON line.

It exits non-zero on any request error, any ingest failure (or nothing created), a
replaced worker, or a worker whose RSS grew more than SOAK_MAX_GROWTH % (20). Other knobs:
SOAK_WORKERS (3), SOAK_WORKER_CLASS (gthread), SOAK_WORKER_THREADS (4), SOAK_THREADS (wrk
threads, 2), SOAK_TIMEOUT (10s), SOAK_INGEST_BATCH (100 studies per run), SOAK_INGEST_PAGE
(20 per file), SOAK_INGEST_GRACE (120 s for the last batch), SOAK_PORT (8078).

Both: DEBUG=0, a throwaway SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, no per-client search limit
(SEARCH_RATE: all the load comes from one address); gunicorn workers as
`make serve` runs them; only 127.0.0.1 traffic; gunicorn, wrk and the ingest are always
stopped on exit. wrk is Debian's package, installed when missing and running as root.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
import psycopg
from django.db import connection
from django.db.models import Max

from config.env import local_database_url

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WRK_SCRIPT = Path(__file__).with_name("wrk.lua")
GUNICORN = Path(sys.executable).with_name("gunicorn")

LOADTEST_LIST_PATHS = (
    "/",
    "/?antigen=CD19",
    "/?antigen=BCMA&age=65",
    "/?disease_category=solid_tumor&phase=phase1&status=recruiting",
    "/?country=China&antigen=CD19",
    "/?q=lymphoma",
    "/?page=3",
)
LOADTEST_API_PATHS = (
    "/api/trials/",
    "/api/trials/?antigen=CD19",
    "/api/trials/?status=recruiting&page=2",
    "/api/trials/?q=myeloma",
)
# The soak's rotation; {a} and {b}: two trial pages (the middle and the end of the id range).
SOAK_PATHS = (
    "/",
    "/?antigen=CD19",
    "/?antigen=BCMA&age=65",
    "/?disease_category=solid_tumor&phase=phase1&status=recruiting",
    "/?q=lymphoma",
    "/?q=" + urllib.parse.quote("淋巴瘤"),
    "/?antigen=CD19&page=8",
    "/api/trials/",
    "/api/trials/?antigen=BCMA&status=recruiting",
    "/trials/{a}/",
    "/trials/{b}/",
    "/landscape/",
)
SOAK_ID_PREFIX = "NCT98"  # + 6 digits: ids no registry has handed out (bench/synthetic.py lists the others)
SOAK_DATABASE = "catalogue_soak"
SOAK_SEED = 7
DRAIN_URL = "/api/trials/?page_size=1"
# Answers once the app is up without computing (or caching) any list page: the browser
# benchmark's cold runs start from a server that has not rendered one.
READY_PATH = "/api/status/"


class Failure(Exception):
    """A reason the run cannot go on (printed as one line, exit 1)."""


# --------------------------------------------------------------------------------------------
# Knobs
# --------------------------------------------------------------------------------------------


def seconds_of(value: str) -> int:
    """'30s', '5m', '1h' or '90' (seconds) as seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smh]?)\s*", value)
    if not match:
        raise ValueError(value)
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def _knob(prefix: str, name: str, default: str) -> str:
    return os.environ.get(f"{prefix}_{name}", default)


def _whole(prefix: str, name: str, default: int, *, minimum: int = 0) -> int:
    value = _knob(prefix, name, str(default))
    if not value.isdigit() or int(value) < minimum:
        raise Failure(f"{prefix}_{name} must be a whole number{f' ≥ {minimum}' if minimum else ''}: {value!r}")
    return int(value)


def _duration(prefix: str, name: str, default: str) -> tuple[str, int]:
    value = _knob(prefix, name, default)
    try:
        return value, seconds_of(value)
    except ValueError:
        raise Failure(f"bad {prefix}_{name}: {value}") from None


@dataclass
class Server:
    """How gunicorn runs: as `make serve` does, on 127.0.0.1:port."""

    port: int
    workers: int
    worker_class: str
    worker_threads: int

    @classmethod
    def from_env(cls, prefix: str, port: int) -> Server:
        worker_class = _knob(prefix, "WORKER_CLASS", "gthread")
        return cls(
            port=_whole(prefix, "PORT", port, minimum=1),
            workers=_whole(prefix, "WORKERS", 3, minimum=1),
            worker_class=worker_class,
            worker_threads=_whole(prefix, "WORKER_THREADS", 4, minimum=1) if worker_class == "gthread" else 1,
        )

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def concurrency(self) -> int:
        return self.workers * self.worker_threads

    def describe(self) -> str:
        threads = f" × {self.worker_threads} threads" if self.worker_class == "gthread" else ""
        return f"gunicorn {self.workers} {self.worker_class} workers{threads} on {HOST}:{self.port}"


@dataclass
class Load:
    """One wrk setting: duration, connections, wrk threads, timeout."""

    duration: str
    seconds: int
    connections: int
    threads: int
    timeout: str

    @classmethod
    def from_env(cls, prefix: str, duration: str, connections: int) -> Load:
        duration, seconds = _duration(prefix, "DURATION", duration)
        timeout, _ = _duration(prefix, "TIMEOUT", "10s")
        return cls(duration, seconds, _whole(prefix, "CONNECTIONS", connections, minimum=1),
                   _whole(prefix, "THREADS", 2, minimum=1), timeout)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Shared pieces: environment, wrk, gunicorn, HTTP
# --------------------------------------------------------------------------------------------


def say(tag: str, message: str) -> None:
    print(f"{tag}: {message}", flush=True)


def production_env(server: Server) -> None:
    """Production settings for this process and everything it starts (gunicorn, manage.py)."""
    os.environ.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        CSRF_TRUSTED_ORIGINS=f"http://{HOST}:{server.port}",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        # All the load comes from one address: the per-client search limit would answer
        # it 429 by design (each cold filter after a data change counts against it).
        SEARCH_RATE="",
    )
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DATABASE_URL", local_database_url(ROOT))  # DEBUG=0 requires one


def manage(*args: str, quiet: bool = False) -> None:
    """`manage.py …` in a child process (the settings of this process's environment)."""
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL if quiet else None)  # fmt: skip
    if result.returncode:
        raise Failure(f"manage.py {' '.join(args)} failed (exit {result.returncode})")


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def ensure_tool(tag: str, *, allow_hey: bool = False) -> str:
    """'wrk' (Debian's package, installed when missing and running as root), else 'hey' if allowed."""
    if shutil.which("wrk"):
        return "wrk"
    if allow_hey and shutil.which("hey"):
        return "hey"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say(tag, "installing Debian's wrk...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet).returncode:
            subprocess.run(["apt-get", "update", "-qq"], **quiet)
            if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet).returncode and allow_hey:
                subprocess.run(["apt-get", "install", "-y", "-qq", "hey"], **quiet)
        if shutil.which("wrk"):
            return "wrk"
        if allow_hey and shutil.which("hey"):
            return "hey"
    raise Failure("needs wrk" + (" or hey" if allow_hey else "") + ": sudo apt-get install wrk")


def ensure_port_free(port: int, knob: str) -> None:
    with socket.socket() as probe:
        probe.settimeout(1)
        if probe.connect_ex((HOST, port)) == 0:
            raise Failure(f"port {port} is already in use on {HOST} (set {knob})")


def get(url: str, *, timeout: float = 60) -> int:
    """The status of one GET (0 when there was no answer)."""
    request = urllib.request.Request(url, headers={"User-Agent": "bench.load"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, urllib.error.URLError):
        return 0


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def status_of(url: str, *, timeout: float = 60) -> int:
    """The status of one GET as the server answered it (a redirect is not followed)."""
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(url, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, urllib.error.URLError):
        return 0


class Gunicorn:
    """gunicorn with its error log in `log`, stopped (TERM, then KILL after 10 s) by `stop()`."""

    def __init__(self, server: Server, log: Path) -> None:
        self.server, self.log = server, log
        command = [str(GUNICORN), "config.wsgi", "--bind", f"{HOST}:{server.port}", "--workers", str(server.workers),
                   "--worker-class", server.worker_class, "--no-control-socket",
                   "--error-logfile", str(log), "--log-level", "warning"]  # fmt: skip
        if server.worker_class == "gthread":
            command += ["--threads", str(server.worker_threads)]
        self.process = subprocess.Popen(command, cwd=ROOT)

    def wait_ready(self, path: str = "/") -> None:
        for _ in range(100):
            if get(self.server.base + path, timeout=60) == 200:
                return
            if self.process.poll() is not None:
                sys.stderr.write(self.log_text())
                raise Failure("gunicorn did not start")
            time.sleep(0.3)
        sys.stderr.write("\n".join(self.log_text().splitlines()[-40:]) + "\n")
        raise Failure(f"{self.server.base}{path} does not answer 200")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_lines(self, pattern: str, last: int = 5) -> list[str]:
        return [line for line in self.log_text().splitlines() if re.search(pattern, line, re.IGNORECASE)][-last:]

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen | None, *, group: bool = False) -> None:
    """TERM, up to 10 s, then KILL; `group`: its whole process group (it leads one)."""
    if process is None or process.poll() is not None:
        return

    def signal_it(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig) if group else process.send_signal(sig)

    signal_it(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        signal_it(signal.SIGKILL)
        process.wait()


def children(pid: int) -> list[int]:
    """The pids whose parent is `pid` (gunicorn's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()  # after "pid (comm) ": state, ppid, …
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def rss_kb(pids: list[int]) -> dict[int, int]:
    """VmRSS (kB) of each pid still alive."""
    sizes = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = int(line.split()[1])
        except OSError:
            continue
    return sizes


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def git_state() -> tuple[str, bool]:
    """(short commit, uncommitted changes?) of the working tree the code is loaded from."""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h"], capture_output=True,
                                text=True, check=True).stdout.strip()  # fmt: skip
        status = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "?", False
    return commit, bool(status.strip())


@dataclass
class WrkRun:
    output: str
    result: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> int | None:
        """Status outside 2xx/3xx + socket errors (connect, read, write, timeouts)."""
        if not self.result:
            return None
        return int(self.result["bad_status"] + self.result["socket_errors"])


def run_wrk(server: Server, load: Load, paths: list[str], work: Path, *, duration: str | None = None,
            latency: bool = False, echo: bool = False) -> WrkRun:  # fmt: skip
    """wrk cycling through `paths` (bench/wrk.lua); `echo` prints its output as it comes."""
    paths_file = Path(tempfile.mkstemp(prefix="paths-", suffix=".txt", dir=work)[1])
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    command = ["wrk", "--threads", str(load.threads), "--connections", str(load.connections),
               "--duration", f"{seconds_of(duration or load.duration)}s", "--timeout", load.timeout,
               *(["--latency"] if latency else []), "--script", str(WRK_SCRIPT), server.base,
               "--", str(paths_file), str(load.connections)]  # fmt: skip
    lines = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        try:
            for line in process.stdout:
                lines.append(line)
                if echo:
                    sys.stdout.write(line)
                    sys.stdout.flush()
            process.wait()
        finally:
            stop_process(process)
    output = "".join(lines)
    return WrkRun(output, parse_result(output))


def parse_result(output: str) -> dict[str, float]:
    """The last `RESULT key=value …` line bench/wrk.lua printed."""
    lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    if not lines:
        return {}
    return {key: float(value) for key, value in (item.split("=", 1) for item in lines[-1].split()[1:])}


def on_signals() -> None:
    """Ctrl-C or TERM ends the run through the normal clean-up (exit 130)."""

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(130)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


# --------------------------------------------------------------------------------------------
# loadtest
# --------------------------------------------------------------------------------------------


def run_hey(server: Server, load: Load, path: str) -> tuple[str, dict[str, float]]:
    """hey takes one URL: `path`. Its output, and the numbers wrk.lua would report."""
    output = subprocess.run(["hey", "-z", f"{load.seconds}s", "-c", str(load.connections),
                             "-t", str(seconds_of(load.timeout)), server.base + path],
                            capture_output=True, text=True).stdout  # fmt: skip

    def number(pattern: str) -> float:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else 0.0

    statuses = {int(code): int(n) for code, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", output)}
    total = sum(statuses.values())
    ok = sum(n for code, n in statuses.items() if 200 <= code < 300)
    errors_part = output.split("Error distribution:", 1)[1] if "Error distribution:" in output else ""
    socket_errors = sum(int(n) for n in re.findall(r"\[(\d+)\]", errors_part))
    result = {
        "requests": total, "seconds": float(load.seconds), "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "p50_ms": number(r"50%+ in ([\d.]+)") * 1000, "p95_ms": number(r"95%+ in ([\d.]+)") * 1000,
        "p99_ms": number(r"99%+ in ([\d.]+)") * 1000, "max_ms": 0.0, "bad_status": total - ok, "redirects": 0,
        "socket_errors": socket_errors, "timeouts": 0, "unanswered": 0,
    }  # fmt: skip
    return output, result


def loadtest() -> int:
    tag = "loadtest"
    server = Server.from_env("LOADTEST", 8077)
    load = Load.from_env("LOADTEST", "30s", 16)
    tool = ensure_tool(tag, allow_hey=True)
    production_env(server)
    ensure_port_free(server.port, "LOADTEST_PORT")
    manage("collectstatic", "--noinput", "-v0")  # DEBUG=0 serves hashed static files (whitenoise manifest)

    with tempfile.TemporaryDirectory(prefix="loadtest.") as tmp:
        work = Path(tmp)
        gunicorn = Gunicorn(server, work / "gunicorn.log")
        try:
            gunicorn.wait_ready()
            # Warm up before measuring: every URL as many times at once as the workers take
            # requests, so each worker has its connection, templates and counts cache warm. The
            # cost of a cold cache is what `manage.py bench` measures with CATALOGUE_CACHE_SECONDS=0.
            with ThreadPoolExecutor(max_workers=server.concurrency) as pool:
                for path in (*LOADTEST_LIST_PATHS, *LOADTEST_API_PATHS):
                    list(pool.map(get, [server.base + path] * server.concurrency))
            trials = count_trials()
            # Unloaded latency: the list page alone, a few times in a row.
            singles = []
            for _ in range(5):
                started = time.perf_counter()
                get(server.base + "/")
                singles.append(f"{time.perf_counter() - started:.3f}")
            print(f"single requests to / (s): {' '.join(singles)}")

            results: dict[str, dict[str, float]] = {}
            for name, paths in (("list", LOADTEST_LIST_PATHS), ("api", LOADTEST_API_PATHS)):
                print()
                if tool == "wrk":
                    print(
                        f"== {name}: {load.duration}, {load.connections} connections, {len(paths)} URLs ==", flush=True
                    )
                    run = run_wrk(server, load, list(paths), work, latency=True, echo=True)
                    results[name] = run.result
                    # let gunicorn finish what this run left queued before the next one starts
                    get(server.base + DRAIN_URL, timeout=180)
                else:
                    print(f"== {name} (hey, one URL: {paths[0]}): {load.duration}, {load.connections} connections ==")
                    output, results[name] = run_hey(server, load, paths[0])
                    print(output, flush=True)
                if not results[name]:
                    raise Failure(f"{tool} printed no result for the {name} run")
            problems = gunicorn.log_lines(r"WORKER TIMEOUT|Traceback")
            if problems:
                print("\ngunicorn reported problems (last lines):")
                print("\n".join(gunicorn.log_lines(r"WORKER TIMEOUT|Error|Traceback")))
        finally:
            gunicorn.stop()

    def errors(name: str) -> int:
        r = results[name]
        return int(r["bad_status"] + r["redirects"] + r["socket_errors"])  # non-2xx + socket errors

    print()
    print(f"{'page':<6} {'req/s':>10} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'errors':>8} {'requests':>8}")
    for name, r in results.items():
        print(f"{name:<6} {r['rps']:>10.1f} {r['p50_ms']:>9.1f} {r['p95_ms']:>9.1f} {r['p99_ms']:>9.1f} "
              f"{errors(name):>8} {int(r['requests']):>8}")  # fmt: skip
    print(f"({trials} trials; {tool}; {server.describe()}; DEBUG=0; load average {load_average()})")
    print(f"errors = non-2xx responses + socket errors: connect/read/write and wrk timeouts (> {load.timeout};")
    print(f"wrk counts a request again at each 2 s check while it waits); in flight at the end: "
          f"list {int(results['list']['unanswered'])}, api {int(results['api']['unanswered'])}")  # fmt: skip
    print(json.dumps({
        "tool": tool, "trials": trials, "duration": load.duration, "connections": load.connections,
        "workers": server.workers, "worker_class": server.worker_class, "worker_threads": server.worker_threads,
        "list_rps": results["list"]["rps"], "list_p95_ms": results["list"]["p95_ms"], "list_errors": errors("list"),
        "api_rps": results["api"]["rps"], "api_p95_ms": results["api"]["p95_ms"], "api_errors": errors("api"),
    }))  # fmt: skip
    return 0


def count_trials() -> int | str:
    try:
        django_setup()
        from catalogue.models import Trial  # noqa: PLC0415 - only importable after django.setup()

        count = Trial.objects.count()
        connection.close()
        return count
    except Exception:  # the count is only reported
        return "?"


# --------------------------------------------------------------------------------------------
# soak
# --------------------------------------------------------------------------------------------


@dataclass
class SoakSettings:
    server: Server
    load: Load
    warmup: str
    trials: int
    max_growth: float
    sample_every: int
    ingest_batch: int
    ingest_page: int
    ingest_grace: int
    reset: bool
    templates: list[Path]

    @classmethod
    def from_env(cls) -> SoakSettings:
        load = Load.from_env("SOAK", "5m", 32)
        if load.seconds < 10:
            raise Failure("SOAK_DURATION must be at least 10s")
        warmup, _ = _duration("SOAK", "WARMUP", "20s")
        try:
            max_growth = float(_knob("SOAK", "MAX_GROWTH", "20"))
        except ValueError:
            raise Failure("SOAK_MAX_GROWTH must be a number") from None
        return cls(
            server=Server.from_env("SOAK", 8078), load=load, warmup=warmup,
            trials=_whole("SOAK", "TRIALS", 10000), max_growth=max_growth,
            sample_every=_whole("SOAK", "SAMPLE", 10, minimum=1),
            ingest_batch=_whole("SOAK", "INGEST_BATCH", 100, minimum=1),
            ingest_page=_whole("SOAK", "INGEST_PAGE", 20, minimum=1),
            ingest_grace=_whole("SOAK", "INGEST_GRACE", 120),
            reset=_knob("SOAK", "RESET", "1") == "1", templates=default_templates(),
        )  # fmt: skip


def default_templates() -> list[Path]:
    """SOAK_TEMPLATES (':'-separated API v2 JSON files), else the bulk snapshot, else the test fixtures."""
    if os.environ.get("SOAK_TEMPLATES"):
        return [Path(p) for p in os.environ["SOAK_TEMPLATES"].split(":")]
    bulk = sorted((ROOT.parent / "shared" / "corpus" / "bulk").glob("*.json"))
    if bulk:
        return bulk[:1]
    fixtures = ROOT / "tests" / "fixtures" / "parsers"
    return [fixtures / "ctgov_v2_study.json", fixtures / "ctgov_v2_page.json"]


class PageGenerator:
    """API v2 pages of new studies: template studies, each with a new nctId (prefix + 6 digits)."""

    def __init__(self, templates: list[Path], prefix: str) -> None:
        self.prefix = prefix
        self.studies: list[dict] = []
        for path in templates:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and "studies" in data:
                data = data["studies"]
            self.studies += data if isinstance(data, list) else [data]
        self.studies = [s for s in self.studies if isinstance(s, dict) and "protocolSection" in s]
        if not self.studies:
            raise Failure(f"cannot build ingest pages from {':'.join(map(str, templates))}: no API v2 studies")

    def write(self, directory: Path, first: int, count: int, per_page: int) -> None:
        """Studies number `first` … `first + count - 1`, `per_page` to a file."""
        if first + count - 1 > 999_999:
            raise ValueError("ran out of soak ids")
        directory.mkdir(parents=True)
        for number, start in enumerate(range(first, first + count, per_page), 1):
            page = []
            for index in range(start, min(start + per_page, first + count)):
                study = copy.deepcopy(self.studies[(index * 7919) % len(self.studies)])
                study["protocolSection"].setdefault("identificationModule", {})["nctId"] = f"{self.prefix}{index:06d}"
                page.append(study)
            (directory / f"page-{number:03d}.json").write_text(json.dumps({"studies": page}, ensure_ascii=False),
                                                               encoding="utf-8")  # fmt: skip


@dataclass
class Batch:
    number: int
    rc: int
    seconds: float
    summary: str
    errors: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in re.findall(r"(created|updated|unchanged|failed) (\d+)", self.summary)}


class IngestLoop(threading.Thread):
    """Generate + ingest batches of new studies (`manage.py ingest`, a fresh process each time,
    so it loads the code afresh) until the deadline."""

    def __init__(self, generator: PageGenerator, work: Path, *, deadline: float, first: int, batch: int,
                 per_page: int) -> None:  # fmt: skip
        super().__init__(name="soak-ingest", daemon=True)
        self.generator, self.work, self.deadline = generator, work, deadline
        self.next, self.batch, self.per_page = first, batch, per_page
        self.batches: list[Batch] = []
        self.stopping = threading.Event()
        self.process: subprocess.Popen | None = None

    def run(self) -> None:
        number = 0
        while time.time() < self.deadline and not self.stopping.is_set():
            number += 1
            directory = self.work / f"soak-batch-{number:04d}"
            try:
                self.generator.write(directory, self.next, self.batch, self.per_page)
            except (ValueError, OSError) as exc:
                self.batches.append(Batch(number, 99, 0.0, f"generator failed: {exc}"))
                break
            self.next += self.batch
            started = time.perf_counter()
            self.process = subprocess.Popen([sys.executable, "manage.py", "ingest", str(directory)], cwd=ROOT,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                            start_new_session=True)  # fmt: skip
            out, err = self.process.communicate()
            seconds = time.perf_counter() - started
            summary = [line for line in out.splitlines() if re.match(r"created \d+", line)]
            errors = [line for line in err.splitlines() if re.search(r"^(error|CommandError|Traceback)|Error", line)]
            self.batches.append(Batch(number, self.process.returncode, seconds,
                                      summary[-1] if summary else "no summary", errors))  # fmt: skip
            shutil.rmtree(directory, ignore_errors=True)

    def stop(self) -> None:
        self.stopping.set()
        stop_process(self.process, group=True)


class RssSampler(threading.Thread):
    """The workers' RSS every `every` seconds: [(seconds since start, {pid: kB})]."""

    def __init__(self, gunicorn: Gunicorn, every: int) -> None:
        super().__init__(name="soak-rss", daemon=True)
        self.gunicorn, self.every = gunicorn, every
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.stopping = threading.Event()
        self.started_at = time.time()

    def run(self) -> None:
        while not self.stopping.wait(self.every):
            self.samples.append((time.time() - self.started_at, rss_kb(self.gunicorn.workers())))


def soak_database(tag: str) -> None:
    """DATABASE_URL, else catalogue_soak on the project's own cluster (created if missing)."""
    if os.environ.get("DATABASE_URL"):
        say(tag, "using DATABASE_URL")
        return
    own_database(tag, SOAK_DATABASE)


def own_database(tag: str, name: str) -> None:
    """Database `name` on the project's own cluster (started, and the database created, if
    missing) as DATABASE_URL for this process and everything it starts."""
    subprocess.run([str(ROOT / "scripts" / "db.sh"), "start"], check=True, stdout=subprocess.DEVNULL)
    socket_dir = ROOT / ".pgdata" / "run"
    os.environ["DATABASE_URL"] = f"postgres://postgres@/{name}?host={urllib.parse.quote(str(socket_dir), safe='/')}"
    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f"CREATE DATABASE {name}")
            say(tag, f"created database {name}")


def soak() -> int:
    tag = "soak"
    settings = SoakSettings.from_env()
    server, load = settings.server, settings.load
    ensure_tool(tag)
    ensure_port_free(server.port, "SOAK_PORT")
    soak_database(tag)  # before production_env, which defaults DATABASE_URL to the development database
    production_env(server)
    manage("migrate", "--noinput", "-v0")
    django_setup()
    from bench.synthetic import ID_PATTERN, SOURCE_FORMAT  # noqa: PLC0415 - imports the models: only after django.setup()
    from catalogue.models import SourceDocument, Trial  # noqa: PLC0415 - only importable after django.setup()

    soak_ids = Trial.objects.filter(registry="ctgov", registry_id__regex=rf"^{SOAK_ID_PREFIX}[0-9]{{6}}$")
    if settings.reset:
        _, deleted = soak_ids.delete()
        docs, _ = SourceDocument.objects.filter(filename__contains="soak-batch-", trials__isnull=True).delete()
        if deleted.get("catalogue.Trial"):
            say(
                tag,
                f"removed the {deleted['catalogue.Trial']} trials a previous soak ingested and {docs} of its source documents",
            )
    synthetic = Trial.objects.filter(source_format=SOURCE_FORMAT)
    held = synthetic.count()
    if held != settings.trials or synthetic.filter(registry_id__regex=ID_PATTERN).count() != held:
        say(tag, f"database holds {held} synthetic trials, wants {settings.trials}: "
                 f"seed_synthetic --trials {settings.trials} --seed {SOAK_SEED} --clear")  # fmt: skip
        connection.close()
        manage("seed_synthetic", "--trials", str(settings.trials), "--seed", str(SOAK_SEED), "--clear")
    else:
        say(tag, f"database already holds {settings.trials} synthetic trials")

    def counts() -> tuple[int, int]:
        """(all trials, trials the soak's ingest created)"""
        return Trial.objects.count(), soak_ids.count()

    total_start, _ = counts()
    top = soak_ids.aggregate(m=Max("registry_id"))["m"]
    next_id = int(top[len(SOAK_ID_PREFIX) :]) + 1 if top else 1
    entries = (
        Trial.objects.filter(merged_into__isnull=True).order_by("registry_id").values_list("registry_id", flat=True)
    )
    n = entries.count()
    if not n:
        raise Failure("the database holds no trials to request (SOAK_TRIALS=0?)")
    trial_a, trial_b = entries[n // 2], entries[n - 1]
    connection.close()  # nothing held open during the load
    manage("collectstatic", "--noinput", "-v0")  # DEBUG=0 serves hashed static files (whitenoise manifest)
    generator = PageGenerator(settings.templates, SOAK_ID_PREFIX)
    commit, dirty = git_state()
    paths = [p.format(a=urllib.parse.quote(trial_a), b=urllib.parse.quote(trial_b)) for p in SOAK_PATHS]

    with tempfile.TemporaryDirectory(prefix="soak.") as tmp:
        work = Path(tmp)
        gunicorn = Gunicorn(server, work / "gunicorn.log")
        ingest: IngestLoop | None = None
        sampler: RssSampler | None = None
        try:
            gunicorn.wait_ready()
            for path in paths:
                code = status_of(server.base + path)
                if not 200 <= code < 400:
                    raise Failure(f"{path} answers {code} before the load (see SOAK_PATHS in bench/load.py)")

            load_before = load_average()
            say(tag, f"{total_start} trials ({settings.trials} synthetic); {server.describe()}; "
                     f"warm-up {settings.warmup} at {load.connections} connections")  # fmt: skip
            warm = run_wrk(server, load, paths, work, duration=settings.warmup)
            for line in warm.output.splitlines():
                if line.startswith("RESULT "):
                    say(tag, "warm-up: " + line.removeprefix("RESULT "))
            get(server.base + DRAIN_URL, timeout=120)  # drain the queue
            rss_start = rss_kb(gunicorn.workers())
            if not rss_start:
                raise Failure("no gunicorn workers found")

            start = time.time()
            margin = max(load.seconds // 10, 5)
            ingest = IngestLoop(generator, work, deadline=start + load.seconds - margin, first=next_id,
                                batch=settings.ingest_batch, per_page=settings.ingest_page)  # fmt: skip
            sampler = RssSampler(gunicorn, settings.sample_every)
            ingest.start()
            sampler.start()
            say(tag, f"{load.duration} at {load.connections} connections, {len(paths)} URLs; ingest of new pages "
                     f"(batches of {settings.ingest_batch}) running beside it")  # fmt: skip
            run = run_wrk(server, load, paths, work, latency=True)
            rss_end = rss_kb(gunicorn.workers())
            gunicorn_alive = gunicorn.alive
            print(run.output, end="", flush=True)
            load_after = load_average()
            sampler.stopping.set()

            ingest.join(settings.ingest_grace)
            late = ingest.is_alive()
            if late:
                ingest.stop()
                ingest.join()
            total_end, _ = counts()
            connection.close()
            gunicorn_problems = gunicorn.log_lines(r"WORKER TIMEOUT|Traceback|Booting worker")
        finally:
            if sampler:
                sampler.stopping.set()
            if ingest and ingest.is_alive():
                ingest.stop()
            gunicorn.stop()

    report = SoakReport(
        settings=settings, wrk=run.result, errors=run.errors, rss_start=rss_start, rss_end=rss_end,
        samples=sampler.samples, batches=ingest.batches, late=late, gunicorn_alive=gunicorn_alive,
        gunicorn_problems=gunicorn_problems, total_start=total_start, total_end=total_end,
        load_before=load_before, load_after=load_after, commit=(commit, dirty), commit_end=git_state(),
    )  # fmt: skip
    return report.print()


@dataclass
class SoakReport:
    settings: SoakSettings
    wrk: dict[str, float]
    errors: int | None
    rss_start: dict[int, int]
    rss_end: dict[int, int]
    samples: list[tuple[float, dict[int, int]]]
    batches: list[Batch]
    late: bool
    gunicorn_alive: bool
    gunicorn_problems: list[str]
    total_start: int
    total_end: int
    load_before: str
    load_after: str
    commit: tuple[str, bool]
    commit_end: tuple[str, bool]

    def print(self) -> int:
        """Print the summary and the JSON line; the exit status (1 when the soak failed)."""
        s, wrk, start, end = self.settings, self.wrk, self.rss_start, self.rss_end
        peak = dict(end)
        for _, sample in self.samples:
            for pid, kb in sample.items():
                if pid in start:
                    peak[pid] = max(peak.get(pid, 0), kb)
        workers = []
        for pid, kb in sorted(start.items()):
            row: dict[str, Any] = {
                "pid": pid,
                "start_kb": kb,
                "end_kb": end.get(pid),
                "peak_kb": max(peak.get(pid, kb), kb),
            }
            row["growth_pct"] = round(100.0 * (row["end_kb"] - kb) / kb, 1) if row["end_kb"] else None
            workers.append(row)
        replaced = [w["pid"] for w in workers if w["end_kb"] is None]
        new_workers = sorted(set(end) - set(start))
        total_start = sum(start.values())
        total_end = sum(end.get(pid, 0) for pid in start)
        total_growth = (
            round(100.0 * (total_end - total_start) / total_start, 1) if total_start and not replaced else None
        )
        grown = [w["pid"] for w in workers if w["growth_pct"] is not None and w["growth_pct"] > s.max_growth]

        created = sum(b.counts.get("created", 0) for b in self.batches)
        ingest_failed = sum(b.counts.get("failed", 0) for b in self.batches)
        bad_runs = [b for b in self.batches if b.rc != 0 or "created" not in b.counts]
        ingest_seconds = sum(b.seconds for b in self.batches)
        ingest_errors = [line for b in self.batches for line in b.errors][:10]

        problems = []
        if self.errors is None:
            problems.append("wrk printed no result")
        elif self.errors:
            problems.append(f"{self.errors} request errors")
        if not self.gunicorn_alive:
            problems.append("the gunicorn master exited during the soak")
        if replaced or new_workers:
            problems.append(f"workers replaced during the soak (gone: {replaced}, new: {new_workers})")
        if grown:
            problems.append(f"RSS of worker(s) {grown} grew more than {s.max_growth:g}%")
        if ingest_failed or bad_runs:
            problems.append(f"ingest: {ingest_failed} failed record(s), {len(bad_runs)} failed run(s)")
        if not created:
            problems.append("the ingest created no trials")
        if self.late:
            problems.append("the last ingest batch did not finish within the grace period (stopped)")

        def mb(kb: int | None) -> str:
            return f"{kb / 1024:.1f}" if kb is not None else "-"

        print()
        print(f"== soak: {s.load.duration} at {s.load.connections} connections, {s.server.describe()} "
              f"(DEBUG=0), {self.total_start} trials at the start ==")  # fmt: skip
        if wrk:
            print(f"requests   {int(wrk['requests'])} in {wrk['seconds']:.0f} s = {wrk['rps']:.1f} req/s")
            print(f"latency    p50 {wrk['p50_ms']:.0f} ms, p95 {wrk['p95_ms']:.0f} ms, p99 {wrk['p99_ms']:.0f} ms, "
                  f"max {wrk['max_ms']:.0f} ms")  # fmt: skip
            print(f"errors     {self.errors} (status outside 2xx/3xx {int(wrk['bad_status'])}, socket errors "
                  f"{int(wrk['socket_errors'])} of which timeouts > {s.load.timeout} {int(wrk['timeouts'])}); "
                  f"redirects {int(wrk['redirects'])}; in flight at the end {int(wrk['unanswered'])}")  # fmt: skip
        rate = created / ingest_seconds if ingest_seconds else 0
        print(f"ingest     {len(self.batches)} runs, created {created} trials (trials {self.total_start} -> "
              f"{self.total_end}), failed {ingest_failed}, failed runs {len(bad_runs)}; "
              f"{rate:.1f} trials/s while running ({ingest_seconds:.0f} s)")  # fmt: skip
        for b in bad_runs[:5]:
            print(f"           run failed (exit {b.rc}): {b.summary}")
        for line in ingest_errors:
            print(f"           {line}")
        print(
            f"worker RSS (MB; start after the warm-up, end right after the load, peak of {s.sample_every} s samples):"
        )
        print(f"  {'pid':>8} {'start':>8} {'end':>8} {'peak':>8} {'growth':>8}")
        for w in workers:
            growth = f"{w['growth_pct']:+.1f}%" if w["growth_pct"] is not None else "gone"
            print(f"  {w['pid']:>8} {mb(w['start_kb']):>8} {mb(w['end_kb']):>8} {mb(w['peak_kb']):>8} {growth:>8}")
        total = f"{total_growth:+.1f}%" if total_growth is not None else "-"
        print(f"  {'total':>8} {mb(total_start):>8} {mb(total_end):>8} {'':>8} {total:>8}   "
              f"(limit +{s.max_growth:g}% per worker)")  # fmt: skip
        print(f"load average {self.load_before} before, {self.load_after} after; {os.cpu_count()} CPUs")
        if self.gunicorn_problems:
            print("gunicorn log: " + "\n              ".join(self.gunicorn_problems))
        (commit, dirty), (commit_end, dirty_end) = self.commit, self.commit_end
        moved = "" if self.commit_end == self.commit else (
            f"; by the end: {commit_end}{' + uncommitted changes' if dirty_end else ''} "
            "(the ingest loads the code afresh for each run)")  # fmt: skip
        print(f"code: commit {commit}{' + uncommitted changes' if dirty else ''} when gunicorn started{moved}")
        print("RESULT: " + ("OK" if not problems else "FAILED: " + "; ".join(problems)))
        print(json.dumps({
            "duration": s.load.duration, "connections": s.load.connections, "workers": s.server.workers,
            "worker_class": s.server.worker_class, "worker_threads": s.server.worker_threads,
            "trials_start": self.total_start, "trials_end": self.total_end,
            "requests": int(wrk.get("requests", 0)), "rps": wrk.get("rps"),
            "p50_ms": wrk.get("p50_ms"), "p95_ms": wrk.get("p95_ms"), "p99_ms": wrk.get("p99_ms"),
            "max_ms": wrk.get("max_ms"), "errors": self.errors, "bad_status": int(wrk.get("bad_status", 0)),
            "socket_errors": int(wrk.get("socket_errors", 0)), "timeouts": int(wrk.get("timeouts", 0)),
            "ingest_runs": len(self.batches), "ingest_created": created, "ingest_failed": ingest_failed,
            "ingest_failed_runs": len(bad_runs),
            "rss_start_kb": {str(w["pid"]): w["start_kb"] for w in workers},
            "rss_end_kb": {str(w["pid"]): w["end_kb"] for w in workers},
            "rss_peak_kb": {str(w["pid"]): w["peak_kb"] for w in workers},
            "rss_growth_pct": {str(w["pid"]): w["growth_pct"] for w in workers},
            "rss_total_start_kb": total_start, "rss_total_end_kb": total_end, "rss_total_growth_pct": total_growth,
            "load_before": self.load_before, "load_after": self.load_after, "commit": commit, "dirty": dirty,
            "commit_end": commit_end, "dirty_end": dirty_end, "ok": not problems,
        }))  # fmt: skip
        return 1 if problems else 0


# --------------------------------------------------------------------------------------------

MODES: dict[str, Callable[[], int]] = {"loadtest": loadtest, "soak": soak}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in MODES:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    mode = argv[0]
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    on_signals()
    try:
        return MODES[mode]()
    except Failure as failure:
        sys.stderr.write(f"{mode}: {failure}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
