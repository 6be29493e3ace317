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

When a harvest ends, `publish()` copies these facts onto the data version row,
which every page reads for its cache key and "data as of" line: the footer
(`footer_facts()`) then costs no query of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from catalogue.cache import DataState
from catalogue.choices import HarvestSource
from catalogue.models import DataVersion, HarvestRun

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


def publish() -> None:
    """Copy each source's freshness onto the data version row, which every page reads
    anyway: the footer then costs no query. Called when a harvest run ends."""
    facts = {}
    for s in sources():
        run = s.last_run
        facts[s.source] = {
            "last_success_at": s.last_success_at.isoformat() if s.last_success_at else None,
            "data_timestamp": s.data_timestamp,
            "ever_run": run is not None,
        }
    DataVersion.objects.filter(pk=1).update(harvests=facts)


def footer_facts(state: DataState, now: dt.datetime | None = None) -> list[SourceFreshness]:
    """The sources to name in the footer (watched or ever harvested), from the data
    state the page has read already."""
    now = now or timezone.now()
    limit = dt.timedelta(days=settings.HARVEST_STALE_DAYS)
    result = []
    for source, _ in HarvestSource.choices:
        facts = (state.harvests or {}).get(source, {})
        last = dt.datetime.fromisoformat(facts["last_success_at"]) if facts.get("last_success_at") else None
        is_watched = watched(source)
        if not (is_watched or facts.get("ever_run")):
            continue
        result.append(
            SourceFreshness(
                source=source, label=LABELS[source], watched=is_watched, last_success_at=last,
                data_timestamp=facts.get("data_timestamp"), last_run=None,
                stale=is_watched and (last is None or now - last > limit),
            )
        )  # fmt: skip
    return result
