"""The CAR cells' source is read from what the trial says about its product, never from eligibility criteria."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.normalize.cell_source import cell_source
from ingest.records import Arm, Intervention, TrialRecord


def _record(**fields) -> TrialRecord:
    fields.setdefault("title", "A study of CAR-T cells")
    return TrialRecord(registry="ctgov", registry_id="NCT00000000", source_format="test", **fields)


@pytest.mark.parametrize(
    "text",
    [
        "Universal CAR-T cells targeting CD19",
        "UCAR-T cells for B-ALL",
        "UCART19 in relapsed leukemia",
        "An off-the-shelf CAR-T product",
        "Donor-derived CD7 CAR-T cells",
        "Allogeneic CD19 CAR-T cells",
        "Allogenic anti-BCMA CAR-T",
        "CAR-T cells manufactured from healthy donor T cells",
        "CAR-NK cells derived from a healthy donor",
        "通用型CAR-T细胞",
        "异体CAR-T细胞治疗",
        "同种异体CAR-T",
    ],
)
def test_an_allogeneic_product_is_recognised_in_english_and_chinese(text: str) -> None:
    assert cell_source(_record(brief_summary=text)) == "allogeneic"


@pytest.mark.parametrize(
    "text",
    [
        "Autologous anti-CD19 CAR T cells",
        "patient-derived CAR-T cells",
        "The patients' own T cells are modified",
        "Participants will have their own T cells modified in a laboratory",
        "T cells are taken from the patient and engineered",
        "自体CAR-T细胞",
        "患者自身T细胞",
    ],
)
def test_an_autologous_product_is_recognised_in_english_and_chinese(text: str) -> None:
    assert cell_source(_record(brief_summary=text)) == "autologous"


def test_a_trial_that_never_says_where_its_cells_come_from_is_unknown() -> None:
    assert cell_source(_record(brief_summary="CD19 CAR-T cells in relapsed lymphoma.")) == "unknown"


@pytest.mark.parametrize(
    "field",
    ["inclusion_criteria", "exclusion_criteria", "eligibility_text"],
)
def test_eligibility_criteria_never_decide_the_cell_source(field: str) -> None:
    text = "Prior allogeneic transplant allowed. Universal donor. Must have autologous transduced T cells >15%."
    assert cell_source(_record(**{field: text})) == "unknown"


@pytest.mark.parametrize(
    "text",
    [
        "CAR-T for patients relapsing after allogeneic hematopoietic stem cell transplantation",
        "Relapse after allogeneic HSCT",
        "Bridging to allogeneic stem cell transplant",
        "Multiple myeloma after autologous stem cell transplantation",
        "Consolidation with autologous transplant",
        "异基因造血干细胞移植后复发",
        "自体造血干细胞移植后",
    ],
)
def test_transplant_context_is_not_a_cell_source(text: str) -> None:
    assert cell_source(_record(brief_summary=text)) == "unknown"


def test_the_product_source_is_found_next_to_transplant_context() -> None:
    text = "Donor-derived CD19 CAR-T cells for B-ALL relapsing after allogeneic HSCT"
    assert cell_source(_record(brief_summary=text)) == "allogeneic"
    text = "Autologous CAR-T cells after autologous stem cell transplantation"
    assert cell_source(_record(brief_summary=text)) == "autologous"


def test_when_the_same_text_states_both_sources_allogeneic_wins() -> None:
    text = "Autologous CAR-T cells, or donor-derived CAR-T cells for patients after allo-HSCT."
    assert cell_source(_record(brief_summary=text)) == "allogeneic"


def test_the_title_and_intervention_names_outrank_the_description() -> None:
    record = _record(
        title="Autologous CD19 CAR-T cells in lupus",
        brief_summary="Unlike allogeneic off-the-shelf products, this one is personalised.",
    )
    assert cell_source(record) == "autologous"
    record = _record(
        interventions=[Intervention(name="Allogeneic CD19 CAR-T")],
        detailed_description="Patients' own T cells are not used.",
    )
    assert cell_source(record) == "allogeneic"


@pytest.mark.parametrize(
    "fields",
    [
        {"acronym": "UCART-22"},
        {"title_zh": "通用型CAR-T治疗肉瘤"},
        {"official_title": "Allogeneic CAR-T in myeloma"},
        {"objectives": "To evaluate universal CAR-T cells"},
        {"detailed_description": "off-the-shelf product"},
        {"keywords": ["allogeneic CAR-T"]},
        {"interventions": [Intervention(name="X-101", description="allogeneic CAR-T cells")]},
        {"interventions": [Intervention(name="X-101", other_names=["UCAR-T X-101"])]},
        {"arms": [Arm(label="Cohort 1", description="donor-derived CAR-T cells")]},
    ],
)
def test_every_product_field_is_searched(fields: dict) -> None:
    assert cell_source(_record(**fields)) == "allogeneic"


def test_apheresis_alone_suggests_autologous_but_a_donor_statement_overrides_it() -> None:
    assert cell_source(_record(brief_summary="Patients undergo leukapheresis, then lymphodepletion.")) == "autologous"
    record = _record(
        interventions=[Intervention(name="Leukapheresis")],
        brief_summary="CAR-T cells derived from a healthy donor.",
    )
    assert cell_source(record) == "allogeneic"


def test_seed_000_universal_ucar_t_is_allogeneic() -> None:
    record = TrialRecord(
        registry="chictr",
        registry_id="ChiCTR2500108722",
        source_format="test",
        title="A clinical study of universal CAR-T cells targeting B7-H3 for the treatment of relapsed/refractory "
        "bone and soft tissue sarcomas",
        title_zh="靶向B7-H3的通用型CAR-T细胞治疗复发/难治性骨与软组织肉瘤的临床研究",
        objectives="Evaluation of the clinical safety and tolerability of Anti-B7-H3-UCAR-T",
    )
    assert cell_source(record) == "allogeneic"


def test_seed_002_patients_pbmcs_in_the_arm_make_it_autologous_while_its_criteria_are_ignored() -> None:
    record = TrialRecord(
        registry="ctgov",
        registry_id="NCT03356782",
        source_format="test",
        title="Safety and Efficacy Evaluation of 4th Generation Safety-engineered CAR T Cells Targeting Sarcomas",
        arms=[
            Arm(
                label="Experimental: Sarcoma-specific CAR-T cells",
                description="Peripheral blood mononuclear cells (PBMCs) of patients who have CD133, GD2, Muc1, CD117 "
                "or other marker positive sarcoma will be obtained through apheresis, and T cells will be activated "
                "and modified to sarcoma-specific CAR-T cells.",
            )
        ],
        inclusion_criteria="Patients must have autologous transduced T cells at levels greater than 15%;",
    )
    assert cell_source(record) == "autologous"
    record.arms = []
    assert cell_source(record) == "unknown"


@settings(max_examples=200)
@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(list("异体自通用型 \u200f\x00０１"))), max_size=80))
def test_cell_source_never_raises_on_arbitrary_text(text: str) -> None:
    record = _record(brief_summary=text, title=text or "t", arms=[Arm(description=text)])
    assert cell_source(record) in {"autologous", "allogeneic", "unknown"}
