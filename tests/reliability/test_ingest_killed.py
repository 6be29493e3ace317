"""SIGKILL during `manage.py ingest` loses no more than the record in flight, and a re-run finishes the job.

Why a scratch database (created and migrated here) rather than pytest-django's
test database: the ingest runs in another process and commits, and this test
must read those commits from a third connection while the ingest is still
running, hold a table lock across processes, and get rid of whatever a killed
client leaves on the server. The usual transaction-wrapped `db` fixture cannot
see those commits at all, and `transaction=True` would flush the shared test
database under a backend the kill may have left behind; a database of its own,
dropped WITH (FORCE) at the end, is isolated from other tests and from them.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES
from tests.reliability import ScratchDatabase, database_url, manage

# The five sample pages and each one's own registry id (other ids on a page are references).
TEMPLATES = [
    ("000_dda02b667f938841.txt", "ChiCTR2500108722"),
    ("001_951ea498f128be5c.txt", "NCT06101082"),
    ("002_ad789d6ba94932a5.txt", "NCT03356782"),
    ("003_8a70a621ca2e797d.txt", "NCT06836505"),
    ("004_1074b50f3fa4f392.txt", "ChiCTR2500105227"),
]
COPIES = 60  # 5 × 60 = 300 pages
APP_NAME = "rel-killed-ingest"


def copy_id(template: int, copy: int) -> str:
    original = TEMPLATES[template][1]
    return f"ChiCTR9999{template}{copy:05d}" if original.startswith("ChiCTR") else f"NCT9{template}{copy:06d}"


@pytest.fixture
def pages(tmp_path: Path) -> list[tuple[str, int]]:
    """~300 distinct pages: the samples with their own id rewritten. Returns (id, template) in ingest order."""
    folder = tmp_path / "pages"
    folder.mkdir()
    order = []
    for copy in range(COPIES):
        for template, (name, original) in enumerate(TEMPLATES):
            text = (SAMPLES / name).read_text()
            assert original in text
            new_id = copy_id(template, copy)
            (folder / f"{copy:03d}_{template}.txt").write_text(text.replace(original, new_id))
            order.append((new_id, template))
    # The pipeline walks a folder in name order, which is the order above.
    assert [p.name for p in sorted(folder.iterdir())] == [f"{c:03d}_{t}.txt" for c in range(COPIES) for t in range(5)]
    return order


@pytest.fixture
def scratch() -> Iterator[ScratchDatabase]:
    db = ScratchDatabase("kill")
    try:
        manage("migrate", "--noinput", "-v0", url=db.url, timeout=120)
        yield db
    finally:
        db.drop()


def start_ingest(db: ScratchDatabase, folder: Path) -> subprocess.Popen:
    url = database_url(db.params, db.name, application_name=APP_NAME)
    return subprocess.Popen(
        [sys.executable, "manage.py", "ingest", str(folder)],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def trial_count(conn, prefix_ids: set[str]) -> int:
    return conn.execute(
        "SELECT count(*) FROM catalogue_trial WHERE registry_id = ANY(%s)", [list(prefix_ids)]
    ).fetchone()[0]


def wait_until(predicate, *, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            pytest.fail(
                f"the ingest ended (exit {proc.returncode}) before {what}: {proc.stdout.read()} {proc.stderr.read()[-2000:]}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def ingest_backends(conn, db: ScratchDatabase) -> list[tuple]:
    return conn.execute(
        "SELECT pid, wait_event_type, xact_start IS NOT NULL FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
        [db.name, APP_NAME],
    ).fetchall()


def signature(conn, registry_id: str) -> dict | None:
    """Everything one ingested trial consists of, minus its id; None when the trial is absent."""
    row = conn.execute(
        "SELECT id, title, antigen_names, disease_names, disease_categories, source_document_id, search_document, "
        "search_vector IS NOT NULL, parsed FROM catalogue_trial WHERE registry_id = %s",
        [registry_id],
    ).fetchone()
    if row is None:
        return None
    pk, title, antigen_names, disease_names, categories, document_id, search_document, has_vector, parsed = row
    q = lambda query: conn.execute(query, [pk]).fetchall()  # noqa: E731
    m2m_antigens = sorted(
        r[0]
        for r in q(
            "SELECT a.name FROM catalogue_trial_antigens ta JOIN catalogue_antigen a ON a.id = ta.antigen_id WHERE ta.trial_id = %s"
        )
    )
    m2m_diseases = q(
        "SELECT d.name, d.category FROM catalogue_trial_diseases td JOIN catalogue_disease d ON d.id = td.disease_id WHERE td.trial_id = %s"
    )
    doses = q(
        "SELECT position, arm, low, high, unit, basis, raw FROM catalogue_doselevel WHERE trial_id = %s ORDER BY position"
    )
    sites = q("SELECT position, institution, city, country FROM catalogue_site WHERE trial_id = %s ORDER BY position")
    changes = q("SELECT actor, source_document_id, changes ? 'title' FROM catalogue_trialchange WHERE trial_id = %s")
    document = conn.execute(
        "SELECT content, sha256 FROM catalogue_sourcedocument WHERE id = %s", [document_id]
    ).fetchone()  # fmt: skip

    # Internal consistency of the one trial.
    assert antigen_names == m2m_antigens, f"{registry_id}: antigen_names {antigen_names} but M2M {m2m_antigens}"
    # disease_names: the trial's diseases and the tree nodes above them (the facet counts a trial under each)
    named = {n for n, _ in m2m_diseases}
    above = {r[0] for r in conn.execute("SELECT name FROM catalogue_disease WHERE name = ANY(%s)", [disease_names])}
    assert disease_names == sorted(set(disease_names)), f"{registry_id}: disease_names not sorted and unique"
    assert named <= set(disease_names) == above | named, f"{registry_id}: disease_names out of step"
    assert categories == sorted({c for _, c in m2m_diseases}), f"{registry_id}: disease_categories out of step"
    assert document is not None, f"{registry_id}: no source document"
    content, digest = bytes(document[0]), document[1]
    assert hashlib.sha256(content).hexdigest() == digest and registry_id.encode() in content, (
        f"{registry_id}: wrong document"
    )
    assert changes == [("ingest", document_id, True)], f"{registry_id}: history {changes}"
    assert registry_id in search_document and has_vector, f"{registry_id}: search columns missing"
    assert len(parsed["dose_levels"]) == len(doses) and len(parsed["sites"]) == len(sites), (
        f"{registry_id}: related rows"
    )
    return {
        "title": title,
        "antigens": m2m_antigens,
        "diseases": sorted(m2m_diseases),
        "doses": doses,
        "sites": sites,
    }


def check_whole_or_absent(conn, order: list[tuple[str, int]], expected: list[dict]) -> list[str]:
    """Every page's trial is whole (same as its template's) or absent; returns the ids present."""
    present = []
    for registry_id, template in order:
        got = signature(conn, registry_id)
        if got is not None:
            assert got == expected[template], f"{registry_id} differs from its template {TEMPLATES[template][1]}"
            present.append(registry_id)
    # Nothing half-committed around the trials either: every source document feeds a trial.
    orphans = conn.execute(
        "SELECT count(*) FROM catalogue_sourcedocument sd WHERE NOT EXISTS "
        "(SELECT 1 FROM catalogue_trial t WHERE t.source_document_id = sd.id)"
    ).fetchone()[0]
    assert orphans == 0, f"{orphans} source documents without a trial"
    return present


def test_a_killed_ingest_leaves_every_trial_whole_or_absent_and_a_rerun_completes_the_set(
    scratch: ScratchDatabase, pages: list[tuple[str, int]], tmp_path: Path
) -> None:
    folder = tmp_path / "pages"
    ids = [registry_id for registry_id, _ in pages]
    # The reference: the five original pages, ingested cleanly, state what each copy must look like.
    manage("ingest", str(SAMPLES), url=scratch.url)
    with scratch.connect(autocommit=True) as conn:
        expected = [signature(conn, original) for _, original in TEMPLATES]
    assert all(expected) and any(e["doses"] for e in expected) and any(e["sites"] for e in expected)
    assert any(not e["doses"] for e in expected), "one page states no doses: it must get none"

    with scratch.connect(autocommit=True) as watcher, scratch.connect() as locker:
        # Kill 1: while a record is half written. Once some trials are committed, the
        # test locks the history table; the ingest writes the next trial, its
        # antigens, diseases, doses and sites, then blocks on its TrialChange insert.
        proc = start_ingest(scratch, folder)
        try:
            wait_until(lambda: trial_count(watcher, set(ids)) >= 40, timeout=45, what="40 trials", proc=proc)
            locker.execute("LOCK TABLE catalogue_trialchange IN EXCLUSIVE MODE")
            wait_until(
                lambda: any(w == "Lock" for _, w, _ in ingest_backends(watcher, scratch)),
                timeout=20, what="the ingest to block inside a record", proc=proc,
            )  # fmt: skip
            ((pid, _, in_transaction),) = ingest_backends(watcher, scratch)
            holds = {
                r[0]
                for r in watcher.execute(
                    "SELECT relation::regclass::text FROM pg_locks WHERE pid = %s AND mode = 'RowExclusiveLock' AND granted",
                    [pid],
                )
            }
            assert in_transaction and {"catalogue_trial", "catalogue_sourcedocument"} <= holds, holds
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=10) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            locker.rollback()
        # The server notices the client is gone and rolls its transaction back.
        wait_until(lambda: not ingest_backends(watcher, scratch), timeout=20, what="the orphaned backend to end")

        present = check_whole_or_absent(watcher, pages, expected)
        assert 40 <= len(present) < len(ids)
        assert present == ids[: len(present)], "committed trials are not exactly the pages before the kill"
        first_kill = len(present)

        # Kill 2: at whatever moment, during a re-run that is making progress.
        proc = start_ingest(scratch, folder)
        try:
            wait_until(
                lambda: trial_count(watcher, set(ids)) >= first_kill + 30, timeout=45, what="30 more trials", proc=proc
            )
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=10) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        wait_until(lambda: not ingest_backends(watcher, scratch), timeout=20, what="the orphaned backend to end")
        present = check_whole_or_absent(watcher, pages, expected)
        assert first_kill + 30 <= len(present) < len(ids) and present == ids[: len(present)]
        second_kill = len(present)

    # A third run completes the set; what the killed runs stored is recognised as unchanged.
    out = manage("ingest", str(folder), url=scratch.url, timeout=120).stdout
    assert (
        out.strip().splitlines()[-1]
        == f"created {len(ids) - second_kill}, updated 0, unchanged {second_kill}, older 0, failed 0"
    )
    with scratch.connect(autocommit=True) as conn:
        assert check_whole_or_absent(conn, pages, expected) == ids
        total = conn.execute("SELECT count(*), count(DISTINCT registry_id) FROM catalogue_trial").fetchone()
        assert total == (len(ids) + len(TEMPLATES), len(ids) + len(TEMPLATES))
        assert conn.execute("SELECT count(*) FROM catalogue_sourcedocument").fetchone()[0] == len(ids) + len(TEMPLATES)
