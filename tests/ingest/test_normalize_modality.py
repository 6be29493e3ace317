"""The kind of engineered cell product a trial studies is read from how the record writes it, traps included."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.choices import Modality
from ingest.normalize.antigens import find_antigens
from ingest.normalize.modality import modalities
from ingest.normalize.products import builtin_products
from ingest.records import Arm, Intervention, TrialRecord
from tests.ingest.classification_data import bulk_records, sample_labels

pytestmark = []


def record(**fields) -> TrialRecord:
    fields.setdefault("title", "A clinical study")
    return TrialRecord(registry="ctgov", registry_id="NCT00000000", source_format="test", **fields)


def kinds(**fields) -> list[str]:
    return modalities(record(**fields)).value


def product(name: str):
    return next(p for p in builtin_products() if p.name == name)


# --- each kind ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("CD19 CAR-T cells for B-ALL", ["car_t"]),
        ("CART19 to treat B-cell leukemia", ["car_t"]),
        ("Anti-CD19 chimeric antigen receptor (CAR)-modified T cells in lymphoma", ["car_t"]),
        ("T cell injection targeting CD7 chimeric antigen receptor", ["car_t"]),
        ("靶向CD19嵌合抗原受体T细胞治疗复发难治淋巴瘤", ["car_t"]),
        ("Anti-CD19 CAR NK cells in lymphoma", ["car_nk"]),
        ("Anti-CD19 CAR-Engineered NK Cells in B-cell malignancies", ["car_nk"]),
        ("Cord blood derived CAR.19/IL15-transduced CB-NK cells", ["car_nk"]),
        ("BCMA CAR-NK 92 cells in myeloma", ["car_nk"]),
        ("Irradiated PD-L1 CAR-NK cells plus pembrolizumab", ["car_nk"]),
        ("CD19.CAR-aNKT cells for B-cell malignancies", ["car_nkt"]),
        ("Allogeneic NK T-Cells Expressing CD19 Specific CAR in B-Cell Malignancies", ["car_nkt"]),
        ("Universal CAR-γδT cell injection in AML", ["car_gd_t"]),
        ("Long-term follow-up of allogeneic gamma delta (γδ) CAR T cells", ["car_gd_t"]),
        ("gdT cell injection targeting B7-H3 chimeric antigen receptor", ["car_gd_t"]),
        ("Autologous CD6-CAR Treg cells for type 1 diabetes", ["car_treg"]),
        ("CD19 CAR-T regulatory cells for systemic sclerosis", ["car_treg"]),
        ("DSG3-CAART for pemphigus vulgaris", ["caar_t"]),
        ("Chimeric autoantibody receptor T cells for MuSK myasthenia gravis", ["caar_t"]),
        ("CAR-macrophages for HER2 overexpressing solid tumors", ["car_m"]),
        ("Anti-HER2 CAR-monocytes in solid tumors", ["car_m"]),
        ("KK-LC-1 TCR-T cell therapy for gastric cancer", ["tcr_t"]),
        ("Anti-NY-ESO-1 TCR transduced T cells in NSCLC", ["tcr_t"]),
        ("Afamitresgene autoleucel in synovial sarcoma", ["tcr_t"]),
        ("In vivo CAR-T therapy for refractory Graves' disease", ["in_vivo_car"]),
        ("CD19/CD20 dual-target in vivo CAR-T lentiviral product", ["in_vivo_car"]),
        ("Polymer-lipid nanoparticle-delivered CD19/CD20 CAR mRNA for B-cell lymphoma", ["in_vivo_car"]),
    ],
)
def test_each_kind_is_read_from_how_the_car_and_its_cell_are_written(title: str, expected: list[str]) -> None:
    assert kinds(title=title) == expected


def test_a_car_made_in_the_patient_by_a_vector_is_an_in_vivo_car() -> None:
    summary = (
        "PID23 Injection delivers a viral vector encoding three targets directly into patients, enabling their "
        "own T cells to generate functional CAR-T cells against leukemia cells."
    )
    assert kinds(title="PID23 in acute leukemia", brief_summary=summary) == ["in_vivo_car"]
    summary = (
        "INT2104 is a gene therapy delivering a transgene for a chimeric antigen receptor (CAR) specific for CD20."
    )
    assert kinds(title="INT2104 in B-cell cancers", brief_summary=summary) == ["in_vivo_car"]


# --- the traps of the issue ---------------------------------------------------------------


@pytest.mark.parametrize(
    "summary",
    [
        "Secondary objectives: to evaluate the in vivo expansion and persistence of FLT3-targeted CAR-T cells.",
        "Their anti-cancer function has been verified by multiple in vitro and in vivo studies.",
        "This trial will investigate the in vivo trafficking of cilta-cel using PET-MRI.",
        "We will evaluate the efficacy of pan-T booster co-expressing MSLN CAR T cells in vivo.",
    ],
)
def test_in_vivo_expansion_persistence_or_studies_do_not_make_an_in_vivo_car(summary: str) -> None:
    assert kinds(title="CAR-T cells in solid tumours", brief_summary=summary) == ["car_t"]
    assert kinds(brief_summary="CAR-T cells are given. " + summary) == ["car_t"]


def test_mrna_car_t_cells_made_outside_the_body_are_car_t() -> None:
    assert kinds(
        title="Autologous Redirected RNA Meso-CIR T Cells",
        brief_summary="Autologous chimeric immune receptor T cells transfected with anti-mesothelin mRNA.",
    ) == ["car_t"]
    assert kinds(title="Descartes-08 mRNA CAR-T cells in myasthenia gravis") == ["car_t"]


@pytest.mark.parametrize(
    "text",
    [
        "Autologous T cells expressing CD19 chimeric antigen receptors with tandem TCR zeta and 4-1BB domains",
        "CAR-T cells with a TCRζ signalling domain",
        "TCR knock-out allogeneic CAR-T cells",
        "TRAC-disrupted CD19 CAR T cells",
        "TCR-like CAR-T targeting MSLN in ovarian cancer",
        "MSLN STAR-T cells in solid tumours",
    ],
)
def test_tcr_in_a_car_construct_a_tcr_knock_out_or_a_tcr_like_binder_is_not_tcr_t(text: str) -> None:
    assert kinds(title=text) == ["car_t"]


@pytest.mark.parametrize(
    "title",
    [
        "NK-92 cell infusion for refractory AML",
        "Adoptive NKT cell infusion in neuroblastoma",
        "Haploidentical NK cells after chemotherapy",
    ],
)
def test_nk_92_and_nkt_cells_without_a_car_are_not_car_nk(title: str) -> None:
    assert kinds(title=title) == []


def test_cd4_car_foxp3_cells_are_a_treg_product_and_cd4_is_not_their_target() -> None:
    trial = record(
        title="A study of BEN301 injection in autoimmune diseases",
        interventions=[Intervention(name="CD4⁺ CAR⁺ Foxp3⁺ cells")],
    )
    assert modalities(trial).value == ["car_treg"]
    assert "CD4" not in find_antigens(trial)


# --- several kinds, context ----------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Safety and efficacy of CD19 CAR-T/CAR-NK cells",
        "NKG2D CAR-NK cells followed by NKG2D CAR-T cells",
        "Autologous CAR-T/TCR-T cell immunotherapy for malignancies",
    ],
)
def test_a_trial_with_arms_of_two_kinds_carries_both(title: str) -> None:
    assert len(kinds(title=title)) == 2


def test_another_kind_named_only_in_the_background_is_not_added() -> None:
    summary = (
        "CAR-NK therapy offers advantages over CAR-T therapy, such as fewer reactions. "
        "Unlike CAR-T cells, NK cells can be given off the shelf."
    )
    assert kinds(title="Anti-BCMA CAR-NK therapy in myeloma", brief_summary=summary) == ["car_nk"]


@pytest.mark.parametrize(
    "title",
    [
        "Glofitamab for large B-cell lymphoma relapsed after CAR-T therapy",
        "Pembrolizumab in myeloma refractory to anti-BCMA CAR-T cells",
        "Bispecific antibody in patients who failed prior CD19 CAR T-cell therapy",
    ],
)
def test_car_t_that_failed_earlier_gives_no_modality(title: str) -> None:
    assert kinds(title=title) == []


def test_a_trial_giving_no_engineered_product_has_no_modality() -> None:
    assert (
        kinds(title="Blinatumomab in relapsed B-ALL", brief_summary="Blinatumomab is a bispecific T-cell engager.")
        == []
    )
    assert kinds(title="Tumor infiltrating lymphocytes in hepatocellular carcinoma") == []


def test_patients_receiving_car_t_give_a_supportive_care_trial_its_modality() -> None:
    assert kinds(title="Anakinra for the prevention of CRS in patients receiving CAR-T cell therapy") == ["car_t"]
    assert kinds(title="IVIG for infection prevention after CAR-T-cell therapy") == ["car_t"]


def test_a_follow_up_study_counts_the_product_its_patients_received() -> None:
    trial = record(title="Long-term follow-up of patients previously treated with CAR-T cells")
    assert modalities(trial, follow_up=True).value == ["car_t"]


def test_a_car_named_without_its_cell_is_car_t_flagged_for_review() -> None:
    result = modalities(record(title="CD19 CAR for refractory lupus"))
    assert result.value == ["car_t"]
    assert result.review and "cell type" in result.review[0]


def test_a_named_product_gives_its_sourced_modality() -> None:
    result = modalities(record(title="A study of NKX019 in lupus"), [product("NKX019")])
    assert result.value == ["car_nk"]
    assert result.evidence[0]["source"].startswith("product dictionary: NKX019 (NCT")


def test_a_named_product_without_a_sourced_modality_is_car_t_for_review() -> None:
    result = modalities(record(title="A study of CTX110 in B-cell malignancies"), [product("CTX110")])
    assert result.value == ["car_t"] and result.review


def test_evidence_gives_the_field_and_the_phrase() -> None:
    result = modalities(record(title="A study", interventions=[Intervention(name="anti-CD19 CAR-NK cells")]))
    assert result.evidence == [{"value": "car_nk", "field": "interventions", "phrase": "anti-CD19 CAR-NK cells"}]


@pytest.mark.parametrize("field", ["inclusion_criteria", "exclusion_criteria", "eligibility_text"])
def test_eligibility_criteria_never_give_a_modality(field: str) -> None:
    assert kinds(**{field: "Prior CAR-NK or TCR-T therapy allowed; in vivo CAR-T excluded."}) == []


def test_arms_and_conditions_are_read() -> None:
    assert kinds(arms=[Arm(label="Arm A", description="CAR-γδT cells")]) == ["car_gd_t"]
    assert kinds(conditions=["CAR-T Cell Therapy", "Lymphoma"]) == ["car_t"]


@settings(max_examples=150)
@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(list("CARTNKγδ vivo-/"))), max_size=120))
def test_modalities_never_raise_and_return_sorted_known_values(text: str) -> None:
    result = modalities(record(title=text or "t", brief_summary=text))
    assert result.value == sorted(result.value)
    assert set(result.value) <= set(Modality.values)


# --- real records ------------------------------------------------------------------------------


@pytest.mark.corpus
def test_the_hand_labelled_sample_gets_at_least_95_percent_of_modality_sets_right() -> None:
    records = bulk_records()
    labels = sample_labels()
    wrong = [
        (label.nct_id, label.modalities, modalities_of(records[label.nct_id]))
        for label in labels
        if modalities_of(records[label.nct_id]) != list(label.modalities)
    ]
    agreement = 1 - len(wrong) / len(labels)
    print(f"\nmodality sets: {len(labels) - len(wrong)}/{len(labels)} = {agreement:.1%}; disagreements: {wrong}")
    assert len(labels) >= 120
    assert agreement >= 0.95


def modalities_of(trial: TrialRecord) -> list[str]:
    from ingest.normalize import normalize

    return normalize(trial).modalities
