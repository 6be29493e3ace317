"""The five seed pages ingest to exactly the values in expected.json, field by field."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from catalogue.models import Antigen, Trial, lookup_key
from tests.conftest import FIXTURES

EXPECTED: dict = json.loads((FIXTURES / "seeds_expected.json").read_text())
SEEDS = sorted(k for k in EXPECTED if not k.startswith("_"))
EXACT_FIELDS = (
    "registry", "title", "title_zh", "status", "phase", "sex", "enrollment", "cell_source",
    "min_age_years", "max_age_years", "dose_min_cells_per_kg", "dose_max_cells_per_kg",
)  # fmt: skip


def _canonical_antigens(names: list[str]) -> set[str]:
    """Expected names may be any well-known synonym of the canonical name."""
    result = set()
    for name in names:
        key = lookup_key(name)
        match = Antigen.objects.filter(lookup_keys__contains=[key]).values_list("name", flat=True).first()
        result.add(match or name)
    return result


def _as_number(value):
    return float(value) if isinstance(value, Decimal) else value


@pytest.mark.parametrize("seed", SEEDS)
def test_each_seed_page_ingests_to_its_expected_values(seed_trials, seed: str) -> None:
    expected = EXPECTED[seed]
    trial = Trial.objects.get(registry_id=expected["registry_id"])
    for field in EXACT_FIELDS:
        if field in expected:
            assert _as_number(getattr(trial, field)) == expected[field], f"{seed}: {field}"
    assert set(trial.antigen_names) == _canonical_antigens(expected["antigens"]), f"{seed}: antigens"
    assert set(trial.disease_categories) == set(expected["disease_categories"]), f"{seed}: disease categories"
    assert any(expected["diseases_match"].lower() in name.lower() for name in trial.disease_names), (
        f"{seed}: diseases {trial.disease_names}"
    )
    assert expected["sponsor_match"].lower() in trial.sponsor.lower(), f"{seed}: sponsor {trial.sponsor!r}"
    assert trial.countries == expected["countries"], f"{seed}: countries"
    if "start_date" in expected:
        assert trial.start_date.isoformat() == expected["start_date"], f"{seed}: start date"


def test_the_sample_folder_holds_exactly_the_five_seed_trials(seed_trials) -> None:
    assert sorted(seed_trials) == sorted(EXPECTED[s]["registry_id"] for s in SEEDS)
