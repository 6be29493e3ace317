"""Target antigens of a CAR trial: vocabulary, multi-target forms, products, and no false targets."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ingest.normalize.antigens import (
    BUILTIN_ANTIGENS,
    AntigenSpec,
    Vocabulary,
    classify_antigens,
    default_vocabulary,
    find_antigens,
    find_antigens_in_text,
)
from ingest.records import Arm, Intervention, TrialRecord

ROOT = Path(__file__).resolve().parents[2]
SEEDS_EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "seeds_expected.json").read_text(encoding="utf-8"))


def record(**fields) -> TrialRecord:
    fields.setdefault("title", "A clinical study of CAR-T cells")
    return TrialRecord(registry="ctgov", registry_id="NCT00000000", source_format="test", **fields)


def found(text: str) -> set[str]:
    return set(find_antigens_in_text(text))


# --- vocabulary ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("b7h3", "B7-H3"),
        ("B7-H3", "B7-H3"),
        ("cd276", "B7-H3"),
        ("B7 H3", "B7-H3"),
        ("IL13Ra2", "IL13Rα2"),
        ("IL-13Rα2", "IL13Rα2"),
        ("il13ralpha2", "IL13Rα2"),
        ("cd19", "CD19"),
        ("CD-19", "CD19"),
        ("MS4A1", "CD20"),
        ("IL3RA", "CD123"),
        ("PROM1", "CD133"),
        ("c-Kit", "CD117"),
        ("SDC1", "CD138"),
        ("L1CAM", "CD171"),
        ("TNFRSF17", "BCMA"),
        ("CD269", "BCMA"),
        ("B-cell maturation antigen", "BCMA"),
        ("TNFRSF13B", "TACI"),
        ("CS1", "SLAMF7"),
        ("CLEC12A", "CLL-1"),
        ("CD371", "CLL-1"),
        ("CLL1", "CLL-1"),
        ("ERBB2", "HER2"),
        ("HER-2", "HER2"),
        ("MSLN", "Mesothelin"),
        ("CLDN18.2", "Claudin 18.2"),
        ("CLDN18A2", "Claudin 18.2"),
        ("claudin18.2", "Claudin 18.2"),
        ("glypican-3", "GPC3"),
        ("CEACAM5", "CEA"),
        ("FOLH1", "PSMA"),
        ("EGFR vIII", "EGFRvIII"),
        ("EGFRv3", "EGFRvIII"),
        ("EGFR", "EGFR"),
        ("CD326", "EpCAM"),
        ("Lewis-Y", "Lewis Y"),
        ("NYESO1", "NY-ESO-1"),
        ("CD274", "PD-L1"),
        ("TNFRSF13C", "BAFF-R"),
        ("Nectin 4", "Nectin-4"),
        ("FRα", "Folate receptor alpha"),
    ],
)
def test_canonical_lookup_accepts_synonyms_case_hyphen_and_greek_variants(written: str, canonical: str) -> None:
    assert default_vocabulary().canonical(written) == canonical


def test_canonical_lookup_returns_none_for_an_unknown_name() -> None:
    assert default_vocabulary().canonical("not an antigen") is None


def test_every_builtin_name_is_its_own_canonical_name_and_names_are_unique() -> None:
    vocabulary = default_vocabulary()
    names = [spec.name for spec in BUILTIN_ANTIGENS]
    assert len(names) == len(set(names))
    assert all(vocabulary.canonical(name) == name for name in names)


def test_a_variant_is_not_reached_through_its_parent_gene_symbol() -> None:
    vocabulary = default_vocabulary()
    assert vocabulary.canonical("CD44") is None
    assert vocabulary.canonical("HLA-A") is None


def test_a_dual_target_product_name_stands_for_both_targets() -> None:
    assert set(default_vocabulary().lookup("AUTO3")) == {"CD19", "CD22"}


def test_the_default_vocabulary_is_built_once() -> None:
    assert default_vocabulary() is default_vocabulary()


def test_a_curated_vocabulary_drives_the_matching() -> None:
    curated = Vocabulary.from_specs([AntigenSpec("Zeta antigen 7", ("ZA7", "zeta-seven"), "ZAG7")])
    assert find_antigens_in_text("anti-ZA7 CAR-T cells", curated) == ["Zeta antigen 7"]
    assert find_antigens_in_text("ZAG7-targeted CAR T", curated) == ["Zeta antigen 7"]
    assert find_antigens_in_text("BCMA CAR-T cells", curated) == []


def test_a_curated_synonym_added_to_a_builtin_antigen_is_matched() -> None:
    specs = [replace(s, synonyms=s.synonyms + ("XYZ-42",)) if s.name == "GPC3" else s for s in BUILTIN_ANTIGENS]
    assert find_antigens_in_text("XYZ-42 CAR-T for HCC", Vocabulary.from_specs(specs)) == ["GPC3"]


def test_ligand_rules_only_return_receptors_the_vocabulary_knows() -> None:
    only_bcma = Vocabulary.from_specs([s for s in BUILTIN_ANTIGENS if s.name == "BCMA"])
    assert find_antigens_in_text("APRIL-based CAR T cells", only_bcma) == ["BCMA"]


# --- single targets and product names ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anti-HER2-CAR-T Cells Injection in Patients With Solid Tumors", {"HER2"}),
        ("Anti-B7-H3-UCAR-T", {"B7-H3"}),
        ("CD19-CART treatment of refractory lupus nephritis", {"CD19"}),
        ("Safety of GPRC5D-targeted CAR T cells", {"GPRC5D"}),
        ("Claudin18.2 CAR-T (CT041) in gastric cancer", {"Claudin 18.2"}),
        ("CAR-CLD18 T cells", {"Claudin 18.2"}),
        ("EGFRvIII-CARs for recurrent GBM", {"EGFRvIII"}),
        ("EGFR806 CAR T cell immunotherapy", {"EGFR"}),
        ("IL13Ra2-specific CAR Tcm cells", {"IL13Rα2"}),
        ("MESO-CAR T cells for ovarian cancer", {"Mesothelin"}),
        ("CART-meso in mesothelin expressing cancers", {"Mesothelin"}),
        ("Anti-LeY-scFv-CD28-ζ vector", {"Lewis Y"}),
        ("Kappa-CD28 T lymphocytes", {"Kappa light chain"}),
        ("CS1 targeted CAR T-cells", {"SLAMF7"}),
        ("Anti-CLL1 CART cells", {"CLL-1"}),
        ("Anti-Cluster of Differentiation (CD)19 chimeric antigen receptor", {"CD19"}),
        ("CD147-CAR T cells for T-cell lymphoma", {"CD147"}),
        ("GUCY2C-positive tumours treated with gucy2c cart cells", {"GUCY2C"}),
        ("MUC16ecto CAR T cells (4H11-28z)", {"MUC16"}),
        ("anti-CD1a CAR-T in T-ALL", {"CD1a"}),
    ],
)
def test_a_single_named_target_is_found(text: str, expected: set[str]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("product", "expected"),
    [
        ("tisagenlecleucel", {"CD19"}),
        ("CTL019", {"CD19"}),
        ("Kymriah", {"CD19"}),
        ("axicabtagene ciloleucel", {"CD19"}),
        ("KTE-C19", {"CD19"}),
        ("Yescarta", {"CD19"}),
        ("brexucabtagene autoleucel", {"CD19"}),
        ("KTE-X19", {"CD19"}),
        ("lisocabtagene maraleucel", {"CD19"}),
        ("JCAR017", {"CD19"}),
        ("Breyanzi", {"CD19"}),
        ("obe-cel", {"CD19"}),
        ("AUTO1", {"CD19"}),
        ("relma-cel", {"CD19"}),
        ("JWCAR029", {"CD19"}),
        ("CNCT19", {"CD19"}),
        ("KYV-101", {"CD19"}),
        ("CABA-201", {"CD19"}),
        ("varnimcabtagene autoleucel", {"CD19"}),
        ("ALLO-501A", {"CD19"}),
        ("MB-CART2019.1", {"CD19", "CD20"}),
        ("zamtocabtagene autoleucel", {"CD19", "CD20"}),
        ("prizloncabtagene autoleucel", {"CD19", "CD20"}),
        ("AUTO3", {"CD19", "CD22"}),
        ("GC012F", {"CD19", "BCMA"}),
        ("idecabtagene vicleucel", {"BCMA"}),
        ("bb2121", {"BCMA"}),
        ("Abecma", {"BCMA"}),
        ("ciltacabtagene autoleucel", {"BCMA"}),
        ("LCAR-B38M", {"BCMA"}),
        ("JNJ-68284528", {"BCMA"}),
        ("Carvykti", {"BCMA"}),
        ("equecabtagene autoleucel", {"BCMA"}),
        ("CT103A", {"BCMA"}),
        ("zevor-cel", {"BCMA"}),
        ("CT053", {"BCMA"}),
        ("anito-cel", {"BCMA"}),
        ("CART-ddBCMA", {"BCMA"}),
        ("orvacabtagene autoleucel", {"BCMA"}),
        ("JCARH125", {"BCMA"}),
        ("P-BCMA-101", {"BCMA"}),
        ("ALLO-715", {"BCMA"}),
        ("Descartes-08", {"BCMA"}),
        ("arlocabtagene autoleucel", {"GPRC5D"}),
        ("BMS-986393", {"GPRC5D"}),
        ("satri-cel", {"Claudin 18.2"}),
        ("CT041", {"Claudin 18.2"}),
        ("firi-cel", {"CD22"}),
        ("AUTO2", {"BCMA", "TACI"}),
        ("CYAD-101", {"NKG2D ligands"}),
        ("LCAR-AIO", {"CD19", "CD20", "CD22"}),
    ],
)
def test_a_product_name_implies_its_target(product: str, expected: set[str]) -> None:
    assert found(f"A study of {product} in relapsed disease") == expected


@pytest.mark.parametrize(
    "product", ["bb21217", "MCARH109", "CTX110", "KITE-753", "rapcabtagene autoleucel", "CYAD-01", "BNT211"]
)
def test_a_product_whose_target_has_no_source_implies_no_target(product: str) -> None:
    assert found(f"A study of {product} in relapsed disease") == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CART19 to treat B-cell leukemia", {"CD19"}),
        ("CAR19 T-cells as a bridge to transplant", {"CD19"}),
        ("CAR-19 cells", {"CD19"}),
        ("CART-19", {"CD19"}),
        ("CART 19", {"CD19"}),
        ("UCART19 in relapsed ALL", {"CD19"}),
        ("CAR22 T cells", {"CD22"}),
        ("CART33 cells", {"CD33"}),
        ("CART123 for AML", {"CD123"}),
        ("CART-BCMA cells for multiple myeloma", {"BCMA"}),
        ("BCMA-CART", {"BCMA"}),
        ("19-28z T cells", {"CD19"}),
        ("8R-70CAR T cells", {"CD70"}),
        ("CAR-20/19-T cells", {"CD20", "CD19"}),
        ("CART84 for AML", {"CD84"}),
    ],
)
def test_car_code_forms_name_their_cd_target(text: str, expected: set[str]) -> None:
    assert found(text) == expected


def test_product_codes_with_leading_zeros_are_not_cd_numbers() -> None:
    assert found("GD2-CART01 for neuroblastoma") == {"GD2"}
    assert found("A study of A-CAR028 in AML") == set()
    assert found("JWCAR129 in myeloma") == set()


# --- several targets -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GD2/B7H3 CAR T-cell therapy", ["GD2", "B7-H3"]),
        ("CD19/CD22 bivalent CAR-T", ["CD19", "CD22"]),
        ("tandem CD19-CD22 CAR", ["CD19", "CD22"]),
        ("BCMA and CD38 dual-target CAR-T", ["BCMA", "CD38"]),
        ("CD19 and CD20 CAR-T cells", ["CD19", "CD20"]),
        ("CD19CD22 CAR-T", ["CD19", "CD22"]),
        ("CD19-CD22 CAR-T cells", ["CD19", "CD22"]),
        ("BCMA-CD19 cCAR T cells", ["BCMA", "CD19"]),
        ("CD7CD19 CAR T", ["CD7", "CD19"]),
        ("CD19/22 CAR T cells", ["CD19", "CD22"]),
        ("CD19x22 CAR T cells", ["CD19", "CD22"]),
        ("bispecific B7H3xCD19 CAR", ["B7-H3", "CD19"]),
        ("Anti-CD19 and anti-CD22 CAR-T", ["CD19", "CD22"]),
        ("CD19- and CD22-directed CAR-T cell therapy", ["CD19", "CD22"]),
        ("CAR-T cells targeting HER2, GD2, and CD44v6", ["HER2", "GD2", "CD44v6"]),
        ("Cluster of Differentiation Antigen 19/22 (CD19/22) CAR T Cells", ["CD19", "CD22"]),
        ("DLL3/CD56 CAR-NK cells", ["DLL3", "CD56"]),
        ("CAR20.19.22 T-cells", ["CD20", "CD19", "CD22"]),
    ],
)
def test_every_target_of_a_multi_target_car_is_found_in_order(text: str, expected: list[str]) -> None:
    assert find_antigens_in_text(text) == expected


def test_the_result_is_de_duplicated_and_stable() -> None:
    text = "CD19 CAR-T. The CD19-directed cells are then followed by CD22 CAR-T; CD19 again."
    assert find_antigens_in_text(text) == ["CD19", "CD22"]
    assert find_antigens_in_text(text) == find_antigens_in_text(text)


# --- no false targets -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "CD19-28z CAR T cells",
        "19-BBz T cells",
        "anti-CD19 scFv with CD28/CD3ζ signalling",
        "CD19 CAR with a CD8α hinge and transmembrane domain, 4-1BB (CD137) and CD3zeta",
        "CD19.CAR-CD28Z T cells with OX40 (CD134), CD27 and ICOS",
        "CD19 CAR-T cells secreting IL-7 and CCL19",
        "IL-12, IL-15, IL-18 and IL-21 armoured CD19 CAR T cells",
        "CD19 CAR-T combined with a PD-1 inhibitor",
        "CD19 CAR-T with pembrolizumab",
        "PD-1 knockout CD19 CAR-T cells",
        "PD-1 silenced CD19 CAR-T",
        "CD19 CAR-T cells secreting anti-PD-L1 scFv",
        "defined CD4+/CD8+ T cell composition of CD19 CAR-T",
        "CD19 CAR-T; CD3+ cells counted; CD4:CD8 ratio",
        "CD19 CAR-T after fludarabine and cyclophosphamide lymphodepletion",
        "CD19 CAR-T cells expressing EGFRt",
        "CD19 CAR T cells also expressing huEGFRt and truncated EGFR",
        "B7H3 CAR with HER2tG and CD19t tags",
        "anti-CD3/CD28 bead activated CD19 CAR-T cells",
        "CD19-CD34 CAR transduced T cells",
        "CD19 CAR-NK cells made from CD56+ NK cells",
    ],
)
def test_signalling_domains_cytokines_checkpoints_markers_and_tags_are_not_targets(text: str) -> None:
    assert found(text) == {"CD19"} or (found(text) == {"B7-H3"} and "B7H3" in text)


@pytest.mark.parametrize(
    "text",
    [
        "CD4+ and CD8+ CAR T cells in a 1:1 ratio",
        "PD-1 and PD-L1 expression on tumour cells",
        "anti-PD-L1 antibody atezolizumab",
        "CAR-T cells for relapsed AML",
        "Started enrolment in April 2020",
        "serum CEA levels and CA125 decline",
        "EGFR-mutant NSCLC",
        "FLT3-ITD positive AML treated with FLT3 inhibitors",
        "CD3xCD20 bispecific antibody",
        "prior anti-CD38 monoclonal antibody",
        "",
    ],
)
def test_texts_without_a_car_target_give_no_antigen(text: str) -> None:
    assert found(text) == set()


def test_a_marker_cd_counts_only_as_a_stated_car_target() -> None:
    assert found("CD4 CAR T cells") == set()
    assert found("CD4CAR for CD4+ T-cell lymphoma") == {"CD4"}
    assert found("anti-CD4 CAR T cells") == {"CD4"}


def test_pd_l1_counts_only_when_the_car_targets_it() -> None:
    assert found("PD-L1 CAR-T cells for lung cancer") == {"PD-L1"}
    assert found("anti-PD-L1 armored anti-CD22 CAR-T") == {"CD22"}


def test_an_unlisted_cd_number_needs_a_targeting_context() -> None:
    assert found("anti-CD83 CAR T-cells") == {"CD83"}
    assert found("CD318-targeted CAR-T cell therapy") == {"CD318"}
    assert found("CD83 expression was measured") == set()


def test_egfrviii_is_a_target_of_its_own_and_replaces_egfr_when_both_are_written() -> None:
    assert find_antigens_in_text("CAR targeted to the epidermal growth factor receptor variant EGFRvIII") == [
        "EGFRvIII"
    ]
    assert found("anti-EGFR CAR T") == {"EGFR"}


# --- prior therapy, antigen loss, disease descriptors ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "CD22 CAR-T in patients with prior anti-CD19 therapy",
        "CD22 CAR-T after failure of anti-CD19 CAR-T",
        "CD22 CAR-T for relapse after CD19 CAR-T",
        "CD22 CAR-T for CD19-negative relapse",
        "CD22 CAR-T previously treated with anti-CD19 CAR T-cells",
        "CD22 CAR-T for CD19 CAR-T failure",
        "CD22 CAR-T for CD19-refractory lymphoma",
        "CD22 CAR-T for patients who received CD19 CAR-T",
        "CD22 CAR-T targeting CD19- ALL",
    ],
)
def test_an_earlier_cd19_therapy_or_cd19_loss_does_not_make_cd19_a_target(text: str) -> None:
    assert found(text) == {"CD22"}


def test_a_bcma_exposed_gprc5d_trial_only_targets_gprc5d() -> None:
    assert found("GPRC5D CAR-T in BCMA-exposed myeloma after anti-BCMA bispecific antibodies") == {"GPRC5D"}


def test_a_disease_descriptor_does_not_add_a_second_target() -> None:
    assert found("Anti-CD19 CAR-T for CD20-positive B-cell lymphoma") == {"CD19"}
    assert found("Anti-CD19 CAR-T in CD19-positive B-cell lymphoma") == {"CD19"}


def test_a_disease_descriptor_is_used_when_nothing_else_names_a_target() -> None:
    assert found("Sarcoma-specific CAR-T cells for CD133, GD2, Muc1, CD117 or other marker positive sarcoma") == {
        "CD133",
        "GD2",
        "MUC1",
        "CD117",
    }


def test_background_sentences_do_not_add_targets_beside_the_trial_target() -> None:
    text = (
        "CAR-T cells targeted against CD19 have demonstrated unprecedented success. "
        "Besides CD19, molecules such as CD22 and CD30 are candidates. This trial tests CD7 CAR-T cells."
    )
    assert find_antigens_in_text(text) == ["CD7"]


# --- ligand-based CARs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("APRIL-based CAR T cells", {"BCMA", "TACI"}),
        ("APRIL CAR T cells (AUTO2)", {"BCMA", "TACI"}),
        ("TriPRIL CAR T cells", {"BCMA", "TACI"}),
        ("NKG2D-based CAR-T cells", {"NKG2D ligands"}),
        ("NKG2D CAR-NK", {"NKG2D ligands"}),
        ("IL13-zetakine CTLs", {"IL13Rα2"}),
        ("IL13(EQ)BBζ T cells", {"IL13Rα2"}),
        ("IL-13 mutein CAR", {"IL13Rα2"}),
        ("BAFF-R CAR T cells", {"BAFF-R"}),
        ("BAFF ligand-based CAR T cells", {"BAFF-R", "BCMA", "TACI"}),
        ("BAFF CAR-T cells (LMY-920)", {"BAFF-R", "BCMA", "TACI"}),
        ("IL-5 CAR-T cells for eosinophilic leukemia", {"IL5Rα"}),
    ],
)
def test_a_ligand_based_car_records_the_receptor_on_the_tumour(text: str, expected: set[str]) -> None:
    assert found(text) == expected


# --- Chinese text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("靶向B7-H3的通用型CAR-T细胞治疗复发/难治性骨与软组织肉瘤的临床研究", ["B7-H3"]),
        ("CD19/CD22双靶点CAR-T细胞治疗", ["CD19", "CD22"]),
        ("抗CD7 CAR-T细胞治疗T淋巴细胞白血病", ["CD7"]),
        ("靶向BCMA和GPRC5D的CAR-T", ["BCMA", "GPRC5D"]),
        ("CD19阴性复发的患者接受CD22 CAR-T治疗", ["CD22"]),
        ("既往接受过CD20单抗治疗的患者接受CD19 CAR-T", ["CD19"]),
        ("间皮素CAR-T细胞", ["Mesothelin"]),
        ("ＣＤ１９ ＣＡＲ－Ｔ", ["CD19"]),
        ("CAR-T 治疗难治性狼疮性肾炎临床研究", []),
    ],
)
def test_antigens_are_found_inside_chinese_text(text: str, expected: list[str]) -> None:
    assert find_antigens_in_text(text) == expected


# --- records -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        "title",
        "official_title",
        "title_zh",
        "acronym",
        "brief_summary",
        "detailed_description",
        "keywords",
        "objectives",
        "intervention_name",
        "intervention_description",
        "intervention_other_name",
        "arm_label",
        "arm_description",
    ],
)
def test_each_descriptive_field_of_a_record_is_read(field: str) -> None:
    text = "GPC3-targeted CAR-T cells"
    values: dict = {
        "keywords": {"keywords": [text]},
        "intervention_name": {"interventions": [Intervention(name=text)]},
        "intervention_description": {"interventions": [Intervention(name="Biological", description=text)]},
        "intervention_other_name": {"interventions": [Intervention(name="X", other_names=[text])]},
        "arm_label": {"arms": [Arm(label=text)]},
        "arm_description": {"arms": [Arm(label="Arm A", description=text)]},
    }.get(field, {field: text})
    assert find_antigens(record(**values)) == ["GPC3"]


@pytest.mark.parametrize("field", ["inclusion_criteria", "exclusion_criteria", "eligibility_text"])
def test_eligibility_criteria_are_never_read(field: str) -> None:
    trial = record(title="CAR-T cells for relapsed lymphoma", **{field: "Prior anti-CD19 therapy; CD20+ disease; BCMA"})
    assert find_antigens(trial) == []


def test_a_target_named_only_in_the_objectives_is_found() -> None:
    trial = record(
        title="Chimeric Antigen Receptor T-Cell Immunotherapy for Refractory Lupus Nephritis",
        inclusion_criteria="No prior CD20 antibody",
        objectives="To evaluate the efficacy and adverse reactions of CD19-CAR T treatment in lupus nephritis.",
    )
    assert find_antigens(trial) == ["CD19"]


def test_objectives_copied_from_another_trial_do_not_add_targets_to_a_titled_target() -> None:
    trial = record(
        title="Sequential CAR-T Cells Targeting BCMA/GPRC5D in Multiple Myeloma",
        objectives="DLTs following infusion of CD19/BCMA chimeric antigen receptor (CAR) T cells",
    )
    assert find_antigens(trial) == ["BCMA", "GPRC5D"]


def test_a_record_that_states_no_target_gives_an_empty_list() -> None:
    trial = record(
        title="CAR-T Cells Therapy in Relapsed/Refractory Multiple Myeloma",
        brief_summary="Autologous CAR-T cells after lymphodepletion with fludarabine and cyclophosphamide.",
        conditions=["Multiple Myeloma", "BCMA-positive"],
    )
    assert find_antigens(trial) == []


def test_titles_and_interventions_outrank_background_in_the_summary() -> None:
    trial = record(
        title="Anti-CD7 CAR-T Cells in T-ALL",
        interventions=[Intervention(name="CD7 CAR-T cells")],
        brief_summary="For example, CAR-T cells targeting the marker CD19 have shown great effectiveness in B-ALL.",
    )
    assert find_antigens(trial) == ["CD7"]


def test_a_plain_second_target_in_the_summary_is_kept_when_it_is_described_as_a_target() -> None:
    trial = record(
        title="Dual-Target CAR-NK Cells for Advanced Colorectal Cancer",
        interventions=[Intervention(name="EB-DUO-CAR-NK-CEA/GCC")],
        brief_summary="Patients are assigned to dual-target arms: (1) CEA+GUCY2C, (2) CEA+HER2, or (3) GUCY2C+HER2.",
    )
    assert find_antigens(trial) == ["CEA", "GUCY2C", "HER2"]


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("A clinical study of universal CAR-T cells targeting B7-H3 for sarcomas", ""),
        ("A Clinical Study Evaluating Anti-HER2-CAR-T Cells Injection in Patients With Solid Tumors", ""),
        (
            "4th Generation Safety-engineered CAR T Cells Targeting Sarcomas",
            "PBMCs of patients who have CD133, GD2, Muc1, CD117 or other marker positive sarcoma will be obtained.",
        ),
        (
            "CAR-T Cell Therapy for Relapsed/refractory Neuroblastoma",
            "To evaluate the safety and efficacy of GD2/B7H3 CAR-T therapy for relapsed/refractory neuroblastoma.",
        ),
        ("Chimeric Antigen Receptor T-Cell Immunotherapy for Refractory Lupus Nephritis", ""),
    ],
    ids=sorted(k for k in SEEDS_EXPECTED if not k.startswith("_")),
)
def test_the_seed_trials_core_sentences_give_their_expected_antigens(request, title: str, summary: str) -> None:
    seed = request.node.callspec.id
    fields = {"title": title, "brief_summary": summary}
    if seed.startswith("002"):
        fields = {"title": title, "arms": [Arm(label="Sarcoma-specific CAR-T cells", description=summary)]}
    if seed.startswith("004"):
        fields["objectives"] = "evaluate the efficacy of CD19-CAR T treatment in patients with lupus nephritis"
    vocabulary = default_vocabulary()
    expected = {vocabulary.canonical(name) for name in SEEDS_EXPECTED[seed]["antigens"]}
    assert set(find_antigens(record(**fields))) == expected


@pytest.mark.parametrize("seed", sorted(k for k in SEEDS_EXPECTED if not k.startswith("_")))
def test_each_seed_page_parsed_by_its_parser_gives_its_expected_antigens(seed: str) -> None:
    from ingest.parsers import parse_document

    records = list(parse_document((ROOT / "samples" / seed).read_bytes()).records)
    vocabulary = default_vocabulary()
    expected = {vocabulary.canonical(name) for name in SEEDS_EXPECTED[seed]["antigens"]}
    assert set(find_antigens(records[0])) == expected


# --- properties ------------------------------------------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "CD19",
        "CAR-T",
        "anti-",
        "BCMA",
        "/",
        "prior",
        "negative",
        "CD28",
        "4-1BB",
        "ζ",
        "靶向",
        "and",
        "CD20+",
        "GD2",
        "-",
        " ",
        "targeting",
        "lymphoma",
        "EGFRt",
        "CART",
        "19",
        "IL-15",
        "PD-L1",
        "x",
        "(",
        ")",
    ]
)


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.lists(_WORDS, max_size=25).map("".join))
def test_the_result_is_always_unique_canonical_names_and_never_a_costimulatory_domain(text: str) -> None:
    result = find_antigens_in_text(text)
    assert len(result) == len(set(result))
    assert not {"CD28", "CD3", "CD8", "CD137", "CD27"} & set(result)
    vocabulary = default_vocabulary()
    assert all(name in vocabulary.names or name.startswith("CD") for name in result)


@hypothesis_settings(max_examples=100, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_eligibility_text_never_changes_the_result(summary: str, criteria: str) -> None:
    plain = record(brief_summary=summary)
    with_criteria = record(brief_summary=summary, inclusion_criteria=criteria, exclusion_criteria=criteria)
    assert find_antigens(plain) == find_antigens(with_criteria)


# --- conditions, evidence --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        (["B-cell lymphoma", "Infusion of CD19 CAR T Cell"], ["CD19"]),
        (["Multiple Myeloma", "BCMA CAR-T Cell Therapy"], ["BCMA"]),
        (["Anti-CD7 CAR-T"], ["CD7"]),
    ],
)
def test_a_target_named_in_a_targeting_context_in_the_conditions_counts(conditions, expected) -> None:
    assert find_antigens(record(title="A clinical study", conditions=conditions)) == expected


@pytest.mark.parametrize(
    "conditions",
    [
        ["CD20-positive B-cell lymphoma"],
        ["HER2-positive breast cancer"],
        ["CD19 negative relapse after CAR-T"],
        ["EGFR mutation"],
        ["CD19 Positive"],
        ["Mesothelin"],
    ],
)
def test_a_condition_naming_an_antigen_outside_a_targeting_context_adds_no_target(conditions) -> None:
    assert find_antigens(record(title="A clinical study of CAR-T cells", conditions=conditions)) == []


def test_cd4_in_cd4_car_foxp3_cells_is_a_cell_marker_not_a_target() -> None:
    assert found("CD4⁺ CAR⁺ Foxp3⁺ cells for autoimmune disease") == set()


def test_each_antigen_carries_the_field_and_phrase_it_was_read_from() -> None:
    result = classify_antigens(record(title="Anti-CD19 CAR-T in ALL", interventions=[Intervention(name="BCMA CAR-T")]))
    assert result.value == ["CD19", "BCMA"]
    assert result.evidence == [
        {"value": "CD19", "field": "title", "phrase": "Anti-CD19 CAR-T in ALL"},
        {"value": "BCMA", "field": "interventions", "phrase": "BCMA CAR-T"},
    ]


def test_a_trial_with_no_target_has_no_antigen_evidence() -> None:
    assert classify_antigens(record(title="CAR-T cells in lymphoma")).evidence == []
