"""Diseases a trial studies, as canonical names with a category.

A `Vocabulary` is built from `DiseaseSpec`s (the built-in ones below, or the
curated ones the importer loads from the database). `find_diseases` reads the
conditions first, then the titles, then the keywords — never the eligibility
criteria, which name diseases a patient must *not* have.

Matching rules:

* Text is compared after NFKC, HTML-entity decoding, accent stripping and
  British→American spelling (leukaemia, tumour, haem-, oesophag-).
* ASCII synonyms match on word boundaries, ignoring case, with hyphens,
  underscores, commas, slashes and spaces interchangeable between words and an
  optional plural / possessive "s" after each word ("Non-Hodgkin's lymphomas").
* A short all-capital acronym (up to four letters/digits: ALL, AML, CLL, MM,
  MS, MG, SLE...) only matches in capitals and never right after a number, so
  "all", "small", "10 mg" or "10 MG" never match. Longer or mixed-case
  acronyms (B-ALL, DLBCL, SSc) ignore case.
* Chinese synonyms match as substrings.
* At each position the longest synonym wins, and matches never overlap:
  "T-cell acute lymphoblastic leukemia" is T-ALL only, "non-Hodgkin lymphoma"
  is not also Hodgkin lymphoma, "狼疮性肾炎" is lupus nephritis, not also lupus.
* Catch-all names end in "(unspecified)". One is kept only when its string
  names nothing more specific ("Triple-negative breast cancer" is not also
  "Cancer (unspecified)"), and "Cancer (unspecified)" (category other) is
  dropped whenever any specific disease is found.
* Generic words map to the family most CAR-T trials mean: a bare "lymphoma"
  or "NHL" is B-cell non-Hodgkin lymphoma, "ALL" is B-ALL, "myeloma" is
  multiple myeloma, "lupus" is SLE, "sarcoma" is "Sarcoma (soft tissue and
  bone)".
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ingest.normalize.classification import Classification, found
from ingest.normalize.values import DiseaseValue
from ingest.records import TrialRecord

HEME = "hematologic_malignancy"
IMMUNE_SYSTEM_UMBRELLA = "Immune system diseases (unspecified)"
SOLID = "solid_tumor"
AUTOIMMUNE = "autoimmune"
OTHER = "other"
CATEGORIES = (HEME, SOLID, AUTOIMMUNE, OTHER)


@dataclass(frozen=True)
class DiseaseSpec:
    """One canonical disease: its name, category and the strings that denote it.

    The name itself always matches too; it need not be repeated in `synonyms`.
    """

    name: str
    category: str
    synonyms: tuple[str, ...] = ()


def _spec(name: str, category: str, *synonyms: str) -> DiseaseSpec:
    return DiseaseSpec(name, category, tuple(synonyms))


BUILTIN_DISEASES: tuple[DiseaseSpec, ...] = (
    # --- hematologic malignancies -------------------------------------------------
    _spec(
        "B-cell acute lymphoblastic leukemia",
        HEME,
        "B-ALL",
        "ALL",
        "B ALL",
        "B-cell ALL",
        "B-precursor ALL",
        "Ph-like ALL",
        "Ph+ ALL",
        "r/r ALL",
        "B-cell acute lymphoblastic leukemia",
        "B acute lymphoblastic leukemia",
        "B-acute lymphoblastic leukemia",
        "B-cell acute lymphocytic leukemia",
        "B acute lymphocytic leukemia",
        "B-precursor acute lymphoblastic leukemia",
        "precursor B-cell acute lymphoblastic leukemia",
        "B-cell precursor acute lymphoblastic leukemia",
        "acute B-lymphoblastic leukemia",
        "acute B lymphoblastic leukemia",
        "acute lymphoblastic leukemia",
        "acute lymphocytic leukemia",
        "acute lymphoid leukemia",
        "acute lymphatic leukemia",
        "acute lymphobkastic leukemia",
        "lymphoblastic leukemia",
        "lymphoblastic leukemia acute",
        "leukemia lymphoblastic acute",
        "leukemia acute lymphoblastic",
        "leukemia lymphocytic acute",
        "leukemia acute lymphocytic",
        "leukemia lymphocytic acute B-cell",
        "lymphoblastic leukemia acute childhood",
        "B-lymphoblastic leukemia",
        "B lymphoblastic leukemia/lymphoma",
        "B-cell lymphoblastic leukemia/lymphoma",
        "B-lymphoblastic lymphoma",
        "B lineage lymphoblastic lymphoma",
        "precursor B-lymphoblastic lymphoma",
        "precursor cell lymphoblastic leukemia-lymphoma",
        "lymphoblastic lymphoma",
        "急性B淋巴细胞白血病",
        "B细胞急性淋巴细胞白血病",
        "急性B淋巴母细胞白血病",
        "B淋巴母细胞白血病",
        "急性淋巴细胞白血病",
        "急性淋巴母细胞白血病",
        "B-急性淋巴细胞白血病",
        "淋巴母细胞淋巴瘤",
    ),
    _spec(
        "T-cell acute lymphoblastic leukemia/lymphoma",
        HEME,
        "T-ALL",
        "T-LBL",
        "T-ALL/LBL",
        "T-cell ALL",
        "T-cell acute lymphoblastic leukemia",
        "T acute lymphoblastic leukemia",
        "T-acute lymphoblastic leukemia",
        "T-cell acute lymphocytic leukemia",
        "T-cell acute lymphoblastic lymphoma",
        "T-lymphoblastic lymphoma",
        "T-lymphoblastic leukemia",
        "T-cell lymphoblastic lymphoma",
        "T-cell lymphoblastic leukemia",
        "T lymphoblastic leukemia/lymphoma",
        "precursor T-cell lymphoblastic leukemia",
        "precursor T-cell lymphoblastic leukemia-lymphoma",
        "early T-cell precursor",
        "急性T淋巴细胞白血病",
        "T细胞急性淋巴细胞白血病",
        "T淋巴母细胞淋巴瘤",
        "T淋巴母细胞白血病",
    ),
    _spec(
        "Diffuse large B-cell lymphoma",
        HEME,
        "DLBCL",
        "LBCL",
        "r/r DLBCL",
        "diffuse large B-cell lymphoma",
        "diffuse large cell lymphoma",
        "large B-cell lymphoma",
        "large B-cell diffuse lymphoma",
        "diffuse-large B-cell lymphoma",
        "lymphoma large B-cell diffuse",
        "lymphoma diffuse large B-cell",
        "transformed follicular lymphoma",
        "tFL",
        "transformed lymphoma",
        "transformed indolent lymphoma",
        "transformed non-Hodgkin lymphoma",
        "transformed B-cell non-Hodgkin lymphoma",
        "transformed indolent B-cell non-Hodgkin lymphoma",
        "Richter transformation",
        "Richter syndrome",
        "Richter's transformation",
        "large cell lymphoma",
        "immunoblastic large cell lymphoma",
        "弥漫大B细胞淋巴瘤",
        "弥漫性大B细胞淋巴瘤",
        "大B细胞淋巴瘤",
    ),
    _spec(
        "Primary mediastinal large B-cell lymphoma",
        HEME,
        "PMBCL",
        "PMBL",
        "primary mediastinal B-cell lymphoma",
        "primary mediastinal (thymic) large B-cell lymphoma",
        "primary mediastinal (thymic) large B-cell cell lymphoma",
        "mediastinal large B-cell lymphoma",
        "mediastinal B-cell diffuse large cell lymphoma",
        "原发纵隔大B细胞淋巴瘤",
    ),
    _spec(
        "High-grade B-cell lymphoma",
        HEME,
        "HGBL",
        "HGBCL",
        "high grade B-cell lymphoma",
        "double-hit lymphoma",
        "triple-hit lymphoma",
        "高级别B细胞淋巴瘤",
    ),
    _spec(
        "Follicular lymphoma",
        HEME,
        "FL",
        "follicular lymphoma",
        "lymphoma follicular",
        "follicular B-cell non-Hodgkin lymphoma",
        "follicular non-Hodgkin lymphoma",
        "follicle center lymphoma",
        "follicle centre lymphoma",
        "滤泡性淋巴瘤",
        "滤泡淋巴瘤",
    ),
    _spec(
        "Mantle cell lymphoma",
        HEME,
        "MCL",
        "mantle cell lymphoma",
        "lymphoma mantle-cell",
        "mantle cell",
        "套细胞淋巴瘤",
    ),
    _spec(
        "Marginal zone lymphoma",
        HEME,
        "MZL",
        "marginal zone lymphoma",
        "marginal zone B-cell lymphoma",
        "MALT lymphoma",
        "mucosa-associated lymphoid tissue lymphoma",
        "splenic marginal zone lymphoma",
        "边缘区淋巴瘤",
    ),
    _spec(
        "Chronic lymphocytic leukemia / small lymphocytic lymphoma",
        HEME,
        "CLL",
        "SLL",
        "CLL/SLL",
        "B-CLL",
        "B-cell CLL",
        "chronic lymphocytic leukemia",
        "chronic lymphoid leukemia",
        "B-cell chronic lymphocytic leukemia",
        "small lymphocytic lymphoma",
        "B-cell small lymphocytic lymphoma",
        "leukemia lymphocytic chronic",
        "leukemia lymphocytic chronic B-cell",
        "lymphoma small lymphocytic",
        "lymphocytic leukemia (CLL)",
        "慢性淋巴细胞白血病",
        "小淋巴细胞淋巴瘤",
    ),
    _spec(
        "Prolymphocytic leukemia",
        HEME,
        "prolymphocytic leukemia",
        "B-cell prolymphocytic leukemia",
        "B-PLL",
        "幼淋巴细胞白血病",
    ),
    _spec("Hairy cell leukemia", HEME, "hairy cell leukemia", "毛细胞白血病"),
    _spec("Burkitt lymphoma", HEME, "Burkitt lymphoma", "Burkitt's lymphoma", "Burkitt leukemia", "伯基特淋巴瘤"),
    _spec(
        "Primary CNS lymphoma",
        HEME,
        "PCNSL",
        "primary CNS lymphoma",
        "CNS lymphoma",
        "primary central nervous system lymphoma",
        "central nervous system lymphoma",
        "lymphoma CNS",
        "secondary CNS lymphoma",
        "原发中枢神经系统淋巴瘤",
        "中枢神经系统淋巴瘤",
    ),
    _spec(
        "Waldenström macroglobulinemia / lymphoplasmacytic lymphoma",
        HEME,
        "Waldenstrom macroglobulinemia",
        "Waldenstrom's macroglobulinemia",
        "lymphoplasmacytic lymphoma",
        "华氏巨球蛋白血症",
        "淋巴浆细胞淋巴瘤",
    ),
    _spec(
        "B-cell non-Hodgkin lymphoma",
        HEME,
        "B-NHL",
        "NHL",
        "r/r B-NHL",
        "B-cell non-Hodgkin lymphoma",
        "B non-Hodgkin lymphoma",
        "B-cell non Hodgkin lymphoma",
        "non-Hodgkin B-cell lymphoma",
        "non-Hodgkin lymphoma B-cell",
        "non-Hodgkin lymphoma",
        "non Hodgkin lymphoma",
        "nonhodgkin lymphoma",
        "non-Hodgkins lymphoma",
        "lymphoma non-Hodgkin",
        "lymphoma nonhodgkin",
        "lymphomas non-Hodgkin's B-cell",
        "B-cell lymphoma",
        "lymphoma B-cell",
        "B lymphoma",
        "B-cell lymphomas",
        "indolent lymphoma",
        "indolent non-Hodgkin lymphoma",
        "indolent B-cell lymphoma",
        "aggressive lymphoma",
        "agressive lymphoma",
        "aggressive B-cell lymphoma",
        "malignant lymphoma",
        "lymphoma malignant",
        "lymphoma",
        "CD19+ B-cell lymphoma",
        "B细胞非霍奇金淋巴瘤",
        "非霍奇金淋巴瘤",
        "B细胞淋巴瘤",
        "淋巴瘤",
    ),
    _spec(
        "Hodgkin lymphoma",
        HEME,
        "cHL",
        "Hodgkin lymphoma",
        "Hodgkin's lymphoma",
        "Hodgkin disease",
        "Hodgkin's disease",
        "classical Hodgkin lymphoma",
        "lymphoma Hodgkin",
        "霍奇金淋巴瘤",
    ),
    _spec(
        "T-cell lymphoma",
        HEME,
        "PTCL",
        "CTCL",
        "ALCL",
        "AITL",
        "T-NHL",
        "ATLL",
        "NKTCL",
        "T-cell lymphoma",
        "T cell lymphoma",
        "lymphoma T-cell",
        "lymphoma T-cell peripheral",
        "peripheral T-cell lymphoma",
        "T-cell non-Hodgkin lymphoma",
        "T non-Hodgkin lymphoma",
        "T-non-Hodgkin lymphoma",
        "cutaneous T-cell lymphoma",
        "angioimmunoblastic T-cell lymphoma",
        "anaplastic large cell lymphoma",
        "lymphoma large-cell anaplastic",
        "cutaneous anaplastic large cell lymphoma",
        "NK/T-cell lymphoma",
        "NK/T cell lymphoma",
        "NK-T-cell lymphoma",
        "natural killer/T-cell lymphoma",
        "extranodal NK/T-cell lymphoma",
        "lymphoma extranodal NK-T-cell",
        "NK cell lymphoma",
        "mycosis fungoides",
        "Sezary syndrome",
        "enteropathy-associated T-cell lymphoma",
        "enteropathy-type intestinal T-cell lymphoma",
        "hepatosplenic T-cell lymphoma",
        "adult T-cell leukemia/lymphoma",
        "adult T-cell lymphoma/leukemia",
        "T-cell leukemia",
        "leukemia T-cell",
        "T-cell prolymphocytic leukemia",
        "T-PLL",
        "large granular lymphocytic leukemia",
        "T-cell large granular lymphocytic leukemia",
        "lymphomatoid papulosis",
        "T-cell malignancies",
        "T-cell malignancy",
        "T-cell neoplasms",
        "T-cell hematologic malignancies",
        "cutaneous lymphoma",
        "T细胞淋巴瘤",
        "外周T细胞淋巴瘤",
        "NK/T细胞淋巴瘤",
        "T细胞恶性肿瘤",
    ),
    _spec(
        "Post-transplant lymphoproliferative disorder",
        HEME,
        "PTLD",
        "post-transplant lymphoproliferative disorder",
        "移植后淋巴增殖性疾病",
    ),
    _spec(
        "Multiple myeloma",
        HEME,
        "MM",
        "RRMM",
        "NDMM",
        "RMM",
        "r/r MM",
        "multiple myeloma",
        "myeloma multiple",
        "plasma cell myeloma",
        "myeloma",
        "smoldering multiple myeloma",
        "multiple myeloma of bone",
        "myeloma plasma-cell",
        "多发性骨髓瘤",
        "骨髓瘤",
    ),
    _spec(
        "Plasma cell leukemia",
        HEME,
        "PCL",
        "pPCL",
        "plasma cell leukemia",
        "primary plasma cell leukemia",
        "浆细胞白血病",
    ),
    _spec(
        "AL amyloidosis",
        HEME,
        "amyloidosis",
        "light chain amyloidosis",
        "AL amyloidosis",
        "light chain (AL) amyloidosis",
        "轻链型淀粉样变",
        "淀粉样变性",
        "淀粉样变",
    ),
    _spec("POEMS syndrome", HEME, "POEMS", "POEMS syndrome", "POEMS综合征"),
    _spec(
        "Plasma cell neoplasm (other)",
        HEME,
        "plasma cell neoplasm",
        "neoplasm plasma cell",
        "plasma cell neoplasms",
        "plasmacytoma",
        "plasma cell dyscrasia",
        "plasma cell tumor",
        "paraproteinemias",
        "浆细胞肿瘤",
        "浆细胞瘤",
    ),
    _spec(
        "Acute myeloid leukemia",
        HEME,
        "AML",
        "r/r AML",
        "ANLL",
        "sAML",
        "AML/MDS",
        "acute myeloid leukemia",
        "acute myelogenous leukemia",
        "acute myelocytic leukemia",
        "acute myeloblastic leukemia",
        "acute non-lymphocytic leukemia",
        "acute nonlymphocytic leukemia",
        "leukemia myeloid acute",
        "leukemia acute myelogenous",
        "leukemia myelogenous acute",
        "myeloid leukemia",
        "adult myeloid leukemia",
        "secondary AML",
        "急性髓系白血病",
        "急性髓细胞白血病",
        "急性髓性白血病",
        "急性髓细胞性白血病",
        "急性非淋巴细胞白血病",
    ),
    _spec(
        "Myelodysplastic syndrome",
        HEME,
        "MDS",
        "myelodysplastic syndrome",
        "myelodysplastic syndromes",
        "myelodysplasia",
        "myelodysplastic neoplasm",
        "骨髓增生异常综合征",
    ),
    _spec(
        "Chronic myeloid leukemia",
        HEME,
        "CML",
        "chronic myeloid leukemia",
        "chronic myelogenous leukemia",
        "慢性髓系白血病",
        "慢性粒细胞白血病",
    ),
    _spec(
        "Blastic plasmacytoid dendritic cell neoplasm",
        HEME,
        "BPDCN",
        "blastic plasmacytoid dendritic cell neoplasm",
        "母细胞性浆细胞样树突细胞肿瘤",
    ),
    _spec(
        "Mixed-phenotype acute leukemia",
        HEME,
        "MPAL",
        "mixed phenotype acute leukemia",
        "acute biphenotypic leukemia",
        "biphenotypic leukemia",
        "acute leukemia of ambiguous lineage",
        "混合表型急性白血病",
    ),
    _spec(
        "Myeloid malignancies (unspecified)",
        HEME,
        "myeloid malignancies",
        "myeloid malignancy",
        "myeloid neoplasms",
        "myeloproliferative disorders",
        "myeloproliferative neoplasm",
        "髓系肿瘤",
    ),
    _spec(
        "Acute leukemia (unspecified)",
        HEME,
        "acute leukemia",
        "CD19+ acute leukemia",
        "CD7+ acute leukemia",
        "急性白血病",
    ),
    _spec(
        "Leukemia (unspecified)",
        HEME,
        "leukemia",
        "B-cell leukemia",
        "leukemia B-cell",
        "lymphocytic leukemia",
        "leukemia lymphocytic",
        "lymphoid leukemia",
        "therapy related leukemia",
        "白血病",
    ),
    _spec(
        "B-cell malignancies (unspecified)",
        HEME,
        "B-cell malignancies",
        "B-cell malignancy",
        "B-cell neoplasms",
        "B-cell neoplasm",
        "B-cell tumors",
        "B-cell tumor",
        "B-cell hematologic malignancies",
        "B-cell hematological malignancies",
        "B-lymphoid malignancies",
        "B-cell lymphoid malignancies",
        "B-cell lymphoproliferative disorders",
        "B-cell leukemia and lymphoma",
        "CD19-positive malignancies",
        "CD19+ malignancies",
        "CD19 expressing malignancies",
        "CD19-positive B-cell malignancies",
        "B细胞恶性肿瘤",
        "B细胞血液肿瘤",
    ),
    _spec(
        "Lymphoid malignancies (unspecified)",
        HEME,
        "lymphoid malignancies",
        "lymphoid malignancy",
        "lymphoid neoplasms",
        "lymphoid hematologic malignancies",
        "lymphoid hematological malignancies",
        "lymphoproliferative disorders",
        "lymphoproliferative disease",
        "immunoproliferative disorders",
        "lymphoma leukemia",
        "leukemia lymphoma",
        "lymphatic diseases",
        "淋巴系统恶性肿瘤",
        "淋巴增殖性疾病",
    ),
    _spec(
        "Hematologic malignancies (unspecified)",
        HEME,
        "hematologic malignancies",
        "hematologic malignancy",
        "hematological malignancy",
        "hematological malignancies",
        "hematologic neoplasms",
        "hematologic neoplasm",
        "hematological neoplasms",
        "hematologic cancer",
        "hematological cancer",
        "hematopoietic/lymphoid cancer",
        "hematopoietic and lymphoid cell neoplasm",
        "hematopoietic and lymphoid neoplasms",
        "hematologic diseases",
        "hematological diseases",
        "hematologic tumors",
        "hematological tumors",
        "blood cancer",
        "blood cancers",
        "liquid tumors",
        "血液肿瘤",
        "血液系统恶性肿瘤",
        "血液恶性肿瘤",
        "血液系统肿瘤",
        "恶性血液病",
        "血液病",
    ),
    # --- solid tumours --------------------------------------------------------------
    _spec("Neuroblastoma", SOLID, "neuroblastoma", "ganglioneuroblastoma", "high-risk neuroblastoma", "神经母细胞瘤"),
    _spec("Osteosarcoma", SOLID, "osteosarcoma", "osteogenic sarcoma", "osteoid sarcoma", "骨肉瘤"),
    _spec(
        "Ewing sarcoma",
        SOLID,
        "Ewing sarcoma",
        "Ewing's sarcoma",
        "sarcoma Ewing",
        "Ewing family tumors",
        "Ewing tumor",
        "尤文肉瘤",
        "尤因肉瘤",
    ),
    _spec("Rhabdomyosarcoma", SOLID, "rhabdomyosarcoma", "RMS", "横纹肌肉瘤"),
    _spec(
        "Desmoplastic small round cell tumor",
        SOLID,
        "DSRCT",
        "desmoplastic small round cell tumor",
        "desmoplastic small round-cell tumor",
        "促纤维增生性小圆细胞肿瘤",
    ),
    _spec(
        "Sarcoma (soft tissue and bone)",
        SOLID,
        "sarcoma",
        "soft tissue sarcoma",
        "bone sarcoma",
        "bone and soft tissue sarcoma",
        "bone and soft-tissue sarcoma",
        "soft tissue and bone sarcoma",
        "STS",
        "liposarcoma",
        "synovial sarcoma",
        "leiomyosarcoma",
        "clear cell sarcoma",
        "alveolar soft part sarcoma",
        "ASPS",
        "embryonal sarcoma",
        "fibrosarcoma",
        "chondrosarcoma",
        "angiosarcoma",
        "undifferentiated sarcoma",
        "malignant peripheral nerve sheath tumor",
        "MPNST",
        "neoplasms connective and soft tissue",
        "neoplasms connective tissue",
        "neoplasms bone tissue",
        "骨与软组织肉瘤",
        "骨和软组织肉瘤",
        "软组织肉瘤",
        "骨肉瘤和软组织肉瘤",
        "滑膜肉瘤",
        "脂肪肉瘤",
        "平滑肌肉瘤",
        "肉瘤",
    ),
    _spec("Wilms tumor", SOLID, "Wilms tumor", "Wilms' tumor", "nephroblastoma", "肾母细胞瘤"),
    _spec("Hepatoblastoma", SOLID, "hepatoblastoma", "肝母细胞瘤"),
    _spec("Retinoblastoma", SOLID, "retinoblastoma", "视网膜母细胞瘤"),
    _spec(
        "Germ cell tumor",
        SOLID,
        "germ cell tumor",
        "yolk sac tumor",
        "testicular cancer",
        "seminoma",
        "choriocarcinoma",
        "生殖细胞肿瘤",
    ),
    _spec(
        "Rhabdoid tumor",
        SOLID,
        "rhabdoid tumor",
        "malignant rhabdoid tumor",
        "atypical teratoid/rhabdoid tumor",
        "atypical teratoid",
        "ATRT",
        "AT/RT",
        "横纹肌样瘤",
    ),
    _spec("Medulloblastoma", SOLID, "medulloblastoma", "髓母细胞瘤"),
    _spec("Ependymoma", SOLID, "ependymoma", "ependymal tumor", "室管膜瘤"),
    _spec(
        "CNS embryonal tumor",
        SOLID,
        "embryonal tumor",
        "primitive neuroectodermal tumor",
        "PNET",
        "pineoblastoma",
        "ETMR",
        "胚胎性肿瘤",
        "原始神经外胚层肿瘤",
    ),
    _spec(
        "Diffuse midline glioma / DIPG",
        SOLID,
        "DIPG",
        "DMG",
        "diffuse intrinsic pontine glioma",
        "diffuse midline glioma",
        "brainstem glioma",
        "brain stem glioma",
        "glioma of brainstem",
        "pontine glioma",
        "H3 K27M-mutant glioma",
        "弥漫性中线胶质瘤",
        "弥漫内生性脑桥胶质瘤",
        "脑干胶质瘤",
    ),
    _spec(
        "Glioma (incl. glioblastoma)",
        SOLID,
        "GBM",
        "HGG",
        "glioblastoma",
        "glioblastoma multiforme",
        "gliosarcoma",
        "glioma",
        "high-grade glioma",
        "malignant glioma",
        "glioma malignant",
        "low-grade glioma",
        "astrocytoma",
        "oligodendroglioma",
        "WHO grade III glioma",
        "WHO grade II glioma",
        "glioma of spinal cord",
        "胶质母细胞瘤",
        "高级别胶质瘤",
        "胶质瘤",
        "星形细胞瘤",
    ),
    _spec(
        "Brain and CNS tumors (unspecified)",
        SOLID,
        "brain tumor",
        "brain cancer",
        "brain neoplasm",
        "malignant brain neoplasm",
        "brain tumors",
        "CNS tumor",
        "central nervous system tumor",
        "central nervous system neoplasms",
        "CNS neoplasm",
        "brain (nervous system) cancers",
        "choroid plexus carcinoma",
        "leptomeningeal metastases",
        "brain metastases",
        "metastatic malignant neoplasm in the brain",
        "metastatic malignant neoplasm in the leptomeninges",
        "脑肿瘤",
        "中枢神经系统肿瘤",
        "脑转移",
    ),
    _spec(
        "Gastric cancer",
        SOLID,
        "gastric cancer",
        "gastric carcinoma",
        "gastric adenocarcinoma",
        "stomach cancer",
        "stomach neoplasms",
        "neoplasm stomach",
        "stomach neoplasm",
        "gastroesophageal junction adenocarcinoma",
        "gastroesophageal junction cancer",
        "gastro-esophageal junction",
        "esophagogastric junction",
        "adenocarcinoma of esophagogastric junction",
        "GEJ",
        "胃癌",
        "胃食管结合部腺癌",
        "胃腺癌",
    ),
    _spec(
        "Pancreatic cancer",
        SOLID,
        "PDAC",
        "PDA",
        "pancreatic cancer",
        "pancreatic carcinoma",
        "pancreatic adenocarcinoma",
        "pancreatic ductal adenocarcinoma",
        "metastatic pancreatic (ductal) adenocarcinoma",
        "pancreas cancer",
        "cancer of the pancreas",
        "pancreatic neoplasms",
        "malignant tumor of pancreas",
        "胰腺癌",
        "胰腺导管腺癌",
    ),
    _spec(
        "Hepatocellular carcinoma",
        SOLID,
        "HCC",
        "hepatocellular carcinoma",
        "hepatocellular cancer",
        "carcinoma hepatocellular",
        "liver cancer",
        "hepatic carcinoma",
        "hepatic cancer",
        "liver cell carcinoma",
        "hepatoma",
        "liver carcinoma",
        "liver neoplasms",
        "primary liver cancer",
        "肝细胞癌",
        "肝细胞肝癌",
        "原发性肝癌",
        "肝癌",
    ),
    _spec(
        "Colorectal cancer",
        SOLID,
        "CRC",
        "mCRC",
        "colorectal cancer",
        "colorectal carcinoma",
        "colorectal adenocarcinoma",
        "colorectal neoplasms",
        "colon cancer",
        "colon carcinoma",
        "colon adenocarcinoma",
        "rectal cancer",
        "rectal carcinoma",
        "rectal adenocarcinoma",
        "cancer of colon",
        "colonic neoplasms",
        "adenocarcinoma of colon",
        "adenocarcinoma of the colon",
        "colon cancer liver metastasis",
        "结直肠癌",
        "结肠癌",
        "直肠癌",
        "肠癌",
    ),
    _spec(
        "Ovarian cancer",
        SOLID,
        "ovarian cancer",
        "ovarian carcinoma",
        "ovarian neoplasms",
        "ovarian tumor",
        "ovary cancer",
        "ovarian epithelial cancer",
        "epithelial ovarian cancer",
        "carcinoma ovarian epithelial",
        "ovarian adenocarcinoma",
        "ovarian epithelial carcinoma",
        "fallopian tube cancer",
        "fallopian tube carcinoma",
        "primary peritoneal carcinoma",
        "primary peritoneal cancer",
        "high grade serous carcinoma",
        "卵巢癌",
        "输卵管癌",
    ),
    _spec(
        "Breast cancer",
        SOLID,
        "TNBC",
        "breast cancer",
        "breast carcinoma",
        "breast neoplasm",
        "breast neoplasms",
        "triple negative breast cancer",
        "triple negative breast carcinoma",
        "triple negative breast",
        "HER2-positive breast cancer",
        "triple-negative invasive breast carcinoma",
        "malignant neoplasm of breast",
        "metastatic HER2-negative breast",
        "phyllodes breast tumor",
        "乳腺癌",
        "三阴性乳腺癌",
    ),
    _spec(
        "Non-small cell lung cancer",
        SOLID,
        "NSCLC",
        "non-small cell lung cancer",
        "non small cell lung cancer",
        "nonsmall cell lung cancer",
        "non-small-cell lung cancer",
        "non-small cell lung carcinoma",
        "lung cancer non-small-cell",
        "lung cancer nonsmall cell",
        "lung non-small cell carcinoma",
        "lung non-small cell cancer",
        "non-small cell carcinoma of lung",
        "non-small cell squamous lung cancer",
        "lung adenocarcinoma",
        "adenocarcinoma of lung",
        "lung squamous cell carcinoma",
        "squamous cell lung cancer",
        "非小细胞肺癌",
        "肺腺癌",
        "肺鳞癌",
    ),
    _spec(
        "Small cell lung cancer",
        SOLID,
        "SCLC",
        "small cell lung cancer",
        "small cell lung carcinoma",
        "small-cell lung cancer",
        "carcinoma small cell",
        "小细胞肺癌",
    ),
    _spec(
        "Lung cancer",
        SOLID,
        "lung cancer",
        "lung carcinoma",
        "lung neoplasm",
        "lung neoplasms",
        "lung neoplasm malignant",
        "lung tumor",
        "pulmonary cancer",
        "肺癌",
    ),
    _spec(
        "Prostate cancer",
        SOLID,
        "mCRPC",
        "CRPC",
        "prostate cancer",
        "prostate carcinoma",
        "prostatic cancer",
        "prostatic neoplasms",
        "prostatic neoplasms castration-resistant",
        "neoplasms prostate",
        "castration-resistant prostate",
        "castration resistant prostate cancer",
        "metastatic castration-resistant prostate cancer",
        "prostate adenocarcinoma",
        "前列腺癌",
    ),
    _spec(
        "Mesothelioma",
        SOLID,
        "MPM",
        "mesothelioma",
        "malignant pleural mesothelioma",
        "mesothelioma peritoneum",
        "mesotheliomas pleural",
        "间皮瘤",
    ),
    _spec(
        "Cholangiocarcinoma / biliary tract cancer",
        SOLID,
        "cholangiocarcinoma",
        "bile duct cancer",
        "bile duct carcinoma",
        "biliary tract cancer",
        "biliary tract carcinoma",
        "biliary cancer",
        "gallbladder cancer",
        "gallbladder carcinoma",
        "胆管癌",
        "胆道癌",
        "胆囊癌",
    ),
    _spec(
        "Esophageal cancer",
        SOLID,
        "ESCC",
        "esophageal cancer",
        "esophageal carcinoma",
        "esophagus cancer",
        "esophageal adenocarcinoma",
        "esophageal squamous cell carcinoma",
        "esophageal neoplasms",
        "食管癌",
        "食管鳞癌",
    ),
    _spec(
        "Head and neck cancer",
        SOLID,
        "HNSCC",
        "SCCHN",
        "head and neck cancer",
        "head and neck squamous cell carcinoma",
        "head and neck carcinoma",
        "head and neck neoplasms",
        "oral cancer",
        "oral squamous cell carcinoma",
        "laryngeal cancer",
        "oropharyngeal cancer",
        "salivary gland cancer",
        "salivary gland tumor",
        "cancer of the salivary gland",
        "adenoid cystic carcinoma",
        "salivary duct carcinoma",
        "mucoepidermoid carcinoma",
        "acinic cell tumor",
        "头颈部鳞癌",
        "头颈部肿瘤",
        "头颈癌",
        "口腔癌",
    ),
    _spec(
        "Nasopharyngeal carcinoma",
        SOLID,
        "NPC",
        "nasopharyngeal carcinoma",
        "nasopharyngeal cancer",
        "nasopharyngeal neoplasms",
        "malignant neoplasm of nasopharynx",
        "鼻咽癌",
    ),
    _spec(
        "Renal cell carcinoma",
        SOLID,
        "RCC",
        "ccRCC",
        "renal cell carcinoma",
        "renal cell cancer",
        "renal cancer",
        "renal carcinoma",
        "kidney cancer",
        "kidney carcinoma",
        "clear cell renal cell carcinoma",
        "肾细胞癌",
        "肾癌",
    ),
    _spec(
        "Cervical cancer",
        SOLID,
        "cervical cancer",
        "cervix cancer",
        "cervical carcinoma",
        "uterine cervical cancer",
        "cancer of the cervix",
        "宫颈癌",
    ),
    _spec(
        "Endometrial cancer",
        SOLID,
        "endometrial cancer",
        "endometrial carcinoma",
        "uterine cancer",
        "endometrioid tumor",
        "endometrioid carcinoma",
        "子宫内膜癌",
    ),
    _spec("Thyroid cancer", SOLID, "thyroid cancer", "thyroid carcinoma", "anaplastic thyroid cancer", "甲状腺癌"),
    _spec("Melanoma", SOLID, "melanoma", "uveal melanoma", "黑色素瘤"),
    _spec(
        "Bladder and urothelial cancer",
        SOLID,
        "bladder cancer",
        "bladder carcinoma",
        "urothelial carcinoma",
        "urothelial cancer",
        "urothelial carcinoma bladder",
        "carcinoma transitional cell",
        "膀胱癌",
        "尿路上皮癌",
    ),
    _spec(
        "Neuroendocrine tumor",
        SOLID,
        "neuroendocrine tumor",
        "neuroendocrine tumors",
        "neuroendocrine carcinoma",
        "neuroendocrine neoplasm",
        "pancreatic neuroendocrine tumor",
        "paraganglioma",
        "pheochromocytoma",
        "神经内分泌肿瘤",
        "神经内分泌癌",
    ),
    _spec("Adrenocortical carcinoma", SOLID, "adrenocortical carcinoma", "肾上腺皮质癌"),
    _spec("Thymic carcinoma / thymoma", SOLID, "thymic carcinoma", "thymoma", "胸腺癌", "胸腺瘤"),
    _spec(
        "Peritoneal metastases",
        SOLID,
        "peritoneal carcinomatosis",
        "peritoneal metastases",
        "peritoneal carcinoma",
        "peritoneal tumor",
        "腹膜转移",
    ),
    _spec(
        "Malignant pleural effusion",
        SOLID,
        "malignant pleural effusion",
        "pleural effusion malignant",
        "malignant pleural disease",
        "恶性胸腔积液",
    ),
    _spec("Liver metastases", SOLID, "liver metastases", "liver metastasis", "肝转移"),
    _spec(
        "Gastrointestinal cancer (unspecified)",
        SOLID,
        "gastrointestinal cancer",
        "gastrointestinal tumors",
        "gastrointestinal tumor",
        "digestive system cancer",
        "malignant neoplasms of digestive organs",
        "digestive tumor",
        "digestive system tumor",
        "digestive system tumors",
        "tumors of digestive system",
        "tumors of the digestive system",
        "消化道肿瘤",
        "消化系统肿瘤",
    ),
    _spec("Gynecologic cancer (unspecified)", SOLID, "gynecologic cancer", "gynecological cancer", "妇科肿瘤"),
    _spec(
        "Solid tumors (unspecified)",
        SOLID,
        "solid tumor",
        "solid tumors",
        "solid tumor adult",
        "solid tumors adult",
        "advanced solid tumor",
        "solid neoplasm",
        "malignant solid neoplasm",
        "malignant solid tumor",
        "solid cancer",
        "solid cancers",
        "pediatric solid tumor",
        "solid malignancies",
        "solid malignancy",
        "epithelial tumor",
        "epithelial tumors malignant",
        "epithelial cancer",
        "epithelial malignancies",
        "实体瘤",
        "实体肿瘤",
        "恶性实体瘤",
    ),
    _spec(
        "Cancer (unspecified)",
        OTHER,
        "cancer",
        "carcinoma",
        "adenocarcinoma",
        "neoplasm",
        "neoplasms",
        "malignancy",
        "malignancies",
        "malignant tumor",
        "malignant tumors",
        "malignant neoplasm",
        "metastatic cancer",
        "advanced cancer",
        "metastatic tumor",
        "advanced malignancies",
        "neoplasms by histologic type",
        "neoplasms by site",
        "malignant disease",
        "malignant diseases",
        "refractory cancer",
        "恶性肿瘤",
        "癌症",
    ),
    # --- autoimmune ------------------------------------------------------------------
    _spec("Lupus nephritis", AUTOIMMUNE, "lupus nephritis", "lupus nephritis WHO class", "狼疮性肾炎", "狼疮肾炎"),
    _spec(
        "Systemic lupus erythematosus",
        AUTOIMMUNE,
        "SLE",
        "systemic lupus erythematosus",
        "systemic lupus erthematosus",
        "system lupus erythematosus",
        "systemic lupus",
        "lupus erythematosus systemic",
        "lupus erythematosus",
        "lupus",
        "childhood-onset SLE",
        "系统性红斑狼疮",
        "红斑狼疮",
        "狼疮",
    ),
    _spec(
        "Myasthenia gravis",
        AUTOIMMUNE,
        "MG",
        "gMG",
        "myasthenia gravis",
        "myasthaenia gravis",
        "generalized myasthenia gravis",
        "myasthenia gravis generalized",
        "重症肌无力",
    ),
    _spec(
        "Idiopathic inflammatory myopathy (myositis)",
        AUTOIMMUNE,
        "IIM",
        "IMNM",
        "idiopathic inflammatory myopathy",
        "idiopathic inflammatory myopathies",
        "inflammatory myopathy",
        "inflammatory myopathies",
        "idiopathic inflammatory myositis",
        "myositis",
        "dermatomyositis",
        "juvenile dermatomyositis",
        "polymyositis",
        "immune-mediated necrotizing myopathy",
        "antisynthetase syndrome",
        "anti-synthetase syndrome",
        "特发性炎性肌病",
        "炎性肌病",
        "皮肌炎",
        "多发性肌炎",
        "肌炎",
        "抗合成酶综合征",
    ),
    _spec(
        "Systemic sclerosis",
        AUTOIMMUNE,
        "SSc",
        "dcSSc",
        "systemic sclerosis",
        "scleroderma",
        "systemic scleroderma",
        "diffuse cutaneous systemic sclerosis",
        "系统性硬化症",
        "系统性硬化",
        "硬皮病",
    ),
    _spec(
        "Multiple sclerosis",
        AUTOIMMUNE,
        "MS",
        "PPMS",
        "SPMS",
        "RRMS",
        "multiple sclerosis",
        "progressive multiple sclerosis",
        "multiple sclerosis primary progressive",
        "multiple sclerosis secondary progressive",
        "多发性硬化",
    ),
    _spec(
        "Neuromyelitis optica spectrum disorder",
        AUTOIMMUNE,
        "NMOSD",
        "NMO",
        "neuromyelitis optica",
        "neuromyelitis optica spectrum disorder",
        "neuromyelitis optica spectrum disease",
        "NMO spectrum disorder",
        "视神经脊髓炎谱系疾病",
        "视神经脊髓炎",
    ),
    _spec("Rheumatoid arthritis", AUTOIMMUNE, "rheumatoid arthritis", "类风湿关节炎", "类风湿性关节炎"),
    _spec(
        "ANCA-associated vasculitis",
        AUTOIMMUNE,
        "ANCA-associated vasculitis",
        "ANCA associated systemic vasculitis",
        "ANCA vasculitis",
        "anti-neutrophil cytoplasmic antibody-associated vasculitis",
        "antineutrophil cytoplasmic antibody-associated vasculitis",
        "ANCA-associated glomerulonephritis",
        "granulomatosis with polyangiitis",
        "microscopic polyangiitis",
        "ANCA相关性血管炎",
        "ANCA相关血管炎",
    ),
    _spec(
        "Sjögren's syndrome",
        AUTOIMMUNE,
        "pSS",
        "Sjogren syndrome",
        "Sjogren's syndrome",
        "Sjogren disease",
        "primary Sjogren syndrome",
        "Sjogren",
        "干燥综合征",
    ),
    _spec(
        "IgG4-related disease",
        AUTOIMMUNE,
        "IgG4-RD",
        "IgG4-related disease",
        "IgG4 related disease",
        "IgG4相关性疾病",
        "IgG4相关疾病",
    ),
    _spec(
        "Autoimmune hemolytic anemia",
        AUTOIMMUNE,
        "AIHA",
        "autoimmune hemolytic anemia",
        "warm autoimmune hemolytic anemia",
        "自身免疫性溶血性贫血",
    ),
    _spec(
        "Immune thrombocytopenia",
        AUTOIMMUNE,
        "ITP",
        "immune thrombocytopenia",
        "immune thrombocytopenic purpura",
        "idiopathic thrombocytopenic purpura",
        "connective tissue disease-associated thrombocytopenia",
        "免疫性血小板减少症",
        "免疫性血小板减少",
    ),
    _spec("Pemphigus", AUTOIMMUNE, "pemphigus", "pemphigus vulgaris", "天疱疮"),
    _spec(
        "Type 1 diabetes",
        AUTOIMMUNE,
        "T1D",
        "type 1 diabetes",
        "type I diabetes",
        "type 1 diabetes mellitus",
        "1型糖尿病",
    ),
    _spec("Antiphospholipid syndrome", AUTOIMMUNE, "APS", "antiphospholipid syndrome", "抗磷脂综合征"),
    _spec("IgA nephropathy", AUTOIMMUNE, "IgAN", "IgA nephropathy", "IgA肾病"),
    _spec("Membranous nephropathy", AUTOIMMUNE, "membranous nephropathy", "primary membranous nephropathy", "膜性肾病"),
    _spec("Nephrotic syndrome", AUTOIMMUNE, "nephrotic syndrome", "肾病综合征"),
    _spec(
        "Chronic inflammatory demyelinating polyneuropathy",
        AUTOIMMUNE,
        "CIDP",
        "chronic inflammatory demyelinating polyneuropathy",
        "chronic inflammatory demyelinating polyradiculoneuropathy",
        "慢性炎性脱髓鞘性多发性神经根神经病",
    ),
    _spec(
        "Autoimmune encephalitis",
        AUTOIMMUNE,
        "autoimmune encephalitis",
        "anti-NMDA receptor encephalitis",
        "自身免疫性脑炎",
    ),
    _spec("Stiff person syndrome", AUTOIMMUNE, "stiff person syndrome", "stiff-man syndrome", "僵人综合征"),
    _spec("Graves' disease", AUTOIMMUNE, "Graves disease", "Graves' disease", "Graves ophthalmopathy", "格雷夫斯病"),
    _spec("Evans syndrome", AUTOIMMUNE, "Evans syndrome", "Evans综合征"),
    _spec("Autoimmune hepatitis", AUTOIMMUNE, "autoimmune hepatitis", "自身免疫性肝炎"),
    _spec("Juvenile idiopathic arthritis", AUTOIMMUNE, "juvenile idiopathic arthritis", "幼年特发性关节炎"),
    _spec("Anti-GBM disease", AUTOIMMUNE, "anti-GBM disease", "Goodpasture syndrome", "抗肾小球基底膜病"),
    _spec(
        "Immune-mediated kidney disease",
        AUTOIMMUNE,
        "immune nephropathy",
        "immune-mediated kidney disease",
        "immune-mediated kidney diseases",
        "immune-mediated nephropathy",
        "immune-mediated glomerulonephritis",
        "immune-mediated glomerular disease",
        "autoimmune kidney disease",
        "autoimmune kidney diseases",
        "autoimmune nephropathy",
        "免疫性肾病",
    ),
    # MeSH files myeloma and lymphomas under "Immune System Diseases": next to a cancer it is not an autoimmune condition.
    _spec(
        IMMUNE_SYSTEM_UMBRELLA,
        AUTOIMMUNE,
        "immune system diseases",
        "immune system disease",
        "immune system disorder",
        "immune system disorders",
    ),
    _spec(
        "Autoimmune disease (unspecified)",
        AUTOIMMUNE,
        "autoimmune disease",
        "autoimmune diseases",
        "autoimmune disorder",
        "autoimmune disorders",
        "autoimmune",
        "autoimmunity",
        "B-cell mediated autoimmune disorders",
        "B-cell mediated autoimmune disease",
        "autoantibody-mediated autoimmune disease",
        "rheumatic diseases",
        "rheumatic disease",
        "connective tissue disease",
        "connective tissue diseases",
        "immune-mediated disease",
        "immune-mediated diseases",
        "neurological autoimmune diseases",
        "自身免疫性疾病",
        "自身免疫病",
        "自身免疫疾病",
        "风湿免疫病",
    ),
    # --- other -----------------------------------------------------------------------
    _spec(
        "HIV infection",
        OTHER,
        "HIV",
        "HIV-1",
        "HIV infection",
        "HIV infections",
        "human immunodeficiency virus",
        "AIDS",
        "艾滋病",
        "人类免疫缺陷病毒",
    ),
    _spec("Hepatitis B", OTHER, "hepatitis B", "HBV infection", "乙型肝炎"),
    _spec("Cytomegalovirus infection", OTHER, "cytomegalovirus infection", "CMV infection", "巨细胞病毒感染"),
    _spec(
        "Graft-versus-host disease",
        OTHER,
        "GVHD",
        "GvHD",
        "graft-versus-host disease",
        "graft versus host disease",
        "移植物抗宿主病",
    ),
    _spec("Cytokine release syndrome", OTHER, "cytokine release syndrome", "细胞因子释放综合征"),
    _spec(
        "Immune effector cell-associated neurotoxicity syndrome",
        OTHER,
        "ICANS",
        "immune effector cell-associated neurotoxicity syndrome",
        "neurotoxicity",
        "neurotoxicity syndromes",
        "CAR T-cell-related encephalopathy syndrome",
        "CRES",
        "神经毒性",
    ),
    _spec("Aplastic anemia", OTHER, "aplastic anemia", "severe aplastic anemia", "再生障碍性贫血"),
    _spec("Hidradenitis suppurativa", OTHER, "hidradenitis suppurativa", "化脓性汗腺炎"),
    _spec(
        "Fibrosis", OTHER, "fibrosis", "idiopathic pulmonary fibrosis", "liver fibrosis", "cardiac fibrosis", "纤维化"
    ),
    _spec(
        "COVID-19",
        OTHER,
        "COVID-19",
        "COVID",
        "COVID-19 pneumonia",
        "SARS-CoV-2",
        "SARS-CoV-2 infection",
        "coronavirus disease 2019",
        "新型冠状病毒肺炎",
        "新冠肺炎",
    ),
    _spec(
        "Autism spectrum disorder", OTHER, "autism", "autism spectrum disorder", "autistic disorder", "孤独症", "自闭症"
    ),
    _spec("Febrile neutropenia", OTHER, "febrile neutropenia", "neutropenic fever", "发热性中性粒细胞减少"),
    _spec(
        "Transplant rejection",
        OTHER,
        "transplant rejection",
        "graft rejection",
        "allograft rejection",
        "kidney transplant rejection",
        "renal transplant rejection",
        "antibody-mediated rejection",
        "organ rejection",
        "移植排斥",
    ),
    _spec(
        "Immune effector cell-associated hematotoxicity",
        OTHER,
        "ICAHT",
        "immune effector cell-associated hematotoxicity",
        "immune effector cell-associated haematotoxicity",
        "hematotoxicity",
        "prolonged cytopenia",
        "cytopenia",
        "cytopenias",
        "血液学毒性",
    ),
    _spec("Acute kidney injury", OTHER, "acute kidney injury", "AKI", "acute renal failure", "急性肾损伤"),
    _spec(
        "Platelet transfusion refractoriness",
        OTHER,
        "platelet transfusion refractoriness",
        "platelet refractoriness",
        "refractoriness to platelet transfusion",
        "platelet transfusion refractory",
        "血小板输注无效",
    ),
    _spec(
        "Cardiovascular disease",
        OTHER,
        "cardiovascular diseases",
        "cardiovascular disease",
        "cardiotoxicity",
        "cardiovascular complication",
        "cardiovascular complications",
        "cardiac toxicity",
        "心脏毒性",
    ),
    _spec(
        "Infection",
        OTHER,
        "infectious diseases",
        "infections",
        "infection",
        "bacterial infections",
        "viral infections",
        "感染",
    ),
    _spec("Glaucoma", OTHER, "glaucoma", "open-angle glaucoma", "ocular hypertension", "青光眼"),
)

# --- text normalisation and compilation ---------------------------------------------

_SPELLING = (
    (re.compile(r"aemia", re.I), "emia"),
    (re.compile(r"tumour", re.I), "tumor"),
    (re.compile(r"(?<![a-z])haem", re.I), "hem"),
    (re.compile(r"oesophag", re.I), "esophag"),
    (re.compile(r"centre\b", re.I), "center"),
    (re.compile(r"[’‘`´]"), "'"),
)
# Each _SPELLING pattern needs one of these strings: when none is there, no pattern matches.
_SPELLING_HINT = re.compile(r"aemia|tumour|haem|oesophag|centre|[’‘`´]", re.I)
_WORD_SPLIT = re.compile(r"[\s\-_‐‑–—,]+")
_SEP = r"[\s\-_‐‑–—,/]+"
_SUFFIX = r"(?:'?s)?"
_SHORT_ACRONYM = re.compile(r"[A-Z0-9]{1,4}")
# Characters of one text that are read. Conditions, titles and keywords are a
# few hundred characters at most in any registry; the vocabulary's pattern is
# linear but costs microseconds per character, so a 1 MB field took seconds.
_MAX_TEXT_CHARS = 10_000
_ASCII_WORD_CHAR = "A-Za-z0-9"
_LEFT_BOUNDARY = f"(?<![{_ASCII_WORD_CHAR}])"


def _normalize(text: str) -> str:
    text = html.unescape(text)
    if not text.isascii():  # the Unicode steps leave ASCII text as it is
        text = unicodedata.normalize("NFKC", text)
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
        text = unicodedata.normalize("NFC", text)
    if _SPELLING_HINT.search(text):
        for pattern, replacement in _SPELLING:
            text = pattern.sub(replacement, text)
    return text


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _is_cased(ch: str) -> bool:
    """True when `ch` has case variants (IGNORECASE can match another character)."""
    return ch.lower() != ch or ch.upper() != ch or ch.casefold() != ch


def _synonym_pattern(synonym: str) -> str | None:
    synonym = _normalize(synonym).strip()
    if not synonym:
        return None
    if _is_cjk(synonym):
        parts = [re.escape(p) for p in _WORD_SPLIT.split(synonym) if p]
        return r"[\s\-]*".join(parts)
    words = [w for w in _WORD_SPLIT.split(synonym) if w]
    if not words:
        return None
    body = _SEP.join(re.escape(w) + (_SUFFIX if w[-1].isalpha() else "") for w in words)
    if _SHORT_ACRONYM.fullmatch(synonym):
        body = rf"(?<![0-9]\s)(?-i:{body})"  # "10 MG" is a dose, not myasthenia gravis
    left = _LEFT_BOUNDARY if synonym[0].isalnum() else ""
    right = f"(?![{_ASCII_WORD_CHAR}])" if synonym[-1].isalnum() else ""
    return f"{left}{body}{right}"


def _second_chars(synonym: str) -> str | None:
    """The characters (a regex class body) that can come second in a text the
    synonym's pattern matches; None when that is not known. Mirrors `_synonym_pattern`."""
    synonym = _normalize(synonym).strip()
    if _is_cjk(synonym):
        words = [p for p in _WORD_SPLIT.split(synonym) if p]
        after_short_first = r"\s\-" + (re.escape(words[1][0]) if len(words) > 1 else "")
    else:
        words = [w for w in _WORD_SPLIT.split(synonym) if w]
        after_short_first = ("'s" if words and words[0][-1].isalpha() else "") + _SEP[1:-2]
    if not words:
        return None
    if len(words[0]) > 1:
        return re.escape(words[0][1])
    return after_short_first if len(words) > 1 else None


def _by_second_char(bucket: list[tuple[int, str, DiseaseSpec, str | None]]) -> tuple[str, list[DiseaseSpec]]:
    """The alternation of one bucket's patterns (in order), with its specs in group order.

    Patterns that begin with the same two letters are put behind one look-ahead
    on the second character, so a text position skips the rest at once. Only
    patterns that can never match the same text are reordered: a pattern joins
    the last group whose second characters may overlap with its own when that
    group has exactly its own, else it starts a new group at the end.
    """
    groups: list[tuple[str | None, list[tuple[str, DiseaseSpec]]]] = []
    for _, pattern, spec, second in bucket:
        last = None
        for group in reversed(groups):
            if _may_overlap(group[0], second):
                last = group
                break
        if last is not None and last[0] == second and second is not None:
            last[1].append((pattern, spec))
        else:
            groups.append((second, [(pattern, spec)]))
    alternatives: list[str] = []
    specs: list[DiseaseSpec] = []
    for second, members in groups:
        inner = "|".join(f"({pattern})" for pattern, _ in members)
        if second is not None and len(members) > 1:
            inner = f"(?=.[{second}])(?:{inner})"
        alternatives.append(inner)
        specs.extend(spec for _, spec in members)
    return "|".join(alternatives), specs


def _may_overlap(a: str | None, b: str | None) -> bool:
    """Whether a character may be in both classes (IGNORECASE); True unless one is a single character."""
    if a is None or b is None:
        return True
    single_a, single_b = _single_char(a), _single_char(b)
    if single_a is None and single_b is None:
        return True
    if single_a is not None:
        return re.fullmatch(f"[{b}]", single_a, re.IGNORECASE) is not None or (
            single_b is not None and re.fullmatch(f"[{a}]", single_b, re.IGNORECASE) is not None
        )
    return re.fullmatch(f"[{a}]", single_b, re.IGNORECASE) is not None


def _single_char(char_class: str) -> str | None:
    """The character a one-character class body ("a", "\\-") stands for, else None."""
    if len(char_class) == 1:
        return char_class
    if len(char_class) == 2 and char_class[0] == "\\" and not char_class[1].isalnum():
        return char_class[1]
    return None


class Vocabulary:
    """A compiled set of `DiseaseSpec`s. Build with `from_specs`."""

    def __init__(
        self, specs: tuple[DiseaseSpec, ...], pattern: re.Pattern[str] | None, group_specs: tuple[DiseaseSpec, ...]
    ) -> None:
        self.specs = specs
        self._pattern = pattern
        self._group_specs = group_specs
        self._by_name = {spec.name: spec for spec in specs}

    @classmethod
    def from_specs(cls, specs: Iterable[DiseaseSpec]) -> Vocabulary:
        """Compile `specs`. A synonym claimed by two specs belongs to the first."""
        specs = tuple(specs)
        seen: set[str] = set()
        entries: list[tuple[int, str, DiseaseSpec, str, bool, str | None]] = []
        for spec in specs:
            for synonym in (spec.name, *spec.synonyms):
                if not synonym or not synonym.strip():
                    continue
                key = synonym if _SHORT_ACRONYM.fullmatch(synonym.strip()) else _normalize(synonym).casefold()
                key = " ".join(_WORD_SPLIT.split(key.strip()))
                if key in seen:
                    continue
                pattern = _synonym_pattern(synonym)
                if pattern is None:
                    continue
                seen.add(key)
                normalized = _normalize(synonym).strip()
                word_start = pattern.startswith("(?<!")
                entries.append(
                    (len(normalized), pattern, spec, normalized[0].casefold(), word_start, _second_chars(synonym))
                )
        if not entries:
            return cls(specs, None, ())
        # One alternation per first character, guarded by a look-ahead, so each
        # text position only tries the synonyms that can start there; inside a
        # bucket the longest synonym comes first. Synonyms that must start a
        # word are tried only where a word starts.
        buckets: dict[tuple[bool, str], list[tuple[int, str, DiseaseSpec, str | None]]] = {}
        for length, pattern, spec, first, word_start, second in entries:
            if word_start:
                pattern = pattern[len(_LEFT_BOUNDARY) :]
            buckets.setdefault((word_start, first), []).append((length, pattern, spec, second))
        #
        # Speed: a text position is tried against every branch of the top-level
        # alternation, so the synonyms that need no word start are split in two
        # groups, each behind one character-class look-ahead: those starting with
        # an uncased character (Chinese) and those starting with a cased one
        # ("B淋巴…"). A character matches the first characters of one group only,
        # so the split keeps the order that matters; most positions now fail
        # after three cheap tests instead of one look-ahead per bucket.
        branches: dict[object, list[str]] = {True: [], "uncased": [], "cased": []}
        firsts: dict[object, set[str]] = {True: set(), "uncased": set(), "cased": set()}
        specs_of: dict[object, list[DiseaseSpec]] = {True: [], "uncased": [], "cased": []}
        for (word_start, first), bucket in sorted(buckets.items(), key=lambda item: not item[0][0]):
            bucket.sort(key=lambda e: -e[0])
            inner, inner_specs = _by_second_char(bucket)
            group: object = True if word_start else ("cased" if _is_cased(first[0]) else "uncased")
            branches[group].append(f"(?={re.escape(first)})(?:{inner})")
            firsts[group].add(first[0])
            specs_of[group].extend(inner_specs)
        parts = []
        if branches[True]:
            parts.append(f"{_LEFT_BOUNDARY}(?:{'|'.join(branches[True])})")
        for group in ("uncased", "cased"):
            if branches[group]:
                guard = "".join(re.escape(ch) for ch in sorted(firsts[group]))
                parts.append(f"(?=[{guard}])(?:{'|'.join(branches[group])})")
        group_specs = specs_of[True] + specs_of["uncased"] + specs_of["cased"]
        return cls(specs, re.compile("|".join(parts), re.IGNORECASE), tuple(group_specs))

    def find(self, texts: Iterable[str]) -> list[DiseaseSpec]:
        """Specs found in `texts`, unique, in order of first appearance.

        Umbrella specs (name ending in "(unspecified)") found in a string that
        also names a specific disease are dropped for that string; an umbrella
        of category "other" ("Cancer (unspecified)") is dropped whenever any
        other disease is found, even another umbrella; "Immune system diseases
        (unspecified)" (a MeSH heading given to myeloma and lymphoma) is dropped
        next to any cancer. A joined phrase ("solid and hematologic
        malignancies") gives both umbrellas. Only the first 10,000 characters of
        each string are read.
        """
        if self._pattern is None:
            return []
        return [spec for spec, _, _, _ in self.find_matches(texts)]

    def find_matches(self, texts: Iterable[str]) -> list[tuple[DiseaseSpec, int, int, int]]:
        """`find` with where each spec was first found: (spec, index of the text, start, end).

        Positions are in the normalised text (`_normalize`), which keeps the
        text's length for ASCII input. See `find` for the rules.
        """
        if self._pattern is None:
            return []
        found: dict[str, tuple[DiseaseSpec, int, int, int]] = {}
        for index, text in enumerate(texts):
            if not text or not isinstance(text, str):
                continue
            text = _normalize(text[:_MAX_TEXT_CHARS])
            in_text = [(self._group_specs[m.lastindex - 1], m.start(), m.end()) for m in self._pattern.finditer(text)]
            in_text += self._joined(text)
            if any(not is_umbrella(spec) for spec, _, _ in in_text):
                in_text = [hit for hit in in_text if not is_umbrella(hit[0])]
            for spec, start, end in in_text:
                found.setdefault(spec.name, (spec, index, start, end))
        specs = [hit[0] for hit in found.values()]
        if len(specs) > 1:
            # generic words ("cancer", "malignant tumors") never add a category beside anything more specific
            found = {name: hit for name, hit in found.items() if not (is_umbrella(hit[0]) and hit[0].category == OTHER)}
        if any(spec.category in (HEME, SOLID) for spec in specs):
            found.pop(IMMUNE_SYSTEM_UMBRELLA, None)
        return list(found.values())

    def _joined(self, text: str) -> list[tuple[DiseaseSpec, int, int]]:
        """Both umbrella specs of a joined phrase: "solid and hematologic malignancies", "hematologic and solid tumors"."""
        hits = []
        for m in _JOINED.finditer(text):
            for word in (m.group(1), m.group(2)):
                name = _JOINED_NAMES[word.lower()[:4]]
                spec = self._by_name.get(name)
                if spec is not None:
                    hits.append((spec, m.start(), m.end()))
        return hits


_JOINED = re.compile(
    r"\b(solid|hematologic(?:al)?|hematopoietic|blood|liquid)\s+(?:tumors?\s+|cancers?\s+|malignanc(?:y|ies)\s+)?"
    r"(?:and/or|and|or|&|/|\+)\s+(solid|hematologic(?:al)?|hematopoietic|blood|liquid)\s+"
    r"(?:tumors?|cancers?|malignanc(?:y|ies)|neoplasms?)\b",
    re.I,
)
_JOINED_NAMES = {
    "soli": "Solid tumors (unspecified)",
    "hema": "Hematologic malignancies (unspecified)",
    "bloo": "Hematologic malignancies (unspecified)",
    "liqu": "Hematologic malignancies (unspecified)",
}


def is_umbrella(spec: DiseaseSpec) -> bool:
    """True for a catch-all spec such as "Solid tumors (unspecified)"."""
    return spec.name.rstrip().casefold().endswith("(unspecified)")


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The vocabulary built from `BUILTIN_DISEASES` (compiled once)."""
    return Vocabulary.from_specs(BUILTIN_DISEASES)


def _texts(record: TrialRecord) -> list[tuple[str, str]]:
    record = record.filled()
    return (
        [("conditions", c) for c in record.conditions]
        + [("title", record.title), ("official_title", record.official_title), ("title_zh", record.title_zh)]
        + [("keywords", k) for k in record.keywords]
    )


def find_diseases(record: TrialRecord, *, vocabulary: Vocabulary | None = None) -> list[DiseaseValue]:
    """Canonical diseases of a trial: conditions first, then titles, then keywords.

    Unique by name, in order of first appearance. Eligibility criteria are not
    read. `vocabulary` defaults to `default_vocabulary()`.
    """
    vocabulary = vocabulary or default_vocabulary()
    texts = [text for _, text in _texts(record)]
    return [DiseaseValue(name=spec.name, category=spec.category) for spec in vocabulary.find(texts)]


def classify_categories(record: TrialRecord, *, vocabulary: Vocabulary | None = None) -> Classification:
    """The trial's disease categories (sorted), each with the first disease that gives it as evidence.

    The same reading as `find_diseases`; `[]` when no disease is recognised.
    """
    return diseases_and_categories(record, vocabulary=vocabulary)[1]


def diseases_and_categories(
    record: TrialRecord, *, vocabulary: Vocabulary | None = None
) -> tuple[list[DiseaseValue], Classification]:
    """`find_diseases` and `classify_categories` from one reading of the record."""
    vocabulary = vocabulary or default_vocabulary()
    fields = _texts(record)
    evidence: dict[str, dict] = {}
    matches = vocabulary.find_matches([text for _, text in fields])
    values = [DiseaseValue(name=spec.name, category=spec.category) for spec, _, _, _ in matches]
    for spec, index, start, end in matches:
        if spec.category not in evidence:
            field, text = fields[index]
            shown = _normalize(text[:_MAX_TEXT_CHARS])
            evidence[spec.category] = {**found(spec.category, field, shown, start, end), "disease": spec.name}
    categories = sorted(evidence)
    return values, Classification(categories, [evidence[c] for c in categories])
