"""normalize() composes the classifications: modalities, trial type, scope, products, evidence and review."""

from __future__ import annotations

import json
import time

import pytest

from ingest.normalize import NormalizedTrial, normalize
from ingest.records import Intervention, TrialRecord
from ingest.reports import classification_distributions
from tests.ingest.classification_data import bulk_records

CLASSIFICATIONS = {"antigens", "modalities", "cell_source", "in_scope", "trial_type", "disease_categories", "products"}


def record(**fields) -> TrialRecord:
    fields.setdefault("title", "A clinical study")
    return TrialRecord(registry="ctgov", registry_id="NCT00000000", source_format="test", **fields)


def test_a_normalized_trial_carries_every_classification_with_its_evidence() -> None:
    trial = normalize(record(title="Kymriah in relapsed B-ALL", conditions=["B-cell Acute Lymphoblastic Leukemia"]))
    assert isinstance(trial, NormalizedTrial)
    assert trial.products == ["tisagenlecleucel"]
    assert trial.modalities == ["car_t"] and trial.cell_source == "autologous"
    assert trial.antigens == ["CD19"] and trial.trial_type == "treatment" and trial.in_scope is True
    assert set(trial.evidence) == CLASSIFICATIONS
    assert trial.evidence["cell_source"][0]["source"].startswith("product dictionary: tisagenlecleucel (Kymriah")
    assert trial.evidence["disease_categories"][0]["value"] == "hematologic_malignancy"
    json.dumps(trial.evidence)  # JSON-safe


def test_every_evidence_item_has_a_value_and_either_a_field_and_phrase_or_a_source() -> None:
    trial = normalize(record(title="CD19 CAR for lupus", interventions=[Intervention(name="CD19 CAR")]))
    for items in trial.evidence.values():
        for item in items:
            assert "value" in item
            assert ("field" in item and "phrase" in item and len(item["phrase"]) <= 120) or "source" in item


def test_review_flags_name_the_classification_they_are_about() -> None:
    trial = normalize(record(title="CD19 CAR for lupus"))
    assert trial.review == ["modalities: a CAR is named without its cell type; car_t assumed"]


def test_an_out_of_scope_trial_is_kept_with_its_reason() -> None:
    trial = normalize(record(title="Blinatumomab in relapsed B-ALL"))
    assert trial.in_scope is False and trial.modalities == [] and trial.cell_source == "unknown"
    assert trial.evidence["in_scope"][0]["reason"].startswith("names no CAR")


def test_a_follow_up_study_gets_its_type_modality_and_earlier_product() -> None:
    trial = normalize(record(title="Long-term follow-up of patients previously treated with JCAR015"))
    assert (trial.trial_type, trial.modalities, trial.products, trial.in_scope) == (
        "long_term_follow_up",
        ["car_t"],
        ["JCAR015"],
        True,
    )


def test_the_classification_of_an_existing_record_keeps_the_older_fields() -> None:
    trial = normalize(record(title="Anti-CD19 CAR-NK cells", min_age="18 Years", sex="ALL"))
    assert trial.min_age_years == 18 and trial.sex == "all" and trial.modalities == ["car_nk"]


# --- the whole bulk snapshot -------------------------------------------------------------------------


@pytest.mark.corpus
def test_the_bulk_snapshot_classifies_fast_and_every_trial_gets_evidence() -> None:
    records = list(bulk_records().values())
    normalize(records[0])
    start = time.perf_counter()
    trials = [normalize(r) for r in records]
    per_record = (time.perf_counter() - start) / len(records)
    print(f"\nnormalize(): {per_record * 1000:.2f} ms per record over {len(records)} records")
    assert per_record < 0.003
    for trial in trials:
        assert trial.evidence["in_scope"] and trial.evidence["trial_type"] and trial.evidence["cell_source"]
        assert bool(trial.modalities) == bool(trial.evidence["modalities"])


@pytest.mark.corpus
def test_the_bulk_snapshot_distributions_are_those_of_a_car_t_registry() -> None:
    report = classification_distributions(bulk_records().values())
    print(f"\n{report.format()}")
    counts = report.to_dict()
    assert counts["total"] == 2587
    assert counts["scope"]["in"] / counts["total"] > 0.9
    assert counts["modalities"]["car_t"] > counts["modalities"]["car_nk"] > counts["modalities"]["in_vivo_car"] > 10
    assert counts["cell_sources"].get("unknown", 0) / counts["total"] < 0.1
    assert set(counts["trial_types"]) == {
        "treatment",
        "long_term_follow_up",
        "observational",
        "supportive_care",
        "other",
    }
