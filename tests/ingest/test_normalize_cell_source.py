"""The CAR cells' source is read from what the trial says about its product, never from eligibility criteria."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.normalize.cell_source import cell_source, classify
from ingest.normalize.products import builtin_products
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
    assert cell_source(record) in {"autologous", "allogeneic", "in_vivo", "unknown"}


# --- classification with evidence: new cues, products, modalities, earlier therapy ---------------------


@pytest.mark.parametrize(
    "text",
    [
        "Anti-CD19/BCMA U CAR-T cell injection",
        "U-CAR-T cells for T-ALL",
        "Cord blood-derived CAR-NK cells targeting CD19",
        "脐带血来源的CAR-NK细胞",
        "iPSC-derived CAR NK cells",
        "CAR-T cells from a healthy donor",
        "供者来源的CD7 CAR-T细胞",
        "通用型CAR-T细胞",
        "TRAC knock-out CD7 CAR-T cells",
        "TCR-deficient CAR-T cells made by gene editing",
        "NKG2D-CAR-NK92 cells",
        "Universal cell injection of CD19-targeted iNKT cells",
    ],
)
def test_the_new_allogeneic_cues_are_read_in_english_and_chinese(text: str) -> None:
    result = classify(_record(brief_summary=text))
    assert result.value == "allogeneic"
    assert result.evidence[0]["field"] == "summary"


@pytest.mark.parametrize(
    "text",
    [
        "ThisCART19A in B-NHL relapsed after auto-CAR T",
        "Bispecific antibody for lymphoma relapsed after autologous CAR-T therapy",
        "CD19 CAR-T bridging to allogeneic transplant",
        "CAR-T cells for patients with prior allogeneic HSCT",
        "Relapse after allogeneic or autologous stem cell transplantation",
        "Graft-versus-leukemia effects mediated by donor-derived NK cells after haplo-HSCT",
    ],
)
def test_earlier_therapy_and_transplant_context_never_set_the_cell_source(text: str) -> None:
    assert classify(_record(title="A study", brief_summary=text)).value == "unknown"


def test_a_product_code_naming_allo_is_allogeneic() -> None:
    assert cell_source(_record(title="Safety and efficacy of ALLO-316 in renal cell carcinoma")) == "allogeneic"
    assert cell_source(_record(title="P-CD19CD20-ALLO1 in lupus")) == "allogeneic"


def test_the_product_dictionary_gives_a_sourced_cell_source_at_the_first_tier() -> None:
    products = [p for p in builtin_products() if p.name == "P-BCMA-ALLO1"]
    result = classify(_record(title="A study of P-BCMA-ALLO1 in myeloma"), products)
    assert result.value == "allogeneic"
    assert any(
        e.get("source", "").startswith("product dictionary: P-BCMA-ALLO1 (NCT04960579 record") for e in result.evidence
    )


def test_a_product_without_a_sourced_cell_source_adds_nothing() -> None:
    products = [p for p in builtin_products() if p.name == "CTX112"]
    assert classify(_record(title="A study of CTX112 in lupus"), products).value == "unknown"


def test_an_in_vivo_car_is_made_in_the_patient() -> None:
    result = classify(_record(title="In vivo CAR-T for lupus"), modalities=["in_vivo_car"])
    assert result.value == "in_vivo"
    assert result.evidence == [{"value": "in_vivo", "source": "modality: in vivo CAR"}]


@pytest.mark.parametrize(
    ("modalities", "expected"),
    [
        (["car_t"], "autologous"),
        (["tcr_t"], "autologous"),
        (["car_treg"], "autologous"),
        (["car_m"], "autologous"),
        (["caar_t"], "autologous"),
        (["car_nk"], "allogeneic"),
        (["car_gd_t"], "allogeneic"),
        (["car_nkt"], "unknown"),
        (["car_nk", "car_t"], "unknown"),
        ([], "unknown"),
    ],
)
def test_a_silent_record_gets_the_usual_source_of_its_modality_as_a_default(modalities, expected) -> None:
    result = classify(_record(title="A study of CD19 cells"), modalities=modalities)
    assert result.value == expected
    assert result.evidence[0]["source"].startswith("default")


def test_conflicting_statements_at_one_tier_keep_allogeneic_and_ask_for_review() -> None:
    result = classify(_record(brief_summary="Autologous CAR-T cells, or donor-derived CAR-T cells after transplant."))
    assert result.value == "allogeneic"
    assert result.review == ["allogeneic and autologous both stated; allogeneic kept"]
    assert [e["value"] for e in result.evidence] == ["allogeneic", "autologous"]


def test_background_sentences_do_not_set_the_cell_source() -> None:
    summary = "Approved products such as ciltacabtagene autoleucel have shown efficacy. This study tests CS1 CAR-T."
    assert classify(_record(title="CS1 CAR-T in myeloma", brief_summary=summary)).value == "unknown"


@pytest.mark.corpus
def test_the_hand_labelled_sample_gets_at_least_95_percent_of_cell_sources_right() -> None:
    from ingest.normalize import normalize
    from tests.ingest.classification_data import bulk_records, sample_labels

    records = bulk_records()
    labels = sample_labels()
    wrong = [
        (label.nct_id, label.cell_source, normalize(records[label.nct_id]).cell_source)
        for label in labels
        if normalize(records[label.nct_id]).cell_source != label.cell_source
    ]
    agreement = 1 - len(wrong) / len(labels)
    print(f"\ncell sources: {len(labels) - len(wrong)}/{len(labels)} = {agreement:.1%}; disagreements: {wrong}")
    assert len(labels) >= 120
    assert agreement >= 0.95
