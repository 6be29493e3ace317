"""Turn a parser's `TrialRecord` (registry strings) into canonical values.

One module per concern, each a set of pure functions tested on its own.
`normalize()` composes them into a `NormalizedTrial`, which also carries
`raw`: the registry's own string for every normalized field, so the catalogue
can always show the two side by side.

Classifications (see `classification.Classification`) keep their evidence:
`NormalizedTrial.evidence` maps "antigens", "modalities", "cell_source",
"in_scope", "trial_type", "disease_categories" and "products" to lists of
small dicts ({"value", "field", "phrase"} or {"value", "source"}), and
`NormalizedTrial.review` lists "<classification>: <why to check>" sentences.
Order of work: products → trial type → modalities (the products' sourced
modality; a follow-up study's earlier product counts) → cell source (the
products' sourced cell source; in vivo modality) → scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from catalogue import countries
from catalogue.registries import safe_url, trial_url
from ingest.normalize import (
    age,
    antigens,
    cell_source,
    dates,
    diseases,
    dose,
    enums,
    modality,
    products,
    results,
    scope,
    sites,
    sponsor,
    trial_type,
)
from ingest.normalize.values import ContactValue, DiseaseValue, DoseLevelValue, ReferenceValue, SiteValue
from ingest.records import TrialRecord

__all__ = [
    "ContactValue", "DiseaseValue", "DoseLevelValue", "NormalizedTrial", "ReferenceValue", "SiteValue", "normalize",
]  # fmt: skip


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
    "healthy_volunteers": ("healthy_volunteers",),
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
    "sponsor_type": ("sponsor", "sponsor_class"),
    "countries": ("countries", "sites"),
    "conditions": ("conditions",),
    "keywords": ("keywords",),
    "interventions": ("interventions",),
    "inclusion_criteria": ("inclusion_criteria", "eligibility_text"),
    "exclusion_criteria": ("exclusion_criteria", "eligibility_text"),
    "sites": ("sites",),
    "contacts": ("contacts", "sites"),
    "source_url": ("source_url",),
    "references": ("references",),
    "has_results": ("has_results", "results_date"),
    "results_date": ("results_date",),
    "results_url": ("results_url", "has_results"),
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
    sponsor_type: str | None = None  # catalogue.choices.SponsorType value; None: no sponsor stated
    healthy_volunteers: bool | None = None
    contacts: list[ContactValue] = field(default_factory=list)  # the trial's, then each site's
    raw: dict[str, Any] = field(default_factory=dict)
    missing: frozenset[str] = frozenset()
    modalities: list[str] = field(
        default_factory=list
    )  # sorted catalogue.choices.Modality values; [] = no engineered product
    trial_type: str = "treatment"  # catalogue.choices.TrialType value
    in_scope: bool = True
    products: list[str] = field(default_factory=list)  # canonical product names, in order of first mention
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    review: list[str] = field(default_factory=list)
    references: list[ReferenceValue] = field(default_factory=list)
    has_results: bool | None = None  # None: no copy says whether results are posted
    results_date: date | None = None
    results_url: str = ""


def missing_fields(record: TrialRecord) -> frozenset[str]:
    """The normalized fields none of whose inputs `record` carries."""
    present = record.present()
    return frozenset(name for name, inputs in INPUTS.items() if not any(i in present for i in inputs))


def normalize(
    record: TrialRecord,
    *,
    vocabulary: antigens.Vocabulary | None = None,
    disease_vocabulary: diseases.Vocabulary | None = None,
    product_vocabulary: products.ProductVocabulary | None = None,
) -> NormalizedTrial:
    """Canonical values for `record`. Pure: no database, no network.

    `vocabulary` / `disease_vocabulary` / `product_vocabulary` default to the
    built-in vocabularies; the importer passes the curated ones from the
    database. A curated antigen vocabulary should be built with the same
    products (`antigens.Vocabulary.from_specs(specs, products=…)`) so that a
    product's sourced targets count as the trial's antigens.
    """
    missing = missing_fields(record)
    record = record.filled()
    product_vocabulary = product_vocabulary or products.default_vocabulary()
    found_products = products.find_products(record, product_vocabulary)
    named = products.products_named(found_products, product_vocabulary)
    kind = trial_type.trial_type(record)
    follow_up = kind.value == trial_type.LTFU
    found_modalities = modality.modalities(record, named, follow_up=follow_up)
    source = cell_source.classify(record, named, found_modalities.value, follow_up=follow_up)
    scoped = scope.in_scope(record, found_modalities, named, trial_type=kind.value)
    found_antigens = antigens.classify_antigens(record, vocabulary=vocabulary)
    disease_values, categories = diseases.diseases_and_categories(record, vocabulary=disease_vocabulary)
    classified = {
        "antigens": found_antigens,
        "modalities": found_modalities,
        "cell_source": source,
        "in_scope": scoped,
        "trial_type": kind,
        "disease_categories": categories,
        "products": found_products,
    }
    min_age, max_age = age.age_range(record.min_age, record.max_age, record.age_text)
    levels = dose.dose_levels(record)
    per_kg = [lvl for lvl in levels if lvl.basis == "per_kg"]
    site_values = [sites.site_value(s) for s in record.sites]
    country_list = countries.country_list(record.countries + [s.country for s in record.sites])
    intervention_names = [i.name for i in record.interventions if i.name]
    enrollment = enums.enrollment(record.enrollment, [a.sample_size for a in record.arms])
    posted = results.has_results(record.has_results, record.results_date)
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
        cell_source=source.value,
        inclusion_criteria=(record.inclusion_criteria or record.eligibility_text).strip(),
        exclusion_criteria=record.exclusion_criteria.strip(),
        conditions=_unique(_clean(c) for c in record.conditions if c.strip()),
        keywords=_unique(_clean(k) for k in record.keywords if k.strip()),
        interventions=_unique(intervention_names),
        antigens=found_antigens.value,
        diseases=disease_values,
        dose_levels=levels,
        sites=site_values,
        contacts=sites.contacts(record.contacts, record.sites),
        healthy_volunteers=enums.yes_no(record.healthy_volunteers),
        dose_min_cells_per_kg=min((lvl.low for lvl in per_kg), default=None),
        dose_max_cells_per_kg=max((lvl.high for lvl in per_kg), default=None),
        sponsor_type=sponsor.sponsor_type(record.sponsor, record.sponsor_class),
        raw={
            "status": record.status,
            "phase": record.phase,
            "study_type": record.study_type,
            "min_age": record.min_age,
            "max_age": record.max_age,
            "age_text": record.age_text,
            "sex": record.sex,
            "healthy_volunteers": record.healthy_volunteers,
            "enrollment": record.enrollment or "; ".join(a.sample_size for a in record.arms if a.sample_size),
            "enrollment_type": record.enrollment_type,
            "start_date": record.start_date,
            "completion_date": record.completion_date,
            "registration_date": record.registration_date,
            "last_update_date": record.last_update_date,
            "sponsor": record.sponsor,
            "sponsor_class": record.sponsor_class,
            "countries": record.countries or _unique(s.country for s in record.sites if s.country),
            "conditions": record.conditions,
            "interventions": intervention_names,
            "doses": [lvl.raw for lvl in levels],
            "has_results": record.has_results,
            "results_date": record.results_date,
        },
        missing=missing,
        modalities=list(found_modalities.value),
        trial_type=kind.value,
        in_scope=bool(scoped.value),
        products=list(found_products.value),
        evidence={name: c.evidence for name, c in classified.items()},
        review=[f"{name}: {why}" for name, c in classified.items() for why in c.review],
        references=results.references(record.references),
        has_results=posted,
        results_date=results.results_date(record.results_date),
        results_url=results.results_address(record.registry, record.registry_id.strip(), posted, record.results_url),
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
