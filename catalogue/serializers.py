"""The export contract: one dict per trial, shared by the API, the downloads and
the `export` command.

Keys (exactly, in this order): see `EXPORT_FIELDS`. Numbers are JSON numbers
(ages 18 or 0.5, doses in cells/kg), dates are ISO strings, and anything the
registry does not state is null (status, phase, study type and sex included:
never a default). Enumerations (status, phase, study_type, sex, cell_source) are
the catalogue's codes, e.g. "phase1_phase2". Lists are lists (empty when none).
Antigens and diseases are canonical names. `source_url` is always an http(s)
address: the stored one when safe, else the registry's own page for the trial.

CSV has the same columns: lists joined with "; ", `dose_levels` and `raw` as
JSON text, null as an empty cell. A text cell a spreadsheet would run as a
formula (starting with = + - @, a tab or CR, also after spaces) gets a leading `'`.
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
from catalogue.filters import MATCH_MODES, SORTS
from catalogue.models import DoseLevel, Trial
from catalogue.registries import registry_page

EXPORT_FIELDS: tuple[str, ...] = (
    "registry", "registry_id", "secondary_ids", "title", "official_title", "title_zh",
    "status", "phase", "study_type", "antigens", "diseases", "disease_categories",
    "min_age_years", "max_age_years", "sex", "dose_min_cells_per_kg", "dose_max_cells_per_kg",
    "dose_levels", "enrollment", "start_date", "completion_date", "registration_date",
    "registry_updated", "sponsor", "countries", "cell_source", "modalities", "trial_type", "in_scope", "products",
    "source_url", "source_format", "raw",
    "curated_fields", "updated_at",
)  # fmt: skip
DOSE_LEVEL_FIELDS: tuple[str, ...] = ("arm", "low", "high", "unit", "basis", "raw")
LIST_FIELDS = {
    "secondary_ids", "antigens", "diseases", "disease_categories", "countries", "curated_fields", "modalities", "products",
}  # fmt: skip
NESTED_FIELDS = {"dose_levels", "raw"}
# Columns the export never reads; not loaded.
EXPORT_DEFERRED_FIELDS: tuple[str, ...] = (
    "parsed", "curation_conflicts", "brief_summary", "inclusion_criteria", "exclusion_criteria",
    "search_document", "search_vector", "conditions", "interventions", "keywords", "field_sources",
    "missing_fields",
)  # fmt: skip
CHUNK_SIZE = 500


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


def trial_to_dict(trial: Trial) -> dict[str, Any]:
    """One trial in the export contract. Uses the prefetched dose levels when there are."""
    return {
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
        "countries": list(trial.countries or []),
        "cell_source": trial.cell_source,
        "modalities": list(trial.modalities or []),
        "trial_type": trial.trial_type,
        "in_scope": trial.in_scope,
        "products": list(trial.product_names or []),
        "source_url": registry_page(trial.registry, trial.registry_id, trial.source_url),
        "source_format": _text(trial.source_format),
        "raw": trial.raw or {},
        "curated_fields": list(trial.curated_fields or []),
        "updated_at": _iso(trial.updated_at),
    }


def export_queryset(queryset: QuerySet) -> QuerySet:
    """The queryset with what the export needs: dose levels prefetched, heavy columns skipped."""
    return queryset.defer(*EXPORT_DEFERRED_FIELDS).prefetch_related(
        Prefetch("dose_levels", queryset=DoseLevel.objects.order_by("position", "id"))
    )


def serialize_trials(queryset: QuerySet, *, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Dicts for every trial of `queryset` (up to `limit`), read in chunks of
    CHUNK_SIZE: one query for the trials and one for their dose levels per chunk."""
    queryset = export_queryset(queryset)
    if limit is not None:
        queryset = queryset[:limit]
    for trial in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield trial_to_dict(trial)


# --- JSON ------------------------------------------------------------------------------


def iter_json(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, one trial per chunk, so it can be streamed."""
    yield "["
    first = True
    for item in items:
        yield ("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False)
        first = False
    yield "\n]\n"


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


def iter_csv(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV lines: a header of EXPORT_FIELDS, then one row per trial."""
    writer = csv.writer(_Line())
    yield writer.writerow(EXPORT_FIELDS)
    for item in items:
        yield writer.writerow([csv_cell(name, item[name]) for name in EXPORT_FIELDS])


def to_csv(items: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    for line in iter_csv(items):
        buffer.write(line)
    return buffer.getvalue()


# --- OpenAPI ---------------------------------------------------------------------------


def _filter_parameters() -> list[dict[str, Any]]:
    def repeatable(name: str, description: str, enum: list[str] | None = None) -> dict[str, Any]:
        items: dict[str, Any] = {"type": "string"}
        if enum:
            items["enum"] = enum
        return {
            "name": name,
            "in": "query",
            "description": description + " Repeatable: OR within the parameter, AND across parameters.",
            "schema": {"type": "array", "items": items},
            "style": "form",
            "explode": True,
        }

    def scalar(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "in": "query", "description": description, "schema": schema}

    return [
        *(repeatable(facet.name, facet.description, facet.values) for facet in facets.FACETS),
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
        scalar("sort", "Order; relevance by default with q, otherwise newest start first.",
               {"type": "string", "enum": list(SORTS)}),
    ]  # fmt: skip


def _trial_schema() -> dict[str, Any]:
    string = {"type": "string"}
    nullable_string = {"type": ["string", "null"]}
    number = {"type": ["number", "null"]}
    strings = {"type": "array", "items": string}
    date_ = {"type": ["string", "null"], "format": "date"}
    properties: dict[str, Any] = {
        "registry": string,
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
        "source_url": {**string, "description": "The trial's page on its registry (http or https only)."},
        "source_format": nullable_string,
        "raw": {"type": "object", "description": "The registry's own text for each normalized field."},
        "curated_fields": {**strings, "description": "Fields a curator owns (ingest never overwrites them)."},
        "updated_at": {"type": "string", "format": "date-time"},
    }
    assert tuple(properties) == EXPORT_FIELDS
    return {"type": "object", "properties": properties, "required": list(EXPORT_FIELDS), "additionalProperties": False}


def openapi_schema(server_url: str = "/") -> dict[str, Any]:
    """A hand-written OpenAPI 3.1 description of the API and the downloads."""
    filters = _filter_parameters()
    errors = {
        "description": "Invalid filter values.",
        "content": {"application/json": {"schema": {"type": "object", "properties": {"errors": {
            "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}}},
    }  # fmt: skip
    facet = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"value": {"type": "string"}, "count": {"type": "integer"}, "selected": {"type": "boolean"}},
        },
    }
    download = {
        "parameters": filters,
        "responses": {
            "200": {"description": f"The whole result set (at most {settings.CATALOGUE_EXPORT_LIMIT} trials), "
                                   "as an attachment."},
            "400": {"description": "Invalid filter values (plain text)."},
            "429": {"description": "Too many uncached searches or filtered downloads from this client; see Retry-After."},
            "503": {"description": "The database is briefly unavailable; see Retry-After."},
        },
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CAR-T trials catalogue API",
            "version": "1.0",
            "description": "CAR-T cell therapy clinical trials from ClinicalTrials.gov and ChiCTR, normalized, "
            "with each registry's own text kept beside the normalized values. Read-only, no authentication.",
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
                        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                        {
                            "name": "show",
                            "in": "query",
                            "schema": {"type": "string", "enum": list(facets.NAMES)},
                            "description": "A facet to list every value of; the others list their top 10 and the "
                            "selected ones (facet_sizes: how many each has).",
                        },
                        {
                            "name": "open",
                            "in": "query",
                            "schema": {"type": "array", "items": {"type": "string"}},
                            "description": "Disease tree nodes whose children the disease facet lists too.",
                        },
                        {
                            "name": "page_size",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": settings.CATALOGUE_MAX_PAGE_SIZE},
                            "description": "Capped at the maximum.",
                        },
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
                                                "items": {"$ref": "#/components/schemas/Trial"},
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
                    "parameters": [
                        {"name": "registry_id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "The trial.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Trial"}}},
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
                    "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "At most 10 suggestions, the best first."}},
                }
            },
            "/trials.csv": {"get": {"summary": "Download the result set as CSV", **download}},
            "/trials.json": {"get": {"summary": "Download the result set as JSON", **download}},
        },
        "components": {"schemas": {"Trial": _trial_schema()}},
    }
