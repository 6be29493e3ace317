"""How fresh the catalogue is, per harvested source.

Read by the footer of every public page, the curators' banner in the admin and
`GET /api/status/`. A source's freshness is its latest *successful* harvest: a
run that ended `ok`, or `up to date` (the registry had not changed since the
last harvest, so the catalogue is as current as the registry). Reconcile runs
don't count: they fetch no changed studies.

A source is **stale** when it is watched and its last successful harvest is
older than `HARVEST_STALE_DAYS` (or it never had one). ClinicalTrials.gov is
always watched; the ICTRP drops only when `HARVEST_ICTRP_DIR` is set (exports
arrive by hand, so without a watched folder there is no schedule to miss).

The footer reads these facts at most once per `FOOTER_SECONDS` per process
(`footer_facts()`): a cached list page makes no query for them.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from catalogue.choices import HarvestSource
from catalogue.models import HarvestRun

FOOTER_SECONDS = 30.0
HARVESTING_MODES = ("full", "incremental", "files")
LABELS = {"ctgov": "ClinicalTrials.gov", "ictrp": "WHO ICTRP exports"}


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    label: str
    watched: bool
    last_success_at: dt.datetime | None
    data_timestamp: str | None
    last_run: HarvestRun | None
    stale: bool

    def as_json(self) -> dict[str, Any]:
        run = self.last_run
        return {
            "label": self.label,
            "watched": self.watched,
            "last_successful_harvest": self.last_success_at.isoformat() if self.last_success_at else None,
            "registry_data_timestamp": self.data_timestamp,
            "stale": self.stale,
            "last_run": None if run is None else {
                "mode": run.mode,
                "status": run.status,
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            },
        }  # fmt: skip


def watched(source: str) -> bool:
    return source == "ctgov" or (source == "ictrp" and settings.HARVEST_ICTRP_DIR is not None)


def sources(now: dt.datetime | None = None) -> list[SourceFreshness]:
    """Every source's freshness: two queries (latest success and latest run per source)."""
    now = now or timezone.now()
    successes = {
        run.source: run
        for run in HarvestRun.objects.filter(status__in=HarvestRun.SUCCESS, mode__in=HARVESTING_MODES)
        .order_by("source", "-finished_at", "-id").distinct("source")
    }  # fmt: skip
    latest = {run.source: run for run in HarvestRun.objects.order_by("source", "-started_at", "-id").distinct("source")}
    limit = dt.timedelta(days=settings.HARVEST_STALE_DAYS)
    result = []
    for source, _ in HarvestSource.choices:
        success = successes.get(source)
        last = success.finished_at if success else None
        is_watched = watched(source)
        result.append(
            SourceFreshness(
                source=source, label=LABELS[source], watched=is_watched, last_success_at=last,
                data_timestamp=(success.data_timestamp or None) if success else None, last_run=latest.get(source),
                stale=is_watched and (last is None or now - last > limit),
            )
        )  # fmt: skip
    return result


def stale_sources() -> list[SourceFreshness]:
    return [s for s in sources() if s.stale]


_footer: dict[str, Any] = {"at": None, "facts": None}
_footer_lock = threading.Lock()


def footer_facts() -> list[SourceFreshness] | None:
    """The sources to name in the footer (watched or ever harvested), read at most once
    per FOOTER_SECONDS per process; None when the database can't be read (the page
    then goes without them rather than fail)."""
    with _footer_lock:
        at = _footer["at"]
        if at is not None and time.monotonic() - at < FOOTER_SECONDS:
            return _footer["facts"]
    try:
        facts = [s for s in sources() if s.watched or s.last_run is not None]
    except DatabaseError:
        return None
    with _footer_lock:
        _footer["at"], _footer["facts"] = time.monotonic(), facts
    return facts


def forget() -> None:
    """Drop the footer's memo (tests; a process that just harvested)."""
    with _footer_lock:
        _footer["at"] = _footer["facts"] = None
