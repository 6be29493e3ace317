"""Conditions, titles and keywords map to canonical diseases with a category; eligibility text never does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.choices import DiseaseCategory
from ingest.normalize import diseases
from ingest.normalize.diseases import (
    BUILTIN_DISEASES,
    DiseaseSpec,
    Vocabulary,
    default_vocabulary,
    find_diseases,
    is_umbrella,
)
from ingest.normalize.values import DiseaseValue
from ingest.records import TrialRecord

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "seeds_expected.json").read_text())
BULK = ROOT.parent / "shared" / "corpus" / "bulk" / "ctgov-cart-snapshot-2026-08-22.json"
CATEGORIES = set(DiseaseCategory.values)


def _record(conditions: list[str] | None = None, **fields) -> TrialRecord:
    fields.setdefault("title", "A study of CAR-T cells")
    return TrialRecord(
        registry="ctgov", registry_id="NCT00000000", source_format="test", conditions=conditions or [], **fields
    )


def _names(record: TrialRecord, **kwargs) -> list[str]:
    return [d.name for d in find_diseases(record, **kwargs)]


def _name_of(condition: str) -> list[str]:
    return _names(_record([condition]))


# --- the vocabulary itself ------------------------------------------------------------------


def test_every_builtin_disease_has_a_valid_category_and_a_unique_name() -> None:
    names = [spec.name for spec in BUILTIN_DISEASES]
    assert len(names) == len(set(names))
    assert {spec.category for spec in BUILTIN_DISEASES} <= CATEGORIES


def test_every_builtin_synonym_finds_exactly_its_own_disease() -> None:
    vocabulary = default_vocabulary()
    wrong = {
        synonym: [spec.name for spec in vocabulary.find([synonym])]
        for disease in BUILTIN_DISEASES
        for synonym in (disease.name, *disease.synonyms)
        if [spec.name for spec in vocabulary.find([synonym])] != [disease.name]
    }
    assert wrong == {}


def test_the_builtin_vocabulary_fits_the_database_columns() -> None:
    too_long = [t for spec in BUILTIN_DISEASES for t in (spec.name, *spec.synonyms) if len(t) > 100 or not t.strip()]
    assert too_long == []


def test_the_database_order_of_the_specs_does_not_change_what_a_synonym_finds() -> None:
    by_name = Vocabulary.from_specs(sorted(BUILTIN_DISEASES, key=lambda spec: spec.name))
    default = default_vocabulary()
    for spec in BUILTIN_DISEASES:
        for synonym in spec.synonyms:
            assert by_name.find([synonym]) == default.find([synonym]), synonym


def test_the_default_vocabulary_is_built_once() -> None:
    assert default_vocabulary() is default_vocabulary()


def test_a_vocabulary_built_from_custom_specs_finds_only_those() -> None:
    vocabulary = Vocabulary.from_specs(
        [DiseaseSpec("Castleman disease", "other", ("Castleman's disease", "CD-MCD", "卡斯尔曼病"))]
    )
    record = _record(["Castleman's Disease", "Multiple Myeloma"], title_zh="卡斯尔曼病")
    assert find_diseases(record, vocabulary=vocabulary) == [DiseaseValue("Castleman disease", "other")]


def test_an_empty_vocabulary_finds_nothing() -> None:
    assert find_diseases(_record(["Multiple Myeloma"]), vocabulary=Vocabulary.from_specs([])) == []


def test_a_synonym_claimed_by_two_specs_belongs_to_the_first() -> None:
    vocabulary = Vocabulary.from_specs(
        [DiseaseSpec("First", "other", ("shared term",)), DiseaseSpec("Second", "other", ("shared term",))]
    )
    assert [spec.name for spec in vocabulary.find(["a Shared Term here"])] == ["First"]


# --- seeds --------------------------------------------------------------------------------------

SEED_RECORDS = {
    "000_dda02b667f938841.txt": _record(
        ["Bone and soft tissue sarcomas"],
        title="A clinical study of universal CAR-T cells targeting B7-H3 for the treatment of relapsed/refractory "
        "bone and soft tissue sarcomas",
        title_zh="靶向B7-H3的通用型CAR-T细胞治疗复发/难治性骨与软组织肉瘤的临床研究",
        exclusion_criteria="Patients with a history of an autoimmune disease, HIV, hepatitis B ...",
    ),
    "001_951ea498f128be5c.txt": _record(
        ["Solid Tumor"],
        title="A Clinical Study Evaluating the Safety and Efficacy of Anti-HER2-CAR-T Cells Injection in Patients "
        "With Solid Tumors",
    ),
    "002_ad789d6ba94932a5.txt": _record(
        ["Sarcoma Osteoid Sarcoma Ewing Sarcoma"],
        title="Safety and Efficacy Evaluation of 4th Generation Safety-engineered CAR T Cells Targeting Sarcomas",
        keywords=["CART", "PD-1", "PDL-1", "CTLA-4", "sarcoma", "solid tumor"],
        exclusion_criteria="Active hepatitis B virus, hepatitis C virus and HIV infection;",
    ),
    "003_8a70a621ca2e797d.txt": _record(
        ["Neuroblastoma (NB) Desmoplastic Small Round Cell Tumor (DSRCT)"],
        title="Safety and Efficacy of CAR-T Cell Therapy for Relapsed/refractory Neuroblastoma and Desmoplastic Small "
        "Round Cell Tumors: a Single-arm, Open-label Trial.",
    ),
    "004_1074b50f3fa4f392.txt": _record(
        ["Refractory Lupus Nephritis"],
        title="Chimeric Antigen Receptor T-Cell Immunotherapy for Refractory Lupus Nephritis",
        title_zh="CAR-T 治疗难治性狼疮性肾炎临床研究",
    ),
}


@pytest.mark.parametrize("seed", sorted(SEED_RECORDS))
def test_each_seed_trial_gets_its_expected_disease_and_only_its_expected_categories(seed: str) -> None:
    found = find_diseases(SEED_RECORDS[seed])
    expected = EXPECTED[seed]
    assert {d.category for d in found} == set(expected["disease_categories"])
    assert any(expected["diseases_match"].lower() in d.name.lower() for d in found), found


def test_seed_003_finds_both_neuroblastoma_and_dsrct() -> None:
    names = _names(SEED_RECORDS["003_8a70a621ca2e797d.txt"])
    assert names == ["Neuroblastoma", "Desmoplastic small round cell tumor"]


# --- mapping families ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected", "category"),
    [
        ("B-cell Acute Lymphoblastic Leukemia", "B-cell acute lymphoblastic leukemia", "hematologic_malignancy"),
        ("Relapsed Pediatric ALL", "B-cell acute lymphoblastic leukemia", "hematologic_malignancy"),
        ("Leukemia, Lymphoblastic, Acute", "B-cell acute lymphoblastic leukemia", "hematologic_malignancy"),
        ("Acute Lymphoblastic Leukaemia", "B-cell acute lymphoblastic leukemia", "hematologic_malignancy"),
        ("T-ALL", "T-cell acute lymphoblastic leukemia/lymphoma", "hematologic_malignancy"),
        ("DLBCL - Diffuse Large B Cell Lymphoma", "Diffuse large B-cell lymphoma", "hematologic_malignancy"),
        ("Lymphoma, Large B-Cell, Diffuse", "Diffuse large B-cell lymphoma", "hematologic_malignancy"),
        ("Follicular Lymphoma", "Follicular lymphoma", "hematologic_malignancy"),
        ("Mantle-Cell Lymphoma", "Mantle cell lymphoma", "hematologic_malignancy"),
        ("Lymphoma, Non-Hodgkin", "B-cell non-Hodgkin lymphoma", "hematologic_malignancy"),
        ("Non-Hodgkin's Lymphoma", "B-cell non-Hodgkin lymphoma", "hematologic_malignancy"),
        ("Lymphoma", "B-cell non-Hodgkin lymphoma", "hematologic_malignancy"),
        ("Classical Hodgkin Lymphoma", "Hodgkin lymphoma", "hematologic_malignancy"),
        ("Peripheral T Cell Lymphoma", "T-cell lymphoma", "hematologic_malignancy"),
        ("CLL/SLL", "Chronic lymphocytic leukemia / small lymphocytic lymphoma", "hematologic_malignancy"),
        ("Relapsed/Refractory Multiple Myeloma (RRMM)", "Multiple myeloma", "hematologic_malignancy"),
        ("Acute Myeloid Leukemia (AML)", "Acute myeloid leukemia", "hematologic_malignancy"),
        ("Myelodysplastic Syndromes", "Myelodysplastic syndrome", "hematologic_malignancy"),
        ("Plasma Cell Leukemia", "Plasma cell leukemia", "hematologic_malignancy"),
        ("Light Chain (AL) Amyloidosis", "AL amyloidosis", "hematologic_malignancy"),
        (
            "Waldenström Macroglobulinemia",
            "Waldenström macroglobulinemia / lymphoplasmacytic lymphoma",
            "hematologic_malignancy",
        ),
        ("Neuroblastoma", "Neuroblastoma", "solid_tumor"),
        ("Osteosarcoma", "Osteosarcoma", "solid_tumor"),
        ("Ewing's Sarcoma", "Ewing sarcoma", "solid_tumor"),
        ("Soft Tissue Sarcoma", "Sarcoma (soft tissue and bone)", "solid_tumor"),
        ("Rhabdomyosarcoma", "Rhabdomyosarcoma", "solid_tumor"),
        ("Glioblastoma Multiforme", "Glioma (incl. glioblastoma)", "solid_tumor"),
        ("Diffuse Intrinsic Pontine Glioma", "Diffuse midline glioma / DIPG", "solid_tumor"),
        ("Medulloblastoma", "Medulloblastoma", "solid_tumor"),
        ("Gastric Cancer", "Gastric cancer", "solid_tumor"),
        ("Pancreatic Ductal Adenocarcinoma (PDAC)", "Pancreatic cancer", "solid_tumor"),
        ("Hepatocellular Carcinoma", "Hepatocellular carcinoma", "solid_tumor"),
        ("Colorectal Cancer", "Colorectal cancer", "solid_tumor"),
        ("Epithelial Ovarian Cancer", "Ovarian cancer", "solid_tumor"),
        ("Triple Negative Breast Cancer", "Breast cancer", "solid_tumor"),
        ("Non-small Cell Lung Cancer", "Non-small cell lung cancer", "solid_tumor"),
        ("Small Cell Lung Cancer", "Small cell lung cancer", "solid_tumor"),
        ("Metastatic Castration-resistant Prostate Cancer", "Prostate cancer", "solid_tumor"),
        ("Malignant Pleural Mesothelioma", "Mesothelioma", "solid_tumor"),
        ("Cholangiocarcinoma", "Cholangiocarcinoma / biliary tract cancer", "solid_tumor"),
        ("Oesophageal Cancer", "Esophageal cancer", "solid_tumor"),
        ("Head and Neck Squamous Cell Carcinoma", "Head and neck cancer", "solid_tumor"),
        ("Nasopharyngeal Carcinoma", "Nasopharyngeal carcinoma", "solid_tumor"),
        ("Renal Cell Carcinoma", "Renal cell carcinoma", "solid_tumor"),
        ("Cervical Cancer", "Cervical cancer", "solid_tumor"),
        ("Thyroid Cancer", "Thyroid cancer", "solid_tumor"),
        ("Melanoma", "Melanoma", "solid_tumor"),
        ("Advanced Solid Tumours", "Solid tumors (unspecified)", "solid_tumor"),
        ("Systemic Lupus Erythematosus (SLE)", "Systemic lupus erythematosus", "autoimmune"),
        ("Lupus Nephritis", "Lupus nephritis", "autoimmune"),
        ("Generalized Myasthenia Gravis (gMG)", "Myasthenia gravis", "autoimmune"),
        ("Idiopathic Inflammatory Myopathies", "Idiopathic inflammatory myopathy (myositis)", "autoimmune"),
        ("Dermatomyositis", "Idiopathic inflammatory myopathy (myositis)", "autoimmune"),
        ("Diffuse Cutaneous Systemic Sclerosis", "Systemic sclerosis", "autoimmune"),
        ("Multiple Sclerosis, Primary Progressive", "Multiple sclerosis", "autoimmune"),
        ("Neuromyelitis Optica Spectrum Disorders (NMOSD)", "Neuromyelitis optica spectrum disorder", "autoimmune"),
        ("Rheumatoid Arthritis", "Rheumatoid arthritis", "autoimmune"),
        ("ANCA-Associated Vasculitis", "ANCA-associated vasculitis", "autoimmune"),
        ("Primary Sjogren&#39;s Syndrome", "Sjögren's syndrome", "autoimmune"),
        ("IgG4-related Disease", "IgG4-related disease", "autoimmune"),
        ("Autoimmune Hemolytic Anemia (AIHA)", "Autoimmune hemolytic anemia", "autoimmune"),
        ("ITP - Immune Thrombocytopenia", "Immune thrombocytopenia", "autoimmune"),
        ("Pemphigus Vulgaris", "Pemphigus", "autoimmune"),
        ("Type 1 Diabetes", "Type 1 diabetes", "autoimmune"),
        ("Autoimmune Diseases", "Autoimmune disease (unspecified)", "autoimmune"),
        ("HIV Infections", "HIV infection", "other"),
    ],
)
def test_real_condition_strings_map_to_their_canonical_disease_and_category(
    condition: str, expected: str, category: str
) -> None:
    assert find_diseases(_record([condition])) == [DiseaseValue(expected, category)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("狼疮性肾炎", ["Lupus nephritis"]),
        ("系统性红斑狼疮", ["Systemic lupus erythematosus"]),
        ("骨与软组织肉瘤", ["Sarcoma (soft tissue and bone)"]),
        ("骨肉瘤", ["Osteosarcoma"]),
        ("神经母细胞瘤", ["Neuroblastoma"]),
        ("多发性骨髓瘤", ["Multiple myeloma"]),
        ("弥漫大B细胞淋巴瘤", ["Diffuse large B-cell lymphoma"]),
        ("非霍奇金淋巴瘤", ["B-cell non-Hodgkin lymphoma"]),
        ("急性髓系白血病", ["Acute myeloid leukemia"]),
        ("白血病", ["Leukemia (unspecified)"]),
        ("晚期实体瘤", ["Solid tumors (unspecified)"]),
    ],
)
def test_chinese_condition_names_map_to_the_same_canonical_diseases(text: str, expected: list[str]) -> None:
    assert _names(_record(title_zh=f"CAR-T治疗{text}的临床研究")) == expected


# --- matching rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Small molecule study for all patients",
        "CAR-T in all comers with small cell disease",
        "A dose of 10 mg or 10 MG daily",
        "Allogeneic CAR-T for everyone",
        "Statistical methods in MMRM models",
    ],
)
def test_short_acronyms_match_only_as_capitalised_whole_words(title: str) -> None:
    assert _names(_record(title=title)) == []


def test_t_all_is_not_also_b_all_and_non_hodgkin_is_not_also_hodgkin() -> None:
    assert _name_of("T-cell Acute Lymphoblastic Leukemia") == ["T-cell acute lymphoblastic leukemia/lymphoma"]
    assert _name_of("Non-Hodgkin Lymphoma") == ["B-cell non-Hodgkin lymphoma"]
    assert _name_of("Hodgkin Lymphoma") == ["Hodgkin lymphoma"]


def test_the_longest_name_wins_so_lupus_nephritis_is_not_also_lupus() -> None:
    assert _name_of("Refractory Lupus Nephritis") == ["Lupus nephritis"]
    assert _names(_record(title_zh="狼疮性肾炎")) == ["Lupus nephritis"]


def test_separators_case_plurals_and_possessives_do_not_matter() -> None:
    for variant in ("B Cell Lymphomas", "B-cell lymphoma", "B_CELL_LYMPHOMA", "b-cell, lymphoma"):
        assert _name_of(variant) == ["B-cell non-Hodgkin lymphoma"], variant
    for variant in ("Sjogren's Syndrome", "Sjögren’s syndrome", "SJOGREN SYNDROME"):
        assert _name_of(variant) == ["Sjögren's syndrome"], variant


def test_a_catch_all_name_is_dropped_when_its_string_names_something_specific() -> None:
    assert _name_of("Triple-negative Breast Cancer Malignancies") == ["Breast cancer"]
    assert _name_of("Cancer") == ["Cancer (unspecified)"]


def test_unspecified_cancer_is_dropped_when_any_specific_disease_is_found() -> None:
    assert _names(_record(["Cancer", "Pancreatic Cancer"])) == ["Pancreatic cancer"]
    assert _names(_record(["Solid Tumor", "Pancreatic Cancer"])) == ["Solid tumors (unspecified)", "Pancreatic cancer"]
    assert is_umbrella(DiseaseSpec("Solid tumors (unspecified)", "solid_tumor"))


def test_conditions_come_first_then_titles_then_keywords_and_each_disease_appears_once() -> None:
    record = _record(
        ["Multiple Myeloma", "Multiple Myeloma (MM)"],
        title="CAR-T in AML and Multiple Myeloma",
        official_title="A study in myeloma and B-ALL",
        keywords=["lupus", "AML"],
    )
    assert _names(record) == [
        "Multiple myeloma",
        "Acute myeloid leukemia",
        "B-cell acute lymphoblastic leukemia",
        "Systemic lupus erythematosus",
    ]


@pytest.mark.parametrize("field", ["inclusion_criteria", "exclusion_criteria", "eligibility_text", "brief_summary"])
def test_eligibility_criteria_and_free_text_never_add_a_disease(field: str) -> None:
    text = "Exclusion: history of multiple sclerosis, HIV infection, lupus or another malignancy (ALL, AML)."
    assert _names(_record(["Neuroblastoma"], **{field: text})) == ["Neuroblastoma"]


def test_a_trial_with_no_recognisable_disease_gets_an_empty_list() -> None:
    assert find_diseases(_record(["Safety and Efficacy"], title="Long-term follow-up of CAR-T recipients")) == []


# --- the real corpus ------------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.skipif(not BULK.exists(), reason="shared bulk corpus not present")
def test_almost_every_clinicaltrials_gov_car_t_trial_gets_a_disease() -> None:
    studies = json.loads(BULK.read_text(encoding="utf-8"))["studies"]
    vocabulary = default_vocabulary()
    missing = [
        study["protocolSection"]["identificationModule"]["nctId"]
        for study in studies
        if not vocabulary.find(
            [
                *study["protocolSection"].get("conditionsModule", {}).get("conditions", []),
                study["protocolSection"]["identificationModule"].get("briefTitle", ""),
            ]
        )
    ]
    assert len(studies) > 2000
    assert len(missing) / len(studies) < 0.01, missing[:20]


# --- properties -----------------------------------------------------------------------------------

AWKWARD = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from(list("ALL AML MM 淋巴瘤白血病狼疮 -/,'’\u200f\u200e\x00０１２")),
    ),
    max_size=80,
)


@settings(max_examples=300)
@given(st.lists(AWKWARD, max_size=4), AWKWARD, st.lists(AWKWARD, max_size=3))
def test_finding_diseases_never_raises_and_returns_unique_categorised_names(
    conditions: list[str], title: str, keywords: list[str]
) -> None:
    found = find_diseases(_record(conditions, title=title or "t", keywords=keywords))
    names = [d.name for d in found]
    assert len(names) == len(set(names))
    assert all(d.category in CATEGORIES for d in found)


@given(
    st.sampled_from(BUILTIN_DISEASES),
    st.sampled_from(["Relapsed ", "Refractory ", "r/r ", ""]),
    st.sampled_from(["", " (adult)", ", recurrent", " in Children"]),
)
def test_a_canonical_name_inside_a_longer_condition_is_still_found(spec: DiseaseSpec, prefix: str, suffix: str) -> None:
    assert spec.name in _name_of(f"{prefix}{spec.name}{suffix}")


def test_the_module_exports_what_the_composer_uses() -> None:
    assert callable(diseases.find_diseases) and callable(diseases.default_vocabulary)


@settings(max_examples=150)
@given(st.lists(st.tuples(AWKWARD, st.lists(AWKWARD, max_size=3)), max_size=4), st.lists(AWKWARD, max_size=3))
def test_a_curated_vocabulary_with_arbitrary_terms_compiles_and_searches_without_raising(
    terms: list[tuple[str, list[str]]], texts: list[str]
) -> None:
    specs = [DiseaseSpec(name or "x", "other", tuple(synonyms)) for name, synonyms in terms]
    found = Vocabulary.from_specs(specs).find(texts + [name for name, _ in terms])
    assert len({spec.name for spec in found}) == len(found)


# --- categories: other, generic words, joined phrases, MeSH headings -------------------------------------


def _categories(*conditions: str, title: str = "A CAR-T study") -> list[str]:
    trial = TrialRecord(
        registry="ctgov", registry_id="NCT00000000", source_format="test", title=title, conditions=list(conditions)
    )
    return diseases.classify_categories(trial).value


@pytest.mark.parametrize(
    "condition",
    [
        "COVID-19 Pneumonia",
        "Autism",
        "Febrile Neutropenia",
        "Kidney Transplant Rejection",
        "ICAHT",
        "Acute Kidney Injury",
        "Platelet Transfusion Refractoriness",
    ],
)
def test_a_stated_condition_that_is_neither_cancer_nor_autoimmune_is_other(condition: str) -> None:
    assert _categories(condition) == ["other"]


@pytest.mark.parametrize("generic", ["Malignant Tumors", "Cancer", "Neoplasms", "Advanced Cancer"])
def test_generic_words_never_add_a_category_beside_a_specific_one(generic: str) -> None:
    assert _categories("Solid Tumor", generic) == ["solid_tumor"]
    assert _categories("Multiple Myeloma", generic) == ["hematologic_malignancy"]


@pytest.mark.parametrize(
    "phrase",
    [
        "Solid and Hematological Malignancies",
        "hematologic and solid tumors",
        "Solid Tumors and Hematologic Malignancies",
    ],
)
def test_a_joined_phrase_gives_both_categories(phrase: str) -> None:
    assert _categories(phrase) == ["hematologic_malignancy", "solid_tumor"]


def test_immune_system_diseases_next_to_myeloma_adds_no_autoimmune_category() -> None:
    assert _categories("Multiple Myeloma", "Immune System Diseases") == ["hematologic_malignancy"]
    assert _categories("Immune System Diseases") == ["autoimmune"]


@pytest.mark.parametrize("condition", ["Immune nephropathy", "Immune-mediated Kidney Disease", "免疫性肾病"])
def test_immune_mediated_kidney_disease_is_autoimmune(condition: str) -> None:
    assert _categories(condition) == ["autoimmune"]


def test_each_category_carries_the_disease_field_and_phrase_that_gave_it() -> None:
    trial = TrialRecord(
        registry="ctgov",
        registry_id="NCT00000000",
        source_format="test",
        title="CD19 CAR-T in lupus nephritis",
        conditions=["Systemic Lupus Erythematosus"],
    )
    result = diseases.classify_categories(trial)
    assert result.evidence == [
        {
            "value": "autoimmune",
            "field": "conditions",
            "phrase": "Systemic Lupus Erythematosus",
            "disease": "Systemic lupus erythematosus",
        }
    ]
