"""The one place that knows the data version.

Counts, totals and rendered result pages are cached per filter state and per
**data version**: a number database triggers move when a transaction that
changed trials or vocabularies commits (migrations 0006, 0008). A cached value
is never served after the data changed, and nothing is invalidated by hand.

- `data_state()` reads the version row once per request (with the "data as of"
  facts kept beside it), from the connection the public pages read.
- `memoize(state, key, compute)` caches `compute()` under the state's version.
- `deferred_version()` lets a batch writer (ingest, renormalize, harvest) move
  the version on its own clock instead of at every record's commit.

A batch writer that dies leaves commits unannounced. The state then also
carries the newest trial change, and once it is more than
CATALOGUE_CACHE_STALE_SECONDS (three batch intervals) past
the version's time, the cache key includes it: the next request sees the new
data without any write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection, connections, router
from django.utils import timezone

from catalogue.models import DataVersion, Trial

T = TypeVar("T")
BATCH_INTERVAL = 10.0  # seconds between version moves of a batch writer


@dataclass(frozen=True)
class DataState:
    """The data version and what the pages say about freshness ("data as of")."""

    version: int | None = None
    changed_at: dt.datetime | None = None
    registry_updated_max: dt.date | None = None
    last_ingest_at: dt.datetime | None = None
    trials_changed_at: dt.datetime | None = None
    harvests: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def token(self) -> str | None:
        """What cached values are keyed on; None: don't cache.

        The version *and* its time: a restored dump puts the version sequence back,
        so a number comes round again for other data, but never at the same time."""
        if self.version is None:
            return None
        token = f"{self.version}.{self.changed_at.timestamp():.6f}" if self.changed_at else str(self.version)
        stale_after = dt.timedelta(seconds=settings.CATALOGUE_CACHE_STALE_SECONDS)
        if self.trials_changed_at and self.changed_at and self.trials_changed_at - self.changed_at > stale_after:
            token += f".{self.trials_changed_at.timestamp():.6f}"
        return token


def _read_connection():  # type: ignore[no-untyped-def]
    return connections[router.db_for_read(Trial)]


def data_state() -> DataState:
    """The current data state: one query, an index lookup for the newest trial change."""
    with _read_connection().cursor() as cursor:
        cursor.execute(
            "SELECT v.version, v.changed_at, v.registry_updated_max, v.last_ingest_at,"
            " (SELECT t.updated_at FROM catalogue_trial t ORDER BY t.updated_at DESC LIMIT 1), v.harvests"
            " FROM catalogue_dataversion v WHERE v.id = 1"
        )
        row = cursor.fetchone()
    if not row:
        return DataState()
    *values, harvests = row
    return DataState(*values, harvests=json.loads(harvests) if isinstance(harvests, str) else (harvests or {}))


_held: dict[str, str | None] = {"token": None}  # the state this process's cache holds


def memoize(state: DataState, key: Any, compute: Callable[[], T]) -> T:
    """`compute()`'s value for `key` (any JSON-able value), from the cache when the
    data hasn't changed since it was stored. Off when CATALOGUE_CACHE_SECONDS is 0."""
    cache_key = key_for(state, key)
    if cache_key is None:
        return compute()
    value = caches["counts"].get(cache_key)
    if value is None:
        value = compute()
        caches["counts"].set(cache_key, value, settings.CATALOGUE_CACHE_SECONDS)
    return value


def key_for(state: DataState, key: Any) -> str | None:
    """The cache key of `key` under this data state; None when caching is off.
    Template fragments (`{% cache … using="counts" %}`) vary on it too."""
    token = state.token if settings.CATALOGUE_CACHE_SECONDS > 0 else None
    if token is None:
        return None
    if token != _held["token"]:
        # Entries of another version are never read again: drop them, so a per-process
        # cache holds one version's worth, however often ingest moves it. A shared cache
        # is left to expire them: other workers may be filling it for the new version.
        if not settings.CATALOGUE_CACHE_SHARED:
            caches["counts"].clear()
        _held["token"] = token
    return _cache_key(token, key)


def _cache_key(token: str, key: Any) -> str:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return f"catalogue:{token}:{digest}"


def is_cached(state: DataState, key: Any) -> bool:
    """Whether `memoize(state, key, ...)` would answer from the cache now (no compute)."""
    token = state.token if settings.CATALOGUE_CACHE_SECONDS > 0 else None
    if token is None or (token != _held["token"] and not settings.CATALOGUE_CACHE_SHARED):
        return False
    return caches["counts"].has_key(_cache_key(token, key))


def touch_version() -> None:
    """Move the data version now (and record the newest registry date held)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT catalogue_touch_data_version()")


def _touch_if_changed() -> None:
    """Move the version if this connection committed a change since the last move
    under `deferred_version()` (the triggers note it; migration 0016)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN current_setting('catalogue.data_version_pending', true) = 'on'"
            " THEN catalogue_touch_data_version() END,"
            " set_config('catalogue.data_version_pending', 'off', false)"
        )


def mark_ingested() -> None:
    """Record that an ingest or harvest finished (the "data as of" line shows it)."""
    DataVersion.objects.filter(pk=1).update(last_ingest_at=timezone.now())


@contextmanager
def deferred_version(interval: float | None = None) -> Iterator[Callable[[], None]]:
    """For a batch writer: this connection's commits stop moving the data version;
    it moves every `interval` seconds (call the yielded `tick()` between records)
    and once at the end, each time only if a change was committed since. Cached
    counts are then at most `interval` seconds behind a running batch, instead of
    going cold several times a second, and a run that changed nothing leaves them warm."""
    every = BATCH_INTERVAL if interval is None else interval
    last = time.monotonic()

    def tick() -> None:
        nonlocal last
        if time.monotonic() - last >= every:
            _touch_if_changed()
            last = time.monotonic()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('catalogue.data_version_deferred', 'on', false),"
            " set_config('catalogue.data_version_pending', 'off', false)"
        )
    try:
        yield tick
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('catalogue.data_version_deferred', 'off', false)")
            _touch_if_changed()
        except DatabaseError:
            pass  # the connection is gone: the session setting went with it
