"""Value objects the normalizers return."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DoseLevelValue:
    """One dose level. `low`/`high` are cells (per kg, per m², or flat)."""

    arm: str
    low: float
    high: float
    unit: str  # "cells/kg", "cells/m2" or "cells"
    basis: str  # "per_kg" | "per_m2" | "flat"
    raw: str


@dataclass(frozen=True)
class SiteValue:
    institution: str
    city: str
    country: str  # English country name, "" when unknown


@dataclass(frozen=True)
class DiseaseValue:
    name: str  # canonical name
    category: str  # hematologic_malignancy | solid_tumor | autoimmune | other


@dataclass(frozen=True)
class ReferenceValue:
    """A publication the record cites: PMID digits ("" when none), the registry's type
    word, the citation text and a safe http(s) address ("" when none)."""

    pmid: str
    type: str
    citation: str
    url: str
