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
    """One site: its place as the registry names it (English country name from
    `catalogue.countries`), its own status in the trial status's words (None: not
    stated), and coordinates from the registry ("registry") or the gazetteer
    ("gazetteer"); None with geo_source "" when the place cannot be told."""

    institution: str
    city: str
    country: str  # English country name, "" when unknown
    institution_zh: str = ""
    city_zh: str = ""
    state: str = ""
    state_zh: str = ""
    country_zh: str = ""
    zip: str = ""
    status: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    geo_source: str = ""


@dataclass(frozen=True)
class ContactValue:
    """A contact as the registry publishes it. `site`: the position of its site in
    the trial's sites, None for a trial-level contact."""

    role: str
    name: str
    phone: str
    email: str
    affiliation: str
    address: str
    site: int | None = None


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
