"""`manage.py harvest` as real processes: one killed mid-page and resumed, and a second
run refused while the first holds the source.

The harvests run as subprocesses against a scratch database of their own (see
tests/reliability: committed data must be visible across processes, and a killed
client must not touch pytest-django's test database), and a local registry
serving real study objects (bench/ctgov_server.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from bench.ctgov_server import FakeRegistry, nct_id
from tests.conftest import ROOT
from tests.ingest.harvest_support import CONTACT, PAGE_CAP, STUDIES
from tests.reliability import ScratchDatabase, manage

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def migrated() -> Iterator[ScratchDatabase]:
    """A migrated database the tests copy (CREATE DATABASE … TEMPLATE): one migration for the module."""
    template = ScratchDatabase("harvest_tpl")
    try:
        manage("migrate", "--noinput", "-v0", url=template.url, timeout=300)
        yield template
    finally:
        template.drop()


@pytest.fixture
def scratch(migrated: ScratchDatabase) -> Iterator[ScratchDatabase]:
    db = ScratchDatabase("harvest", template=migrated.name)
    try:
        yield db
    finally:
        db.drop()


@pytest.fixture
def registry(real_studies: list[dict]) -> Iterator[FakeRegistry]:
    server = FakeRegistry(real_studies[:STUDIES], page_cap=PAGE_CAP)
    server.serve()
    try:
        yield server
    finally:
        server.stop()


def start(db: ScratchDatabase, registry: FakeRegistry, *args: str) -> subprocess.Popen:
    env = {
        **os.environ, "DATABASE_URL": db.url, "CTGOV_API_URL": registry.url, "CTGOV_QUERY": "",
        "HARVEST_REQUEST_INTERVAL": "0", "HARVEST_BACKOFF": "0.01", "HARVEST_CONTACT": CONTACT,
    }  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "manage.py", "harvest", *args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for(event: threading.Event, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    if not event.wait(timeout):
        proc.kill()
        out, err = proc.communicate(timeout=10)
        pytest.fail(f"timed out waiting for {what}: {out[-2000:]} {err[-2000:]}")


def runs(db: ScratchDatabase) -> list[tuple]:
    with db.connect(autocommit=True) as conn:
        return conn.execute(
            "SELECT id, mode, status, pages, studies, next_page_token, resumed_from_id, error"
            " FROM catalogue_harvestrun ORDER BY id"
        ).fetchall()


def held(db: ScratchDatabase, registry: FakeRegistry) -> set[str]:
    with db.connect(autocommit=True) as conn:
        rows = conn.execute(
            "SELECT registry_id FROM catalogue_trial WHERE registry_id = ANY(%s)",
            [[nct_id(s) for s in registry.studies]],
        ).fetchall()
    return {r[0] for r in rows}


def test_a_run_killed_mid_page_is_resumed_by_the_next_run_from_its_stored_token(scratch, registry) -> None:
    release = threading.Event()
    cut = registry.fail("pause_mid_body", page=3, event=release)  # half of page 3 is sent, then nothing
    proc = start(scratch, registry, "ctgov")
    try:
        wait_for(cut.reached, proc, "the request for page 3")
        page3 = list(registry.requests_to("/studies"))[-1].params["pageToken"]
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)

    ((run_id, mode, status, pages, studies, token, _, _),) = runs(scratch)
    assert (mode, status, pages, studies, token) == ("full", "running", 2, 2 * PAGE_CAP, page3)
    assert held(scratch, registry) == {nct_id(s) for s in registry.studies[: 2 * PAGE_CAP]}
    before = len(registry.log)

    rerun = start(scratch, registry, "ctgov")
    out, err = rerun.communicate(timeout=180)

    assert rerun.returncode == 0, out + err
    killed, resumed = runs(scratch)
    assert killed[2] == "failed" and "interrupted" in killed[7]
    assert resumed[2:7] == ("ok", 4, STUDIES, "", run_id)
    asked = [e.params for e in registry.log[before:] if e.path == "/studies"]
    assert asked[0]["pageToken"] == page3 and len(asked) == 2
    assert held(scratch, registry) == {nct_id(s) for s in registry.studies}
    assert f"resuming run {run_id} at page 3" in out


def test_a_second_harvest_while_one_runs_is_refused_and_the_first_finishes(scratch, registry) -> None:
    release = threading.Event()
    paused = registry.fail("pause", page=2, event=release)
    first = start(scratch, registry, "ctgov")
    try:
        wait_for(paused.reached, first, "the first run to ask for page 2")
        second = start(scratch, registry, "--quiet", "ctgov")
        out, err = second.communicate(timeout=120)
        assert second.returncode == 75, out + err
        assert "another harvest of ClinicalTrials.gov API is running (database session" in err
        assert "this one did not start" in err and out == ""
    finally:
        release.set()
    out, err = first.communicate(timeout=180)

    assert first.returncode == 0, out + err
    ((_, _, status, pages, studies, _, _, _),) = runs(scratch)
    assert (status, pages, studies) == ("ok", 4, STUDIES)
    assert held(scratch, registry) == {nct_id(s) for s in registry.studies}
