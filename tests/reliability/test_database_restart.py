"""The site answers 503 with a friendly page while PostgreSQL is down, and recovers on its own.

Runs a throwaway PostgreSQL server of its own (stopping the shared dev cluster
would break everyone else's tests) and the real gunicorn with two workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES
from tests.reliability import ScratchDatabase, ThrowawayCluster, database_url, free_port, manage

PAGES = ("/", "/trials/NCT06836505/", "/api/trials/")


def get(url: str, timeout: float = 15) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    server = ThrowawayCluster()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


class Gunicorn:
    def __init__(self, database: str, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
                "--workers", "2", "--timeout", "30", "--graceful-timeout", "5",
                # Which worker (pid) answered what, for the tests to see both workers at work.
                "--access-logfile", "-", "--access-logformat", "ACCESS %(p)s %(U)s %(s)s",
                # No shared control socket in ~/.gunicorn: other servers may be running.
                "--no-control-socket",
            ],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": database}, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gunicorn exited: {self.output()}"
            try:
                get(self.base + "/static/does-not-exist", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer within {timeout} s: {self.output()}")

    def workers(self) -> set[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True).stdout
        return {int(p) for p in out.split()}

    def log_size(self) -> int:
        self._log.flush()
        return self.log.stat().st_size

    def access_log(self, since: int) -> list[tuple[int, str, int]]:
        """(worker pid, path, status) of each request logged after byte offset `since`."""
        time.sleep(0.3)  # the access log line is written after the response
        lines = self.log.read_bytes()[since:].decode(errors="replace").splitlines()
        entries = [line.split()[1:] for line in lines if line.startswith("ACCESS ")]
        return [(int(pid.strip("<>")), path, int(status)) for pid, path, status in entries]

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: the master and its workers
                self.proc.wait(timeout=10)
        self._log.close()


@pytest.fixture(scope="module")
def site(cluster: ThrowawayCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    db = ScratchDatabase("restart", cluster.params)
    url = database_url(cluster.params, db.name)
    manage("migrate", "--noinput", "-v0", url=url, timeout=120)
    assert "created 5" in manage("ingest", str(SAMPLES), url=url).stdout
    server = Gunicorn(url, tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def site_up(cluster: ThrowawayCluster, site: Gunicorn) -> Gunicorn:
    """The site with its database running, and both workers holding a live connection."""
    if not cluster.running():
        cluster.start()
    deadline = time.monotonic() + 30
    while get(site.base + "/")[0] != 200:
        assert time.monotonic() < deadline, f"the site is not up: {site.output()}"
        time.sleep(0.2)
    since = site.log_size()
    # Concurrent rounds: two sync workers, so both get requests and keep a
    # persistent (CONN_MAX_AGE) connection open.
    for _ in range(4):
        statuses = concurrently(site, PAGES * 2)
        assert set(statuses) == {200}, statuses
    served = {pid for pid, _, _ in site.access_log(since)}
    assert served == site.workers() and len(served) == 2, (served, site.workers())
    return site


def concurrently(site: Gunicorn, paths: tuple[str, ...]) -> list[int]:
    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        return list(pool.map(lambda path: get(site.base + path)[0], paths))


def test_a_postgresql_restart_while_the_site_is_idle_is_invisible_to_visitors(
    cluster: ThrowawayCluster, site_up: Gunicorn
) -> None:
    """Both workers hold connections the restart killed; CONN_HEALTH_CHECKS replaces them unseen."""
    site = site_up
    workers = site.workers()
    cluster.stop("fast")
    cluster.start()
    since = site.log_size()
    for _ in range(4):
        statuses = concurrently(site, PAGES * 2)
        assert set(statuses) == {200}, f"a visitor saw an error after an idle restart: {statuses}\n{site.output()}"
    log = site.access_log(since)
    assert {pid for pid, _, _ in log} == workers, "not every worker was exercised after the restart"
    assert {status for _, _, status in log} == {200}
    assert site.workers() == workers, "a worker was restarted"


def test_while_postgresql_is_down_pages_are_a_friendly_503_and_they_recover_without_restarting_gunicorn(
    cluster: ThrowawayCluster, site_up: Gunicorn
) -> None:
    site = site_up
    assert "NCT06836505" in get(site.base + "/trials/NCT06836505/")[1]
    assert "NCT06836505" in get(site.base + "/api/trials/")[1]
    workers = site.workers()
    seen: list[tuple[str, int]] = []

    def fetch(path: str) -> tuple[int, str, dict]:
        status, body, headers = get(site.base + path)
        seen.append((path, status))
        return status, body, headers

    cluster.stop("fast")
    since = site.log_size()
    started = time.monotonic()
    for _ in range(3):
        for path in PAGES:
            status, body, headers = fetch(path)
            assert status == 503, f"{path}: {status} while the database is down\n{body[:3000]}"
            assert "briefly unavailable" in body and "Traceback" not in body and "OperationalError" not in body
            assert headers.get("Retry-After") == "30"
        assert set(concurrently(site, PAGES * 2)) == {503}
    assert time.monotonic() - started < 30, "503s should be quick while the database is away"
    assert {pid for pid, _, _ in site.access_log(since)} == workers, "not every worker met the outage"

    cluster.start()
    deadline = time.monotonic() + 30
    while fetch("/")[0] != 200:
        assert time.monotonic() < deadline, f"no recovery within 30 s: {seen[-5:]}\n{site.output()}"
        time.sleep(0.2)
    # Every page on every worker is back, and no request along the way was a 500.
    since = site.log_size()
    for _ in range(4):
        for path in PAGES:
            status, body, _ = fetch(path)
            assert status == 200, f"{path}: {status} after the database came back\n{body[:2000]}"
        assert set(concurrently(site, PAGES * 2)) == {200}
    assert {pid for pid, _, _ in site.access_log(since)} == workers
    assert {status for _, status in seen} <= {200, 503}, seen
    assert site.proc.poll() is None and site.workers() == workers, "gunicorn or a worker was restarted"
    assert "Traceback" not in site.output(), site.output()
