"""Where each value of a trial came from, and honest words for what we do not hold.

`Trial.field_sources` (written by ingest) names, for each normalized field, the
copy of the record that supplied it; `Trial.missing_fields` lists the fields no
copy we hold carries. A gap is then one of:
- "missing": not in our copy of this record (the registry may well have it);
- "empty": a copy carries the section and the registry lists none;
- "present".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from catalogue.models import Trial
from catalogue.registries import BY_KEY

# How a copy is named, by its format.
FORMAT_KINDS = {
    "ctgov_v2_json": "record",
    "ctgov_v1_json": "record",
    "ctgov_xml": "record",
    "ictrp_xml": "WHO ICTRP copy",
    "ictrp_csv": "WHO ICTRP copy",
}


def describe_source(source: dict[str, Any]) -> str:
    """'the ClinicalTrials.gov record of 2024-03-06', 'the ChiCTR study page (undated)'."""
    registry = BY_KEY.get(source.get("registry", ""))
    label = registry.label if registry else source.get("registry", "registry")
    kind = FORMAT_KINDS.get(source.get("format", ""), "study page")
    if kind == "WHO ICTRP copy":
        text = f"the WHO ICTRP copy of the {label} record"
    else:
        text = f"the {label} {kind}"
    date = source.get("date")
    return f"{text} of {dt.date.fromisoformat(date).isoformat()}" if date else f"{text} (undated)"


def field_source(trial: Trial, field: str) -> str:
    """'from the ClinicalTrials.gov record of 2024-03-06', or '' when unknown."""
    info = trial.field_sources or {}
    key = (info.get("fields") or {}).get(field)
    source = (info.get("sources") or {}).get(key) if key else None
    return f"from {describe_source(source)}" if source else ""


def evidence_lines(trial: Trial, key: str) -> list[str]:
    """Why a classification has its value, in words: one line per piece of evidence,
    e.g. 'car_nk: “CAR-NK cells” (title)' or 'autologous: product dictionary: …'."""
    lines = []
    for item in (trial.evidence or {}).get(key, []):
        value = item.get("value")
        value = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        if item.get("phrase"):
            why = f"“{item['phrase']}” ({item.get('field', 'record')})"
        else:
            why = item.get("source") or item.get("reason") or "default"
        lines.append(f"{value}: {why}")
    return lines


def section(trial: Trial, fields: tuple[str, ...], value: Any) -> str:
    """'present', 'empty' (the registry lists none) or 'missing' (not in our copy)."""
    if value:
        return "present"
    missing = set(trial.missing_fields or [])
    return "missing" if all(f in missing for f in fields) else "empty"
