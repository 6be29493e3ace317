"""An in-memory bitmap index of the facet columns: exact facet counts in milliseconds.

Counting each facet's values under all the *other* active filters is, in SQL, an
unnest and a hash aggregation per facet over up to every trial: 0.1–0.8 s at
100,000 trials, the whole of a cold page (BENCHMARKS.md). Here each facet value
is a bitmap of trial ids, a Python int whose bit n is set when trial n has the
value, and a count is `(value & filtered).bit_count()`: a few microseconds per
value, all facets of a page in milliseconds.

The index follows the database, it never guesses: every trial row carries a
`row_version` that a trigger sets from a sequence on each insert and update
(migration 0017). When the data state moves, the index reads, in one statement,
the rows past the highest version it holds together with the count and sum of
all row versions. It clears the changed trials' bits and sets their new ones,
and if the count and sum then disagree with the database's (a row was deleted,
or a transaction committed a lower version after a higher one was read), it
builds itself again from scratch. The SQL path in `catalogue.counts` stays the
reference; the tests compare both on random filters.

`select()` gives the filtered catalogue as bitmaps; the list's counts (`count()`)
and the landscape's (`catalogue.landscape`, which also reads the sponsor type and
enrollment bucket NUMBERS and the EMPTY arrays) are popcounts over it.

One index per process, shared by its threads; refreshed under a lock, read
through immutable snapshots.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.db import connections

from catalogue import facets
from catalogue.choices import enrollment_bucket_sql
from catalogue.filters import AGE_GROUPS

log = logging.getLogger(__name__)
Counts = tuple[int, dict[str, dict[str, int]]]
ENTRY = "_entry"  # catalogue entries: not merged into another registration
IN_SCOPE = "_in_scope"
BUILD_CHUNK = 5000  # rows read at a time by a full build
EMPTY = "#empty"  # array facet name -> the trials whose array is empty (the landscape's "names none")


def bitmap(ids: Iterable[int]) -> int:
    """The bitmap of trial ids."""
    ids = list(ids)
    if not ids:
        return 0
    buffer = bytearray(max(ids) // 8 + 1)
    for n in ids:
        buffer[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(buffer, "little")


def members(ids: int) -> list[int]:
    """The trial ids of a bitmap, in increasing order."""
    found = []
    for i, byte in enumerate(ids.to_bytes((ids.bit_length() + 7) // 8, "little")):
        while byte:
            low = byte & -byte
            found.append(i * 8 + low.bit_length() - 1)
            byte ^= low
    return found


@dataclass(frozen=True)
class Snapshot:
    """The index at one data state."""

    token: str | None
    high: int  # the highest row version held
    count: int  # rows held
    checksum: int  # the sum of their row versions
    versions: Mapping[int, int]  # trial id -> row version
    bitmaps: Mapping[str, Mapping[Any, int]]  # facet (or ENTRY, IN_SCOPE, a NUMBERS name) -> value -> ids

    def values(self, name: str) -> Mapping[Any, int]:
        return self.bitmaps.get(name, {})

    def of(self, name: str, value: Any) -> int:
        return self.bitmaps.get(name, {}).get(value, 0)


# Columns the scalar filters compare (few distinct values each), indexed as value -> ids
# under "#name", so that age, dose, year, sex and volunteer filters are answered here too;
# and the landscape's columns that are no facet (sponsor type, enrollment size bucket).
NUMBERS = {
    "#min_age": "min_age_years",
    "#max_age": "max_age_years",
    "#dose_min": "dose_min_cells_per_kg",
    "#dose_max": "dose_max_cells_per_kg",
    "#start_year": "EXTRACT(year FROM start_date)::int",
    "#sex": "sex",
    "#healthy_volunteers": "healthy_volunteers",
    "#sponsor_type": "sponsor_type",
    "#enrollment": enrollment_bucket_sql("enrollment"),
}


def _columns() -> list[str]:
    return ["id", "row_version", "merged_into_id IS NULL", "in_scope", *facets.COLUMNS, *NUMBERS.values()]


def _grouped(rows: list[tuple[Any, ...]]) -> dict[str, dict[Any, list[int]]]:
    """{facet (or ENTRY, IN_SCOPE, a NUMBERS name): {value: [trial ids]}} of fetched rows."""
    grouped: dict[str, dict[Any, list[int]]] = {}
    _collect(rows, grouped)
    return grouped


def _collect(rows: list[tuple[Any, ...]], grouped: dict[str, dict[Any, list[int]]]) -> None:
    """Add the ids of `rows` to `grouped`, column by column (facet values as strings;
    none and "" are no value)."""
    if not rows:
        return
    ids, _, entry, in_scope, *columns = zip(*rows)
    grouped.setdefault(ENTRY, defaultdict(list))["1"].extend(n for n, flag in zip(ids, entry) if flag)
    grouped.setdefault(IN_SCOPE, defaultdict(list))["1"].extend(n for n, flag in zip(ids, in_scope) if flag)
    by_column = dict(zip(facets.COLUMNS, columns))
    for name, cells in zip(NUMBERS, columns[len(facets.COLUMNS) :]):
        numbers = grouped.setdefault(name, defaultdict(list))
        for n, value in zip(ids, cells):
            if value is not None:
                numbers[value].append(n)
    empty = grouped.setdefault(EMPTY, defaultdict(list))
    for facet in facets.FACETS:
        values = grouped.setdefault(facet.name, defaultdict(list))
        cells = by_column[facet.column]
        if facet.array:
            empty[facet.name].extend(n for n, cell in zip(ids, cells) if cell is not None and not cell)
            for n, cell in zip(ids, cells):
                if cell:
                    for value in set(cell):
                        if value is not None and value != "":
                            values[str(value)].append(n)
        else:
            for n, cell in zip(ids, cells):
                value = facet.value_of(cell)
                if value is not None and value != "":
                    values[str(value)].append(n)


def build(chunks: Iterable[list[tuple[Any, ...]]], token: str | None) -> Snapshot:
    """The index of every trial row (as `_columns()` selects them), read in chunks so
    that the rows are never all held at once."""
    versions: dict[int, int] = {}
    grouped: dict[str, dict[Any, list[int]]] = {}
    for rows in chunks:
        versions.update((row[0], row[1]) for row in rows)
        _collect(rows, grouped)
    bitmaps = {name: {value: bitmap(ids) for value, ids in values.items()} for name, values in grouped.items()}
    return Snapshot(
        token=token,
        high=max(versions.values(), default=0),
        count=len(versions),
        checksum=sum(versions.values()),
        versions=versions,
        bitmaps=bitmaps,
    )


def updated(snapshot: Snapshot, rows: list[tuple[Any, ...]], token: str | None) -> Snapshot:
    """`snapshot` with the changed `rows` (new or updated trials) applied."""
    if not rows:
        return replace(snapshot, token=token)
    changed = bitmap(row[0] for row in rows)
    additions = _grouped(rows)
    bitmaps: dict[str, dict[str, int]] = {}
    for name in {*snapshot.bitmaps, *additions}:
        values = {value: ids & ~changed for value, ids in snapshot.values(name).items()}
        for value, ids in additions.get(name, {}).items():
            values[value] = values.get(value, 0) | bitmap(ids)
        bitmaps[name] = {value: ids for value, ids in values.items() if ids}
    versions = dict(snapshot.versions)
    checksum = snapshot.checksum
    for row in rows:
        checksum += row[1] - versions.get(row[0], 0)
        versions[row[0]] = row[1]
    return Snapshot(
        token=token,
        high=max(snapshot.high, max(row[1] for row in rows)),
        count=len(versions),
        checksum=checksum,
        versions=versions,
        bitmaps=bitmaps,
    )


class FacetIndex:
    """The process's index, brought up to date with `current(alias, token)`.

    A full build reads every trial (a second or two at 100,000 trials). With
    `background`, it runs on its own thread and connection; at the process's start
    `current()` waits up to `wait` seconds for it (SQL counts at that scale cost as
    long and load the database besides), and later rebuilds are not waited for;
    meanwhile it answers None: the caller counts in SQL.
    Refreshes (the rows changed since) are inline.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._building = False
        self._idle = threading.Event()  # set while no background build runs
        self._idle.set()
        self._had_index = False  # an index was built since the start (or `clear`)
        self.builds = 0  # full builds so far (for the benchmarks and tests)
        self.refreshes = 0

    def current(self, alias: str, token: str | None, *, background: bool = False, wait: float = 0) -> Snapshot | None:
        """The index at the data state `token` (read before this call), or None while a
        background build runs (after waiting up to `wait` seconds for it)."""
        snapshot = self._snapshot
        if snapshot is not None and token is not None and snapshot.token == token:
            return snapshot
        if snapshot is None and background:
            self.build_in_background(alias, token)
            # Only a process that has never had an index waits (its start); after a rebuild
            # was forced (a deleted row), SQL answers meanwhile rather than stall a request.
            if self._had_index or wait <= 0 or not self._idle.wait(wait) or self._snapshot is None:
                return None
        with self._lock:
            snapshot = self._snapshot
            if snapshot is not None and token is not None and snapshot.token == token:
                return snapshot
            if snapshot is not None:
                snapshot = self._refreshed(connections[alias], snapshot, token)
            if snapshot is None and background:
                self._snapshot = None
            elif snapshot is None:
                snapshot = self._built(connections[alias], token)
            self._snapshot = snapshot
        if snapshot is None:
            self.build_in_background(alias, token)
        return snapshot

    def wait_for_build(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a background build to end; whether none runs."""
        return self._idle.wait(timeout)

    def clear(self) -> None:
        """Forget the index, as a process that just started."""
        with self._lock:
            self._snapshot = None
            self._had_index = False

    def build_in_background(self, alias: str, token: str | None = None, *, read_token: Any = None) -> None:
        """Start a full build on its own thread, unless one is running. `read_token()`,
        when given, reads the data state on that thread first (at process start)."""
        with self._lock:
            if self._building:
                return
            self._building = True
            self._idle.clear()
        threading.Thread(
            target=self._background, args=(alias, token, read_token), name="facet-index", daemon=True
        ).start()

    def _background(self, alias: str, token: str | None, read_token: Any) -> None:
        try:
            if read_token is not None:
                token = read_token()
            snapshot = self._built(connections[alias], token)
            with self._lock:
                if self._snapshot is None:
                    self._snapshot = snapshot
        except Exception:
            log.exception("the facet index could not be built; counting in SQL until the next attempt")
        finally:
            connections[alias].close()
            with self._lock:
                self._building = False
                self._idle.set()
        self._idle = threading.Event()  # set while no background build runs
        self._idle.set()

    def _refreshed(self, connection: Any, snapshot: Snapshot, token: str | None) -> Snapshot | None:
        """`snapshot` brought up to date, or None when only a full build can say."""
        # One statement, so the rows and the totals come from one database snapshot.
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH totals AS (SELECT count(*) AS n, COALESCE(sum(row_version), 0) AS s FROM catalogue_trial) "
                f"SELECT totals.n, totals.s, changed.* FROM totals LEFT JOIN "
                f"(SELECT {', '.join(_columns())} FROM catalogue_trial WHERE row_version > %s) changed ON true",
                [snapshot.high],
            )
            fetched = cursor.fetchall()
        count, checksum = fetched[0][0], fetched[0][1]
        # However many rows changed, applying them costs no more than a build would.
        rows = [row[2:] for row in fetched if row[2] is not None]
        candidate = updated(snapshot, rows, token)
        if (candidate.count, candidate.checksum) != (count, int(checksum)):
            return None
        self.refreshes += 1
        return candidate

    def _built(self, connection: Any, token: str | None) -> Snapshot:
        # A server-side cursor: at 100,000 trials all rows at once would hold ~350 MB.
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(_columns())} FROM catalogue_trial")
            snapshot = build(iter(lambda: cursor.fetchmany(BUILD_CHUNK), []), token)
        self.builds += 1
        self._had_index = True
        return snapshot


def _union(snapshot: Snapshot, name: str, keep: Callable[[Any], bool]) -> int:
    result = 0
    for value, ids in snapshot.values(name).items():
        if keep(value):
            result |= ids
    return result


def scalar(snapshot: Snapshot, name: str, value: Any) -> int | None:
    """The catalogue entries the scalar filter `name`=`value` keeps, as the FilterSet's
    SQL would (`catalogue.filters`), or None when only SQL can say (free text, and
    any filter not listed here)."""
    entries = snapshot.of(ENTRY, "1")
    if name == "age":  # limits not stated are open: only a stated limit excludes
        too_young = _union(snapshot, "#min_age", lambda low: low > value)
        too_old = _union(snapshot, "#max_age", lambda high: high < value)
        return entries & ~too_young & ~too_old
    if name == "age_min":
        return entries & ~_union(snapshot, "#max_age", lambda high: high < value)
    if name == "age_max":
        return entries & ~_union(snapshot, "#min_age", lambda low: low > value)
    if name == "dose_min":
        return entries & _union(snapshot, "#dose_max", lambda high: high >= value)
    if name == "dose_max":
        return entries & _union(snapshot, "#dose_min", lambda low: low <= value)
    if name == "start_year":
        return entries & snapshot.of("#start_year", value)
    if name == "sex":  # open to all, or stating no sex (like an unstated age limit)
        return entries & ~_union(snapshot, "#sex", lambda sex: sex not in (value, "all"))
    if name == "healthy_volunteers":
        return entries & snapshot.of("#healthy_volunteers", True)
    if name == "age_group":  # the trial's range overlaps [start, end); unstated limits are open
        _, start, end = AGE_GROUPS[value]
        kept = entries & ~_union(snapshot, "#max_age", lambda high: high < start)
        if end is not None:
            kept &= ~_union(snapshot, "#min_age", lambda low: low >= end)
        return kept
    return None


@dataclass(frozen=True)
class Selection:
    """The trials the filters keep, as bitmaps (`select`)."""

    entries: int  # catalogue entries the non-facet filters keep, in scope or not
    base: int  # ... within the scope asked for
    masks: Mapping[str, int]  # facet -> the trials its filter keeps
    everything: int  # the trials every filter keeps: the filtered catalogue

    def within(self, facet: str) -> int:
        """The trials every filter but `facet`'s keeps."""
        if facet not in self.masks:
            return self.everything
        within = self.base
        for name, mask in self.masks.items():
            if name != facet:
                within &= mask
        return within


def select(
    snapshot: Snapshot,
    selected: Mapping[str, list[str]],
    *,
    scalar: int | None,
    scope: str | None,
    every: Collection[str] = (),
    given: Mapping[str, int] | None = None,
) -> Selection:
    """The filtered catalogue: `selected`, the active facet filters' canonical values
    (OR within a facet; AND for the facets in `every`); `scalar`, the bitmap of trials
    the other filters (search, age, dose, year) keep, None when there are none;
    `scope`: "all", "out" or None (in scope only); `given`: what a facet's filter also
    requires, as bitmaps SQL gave (with `near`, a near site with the status)."""
    entries = snapshot.of(ENTRY, "1")
    in_scope = snapshot.of(IN_SCOPE, "1")
    if scalar is not None:
        entries &= scalar
    if scope == "all":
        base = entries
    elif scope == "out":
        base = entries & ~in_scope
    else:
        base = entries & in_scope
    masks = {}
    for name, values in selected.items():
        if name in every:
            mask = entries if values else 0
            for value in values:
                mask &= snapshot.of(name, value)
        else:
            mask = 0
            for value in values:
                mask |= snapshot.of(name, value)
        masks[name] = mask
    for name, also in (given or {}).items():
        masks[name] = masks.get(name, entries) & also
    everything = base
    for mask in masks.values():
        everything &= mask
    return Selection(entries=entries, base=base, masks=masks, everything=everything)


def page_of(order: Iterable[int], kept: int, start: int, size: int) -> list[int]:
    """The ids at positions [start, start + size) of `order` once the trials not in the
    bitmap `kept` are left out."""
    bits = kept.to_bytes((kept.bit_length() + 7) // 8, "little")
    page: list[int] = []
    for n in order:
        if (n >> 3) < len(bits) and bits[n >> 3] >> (n & 7) & 1:
            if start:
                start -= 1
            else:
                page.append(n)
                if len(page) == size:
                    break
    return page


def count(
    snapshot: Snapshot, selection: Selection, *, every: Collection[str] = (), hidden: bool = True
) -> tuple[int, dict[str, dict[str, int]], int | None]:
    """(total, {facet: {value: count}}, hidden) of the filtered catalogue `selection`
    (`select`): every value each facet has (those counting at least one trial), each
    facet counted under the *other* filters (the facets in `every` under their own
    selection too: what adding one more value gives); with `hidden`, how many
    out-of-scope trials the filters match (None without)."""
    counts: dict[str, dict[str, int]] = {}
    for facet in facets.FACETS:
        within = selection.everything if facet.name in every else selection.within(facet.name)
        counts[facet.name] = {
            value: n for value, ids in snapshot.values(facet.name).items() if (n := (ids & within).bit_count())
        }
    out = None
    if hidden:
        out = selection.entries & ~snapshot.of(IN_SCOPE, "1")
        for mask in selection.masks.values():
            out &= mask
    return selection.everything.bit_count(), counts, None if out is None else out.bit_count()


INDEX = FacetIndex()
