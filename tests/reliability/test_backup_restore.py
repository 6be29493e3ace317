"""make backup / make restore give back the same catalogue, and refuse to do harm.

Every test drives the real programs (make, scripts/backup.sh, pg_dump,
pg_restore, manage.py) in subprocesses, with DATABASE_URL pointing at a
scratch database of its own on the configured PostgreSQL server.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg import sql

from tests.conftest import ROOT, SAMPLES
from tests.reliability import (
    ScratchDatabase,
    ThrowawayCluster,
    connect,
    database_url,
    free_port,
    manage,
    postgres_bindir,
    run,
)

DUMP_NAME = re.compile(r"catalogue-\d{8}-\d{6}\.dump")


def snapshot(db: ScratchDatabase) -> dict:
    """Everything a restore must give back: the export, every row, sequences, indexes, extensions."""
    export = json.loads(manage("export", "--format", "json", url=db.url).stdout)["trials"]
    with db.connect() as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        rows = {}
        for table in tables:
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {} t"
            ).format(sql.Identifier(table))
            rows[table] = tuple(conn.execute(query).fetchone())
        sequences = dict(conn.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"))
        indexes = dict(conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"))
        constraints = sorted(
            conn.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE connamespace = 'public'::regnamespace"
            ).fetchall()
        )
        extensions = sorted(r[0] for r in conn.execute("SELECT extname FROM pg_extension"))
    return {
        "export": export,
        "rows": rows,
        "sequences": sequences,
        "indexes": indexes,
        "constraints": constraints,
        "extensions": extensions,
    }


def without_data_version(table: dict) -> dict:
    """Rows or sequences less the data version's: a restore moves it on (the counts cache key)."""
    return {k: v for k, v in table.items() if k not in ("catalogue_dataversion", "catalogue_data_version_seq")}


def data_version(db: ScratchDatabase) -> tuple:
    with db.connect() as conn:
        return conn.execute("SELECT version, changed_at FROM catalogue_dataversion WHERE id = 1").fetchone()


@pytest.fixture(scope="module")
def reference_db() -> Iterator[tuple[ScratchDatabase, dict]]:
    """A migrated scratch database with the sample pages ingested, and its snapshot. Never modified."""
    db = ScratchDatabase("bkref")
    try:
        manage("migrate", "--noinput", "-v0", url=db.url, timeout=120)
        out = manage("ingest", str(SAMPLES), url=db.url).stdout
        assert "created 5, updated 0, unchanged 0, older 0, failed 0" in out
        yield db, snapshot(db)
    finally:
        db.drop()


@pytest.fixture
def copy_of_reference(reference_db) -> Iterator[ScratchDatabase]:
    """A private copy of the reference database (CREATE DATABASE ... TEMPLATE)."""
    db = ScratchDatabase("bk", template=reference_db[0].name)
    try:
        yield db
    finally:
        db.drop()


def make_backup(url: str) -> Path:
    proc = run(["make", "-s", "backup"], url=url)
    path = Path(proc.stdout.strip().splitlines()[-1])
    assert path.parent == ROOT / "backups", proc.stdout
    assert DUMP_NAME.fullmatch(path.name), path.name
    return path


def test_a_backup_restored_into_a_dropped_and_recreated_database_gives_back_the_same_catalogue(
    reference_db, copy_of_reference
) -> None:
    _, reference = reference_db
    db = copy_of_reference
    assert len(reference["export"]) == 5 and reference["rows"]["catalogue_doselevel"][0] > 0

    dump = make_backup(db.url)
    try:
        assert dump.is_file() and dump.stat().st_size > 10_000
        assert stat.S_IMODE(dump.stat().st_mode) & 0o077 == 0, "a dump holds every row: owner-only permissions"
        assert not list(dump.parent.glob(".*.partial"))

        db.drop()
        assert not db.exists()
        db.create()
        with db.connect() as conn:
            assert conn.execute("SELECT to_regclass('catalogue_trial')").fetchone()[0] is None, "not really empty"

        proc = run(["make", "-s", "restore", f"FILE={dump}", "YES=1"], url=db.url, timeout=120)
        assert "REPLACED" in proc.stderr and db.name in proc.stderr, "restore must say what it does"

        restored = snapshot(db)
        assert restored["export"] == reference["export"]
        for key in ("indexes", "constraints", "extensions"):
            assert restored[key] == reference[key], key
        for key in ("rows", "sequences"):
            assert without_data_version(restored[key]) == without_data_version(reference[key]), key
        assert restored["rows"]["catalogue_dataversion"] != reference["rows"]["catalogue_dataversion"]
    finally:
        dump.unlink(missing_ok=True)

    # The restored database is a working one: its sequences carry on, ingest adds a trial.
    page = (SAMPLES / "003_8a70a621ca2e797d.txt").read_text().replace("NCT06836505", "NCT99999901")
    manage_stdin(page, url=db.url)


def manage_stdin(page: str, *, url: str) -> None:
    out = run([sys.executable, "manage.py", "ingest", "-"], url=url, input=page).stdout
    assert "created 1, updated 0, unchanged 0, older 0, failed 0" in out


def test_restoring_over_a_changed_database_replaces_its_rows_with_the_backups(reference_db, copy_of_reference) -> None:
    _, reference = reference_db
    db = copy_of_reference
    dump = make_backup(db.url)
    try:
        page = (SAMPLES / "003_8a70a621ca2e797d.txt").read_text().replace("NCT06836505", "NCT99999902")
        manage_stdin(page, url=db.url)  # a trial the backup does not have
        with db.connect() as conn:
            conn.execute("DELETE FROM catalogue_doselevel")
            conn.execute("UPDATE catalogue_trial SET title = 'vandalised' WHERE registry = 'chictr'")
        assert len(snapshot(db)["export"]) == 6

        run(["scripts/backup.sh", "restore", "--yes", str(dump)], url=db.url, timeout=120)
        restored = snapshot(db)
        assert restored["export"] == reference["export"]
        assert without_data_version(restored["rows"]) == without_data_version(reference["rows"])
    finally:
        dump.unlink(missing_ok=True)


def test_a_restore_that_fails_half_way_leaves_the_database_as_it_was(reference_db, copy_of_reference, tmp_path) -> None:
    _, reference = reference_db
    db = copy_of_reference
    dump = make_backup(db.url)
    try:
        # Cut the archive: its table of contents still reads, its data ends early.
        truncated = tmp_path / "cut.dump"
        truncated.write_bytes(dump.read_bytes()[: dump.stat().st_size * 3 // 4])
    finally:
        dump.unlink(missing_ok=True)
    bindir = postgres_bindir()
    assert bindir is not None
    run([str(bindir / "pg_restore"), "--list", str(truncated)], url=db.url)

    proc = run(["scripts/backup.sh", "restore", "--yes", str(truncated)], url=db.url, timeout=120, check=False)
    assert proc.returncode != 0
    assert "not a pg_dump" not in proc.stderr, "refused up front: the test did not reach a half-done restore"
    assert "not changed" in proc.stderr
    after = snapshot(db)
    assert after["rows"] == reference["rows"] and after["export"] == reference["export"]


def test_restore_without_a_file_refuses_and_says_what_it_would_do(reference_db) -> None:
    db, reference = reference_db
    proc = run(["make", "-s", "restore"], url=db.url, check=False)
    assert proc.returncode != 0
    assert "FILE=" in proc.stderr and "REPLACES" in proc.stderr and db.name in proc.stderr

    proc = run(["scripts/backup.sh", "restore"], url=db.url, check=False)
    assert proc.returncode != 0 and "usage" in proc.stderr

    not_a_dump = ROOT / "samples" / "000_dda02b667f938841.txt"
    proc = run(["scripts/backup.sh", "restore", "--yes", str(not_a_dump)], url=db.url, check=False)
    assert proc.returncode != 0 and "not a pg_dump" in proc.stderr
    assert snapshot(db)["rows"] == reference["rows"]


def test_a_password_url_over_tcp_backs_up_and_restores_and_a_wrong_password_writes_no_file(tmp_path) -> None:
    password = "p@ss:w/rd 'quoted' %20"
    cluster = ThrowawayCluster(tcp_port=free_port(), superuser_password=password)
    try:
        cluster.start()
        db = ScratchDatabase("tcp", cluster.tcp_params)
        url = database_url(cluster.tcp_params, db.name)
        assert url.startswith(f"postgres://postgres:{'p%40ss'}") and f"127.0.0.1:{cluster.tcp_port}/" in url
        with db.connect(autocommit=True) as conn:
            conn.execute("CREATE TABLE note (id serial PRIMARY KEY, body text, blob bytea)")
            conn.execute("INSERT INTO note (body, blob) VALUES ('CAR-T 靶向 B7-H3', '\\x00ff'), ('second', NULL)")

        target = run(["scripts/backup.sh", "target"], url=url).stdout
        assert f"127.0.0.1:{cluster.tcp_port}" in target and "p@ss" not in target

        env = {"BACKUP_DIR": str(tmp_path)}
        dump = Path(run(["scripts/backup.sh", "backup"], url=url, **env).stdout.strip())
        assert dump.parent == tmp_path and DUMP_NAME.fullmatch(dump.name)
        db.drop()
        db.create()
        run(["scripts/backup.sh", "restore", "--yes", str(dump)], url=url, **env)
        with connect(cluster.tcp_params, db.name) as conn:
            rows = conn.execute("SELECT id, body, blob FROM note ORDER BY id").fetchall()
            assert rows == [(1, "CAR-T 靶向 B7-H3", b"\x00\xff"), (2, "second", None)]
            assert conn.execute("SELECT nextval('note_id_seq')").fetchone()[0] == 3

        wrong = database_url({**cluster.tcp_params, "password": "wrong"}, db.name)
        proc = run(["scripts/backup.sh", "backup"], url=wrong, check=False, **env)
        assert proc.returncode != 0 and "no backup written" in proc.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == [dump.name], "a failed dump left a file behind"
    finally:
        cluster.destroy()


def test_a_restore_without_a_terminal_needs_yes_and_then_moves_the_data_version_on(tmp_path) -> None:
    db = ScratchDatabase("bkyes")
    try:
        manage("migrate", "--noinput", "-v0", url=db.url, timeout=180)
        env = {"BACKUP_DIR": str(tmp_path)}
        dump = Path(run(["scripts/backup.sh", "backup"], url=db.url, **env).stdout.strip())
        dumped = data_version(db)
        with db.connect(autocommit=True) as conn:
            conn.execute("SELECT catalogue_touch_data_version()")  # a change after the backup
        changed = data_version(db)

        def restore(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                ["scripts/backup.sh", "restore", *args, str(dump)], cwd=ROOT, stdin=subprocess.DEVNULL,
                env={**os.environ, "DATABASE_URL": db.url, **env}, capture_output=True, text=True,
                timeout=120,
            )  # fmt: skip

        refused = restore()
        assert refused.returncode != 0
        assert "not a terminal" in refused.stderr and "--yes" in refused.stderr and "YES=1" in refused.stderr
        assert data_version(db) == changed, "refused, yet the database changed"

        done = restore("--yes")
        assert done.returncode == 0, done.stderr
        version, changed_at = data_version(db)
        # The dump's sequence came back (the number may come round again), but never at the same time.
        assert (version, changed_at) != dumped and changed_at > changed[1]
    finally:
        db.drop()
