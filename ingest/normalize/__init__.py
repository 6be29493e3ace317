"""Turn a parser's `TrialRecord` (registry strings) into canonical values.

One module per concern, each a set of pure functions tested on its own.
`normalize()` composes them into a `NormalizedTrial`, which also carries
`raw`: the registry's own string for every normalized field, so the catalogue
can always show the two side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from catalogue.registries import safe_url, trial_url
from catalogue import countries
from ingest.normalize import age, antigens, cell_source, dates, diseases, dose, enums
from ingest.normalize.values import DiseaseValue, DoseLevelValue, SiteValue
from ingest.records import TrialRecord

__all__ = ["DiseaseValue", "DoseLevelValue", "NormalizedTrial", "SiteValue", "normalize"]


# Each normalized field and the record fields it is read from. A field whose
# inputs are all absent from every copy is *missing*: the catalogue says "not in
# our copy of this record", never "the registry lists none". Fields not listed
# (antigens, diseases, cell source) are classifications of all the text.
INPUTS: dict[str, tuple[str, ...]] = {
    "secondary_ids": ("secondary_ids",),
    "title": ("title", "official_title", "title_zh"),
    "official_title": ("official_title",),
    "title_zh": ("title_zh",),
    "brief_summary": ("brief_summary",),
    "status": ("status",),
    "phase": ("phase",),
    "study_type": ("study_type",),
    "min_age_years": ("min_age", "max_age", "age_text"),
    "max_age_years": ("min_age", "max_age", "age_text"),
    "sex": ("sex",),
    "dose_min_cells_per_kg": ("interventions", "arms"),
    "dose_max_cells_per_kg": ("interventions", "arms"),
    "dose_levels": ("interventions", "arms"),
    "enrollment": ("enrollment", "arms"),
    "enrollment_type": ("enrollment_type",),
    "start_date": ("start_date",),
    "completion_date": ("completion_date",),
    "registration_date": ("registration_date",),
    "registry_updated": ("last_update_date",),
    "sponsor": ("sponsor",),
    "countries": ("countries", "sites"),
    "conditions": ("conditions",),
    "keywords": ("keywords",),
    "interventions": ("interventions",),
    "inclusion_criteria": ("inclusion_criteria", "eligibility_text"),
    "exclusion_criteria": ("exclusion_criteria", "eligibility_text"),
    "sites": ("sites",),
    "source_url": ("source_url",),
}


@dataclass
class NormalizedTrial:
    """Canonical values for one trial, ready for the importer.

    `missing`: normalized fields that no input carries (see `INPUTS`).
    """

    registry: str
    registry_id: str
    source_format: str
    source_url: str
    secondary_ids: list[str]
    title: str
    official_title: str
    title_zh: str
    brief_summary: str
    status: str | None
    phase: str | None
    study_type: str | None
    min_age_years: Decimal | None
    max_age_years: Decimal | None
    sex: str | None
    enrollment: int | None
    enrollment_type: str
    start_date: date | None
    completion_date: date | None
    registration_date: date | None
    registry_updated: date | None
    sponsor: str
    countries: list[str]
    cell_source: str
    inclusion_criteria: str
    exclusion_criteria: str
    conditions: list[str]
    keywords: list[str]
    interventions: list[str]
    antigens: list[str]
    diseases: list[DiseaseValue]
    dose_levels: list[DoseLevelValue]
    sites: list[SiteValue]
    dose_min_cells_per_kg: float | None = None
    dose_max_cells_per_kg: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    missing: frozenset[str] = frozenset()


def missing_fields(record: TrialRecord) -> frozenset[str]:
    """The normalized fields none of whose inputs `record` carries."""
    present = record.present()
    return frozenset(name for name, inputs in INPUTS.items() if not any(i in present for i in inputs))


def normalize(record: TrialRecord, *, vocabulary: "antigens.Vocabulary | None" = None,
              disease_vocabulary: "diseases.Vocabulary | None" = None) -> NormalizedTrial:
    """Canonical values for `record`. Pure: no database, no network.

    `vocabulary` / `disease_vocabulary` default to the built-in vocabularies;
    the importer passes the curated ones from the database.
    """
    missing = missing_fields(record)
    record = record.filled()
    min_age, max_age = age.age_range(record.min_age, record.max_age, record.age_text)
    levels = dose.dose_levels(record)
    per_kg = [lvl for lvl in levels if lvl.basis == "per_kg"]
    site_values = [
        SiteValue(institution=s.institution, city=s.city, country=countries.country_name(s.country) or "")
        for s in record.sites
    ]
    country_list = countries.country_list(record.countries + [s.country for s in record.sites])
    intervention_names = [i.name for i in record.interventions if i.name]
    enrollment = enums.enrollment(record.enrollment, [a.sample_size for a in record.arms])
    return NormalizedTrial(
        registry=record.registry,
        registry_id=record.registry_id.strip(),
        source_format=record.source_format,
        source_url=safe_url(record.source_url) or trial_url(record.registry, record.registry_id.strip()),
        secondary_ids=_unique(sid.strip() for sid in record.secondary_ids if sid.strip()),
        title=_clean(record.title or record.official_title or record.title_zh),
        official_title=_clean(record.official_title),
        title_zh=_clean(record.title_zh),
        brief_summary=record.brief_summary.strip(),
        status=enums.status(record.status),
        phase=enums.phase(record.phase, record.study_type),
        study_type=enums.study_type(record.study_type),
        min_age_years=min_age,
        max_age_years=max_age,
        sex=enums.sex(record.sex),
        enrollment=enrollment,
        enrollment_type=record.enrollment_type.strip().lower(),
        start_date=dates.parse_date(record.start_date),
        completion_date=dates.parse_date(record.completion_date),
        registration_date=dates.parse_date(record.registration_date),
        registry_updated=dates.parse_date(record.last_update_date),
        sponsor=_clean(record.sponsor),
        countries=country_list,
        cell_source=cell_source.cell_source(record),
        inclusion_criteria=(record.inclusion_criteria or record.eligibility_text).strip(),
        exclusion_criteria=record.exclusion_criteria.strip(),
        conditions=_unique(_clean(c) for c in record.conditions if c.strip()),
        keywords=_unique(_clean(k) for k in record.keywords if k.strip()),
        interventions=_unique(intervention_names),
        antigens=antigens.find_antigens(record, vocabulary=vocabulary),
        diseases=diseases.find_diseases(record, vocabulary=disease_vocabulary),
        dose_levels=levels,
        sites=site_values,
        dose_min_cells_per_kg=min((lvl.low for lvl in per_kg), default=None),
        dose_max_cells_per_kg=max((lvl.high for lvl in per_kg), default=None),
        raw={
            "status": record.status,
            "phase": record.phase,
            "study_type": record.study_type,
            "min_age": record.min_age,
            "max_age": record.max_age,
            "age_text": record.age_text,
            "sex": record.sex,
            "enrollment": record.enrollment or "; ".join(a.sample_size for a in record.arms if a.sample_size),
            "enrollment_type": record.enrollment_type,
            "start_date": record.start_date,
            "completion_date": record.completion_date,
            "registration_date": record.registration_date,
            "last_update_date": record.last_update_date,
            "sponsor": record.sponsor,
            "countries": record.countries or _unique(s.country for s in record.sites if s.country),
            "conditions": record.conditions,
            "interventions": intervention_names,
            "doses": [lvl.raw for lvl in levels],
        },
        missing=missing,
    )


def default_source_url(registry: str, registry_id: str) -> str:
    """The public registry page of a trial."""
    return trial_url(registry, registry_id)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _unique(items) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item not in seen:
            seen[item] = None
    return list(seen)
