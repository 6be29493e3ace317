"""Field-level merge of the copies of one trial.

A trial may arrive many times: from the registry's API, its study page, a bulk
snapshot, a WHO ICTRP export, at different dates. Each copy is kept (a
`catalogue.TrialSource`), and the trial's values are the merge of all of them:

- for every field, the value comes from the best-ranked copy that *carries*
  the field (not None: see `ingest.records`). A copy that leaves a field or
  section out never erases it;
- nested lists (interventions, arms, sites) come whole from the best copy that
  carries them, and an item's missing details (an intervention's description,
  a site's coordinates) are filled from the same item in lower-ranked copies;
- fields that belong together (the enrollment and its type; the ages; the
  criteria blocks) come together from one copy.

Ranking, best first, fixed so that the result never depends on arrival order:
1. the registry's own record before a third-party copy (a WHO ICTRP row);
2. a dated copy before an undated one, and the newer date first
   (the registry's last-update date of that record);
3. the richer format (API and XML exports before study pages);
4. the copy carrying more fields;
5. the content hash of the document (an arbitrary but stable last word).

Pure functions: no database.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ingest.normalize.dates import parse_date
from ingest.records import TrialRecord

# Richer formats first. Unknown formats rank with the study pages.
FORMAT_RANK: dict[str, int] = {
    "ctgov_v2_json": 3,
    "ctgov_v1_json": 3,
    "ctgov_xml": 3,
    "chictr_xml": 3,
    "ictrp_xml": 2,
    "ictrp_csv": 2,
}
PAGE_RANK = 1

IDENTITY_FIELDS = ("registry", "registry_id", "source_format", "third_party")
# Fields taken together from the first copy that carries any of them.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("enrollment", "enrollment_type"),
    ("min_age", "max_age", "age_text"),
    ("inclusion_criteria", "exclusion_criteria", "eligibility_text"),
    ("has_results", "results_date", "results_url"),
)
# Nested lists merged item by item: the key that says two items are the same.
ITEM_KEYS: dict[str, tuple[str, ...]] = {
    "interventions": ("name",),
    "arms": ("label",),
    "sites": ("institution", "city"),
}


@dataclass(frozen=True)
class Source:
    """One copy of a trial, with what ranks it. `ref` is the caller's handle
    (a `TrialSource` id, a document), returned in the provenance."""

    record: TrialRecord
    sha256: str
    ref: Any = None

    @property
    def updated(self) -> date | None:
        return parse_date(self.record.last_update_date)

    @property
    def field_count(self) -> int:
        return len(self.record.present())

    def rank_key(self) -> tuple:
        updated = self.updated
        return (
            not self.record.third_party,
            updated is not None,
            updated or date.min,
            FORMAT_RANK.get(self.record.source_format, PAGE_RANK),
            self.field_count,
            self.sha256,
        )


@dataclass
class Merged:
    """The merged record and, for each field, the source that supplied it."""

    record: TrialRecord
    sources: list[Source]  # ranked, best first
    supplied_by: dict[str, Source] = field(default_factory=dict)

    @property
    def best(self) -> Source:
        return self.sources[0]


def rank(sources: list[Source]) -> list[Source]:
    """Best first (see the module docstring)."""
    return sorted(sources, key=lambda s: s.rank_key(), reverse=True)


def merge(sources: list[Source]) -> Merged:
    """Merge the copies of one trial. Raises ValueError on an empty list."""
    if not sources:
        raise ValueError("nothing to merge")
    ranked = rank(sources)
    best = ranked[0]
    if len(ranked) == 1:
        return Merged(best.record, ranked, dict.fromkeys(best.record.present(), best))

    values: dict[str, Any] = {name: getattr(best.record, name) for name in IDENTITY_FIELDS}
    supplied_by: dict[str, Source] = {}
    grouped = {name for group in GROUPS for name in group}
    for group in GROUPS:
        source = next((s for s in ranked if any(getattr(s.record, n) is not None for n in group)), None)
        if source is not None:
            for name in group:
                values[name] = getattr(source.record, name)
                supplied_by[name] = source
    for f in dataclasses.fields(TrialRecord):
        name = f.name
        if name in IDENTITY_FIELDS or name in grouped:
            continue
        source = next((s for s in ranked if getattr(s.record, name) is not None), None)
        if source is None:
            values[name] = None
            continue
        value = getattr(source.record, name)
        if name in ITEM_KEYS:
            value = _fill_items(name, value, [s.record for s in ranked if s is not source])
        values[name] = value
        supplied_by[name] = source
    record = TrialRecord(**values)
    return Merged(record, ranked, supplied_by)


def _item_key(name: str, item: Any) -> tuple[str, ...]:
    return tuple(" ".join((getattr(item, k) or "").split()).casefold() for k in ITEM_KEYS[name])


def _fill_items(name: str, items: list[Any], others: list[TrialRecord]) -> list[Any]:
    """Items of the winning list, each with its absent details filled from the
    same item (by key) in the other copies, in rank order."""
    donors: dict[tuple[str, ...], list[Any]] = {}
    for other in others:
        for item in getattr(other, name) or []:
            donors.setdefault(_item_key(name, item), []).append(item)
    if not donors:
        return items
    filled = []
    for item in items:
        missing = {f.name for f in dataclasses.fields(item) if getattr(item, f.name) is None}
        for candidate in donors.get(_item_key(name, item), []):
            if not missing:
                break
            updates = {key: getattr(candidate, key) for key in missing if getattr(candidate, key) is not None}
            if updates:
                item = dataclasses.replace(item, **updates)
                missing -= set(updates)
        filled.append(item)
    return filled


def dominated(sources: list[Source]) -> set[int]:
    """Indexes (into `sources`) of copies that can never supply a value: another
    copy ranks above them and carries every field and item detail they carry.
    Whatever copies arrive later, dropping them changes no merge, so the caller
    need not load them again (they stay stored as source documents)."""
    keys = [s.rank_key() for s in sources]
    result: set[int] = set()
    for i, weaker in enumerate(sources):
        for j, stronger in enumerate(sources):
            if j != i and j not in result and keys[j] > keys[i] and _covers(stronger.record, weaker.record):
                result.add(i)
                break
    return result


def _covers(stronger: TrialRecord, weaker: TrialRecord) -> bool:
    if not weaker.present() <= stronger.present():
        return False
    for name in ITEM_KEYS:
        items = {_item_key(name, item): item.present() for item in getattr(stronger, name) or []}
        for item in getattr(weaker, name) or []:
            if not item.present() <= items.get(_item_key(name, item), set()):
                return False
    return True
