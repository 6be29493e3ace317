"""What every harvest shares: one run per source at a time, and its HarvestRun record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection
from django.utils import timezone

from catalogue import freshness
from catalogue.choices import HarvestSource
from catalogue.models import HarvestRun
from ingest.pipeline import IngestReport

# pg_try_advisory_lock(LOCK_CLASS, LOCK_IDS[source]): session locks, so a run that
# dies (killed, machine stopped) lets go with its database connection.
LOCK_CLASS = 0x48525654  # "HRVT"
LOCK_IDS = {"ctgov": 1, "ictrp": 2}
LABELS = dict(HarvestSource.choices)


class HarvestBusy(Exception):
    """Another harvest of the same source holds the lock."""


@contextmanager
def source_lock(source: str) -> Iterator[None]:
    """Hold the source's advisory lock, or raise HarvestBusy naming who holds it.

    Runs left `running` by a process that died are marked failed here (whoever
    held the lock for them is gone), so the next run can resume them."""
    key = (LOCK_CLASS, LOCK_IDS[source])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        (got,) = cursor.fetchone()
    if not got:
        raise HarvestBusy(f"another harvest of {LABELS[source]} is running{_holder(key)}; this one did not start")
    try:
        HarvestRun.objects.filter(source=source, status="running").update(
            status="failed",
            error=f"interrupted: the process ended before the run finished (found {timezone.now():%Y-%m-%d %H:%M} UTC)",
        )  # fmt: skip
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        except DatabaseError:
            pass  # the connection is gone, and the lock with it


def _holder(key: tuple[int, int]) -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.pid, a.backend_start, a.client_addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.classid = %s AND l.objid = %s AND l.granted LIMIT 1",
                key,
            )
            row = cursor.fetchone()
    except DatabaseError:
        return ""
    if row is None:
        return ""
    pid, since, addr = row
    return f" (database session {pid}{f' from {addr}' if addr else ''}, connected {since:%Y-%m-%d %H:%M:%S} UTC)"


def start_run(source: str, mode: str, **fields) -> HarvestRun:
    return HarvestRun.objects.create(source=source, mode=mode, status="running", started_at=timezone.now(), **fields)


def record_counts(run: HarvestRun, report: IngestReport) -> None:
    run.created, run.updated, run.unchanged = report.created, report.updated, report.unchanged
    run.older, run.failed = report.older, report.failed


def finish(run: HarvestRun, status: str, *, error: str = "") -> HarvestRun:
    run.status, run.finished_at = status, timezone.now()
    if error:
        run.error = error
    run.save()
    freshness.publish()
    return run


def add_warning(run: HarvestRun, message: str) -> None:
    run.warnings = (run.warnings + "\n" + message).strip() if run.warnings else message
