"""A small factory for catalogue trials, written the way ingest writes them:
M2M antigens/diseases, dose levels, then the denormalized columns refreshed by
the importer's own `refresh_denormalized`."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from catalogue.models import Antigen, Disease, DoseLevel, Site, Trial, TrialContact
from catalogue.trials import refresh_denormalized

_counter = itertools.count(1)


def make_trial(
    *,
    antigens: tuple[str, ...] | list[str] = (),
    diseases: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    dose_levels: list[dict[str, Any]] | None = None,
    sites: list[dict[str, Any]] | None = None,
    contacts: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Trial:
    """A trial; `diseases` are (name, category) pairs; `dose_levels` dicts of DoseLevel fields;
    `sites` dicts of Site fields; `contacts` dicts of TrialContact fields, where `"site": i`
    makes it the contact of the i-th site."""
    n = next(_counter)
    values: dict[str, Any] = {
        "registry": "ctgov",
        "registry_id": f"NCT9{n:07d}",
        "title": f"Synthetic CAR-T trial number {n}",
        "status": "recruiting",
        "phase": "phase1",
        "study_type": "interventional",
        "countries": ["United States"],
        "updated_at": timezone.now(),
        "source_format": "test",
        "raw": {"status": "RECRUITING", "phase": "PHASE1"},
    }
    values.update(fields)
    for key in ("min_age_years", "max_age_years"):
        if values.get(key) is not None:
            values[key] = Decimal(str(values[key]))
    levels = dose_levels or []
    per_kg = [lvl for lvl in levels if lvl.get("basis", "per_kg") == "per_kg"]
    if per_kg and "dose_min_cells_per_kg" not in fields:
        values["dose_min_cells_per_kg"] = min(lvl["low"] for lvl in per_kg)
        values["dose_max_cells_per_kg"] = max(lvl["high"] for lvl in per_kg)
    trial = Trial.objects.create(**values)
    for name in antigens:
        antigen = Antigen.objects.filter(name=name).first() or Antigen.objects.create(name=name)
        trial.antigens.add(antigen)
    for name, category in diseases:
        disease = Disease.objects.filter(name=name).first() or Disease.objects.create(name=name, category=category)
        trial.diseases.add(disease)
    DoseLevel.objects.bulk_create(
        [
            DoseLevel(
                trial=trial,
                position=i,
                arm=lvl.get("arm", ""),
                low=lvl["low"],
                high=lvl["high"],
                unit=lvl.get("unit", "cells/kg"),
                basis=lvl.get("basis", "per_kg"),
                raw=lvl.get("raw", ""),
            )
            for i, lvl in enumerate(levels)
        ]
    )
    made_sites = Site.objects.bulk_create([Site(trial=trial, position=i, **site) for i, site in enumerate(sites or [])])
    TrialContact.objects.bulk_create(
        [
            TrialContact(
                trial=trial,
                position=i,
                site=made_sites[contact["site"]] if contact.get("site") is not None else None,
                **{k: v for k, v in contact.items() if k != "site"},
            )
            for i, contact in enumerate(contacts or [])
        ]
    )
    refresh_denormalized(trial)
    trial.refresh_from_db()
    return trial


def make_many(count: int, **fields: Any) -> list[Trial]:
    """`count` varied trials: several antigens, diseases, phases, countries and doses."""
    antigens = ["CD19", "BCMA", "B7-H3", "GD2", "HER2", "CD22", "Mesothelin", "GPC3"]
    phases = ["phase1", "phase1_phase2", "phase2", "early_phase1"]
    countries = [["United States"], ["China"], ["Germany", "France"], ["Japan"], ["China", "United States"]]
    trials = []
    for i in range(count):
        trials.append(
            make_trial(
                antigens=[antigens[i % len(antigens)], antigens[(i * 3 + 1) % len(antigens)]],
                diseases=[("Neuroblastoma", "solid_tumor")]
                if i % 2
                else [("Multiple myeloma", "hematologic_malignancy")],
                phase=phases[i % len(phases)],
                countries=countries[i % len(countries)],
                min_age_years=None if i % 5 == 0 else 18,
                max_age_years=None if i % 5 == 0 else 75,
                dose_levels=[
                    {"arm": f"Level {i}", "low": 1e6 * (1 + i % 3), "high": 1e7, "raw": f"{1 + i % 3}x10^6 cells/kg"}
                ],
                sites=[{"institution": f"Hospital {i}", "city": "Boston", "country": "United States"}],
                **fields,
            )
        )
    return trials
