"""The contract between parsers and the rest of the ingest.

A parser reads one registry document and returns one or more `TrialRecord`s.
A `TrialRecord` holds the registry's *own strings*, exactly as the page states
them (trimmed of layout whitespace, nothing more). Turning those strings into
canonical values is the job of `ingest.normalize`, never of a parser, so that
the raw value can always be shown beside the normalized one and renormalizing
from a stored source document gives the same answer as the first ingest.

Absent is not empty. Every value field is `None` until the parser sets it:
- `None` means **absent**: the document says nothing about it (the format has
  no such field, or this document leaves the section out). Merging never lets
  an absent value erase what another copy of the trial says.
- `""` / `[]` means **empty**: the document carries the field or section and
  the registry gives no value in it ("the registry lists none").

Parsers never touch the ORM.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from catalogue.registries import REGISTRY_KEYS


class ParseError(ValueError):
    """A document could not be parsed. The message is one line, fit for a user."""


class _Record:
    """Shared behaviour of the record dataclasses: absent (None) vs empty values."""

    def filled(self):
        """A copy with every absent value made empty ('' or []), for code that
        only needs the text. Nested records are filled too."""
        if getattr(self, "_is_filled", False):
            return self
        changes: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None:
                changes[f.name] = _empty_for(f)
            elif isinstance(value, list) and value and isinstance(value[0], _Record):
                changes[f.name] = [item.filled() for item in value]
        copy = dataclasses.replace(self, **changes) if changes else dataclasses.replace(self)  # type: ignore[type-var]
        object.__setattr__(copy, "_is_filled", True)
        return copy

    def present(self) -> set[str]:
        """Names of the fields this record carries (not None)."""
        return {f.name for f in fields(self) if getattr(self, f.name) is not None}  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of every field (absent values as null)."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def to_compact_dict(self) -> dict[str, Any]:
        """`to_dict()` without the absent fields, for storage (`from_dict` reads both)."""
        return _compact(self)


def _empty_for(f: dataclasses.Field) -> Any:
    return [] if "list" in str(f.type) else ""


@dataclass
class Contact(_Record):
    """A person or office to contact, as the registry publishes it.

    `role`: "central", "central_backup", "site", "study_leader", "applicant",
    "investigator", "public", "scientific" (ICTRP), or the registry's own word.
    """

    role: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    affiliation: str | None = None
    address: str | None = None


@dataclass
class Intervention(_Record):
    """One intervention as the registry lists it."""

    name: str | None = None
    type: str | None = None
    description: str | None = None
    other_names: list[str] | None = None


@dataclass
class Arm(_Record):
    """One arm / group / cohort.

    `sample_size` is the registry's string for the arm's size (ChiCTR states it
    per group; ClinicalTrials.gov does not).
    """

    label: str | None = None
    type: str | None = None
    description: str | None = None
    interventions: list[str] | None = None
    sample_size: str | None = None


@dataclass
class SiteRecord(_Record):
    """One site. Place names are the registry's strings; `*_zh` hold the Chinese
    names where the registry gives both. `latitude`/`longitude` are the registry's
    own coordinates (ClinicalTrials.gov `geoPoint`) as strings."""

    institution: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    institution_zh: str | None = None
    city_zh: str | None = None
    state_zh: str | None = None
    country_zh: str | None = None
    zip: str | None = None
    status: str | None = None
    latitude: str | None = None
    longitude: str | None = None
    contacts: list[Contact] | None = None


@dataclass
class Reference(_Record):
    """A publication the record cites. `type` is the registry's word
    (ClinicalTrials.gov BACKGROUND / RESULT / DERIVED)."""

    pmid: str | None = None
    type: str | None = None
    citation: str | None = None
    url: str | None = None


@dataclass
class TrialRecord(_Record):
    """One trial as a registry states it. Every value is the registry's own text.

    `registry`, `registry_id` and `source_format` are always set. `third_party`
    is True for a copy made by someone other than the trial's registry (a WHO
    ICTRP row), which never outranks the registry's own record.
    """

    registry: str
    registry_id: str
    source_format: str
    third_party: bool = False
    source_url: str | None = None
    secondary_ids: list[str] | None = None

    title: str | None = None  # brief / public title, in English where the registry has one
    official_title: str | None = None  # scientific / official title
    title_zh: str | None = None  # Chinese title (ChiCTR)
    official_title_zh: str | None = None
    acronym: str | None = None
    brief_summary: str | None = None
    detailed_description: str | None = None
    objectives: str | None = None  # ChiCTR "Objectives of Study", ClinicalTrials.gov outcome measures
    keywords: list[str] | None = None

    status: str | None = None  # e.g. "RECRUITING", "Recruiting", "Not yet recruiting", "预注册"...
    phase: str | None = None  # e.g. "PHASE1/PHASE2", "Phase 1 Phase 2", "New Treatment Measure Clinical Study"
    study_type: str | None = None  # e.g. "INTERVENTIONAL", "Interventional study"

    min_age: str | None = None  # e.g. "18 Years", "6 Months", "18", "N/A"
    max_age: str | None = None
    age_text: str | None = None  # free text such as "1 Year to 75 Years (Child, Adult, Older Adult)"
    sex: str | None = None  # e.g. "ALL", "All", "Both", "Male"
    healthy_volunteers: str | None = None  # e.g. "false", "No"

    enrollment: str | None = None  # total as stated; ChiCTR leaves it absent (sum of arms)
    enrollment_type: str | None = None  # "ACTUAL" / "ESTIMATED" where stated

    start_date: str | None = None
    completion_date: str | None = None
    primary_completion_date: str | None = None
    registration_date: str | None = None  # first posted / date of registration
    last_update_date: str | None = None  # the registry's own last-update date of this record

    sponsor: str | None = None  # lead sponsor
    sponsor_class: str | None = None  # ClinicalTrials.gov INDUSTRY / OTHER / NIH / FED ...
    collaborators: list[str] | None = None
    funding: str | None = None
    ethics: str | None = None  # ethics approval as stated (committee, number, date)

    conditions: list[str] | None = None
    interventions: list[Intervention] | None = None
    arms: list[Arm] | None = None
    sites: list[SiteRecord] | None = None
    countries: list[str] | None = None  # registry's country strings
    contacts: list[Contact] | None = None  # trial-level contacts (central, study leader, applicant...)

    inclusion_criteria: str | None = None
    exclusion_criteria: str | None = None
    eligibility_text: str | None = None  # the whole criteria block when not split

    references: list[Reference] | None = None
    has_results: str | None = None  # "true"/"false" or the registry's word ("yes", "no")
    results_date: str | None = None  # results first posted
    results_url: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ParseError unless the record has the minimum a trial needs."""
        if self.registry not in REGISTRY_KEYS:
            raise ParseError(f"unknown registry {self.registry!r}")
        if not self.registry_id or not self.registry_id.strip():
            raise ParseError("no registry id found")
        if not (self.title or self.official_title or self.title_zh):
            raise ParseError(f"{self.registry_id}: no title found")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialRecord:
        """Inverse of `to_dict()` (unknown keys are ignored, so stored records
        survive a field being added or removed)."""
        return _from_dict(cls, data)


_NESTED: dict[str, type[_Record]] = {
    "interventions": Intervention,
    "arms": Arm,
    "sites": SiteRecord,
    "contacts": Contact,
    "references": Reference,
}


def _compact(record: _Record) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _field_names(type(record)):
        value = getattr(record, name)
        if value is None:
            continue
        if isinstance(value, list):
            if value and isinstance(value[0], _Record):  # a list of records (as in `filled`)
                value = [_compact(item) if isinstance(item, _Record) else item for item in value]
            else:
                value = list(value)
        values[name] = value
    return values


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _from_dict(cls: type, data: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            continue
        nested = _NESTED.get(key)
        if nested is not None and isinstance(value, list):
            value = [_from_dict(nested, item) if isinstance(item, dict) else item for item in value]
        values[key] = value
    return cls(**values)
