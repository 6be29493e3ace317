"""The export contract: one dict per trial, shared by the API, the downloads and
the `export` command.

Keys (exactly, in this order): see `EXPORT_FIELDS` (the CSV columns and the API
list's results); the JSON download and the API detail add `DETAIL_FIELDS` (the
summary, conditions, criteria, sites, contacts and the classification evidence). Numbers are JSON numbers
(ages 18 or 0.5, doses in cells/kg), dates are ISO strings, and anything the
registry does not state is null (status, phase, study type and sex included:
never a default). Enumerations (status, phase, study_type, sex, cell_source) are
the catalogue's codes, e.g. "phase1_phase2". Lists are lists (empty when none).
Antigens and diseases are canonical names. `source_url` is always an http(s)
address: the stored one when safe, else the registry's own page for the trial.

CSV has the same columns: lists joined with "; ", `dose_levels`, `references`
and `raw` as JSON text, null as an empty cell. A text cell a spreadsheet would
run as a formula (starting with = + - @, a tab or CR, also after spaces) gets a
leading `'`. The CSV is UTF-8 with a byte-order mark, so spreadsheets read its
Chinese as Chinese.

Every file names where it comes from (`catalogue.about`): the JSON download is
`{"about": {...}, "trials": [...]}`, and the CSV carries the same facts as
`#` comment lines above its header when asked (`?about=1`, `export --about`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from catalogue import facets
from catalogue.choices import SponsorType
from catalogue.filters import AGE_GROUPS, HEALTHY_VOLUNTEERS, MATCH_MODES, SEXES, SORTS, STALLED
from catalogue.models import DoseLevel, Reference, Site, Trial
from catalogue.registries import REGISTRY_KEYS, registry_page

EXPORT_FIELDS: tuple[str, ...] = (
    "registry", "registry_id", "secondary_ids", "title", "official_title", "title_zh",
    "status", "phase", "study_type", "antigens", "diseases", "disease_categories",
    "min_age_years", "max_age_years", "sex", "dose_min_cells_per_kg", "dose_max_cells_per_kg",
    "dose_levels", "enrollment", "start_date", "completion_date", "registration_date",
    "registry_updated", "sponsor", "sponsor_type", "countries", "cell_source", "modalities", "trial_type", "in_scope", "products",
    "has_results", "results_date", "results_url", "references",
    "source_url", "source_format", "raw",
    "curated_fields", "updated_at",
)  # fmt: skip
# The JSON download and the API detail: the contract and then these.
DETAIL_FIELDS: tuple[str, ...] = EXPORT_FIELDS + (
    "brief_summary", "conditions", "inclusion_criteria", "exclusion_criteria", "sites", "contacts", "evidence",
)  # fmt: skip
DOSE_LEVEL_FIELDS: tuple[str, ...] = ("arm", "low", "high", "unit", "basis", "raw")
REFERENCE_FIELDS: tuple[str, ...] = ("pmid", "type", "citation", "url")
# A site's and a contact's keys: those of this list the model has, in this order, so a
# field added to catalogue.Site (or the contacts model) is exported once named here.
SITE_FIELDS_WANTED: tuple[str, ...] = (
    "institution", "institution_zh", "city", "city_zh", "state", "state_zh", "country", "country_zh", "zip",
    "status", "latitude", "longitude",
)  # fmt: skip
CONTACT_FIELDS_WANTED: tuple[str, ...] = ("role", "name", "phone", "email", "affiliation", "address")
# The reverse relation of Trial that holds its contacts (absent: every trial has none).
CONTACTS_RELATION = "contacts"
LIST_FIELDS = {
    "secondary_ids", "antigens", "diseases", "disease_categories", "countries", "curated_fields", "modalities", "products",
    "conditions",
}  # fmt: skip
NESTED_FIELDS = {"dose_levels", "references", "raw", "sites", "contacts", "evidence"}
# Columns the export never reads; not loaded.
EXPORT_DEFERRED_FIELDS: tuple[str, ...] = (
    "parsed", "curation_conflicts", "brief_summary", "inclusion_criteria", "exclusion_criteria",
    "search_document", "search_vector", "rank_vector", "conditions", "interventions", "keywords", "field_sources",
    "missing_fields", "evidence",
)  # fmt: skip
DETAIL_DEFERRED_FIELDS: tuple[str, ...] = (
    "parsed", "curation_conflicts", "search_document", "search_vector", "rank_vector", "interventions", "keywords",
    "field_sources", "missing_fields",
)  # fmt: skip
CHUNK_SIZE = 500


def _model_fields(model: type, wanted: tuple[str, ...]) -> tuple[str, ...]:
    names = {f.name for f in model._meta.concrete_fields}
    return tuple(name for name in wanted if name in names)


def _contact_model() -> type | None:
    relation = next((r for r in Trial._meta.related_objects if r.get_accessor_name() == CONTACTS_RELATION), None)
    return relation.related_model if relation is not None else None


SITE_FIELDS: tuple[str, ...] = _model_fields(Site, SITE_FIELDS_WANTED)
CONTACT_MODEL = _contact_model()
CONTACT_FIELDS: tuple[str, ...] = _model_fields(CONTACT_MODEL, CONTACT_FIELDS_WANTED) if CONTACT_MODEL else ()


def _number(value: Any) -> int | float | None:
    """A JSON number: Decimal('18.00') → 18, Decimal('0.50') → 0.5."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _text(value: str | None) -> str | None:
    return value if value else None


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def dose_level_to_dict(level: DoseLevel) -> dict[str, Any]:
    return {
        "arm": _text(level.arm),
        "low": level.low,
        "high": level.high,
        "unit": level.unit,
        "basis": level.basis,
        "raw": _text(level.raw),
    }


def reference_to_dict(reference: Reference) -> dict[str, Any]:
    return {name: _text(getattr(reference, name)) for name in REFERENCE_FIELDS}


def _row_to_dict(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """A site or contact: numbers as numbers, text as text, nothing stated as null."""
    values = {}
    for name in names:
        value = getattr(row, name)
        values[name] = _number(value) if isinstance(value, (int, float, Decimal)) else _text(value)
    return values


def _contacts(trial: Trial) -> list[dict[str, Any]]:
    if CONTACT_MODEL is None:
        return []
    return [_row_to_dict(c, CONTACT_FIELDS) for c in getattr(trial, CONTACTS_RELATION).all()]


def trial_to_dict(trial: Trial, *, detail: bool = False) -> dict[str, Any]:
    """One trial in the export contract (`detail`: with `DETAIL_FIELDS`, as the JSON
    download and the API detail give it). Uses the prefetched related rows when there are."""
    item = {
        "registry": trial.registry,
        "registry_id": trial.registry_id,
        "secondary_ids": list(trial.secondary_ids or []),
        "title": trial.title,
        "official_title": _text(trial.official_title),
        "title_zh": _text(trial.title_zh),
        "status": trial.status,
        "phase": trial.phase,
        "study_type": _text(trial.study_type),
        "antigens": list(trial.antigen_names or []),
        "diseases": list(trial.disease_names or []),
        "disease_categories": list(trial.disease_categories or []),
        "min_age_years": _number(trial.min_age_years),
        "max_age_years": _number(trial.max_age_years),
        "sex": trial.sex,
        "dose_min_cells_per_kg": trial.dose_min_cells_per_kg,
        "dose_max_cells_per_kg": trial.dose_max_cells_per_kg,
        "dose_levels": [dose_level_to_dict(level) for level in trial.dose_levels.all()],
        "enrollment": trial.enrollment,
        "start_date": _iso(trial.start_date),
        "completion_date": _iso(trial.completion_date),
        "registration_date": _iso(trial.registration_date),
        "registry_updated": _iso(trial.registry_updated),
        "sponsor": _text(trial.sponsor),
        "sponsor_type": trial.sponsor_type,
        "countries": list(trial.countries or []),
        "cell_source": trial.cell_source,
        "modalities": list(trial.modalities or []),
        "trial_type": trial.trial_type,
        "in_scope": trial.in_scope,
        "products": list(trial.product_names or []),
        "has_results": trial.has_results,
        "results_date": _iso(trial.results_date),
        "results_url": _text(trial.results_url),
        "references": [reference_to_dict(r) for r in trial.references.all()],
        "source_url": registry_page(trial.registry, trial.registry_id, trial.source_url),
        "source_format": _text(trial.source_format),
        "raw": trial.raw or {},
        "curated_fields": list(trial.curated_fields or []),
        "updated_at": _iso(trial.updated_at),
    }
    if detail:
        item.update(
            {
                "brief_summary": _text(trial.brief_summary),
                "conditions": list(trial.conditions or []),
                "inclusion_criteria": _text(trial.inclusion_criteria),
                "exclusion_criteria": _text(trial.exclusion_criteria),
                "sites": [_row_to_dict(site, SITE_FIELDS) for site in trial.sites.all()],
                "contacts": _contacts(trial),
                "evidence": trial.evidence or {},
            }
        )
    return item


def export_queryset(queryset: QuerySet, *, detail: bool = False) -> QuerySet:
    """The queryset with what the export needs: related rows prefetched, unused columns skipped."""
    related: list[Any] = [
        Prefetch("dose_levels", queryset=DoseLevel.objects.order_by("position", "id")),
        Prefetch("references", queryset=Reference.objects.order_by("position", "id")),
    ]
    if detail:
        related.append(Prefetch("sites", queryset=Site.objects.order_by("position", "id")))
        if CONTACT_MODEL is not None:
            related.append(CONTACTS_RELATION)
    return queryset.defer(*(DETAIL_DEFERRED_FIELDS if detail else EXPORT_DEFERRED_FIELDS)).prefetch_related(*related)


def serialize_trials(queryset: QuerySet, *, limit: int | None = None, detail: bool = False) -> Iterator[dict[str, Any]]:
    """Dicts for every trial of `queryset` (up to `limit`), read in chunks of
    CHUNK_SIZE: one query for the trials and one per prefetched relation per chunk."""
    queryset = export_queryset(queryset, detail=detail)
    if limit is not None:
        queryset = queryset[:limit]
    for trial in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield trial_to_dict(trial, detail=detail)


# --- JSON ------------------------------------------------------------------------------


def iter_json(items: Iterable[dict[str, Any]], about: dict[str, Any]) -> Iterator[str]:
    """`{"about": {...}, "trials": [...]}`, one trial per chunk, so it can be streamed."""
    yield '{"about": ' + json.dumps(about, ensure_ascii=False) + ',\n"trials": ['
    first = True
    for item in items:
        yield ("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False)
        first = False
    yield "\n]}\n"


# --- CSV -------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (also after
# leading spaces; the full-width forms are converted by some spreadsheet locales).
_FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_CONTROL_STARTS = ("\t", "\r")


def neutralised(text: str) -> str:
    """`text` made safe for a spreadsheet: a cell it would run as a formula gets a
    leading `'`, which spreadsheets show as text."""
    if text.startswith(_CONTROL_STARTS) or text.lstrip()[:1] in _FORMULA_STARTS:
        return "'" + text
    return text


def csv_cell(name: str, value: Any) -> str:
    """One CSV cell: lists joined by '; ', nested values as JSON, null as ''.
    Every text cell (list cells included) is `neutralised`; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and name not in NESTED_FIELDS:
        return str(int(value)) if value.is_integer() and abs(value) < 1e18 else repr(value)
    if isinstance(value, int) and name not in NESTED_FIELDS:
        return str(value)
    if name in NESTED_FIELDS:
        text = json.dumps(value, ensure_ascii=False)
    elif name in LIST_FIELDS:
        text = "; ".join(str(v) for v in value)
    else:
        text = str(value)
    return neutralised(text)


class _Line:
    """A file-like that hands back what csv.writer wrote."""

    def write(self, value: str) -> str:
        return value


BOM = "\ufeff"


def csv_comments(about_lines: Iterable[str]) -> str:
    """Lines of text as CSV comment lines (`# ...`), which pandas (`comment="#"`) and R skip."""
    return "".join(f"# {line}\r\n" for line in about_lines)


def iter_csv(items: Iterable[dict[str, Any]], about_lines: Iterable[str] = ()) -> Iterator[str]:
    """CSV lines: a byte-order mark, the `about_lines` (as `#` comments, when given),
    a header of EXPORT_FIELDS, then one row per trial."""
    writer = csv.writer(_Line())
    yield BOM + csv_comments(about_lines) + writer.writerow(EXPORT_FIELDS)
    for item in items:
        yield writer.writerow([csv_cell(name, item[name]) for name in EXPORT_FIELDS])


def to_csv(items: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    for line in iter_csv(items):
        buffer.write(line)
    return buffer.getvalue()


# --- OpenAPI ---------------------------------------------------------------------------

# A working example value of each parameter (the /api/ page links them).
PARAMETER_EXAMPLES: dict[str, str] = {
    "antigen": "CD19", "disease": "Multiple myeloma", "disease_category": "solid_tumor", "phase": "phase1",
    "status": "recruiting", "country": "China", "registry": "ctgov", "cell_source": "allogeneic",
    "modality": "car_nk", "trial_type": "long_term_follow_up", "product": "Kymriah", "has_results": "yes",
    "has_publications": "yes", "age": "12", "age_min": "18", "age_max": "65", "dose_min": "1e6",
    "dose_max": "1x10^7", "start_year": "2024", "q": "B7-H3", "sort": "newest", "stalled": "yes",
    "page": "2", "page_size": "5", "about": "1",
}  # fmt: skip


def _parameter(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "description": description, "schema": schema, **extra}
    if name in PARAMETER_EXAMPLES:
        parameter["example"] = PARAMETER_EXAMPLES[name]
    return parameter


# A result's nearest qualifying site, with `near` only.
NEAREST: dict[str, Any] = {
    "type": ["object", "null"],
    "description": "Only with near: the trial's nearest site within within_km (with the status filter's "
    "status, or none stated); distance_km is the great-circle distance.",
    "properties": {
        "institution": {"type": "string"},
        "city": {"type": "string"},
        "country": {"type": "string"},
        "status": {"type": ["string", "null"]},
        "distance_km": {"type": "number"},
    },
}


def _filter_parameters() -> list[dict[str, Any]]:
    def repeatable(facet: facets.Facet) -> dict[str, Any]:
        items: dict[str, Any] = {"type": "string"}
        description = facet.description
        if facet.values:
            items["enum"] = facet.values
            description += " Values: " + ", ".join(f"{v} ({facet.label_for(v)})" for v in facet.values) + "."
        return _parameter(
            facet.name, description + " Repeatable: OR within the parameter, AND across parameters.",
            {"type": "array", "items": items}, style="form", explode=True,
        )  # fmt: skip

    scalar = _parameter
    return [
        *(repeatable(facet) for facet in facets.FACETS),
        *(scalar(facet.match_all, f"any (default): trials with any of the chosen {facet.name} values; all: with "
                 "every one of them.", {"type": "string", "enum": list(MATCH_MODES)})
          for facet in facets.FACETS if facet.match_all),
        scalar(
            "age",
            "Trials accepting a patient of this age in years. Trials that state no limit on a side are kept.",
            {"type": "number", "minimum": 0, "maximum": 120},
        ),
        scalar("age_min", "Trials whose age range reaches this age or older (open limits kept).",
               {"type": "number", "minimum": 0, "maximum": 120}),
        scalar("age_max", "Trials whose age range reaches this age or younger (open limits kept).",
               {"type": "number", "minimum": 0, "maximum": 120}),
        scalar("dose_min", "Trials whose per-kg dose range reaches this dose (cells/kg, e.g. 1e6 or 1x10^6). "
               "Trials without a per-kg dose are left out.", {"type": "string"}),
        scalar("dose_max", "Trials whose per-kg dose range starts at or below this dose (cells/kg).",
               {"type": "string"}),
        scalar("start_year", "Trials starting in this year.", {"type": "integer", "minimum": 1900, "maximum": 2100}),
        scalar("q", "Search, in English or Chinese. A term naming a disease (tree node: a group includes what is "
               "under it), target antigen or product, by any name or synonym (淋巴瘤, lymphoma, CD276, Kymriah), "
               "finds the trials tagged with it plus those whose text matches; other words match the text "
               "(English stemmed, words of 3+ letters also as prefixes; Chinese as exact substrings). "
               '-word excludes, "a phrase" matches words in order, a or b matches either.',
               {"type": "string", "maxLength": 200}),
        scalar("stalled", "yes: trials possibly stalled as of today: still recruiting (or not yet recruiting) three "
               "or more years after their start date, or ongoing with a registry record not updated in two years; "
               "no: the others.", {"type": "string", "enum": list(STALLED)}),
        scalar("near", "Trials with a site near this place: a city in English or Chinese (Houston, Houston, TX, "
               "Paris, France, 北京), resolved through an offline gazetteer of cities of 15,000 people or more, or "
               "coordinates as lat,lon. An unknown or ambiguous name is a 400 naming the candidates. With a status "
               "filter, that site itself must have the status, or state none of its own. Each result then carries "
               "nearest_site {institution, city, country, status, distance_km}.",
               {"type": "string", "maxLength": 200}),
        scalar("within_km", "The distance for near, in km (default 200).",
               {"type": "number", "minimum": 1, "maximum": 20000, "default": 200}),
        scalar("sex", "Trials open to this sex: those stating it or all; trials whose registry states no sex are "
               "kept (like open age limits).", {"type": "string", "enum": list(SEXES)}),
        scalar("healthy_volunteers", "yes: trials accepting healthy volunteers.",
               {"type": "string", "enum": list(HEALTHY_VOLUNTEERS)}),
        scalar("age_group", "Trials whose age range overlaps the group: child 0–17, adult 18–64, older_adult 65+ "
               "(unstated limits are open).", {"type": "string", "enum": list(AGE_GROUPS)}),
        scalar("sort", "Order; relevance by default with q, otherwise newest start first; distance (to the nearest "
               "qualifying site) only with near.",
               {"type": "string", "enum": list(SORTS)}),
    ]  # fmt: skip


def _row_schema(model: type, names: tuple[str, ...]) -> dict[str, Any]:
    """A site's or contact's schema, from the model's own field types."""
    properties = {}
    for name in names:
        internal = model._meta.get_field(name).get_internal_type()
        numeric = internal in ("FloatField", "DecimalField", "IntegerField", "PositiveIntegerField")
        properties[name] = {"type": ["number" if numeric else "string", "null"]}
    return {"type": "object", "properties": properties, "required": list(names)}


def _trial_properties() -> dict[str, Any]:
    string = {"type": "string"}
    nullable_string = {"type": ["string", "null"]}
    number = {"type": ["number", "null"]}
    strings = {"type": "array", "items": string}
    date_ = {"type": ["string", "null"], "format": "date"}
    properties: dict[str, Any] = {
        "registry": {**string, "enum": list(REGISTRY_KEYS)},
        "registry_id": string,
        "secondary_ids": strings,
        "title": string,
        "official_title": nullable_string,
        "title_zh": nullable_string,
        "status": {**nullable_string, "description": "null: the registry states no status."},
        "phase": {
            **nullable_string,
            "description": "null: the registry states no phase (not_applicable is the registry's own N/A).",
        },
        "study_type": nullable_string,
        "antigens": {**strings, "description": "Canonical antigen names."},
        "diseases": {**strings, "description": "Canonical disease names."},
        "disease_categories": strings,
        "min_age_years": {**number, "description": "null: no lower limit stated."},
        "max_age_years": {**number, "description": "null: no upper limit stated."},
        "sex": {**nullable_string, "description": "null: the registry states no sex eligibility."},
        "dose_min_cells_per_kg": number,
        "dose_max_cells_per_kg": number,
        "dose_levels": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "arm": nullable_string,
                    "low": {"type": "number"},
                    "high": {"type": "number"},
                    "unit": {"type": "string", "enum": ["cells/kg", "cells/m2", "cells"]},
                    "basis": {"type": "string", "enum": ["per_kg", "per_m2", "flat"]},
                    "raw": nullable_string,
                },
                "required": list(DOSE_LEVEL_FIELDS),
            },
        },
        "enrollment": {"type": ["integer", "null"]},
        "start_date": date_,
        "completion_date": date_,
        "registration_date": date_,
        "registry_updated": {**date_, "description": "The registry's own last-update date of the newest copy held."},
        "sponsor": nullable_string,
        "sponsor_type": {
            **nullable_string,
            "enum": [*SponsorType.values, None],
            "description": "industry, academic (or non-profit), government or other: from the lead sponsor's "
            "registry class or name. null: no sponsor stated.",
        },
        "countries": strings,
        "cell_source": string,
        "modalities": {
            **strings,
            "description": "car_t, car_nk, car_nkt, car_gd_t, car_treg, caar_t, car_m, in_vivo_car, tcr_t.",
        },
        "trial_type": {
            **nullable_string,
            "description": "treatment, long_term_follow_up, observational, supportive_care, other.",
        },
        "in_scope": {
            "type": "boolean",
            "description": "Studies a CAR, CAAR or TCR-engineered cell therapy (or follows up its recipients).",
        },
        "products": {**strings, "description": "Canonical names of the named products the trial studies."},
        "has_results": {
            "type": ["boolean", "null"],
            "description": "Results posted on the registry; null: the registry does not say (ChiCTR).",
        },
        "results_date": {**date_, "description": "When the results were first posted."},
        "results_url": {**nullable_string, "description": "The registry's page of the posted results."},
        "references": {
            "type": "array",
            "description": "Publications the registry record cites, in its order. `type` is the registry's word "
            "(ClinicalTrials.gov: BACKGROUND, RESULT, DERIVED); a PMID opens at https://pubmed.ncbi.nlm.nih.gov/<pmid>/.",
            "items": {
                "type": "object",
                "properties": dict.fromkeys(REFERENCE_FIELDS, nullable_string),
                "required": list(REFERENCE_FIELDS),
            },
        },
        "source_url": {**string, "description": "The trial's page on its registry (http or https only)."},
        "source_format": nullable_string,
        "raw": {"type": "object", "description": "The registry's own text for each normalized field."},
        "curated_fields": {**strings, "description": "Fields a curator owns (ingest never overwrites them)."},
        "updated_at": {"type": "string", "format": "date-time"},
        "brief_summary": nullable_string,
        "conditions": {**strings, "description": "The conditions as registered."},
        "inclusion_criteria": nullable_string,
        "exclusion_criteria": nullable_string,
        "sites": {
            "type": "array",
            "description": "The sites, in the registry's order (place names as the registry gives them; "
            "coordinates where it gives them).",
            "items": _row_schema(Site, SITE_FIELDS),
        },
        "contacts": {
            "type": "array",
            "description": "Contacts the registry publishes.",
            "items": _row_schema(CONTACT_MODEL, CONTACT_FIELDS) if CONTACT_MODEL else {"type": "object"},
        },
        "evidence": {
            "type": "object",
            "description": "Why each classification has its value: {classification: [{value, field, phrase} or "
            "{value, source}]}, for antigens, modalities, cell_source, in_scope, trial_type, disease_categories "
            "and products.",
        },
    }
    assert tuple(properties) == DETAIL_FIELDS
    return properties


def _trial_schema(fields: tuple[str, ...]) -> dict[str, Any]:
    properties = _trial_properties()
    return {
        "type": "object",
        "properties": {name: properties[name] for name in fields},
        "required": list(fields),
        "additionalProperties": False,
    }


ABOUT_DESCRIPTION = (
    "Where the file comes from: the filter in words and as addresses, the data date and the "
    "registries' data timestamps, the catalogue version and the number of trials."
)


def _about_schema() -> dict[str, Any]:
    text = {"type": ["string", "null"]}
    return {
        "type": "object",
        "description": ABOUT_DESCRIPTION,
        "properties": {
            "title": {"type": "string"},
            "filter": {"type": "string", "description": "The filter in words, e.g. 'GPC3 trials, phase 1'."},
            "parameters": {"type": "string", "description": "The filter as a query string."},
            "filter_url": {"type": "string", "description": "The list page of these trials."},
            "api_url": {"type": "string"},
            "documentation_url": {"type": "string"},
            "data_as_of": {**text, "format": "date", "description": "The newest registry last-update date held."},
            "data_changed_at": {**text, "format": "date-time", "description": "When the catalogue's data last changed."},
            "data_version": {"type": ["integer", "null"]},
            "last_ingest_at": {**text, "format": "date-time"},
            "registries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "source": {"type": "string"},
                        "label": {"type": "string"},
                        "last_successful_harvest": {**text, "format": "date-time"},
                        "registry_data_timestamp": {
                            **text,
                            "description": "The registry's own data timestamp (ClinicalTrials.gov dataTimestamp).",
                        },
                    },
                },
            },
            "catalogue_version": {"type": "string", "description": "The git commit or package version."},
            "sort": {"type": "string"},
            "count": {"type": "integer", "description": "Trials in this file."},
            "matching": {"type": "integer", "description": "Trials matching the filter (count ≤ matching)."},
            "limit": {"type": "integer", "description": "The most trials one download holds."},
        },
    }  # fmt: skip


def openapi_schema(server_url: str = "/") -> dict[str, Any]:
    """A hand-written OpenAPI 3.1 description of the API, the downloads and the feed.
    The /api/ page is rendered from it."""
    filters = _filter_parameters()
    errors = {
        "description": "Invalid filter values: each parameter with what was wrong with it.",
        "content": {"application/json": {"schema": {"type": "object", "properties": {"errors": {
            "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}}},
    }  # fmt: skip
    facet = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "value": {"type": "string"},
                "label": {"type": "string", "description": "The value's display label, e.g. 'Phase 1/2'."},
                "count": {"type": "integer"},
                "selected": {"type": "boolean"},
            },
        },
    }
    limited = {
        "400": {"description": "Invalid filter values (plain text naming each and what was wrong)."},
        "429": {"description": "Too many uncached searches or filtered downloads from this client; see Retry-After."},
        "503": {"description": "The database is briefly unavailable; see Retry-After."},
    }  # fmt: skip
    limit = settings.CATALOGUE_EXPORT_LIMIT
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CAR-T trials catalogue API",
            "version": "1.0",
            "description": "CAR-T cell therapy clinical trials from ClinicalTrials.gov and ChiCTR, normalized, "
            "with each registry's own text kept beside the normalized values. Read-only, no authentication. "
            "Every endpoint takes the same filters as the list page; invalid values answer 400 saying what was "
            "wrong.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/api/trials/": {
                "get": {
                    "summary": "Search trials",
                    "description": "Filtered, paginated trials with facet counts (each facet counted under the "
                    "other active filters). A page past the end gives an empty results list.",
                    "parameters": [
                        *filters,
                        _parameter("page", "Page number.", {"type": "integer", "minimum": 1}),
                        _parameter(
                            "page_size",
                            f"Trials per page (at most {settings.CATALOGUE_MAX_PAGE_SIZE}; capped).",
                            {"type": "integer", "minimum": 1, "maximum": settings.CATALOGUE_MAX_PAGE_SIZE},
                        ),
                        _parameter(
                            "show",
                            "A facet to list every value of; the others list their top 10 and the selected ones "
                            "(facet_sizes: how many each has).",
                            {"type": "string", "enum": list(facets.NAMES)},
                        ),
                        _parameter(
                            "open",
                            "Disease tree nodes whose children the disease facet lists too.",
                            {"type": "array", "items": {"type": "string"}},
                        ),
                    ],  # fmt: skip
                    "responses": {
                        "200": {
                            "description": "A page of trials.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "count": {"type": "integer"},
                                            "next": {"type": ["string", "null"]},
                                            "previous": {"type": ["string", "null"]},
                                            "results": {
                                                "type": "array",
                                                "items": {
                                                    "allOf": [
                                                        {"$ref": "#/components/schemas/Trial"},
                                                        {"type": "object", "properties": {"nearest_site": NEAREST}},
                                                    ]
                                                },
                                            },
                                            "facets": {
                                                "type": "object",
                                                "properties": dict.fromkeys(facets.NAMES, facet),
                                            },
                                            "facet_sizes": {
                                                "type": "object",
                                                "description": "How many values each facet has.",
                                                "additionalProperties": {"type": "integer"},
                                            },
                                            "search": {
                                                "type": ["object", "null"],
                                                "description": "What q was understood as: `concepts` "
                                                "[{term, kind, value, excluded}], `concept_count` (trials "
                                                "tagged with them), `text_only_count` (matched as text only).",
                                            },
                                        },
                                    }
                                }
                            },
                        },  # fmt: skip
                        "400": errors,
                        "429": {"description": "Too many uncached searches from this client; see Retry-After."},
                        "503": {
                            "description": "The search is too broad to answer quickly, or the database is "
                            "briefly unavailable (JSON `detail`); see Retry-After."
                        },
                    },
                }
            },
            "/api/trials/{registry_id}/": {
                "get": {
                    "summary": "One trial",
                    "description": "Everything the catalogue holds on one trial: the contract of the list and its "
                    "summary, conditions, criteria, sites, contacts and the evidence of each classification.",
                    "parameters": [
                        {
                            "name": "registry_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "A registry id (any case), or a secondary id naming exactly one trial.",
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The trial.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TrialDetail"}}},
                        },
                        "404": {"description": "No trial with this registry id."},
                    },  # fmt: skip
                }
            },
            "/api/status/": {
                "get": {
                    "summary": "How fresh the catalogue is",
                    "description": "Per source (ctgov, ictrp): the last successful harvest, the registry's data "
                    "timestamp and `stale` (older than HARVEST_STALE_DAYS); `stale` at the top is any "
                    "source's. For monitors: 503 when the database is unreachable.",
                    "responses": {
                        "200": {
                            "description": "`{stale, stale_after_days, sources: {ctgov: {label, watched, "
                            "last_successful_harvest, registry_data_timestamp, stale, last_run}, "
                            "ictrp: …}, data: {version, changed_at, registry_updated_max, last_ingest_at}}`"
                        },
                        "503": {"description": "The database is unreachable; see Retry-After."},
                    },
                }
            },  # fmt: skip
            "/api/suggest/": {
                "get": {
                    "summary": "Type-ahead over the vocabularies",
                    "description": "Diseases (tree nodes), target antigens and products whose name, Chinese name "
                    "or synonym starts with q (or contains it, for Chinese): `{q, suggestions: [{label, kind, "
                    "value, count, param}]}`; `value` is the canonical name, `param` the filter it is a value of.",
                    "parameters": [_parameter("q", "The text typed so far.", {"type": "string"}, required=True)],
                    "responses": {"200": {"description": "At most 10 suggestions, the best first."}},
                }
            },
            "/trials.csv": {
                "get": {
                    "summary": "Download the result set as CSV",
                    "description": f"Every matching trial (at most {limit}), as an attachment named after the "
                    "filter and the date (car-t-trials_antigen-GPC3_2026-12-06.csv). UTF-8 with a byte-order "
                    "mark; the columns of the Trial schema, lists joined by '; ', nested values as JSON text.",
                    "parameters": [
                        *filters,
                        _parameter(
                            "about",
                            "1: begin the file with `#` comment lines saying where it comes from "
                            "(the JSON download's `about`).",
                            {"type": "string", "enum": ["1"]},
                        ),
                    ],  # fmt: skip
                    "responses": {"200": {"description": "The CSV file.", "content": {"text/csv": {}}}, **limited},
                }
            },
            "/trials.json": {
                "get": {
                    "summary": "Download the result set as JSON",
                    "description": f"Every matching trial (at most {limit}) in the TrialDetail schema, with "
                    "`about`: where the file comes from.",
                    "parameters": filters,
                    "responses": {
                        "200": {
                            "description": "The JSON file.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "about": {"$ref": "#/components/schemas/About"},
                                            "trials": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/TrialDetail"},
                                            },
                                        },
                                        "required": ["about", "trials"],
                                    }
                                }
                            },
                        },
                        **limited,
                    },  # fmt: skip
                }
            },
            "/feeds/trials.atom": {
                "get": {
                    "summary": "Follow a search (Atom feed)",
                    "description": "The newest changes to the matching trials, newest first: trials added to the "
                    "catalogue, and registry updates that changed a trial's status, phase, enrollment, sites or "
                    "results. Each entry says what changed.",
                    "parameters": filters,
                    "responses": {
                        "200": {"description": "An Atom 1.0 feed.", "content": {"application/atom+xml": {}}},
                        **limited,
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Trial": _trial_schema(EXPORT_FIELDS),
                "TrialDetail": _trial_schema(DETAIL_FIELDS),
                "About": _about_schema(),
            }
        },
    }
