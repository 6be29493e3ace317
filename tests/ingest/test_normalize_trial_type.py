"""What kind of study a trial is: follow-up, observational, supportive care, other or treatment, with evidence."""

from __future__ import annotations

import pytest

from catalogue.choices import TrialType
from ingest.normalize.trial_type import is_follow_up, trial_type
from ingest.records import Intervention, TrialRecord


def record(**fields) -> TrialRecord:
    fields.setdefault("title", "A clinical study")
    return TrialRecord(registry="ctgov", registry_id="NCT00000000", source_format="test", **fields)


def kind(**fields) -> str:
    return trial_type(record(**fields)).value


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "Long-Term Follow-up Study for Patients Previously Treated With JCAR015"},
        {"title": "Lentiviral Gene Therapy (Zamtocabtagene Autoleucel) LTFU"},
        {"title": "A Long-term Study for Participants Previously Treated With Ciltacabtagene Autoleucel"},
        {"title": "Follow-Up for Study Participants Treated With an Allogeneic CAR T-Cell Product"},
        {"title": "UCART19 safety", "interventions": [Intervention(name="UCART19 follow-up")]},
        {
            "title": "CAR-T survivors",
            "brief_summary": "This is a long-term follow-up study of subjects who received CAR-T cells.",
        },
    ],
)
def test_a_follow_up_of_patients_treated_earlier_is_long_term_follow_up(fields: dict) -> None:
    assert kind(**fields) == "long_term_follow_up"
    assert is_follow_up(record(**fields))


def test_a_treatment_trial_announcing_a_separate_follow_up_study_is_treatment() -> None:
    summary = (
        "This study evaluates anbal-cel in CNS lymphoma. Patients receive one infusion. A separate long-term "
        "follow-up study is planned. In this long-term follow-up study, each subject will be followed for 15 years."
    )
    assert kind(title="Anbalcabtagene autoleucel in CNS lymphoma", brief_summary=summary) == "treatment"
    assert kind(title="Chemotherapy maintenance", interventions=[Intervention(name="Regular follow-up")]) == "treatment"


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "A Real-World Observational Study of Zevorcabtagene Autoleucel"},
        {"title": "A Retrospective Study of Patients With CNS Relapse Treated With CAR T Cells"},
        {"title": "Cardiovascular effects of CAR-T", "brief_summary": "This is an observational study of patients."},
        {"title": "CAR-T outcomes", "study_type": "OBSERVATIONAL"},
        {"title": "CAR-T真实世界研究"},
    ],
)
def test_observational_studies_are_observational(fields: dict) -> None:
    assert kind(**fields) == "observational"


def test_a_stated_study_type_is_the_evidence() -> None:
    result = trial_type(record(title="Outcomes after CAR-T", study_type="Observational"))
    assert result.evidence == [{"value": "observational", "field": "study_type", "phrase": "Observational"}]


@pytest.mark.parametrize(
    "title",
    [
        "Anakinra for the Prevention of Cytokine Release Syndrome and Neurotoxicity in Patients Receiving CAR-T",
        "Siltuximab for the Prevention of CAR T Cell Related Cytokine Release Syndrome",
        "Emapalumab Prevention of CAR-T Cell Associated Toxicities",
        "IVIG for Infection Prevention After CAR-T-Cell Therapy",
        "RSV Vaccine Response in Stem Cell and CAR-T Therapy Recipients",
        "Immersive Virtual Reality Applied to Therapeutic Physical Exercise in Cellular Therapy",
        "Lazarus: intrathecal therapy for ICANS management",
    ],
)
def test_managing_complications_or_the_burden_of_car_t_is_supportive_care(title: str) -> None:
    assert kind(title=title) == "supportive_care"


@pytest.mark.parametrize(
    "title",
    [
        "CD6-CAR Tregs for the Treatment of Chronic Graft Versus Host Disease",
        "CD19 CAR NK Cells for the Treatment of Refractory Primary Immune Thrombocytopenia",
        "Dual-Target CAR-NK Cells in Advanced NSCLC",
    ],
)
def test_a_cell_product_treating_a_disease_is_treatment_even_when_the_disease_sounds_like_a_complication(
    title: str,
) -> None:
    trial = record(title=title, interventions=[Intervention(name="Supportive care")])
    assert trial_type(trial).value == "treatment"


def test_imaging_or_screening_studies_without_a_treatment_are_other() -> None:
    assert kind(title="PET-Enabled Dual-Energy CT in Multiple Myeloma") == "other"
    assert kind(title="A Biomarker Screening Protocol for Participants With Solid Tumors") == "other"


def test_a_trial_saying_nothing_else_is_treatment_by_default() -> None:
    result = trial_type(record(title="CD19 CAR-T cells in B-ALL"))
    assert result.value == "treatment"
    assert result.evidence == [{"value": "treatment", "source": "default"}]


def test_every_value_is_a_trial_type_choice() -> None:
    assert {kind(title=t) for t in ("x", "Long-term follow-up of CAR-T", "Observational CAR-T study")} <= set(
        TrialType.values
    )
