"""A trial is in scope when its patients receive a CAR, CAAR or engineered TCR cell product, with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.normalize import normalize
from ingest.normalize.modality import modalities
from ingest.normalize.products import builtin_products
from ingest.normalize.scope import in_scope
from ingest.parsers import parse_document
from ingest.records import Intervention, TrialRecord
from tests.conftest import corpus_path


def record(**fields) -> TrialRecord:
    fields.setdefault("title", "A clinical study")
    return TrialRecord(registry="ctgov", registry_id="NCT00000000", source_format="test", **fields)


def scoped(trial: TrialRecord, trial_type: str = "treatment"):
    return in_scope(trial, modalities(trial), trial_type=trial_type)


@pytest.mark.parametrize(
    "title",
    [
        "CD19 CAR-T cells in relapsed B-ALL",
        "Anti-BCMA CAR-NK cells in myeloma",
        "KK-LC-1 TCR-T cells in gastric cancer",
        "MuSK-CAART for myasthenia gravis",
        "In vivo CAR-T for lupus",
    ],
)
def test_a_trial_of_an_engineered_cell_product_is_in_scope_with_its_reason(title: str) -> None:
    result = scoped(record(title=title))
    assert result.value is True
    assert result.evidence[0]["reason"].startswith("studies a ")
    assert result.evidence[0]["field"] == "title"


def test_long_term_follow_up_of_car_t_recipients_is_in_scope() -> None:
    trial = record(title="Long-term follow-up of patients treated with CAR-T cells")
    result = in_scope(trial, modalities(trial, follow_up=True), trial_type="long_term_follow_up")
    assert result.value is True and result.evidence[0]["reason"].startswith("follows up recipients of")


def test_supportive_care_of_car_t_patients_is_in_scope() -> None:
    trial = record(title="Anakinra for the prevention of cytokine release syndrome in patients receiving CAR-T cells")
    result = scoped(trial, "supportive_care")
    assert result.value is True and "supportive care" in result.evidence[0]["reason"]


def test_an_observational_study_of_car_t_recipients_is_in_scope() -> None:
    assert scoped(
        record(title="Real-world outcomes of patients treated with CAR-T cell therapy"), "observational"
    ).value


def test_a_named_dictionary_product_brings_a_trial_in_scope() -> None:
    trial = record(title="A study of CTX110 in B-cell malignancies")
    named = [p for p in builtin_products() if p.name == "CTX110"]
    assert in_scope(trial, modalities(trial, named), named).value is True


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "Blinatumomab in relapsed B-ALL", "brief_summary": "Blinatumomab is a bispecific T-cell engager."},
        {"title": "Tosedostat and cytarabine in AML"},
        {"title": "Fluorouracil filtering surgery study", "conditions": ["Glaucoma"]},
        {"title": "Survey for surgery status of a designated hospital for COVID-19"},
        {"title": "Tumor infiltrating lymphocytes in melanoma"},
    ],
)
def test_a_trial_giving_no_engineered_cell_product_is_out_of_scope(fields: dict) -> None:
    result = scoped(record(**fields))
    assert result.value is False
    assert result.evidence[0]["source"] == "default" and result.evidence[0]["reason"]


def test_salvage_after_car_t_failure_is_out_of_scope_and_flagged() -> None:
    trial = record(title="Glofitamab for large B-cell lymphoma relapsed after CAR-T therapy")
    result = scoped(trial)
    assert result.value is False
    assert result.review == ["a CAR is mentioned only as earlier therapy or background"]
    assert result.evidence[1]["field"] == "title"


def test_a_car_t_background_sentence_does_not_bring_a_trial_in_scope() -> None:
    trial = record(
        title="Orelabrutinib with R-CHOP in DLBCL",
        brief_summary="Although CAR-T cell therapies have been approved, many patients relapse.",
        interventions=[Intervention(name="Orelabrutinib")],
    )
    assert scoped(trial).value is False


@pytest.mark.corpus
@pytest.mark.parametrize(
    "parts",
    [
        ("other-formats", "ChiCTR2000034346.ictrp.xml"),  # a COVID-19 surgery survey
        ("other-formats", "NCT00000122.ctgov.xml"),  # a 1985 glaucoma study
        ("other-formats", "NCT01636609.ctgov-archive.xml"),  # tosedostat
        ("other-formats", "NCT01207388.ctgov.xml"),  # blinatumomab
    ],
)
def test_the_real_out_of_scope_records_of_the_issue_are_out_of_scope(parts: tuple[str, str]) -> None:
    for trial in parse_document(Path(corpus_path(*parts)).read_bytes()).records:
        normalized = normalize(trial)
        assert normalized.in_scope is False, normalized.evidence["modalities"]
        assert normalized.modalities == []


@pytest.mark.corpus
def test_the_real_car_t_records_are_in_scope() -> None:
    for path in sorted(corpus_path("ctgov-v2").glob("*.json")):
        for trial in parse_document(path.read_bytes()).records:
            assert normalize(trial).in_scope is True, trial.registry_id
