"""The contract between parsers and the rest of the ingest.

A parser reads one registry document and returns one or more `TrialRecord`s.
A `TrialRecord` holds the registry's *own strings*, exactly as the page states
them (trimmed of layout whitespace, nothing more). Turning those strings into
canonical values is the job of `ingest.normalize`, never of a parser, so that
the raw value can always be shown beside the normalized one and renormalizing
from a stored source document gives the same answer as the first ingest.

Parsers never touch the ORM.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

REGISTRIES = ("ctgov", "chictr")


class ParseError(ValueError):
    """A document could not be parsed. The message is one line, fit for a user."""


@dataclass
class Intervention:
    """One intervention as the registry lists it."""

    name: str = ""
    type: str = ""
    description: str = ""
    other_names: list[str] = field(default_factory=list)


@dataclass
class Arm:
    """One arm / group / cohort.

    `sample_size` is the registry's string for the arm's size (ChiCTR states it
    per group; ClinicalTrials.gov does not).
    """

    label: str = ""
    type: str = ""
    description: str = ""
    interventions: list[str] = field(default_factory=list)
    sample_size: str = ""


@dataclass
class SiteRecord:
    """One recruiting site. `country` is the registry's string (may be Chinese)."""

    institution: str = ""
    city: str = ""
    state: str = ""
    country: str = ""


@dataclass
class TrialRecord:
    """One trial as a registry states it. Every value is the registry's own text.

    Empty string / empty list means "the document does not state it".
    """

    registry: str
    registry_id: str
    source_format: str
    source_url: str = ""
    secondary_ids: list[str] = field(default_factory=list)

    title: str = ""  # brief / public title, in English where the registry has one
    official_title: str = ""  # scientific / official title
    title_zh: str = ""  # Chinese title (ChiCTR)
    acronym: str = ""
    brief_summary: str = ""
    detailed_description: str = ""
    objectives: str = ""  # ChiCTR "Objectives of Study", ClinicalTrials.gov outcome measures
    keywords: list[str] = field(default_factory=list)

    status: str = ""  # e.g. "RECRUITING", "Recruiting", "Not yet recruiting", "预注册"...
    phase: str = ""  # e.g. "PHASE1/PHASE2", "Phase 1 Phase 2", "New Treatment Measure Clinical Study"
    study_type: str = ""  # e.g. "INTERVENTIONAL", "Interventional study"

    min_age: str = ""  # e.g. "18 Years", "6 Months", "18", "N/A"; "" when not stated
    max_age: str = ""
    age_text: str = ""  # free text such as "1 Year to 75 Years (Child, Adult, Older Adult)"
    sex: str = ""  # e.g. "ALL", "All", "Both", "Male"

    enrollment: str = ""  # total as stated; ChiCTR leaves it "" (sum of arms)
    enrollment_type: str = ""  # "ACTUAL" / "ESTIMATED" where stated

    start_date: str = ""
    completion_date: str = ""
    primary_completion_date: str = ""
    registration_date: str = ""  # first posted / date of registration
    last_update_date: str = ""

    sponsor: str = ""  # lead sponsor
    collaborators: list[str] = field(default_factory=list)

    conditions: list[str] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    arms: list[Arm] = field(default_factory=list)
    sites: list[SiteRecord] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)  # registry's country strings

    inclusion_criteria: str = ""
    exclusion_criteria: str = ""
    eligibility_text: str = ""  # the whole criteria block when not split

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ParseError unless the record has the minimum a trial needs."""
        if self.registry not in REGISTRIES:
            raise ParseError(f"unknown registry {self.registry!r}")
        if not self.registry_id or not self.registry_id.strip():
            raise ParseError("no registry id found")
        if not (self.title or self.official_title or self.title_zh):
            raise ParseError(f"{self.registry_id}: no title found")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of every field."""
        return asdict(self)
