"""Disease groups: the second level of the disease tree (category → group →
disease), as the landscape charts them.

Interim: until the disease vocabulary carries its own tree (`Disease.parent`),
the groups are this one mapping of canonical disease names (the built-in
vocabulary, `ingest.normalize.diseases.BUILTIN_DISEASES`). A disease it does not
name (a curator's new term) falls in its category's catch-all group. When the
tree lands, `group_table()` is the one thing to replace: the landscape's query
reads the groups only through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from catalogue.choices import DiseaseCategory

HEME = DiseaseCategory.HEMATOLOGIC_MALIGNANCY.value
SOLID = DiseaseCategory.SOLID_TUMOR.value
AUTOIMMUNE = DiseaseCategory.AUTOIMMUNE.value
OTHER = DiseaseCategory.OTHER.value

# (group, category, canonical disease names). A group holds at most 20 names: a
# chart links a group to the list through the `disease` filter, which takes 20.
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("B-cell lymphoma", HEME, (
        "Diffuse large B-cell lymphoma", "Primary mediastinal large B-cell lymphoma", "High-grade B-cell lymphoma",
        "Follicular lymphoma", "Mantle cell lymphoma", "Marginal zone lymphoma", "Burkitt lymphoma",
        "Primary CNS lymphoma", "Waldenström macroglobulinemia / lymphoplasmacytic lymphoma",
        "B-cell non-Hodgkin lymphoma", "Post-transplant lymphoproliferative disorder",
    )),
    ("Acute lymphoblastic leukemia", HEME, (
        "B-cell acute lymphoblastic leukemia", "T-cell acute lymphoblastic leukemia/lymphoma",
        "Mixed-phenotype acute leukemia", "Acute leukemia (unspecified)",
    )),
    ("Chronic lymphoid leukemias", HEME, (
        "Chronic lymphocytic leukemia / small lymphocytic lymphoma", "Prolymphocytic leukemia", "Hairy cell leukemia",
    )),
    ("Hodgkin and T-cell lymphoma", HEME, ("Hodgkin lymphoma", "T-cell lymphoma")),
    ("Multiple myeloma and plasma cell disorders", HEME, (
        "Multiple myeloma", "Plasma cell leukemia", "AL amyloidosis", "POEMS syndrome", "Plasma cell neoplasm (other)",
    )),
    ("Myeloid malignancies", HEME, (
        "Acute myeloid leukemia", "Myelodysplastic syndrome", "Chronic myeloid leukemia",
        "Blastic plasmacytoid dendritic cell neoplasm", "Myeloid malignancies (unspecified)",
    )),
    ("Hematologic malignancies, unspecified", HEME, (
        "Leukemia (unspecified)", "B-cell malignancies (unspecified)", "Lymphoid malignancies (unspecified)",
        "Hematologic malignancies (unspecified)",
    )),
    ("Brain and CNS tumors", SOLID, (
        "Medulloblastoma", "Ependymoma", "CNS embryonal tumor", "Diffuse midline glioma / DIPG",
        "Glioma (incl. glioblastoma)", "Brain and CNS tumors (unspecified)",
    )),
    ("Sarcomas", SOLID, (
        "Osteosarcoma", "Ewing sarcoma", "Rhabdomyosarcoma", "Desmoplastic small round cell tumor",
        "Sarcoma (soft tissue and bone)",
    )),
    ("Other pediatric solid tumors", SOLID, (
        "Neuroblastoma", "Wilms tumor", "Hepatoblastoma", "Retinoblastoma", "Germ cell tumor", "Rhabdoid tumor",
    )),
    ("Gastrointestinal cancers", SOLID, (
        "Gastric cancer", "Pancreatic cancer", "Hepatocellular carcinoma", "Colorectal cancer",
        "Cholangiocarcinoma / biliary tract cancer", "Esophageal cancer", "Gastrointestinal cancer (unspecified)",
        "Liver metastases", "Peritoneal metastases",
    )),
    ("Lung and thoracic cancers", SOLID, (
        "Non-small cell lung cancer", "Small cell lung cancer", "Lung cancer", "Mesothelioma",
        "Thymic carcinoma / thymoma", "Malignant pleural effusion",
    )),
    ("Breast and gynecologic cancers", SOLID, (
        "Breast cancer", "Ovarian cancer", "Cervical cancer", "Endometrial cancer", "Gynecologic cancer (unspecified)",
    )),
    ("Genitourinary cancers", SOLID, (
        "Prostate cancer", "Renal cell carcinoma", "Bladder and urothelial cancer", "Adrenocortical carcinoma",
    )),
    ("Head and neck cancers", SOLID, ("Head and neck cancer", "Nasopharyngeal carcinoma", "Thyroid cancer")),
    ("Melanoma and neuroendocrine tumors", SOLID, ("Melanoma", "Neuroendocrine tumor")),
    ("Solid tumors, unspecified", SOLID, ("Solid tumors (unspecified)",)),
    ("Lupus", AUTOIMMUNE, ("Systemic lupus erythematosus", "Lupus nephritis")),
    ("Neurological autoimmune diseases", AUTOIMMUNE, (
        "Myasthenia gravis", "Multiple sclerosis", "Neuromyelitis optica spectrum disorder",
        "Chronic inflammatory demyelinating polyneuropathy", "Autoimmune encephalitis", "Stiff person syndrome",
    )),
    ("Rheumatic and connective-tissue diseases", AUTOIMMUNE, (
        "Idiopathic inflammatory myopathy (myositis)", "Systemic sclerosis", "Rheumatoid arthritis",
        "ANCA-associated vasculitis", "Sjögren's syndrome", "IgG4-related disease", "Antiphospholipid syndrome",
        "Juvenile idiopathic arthritis",
    )),
    ("Autoimmune kidney diseases", AUTOIMMUNE, (
        "IgA nephropathy", "Membranous nephropathy", "Nephrotic syndrome", "Anti-GBM disease",
        "Immune-mediated kidney disease",
    )),
    ("Autoimmune blood disorders", AUTOIMMUNE, (
        "Autoimmune hemolytic anemia", "Immune thrombocytopenia", "Evans syndrome",
    )),
    ("Infections", OTHER, ("HIV infection", "Hepatitis B", "Cytomegalovirus infection", "COVID-19", "Infection")),
    ("Complications of cell therapy and transplantation", OTHER, (
        "Graft-versus-host disease", "Cytokine release syndrome", "Immune effector cell-associated neurotoxicity syndrome",
        "Immune effector cell-associated hematotoxicity", "Febrile neutropenia", "Transplant rejection",
        "Platelet transfusion refractoriness",
    )),
)  # fmt: skip

# A disease the mapping does not name: its category's catch-all group.
FALLBACK: dict[str, str] = {
    HEME: "Other hematologic malignancies",
    SOLID: "Other solid tumors",
    AUTOIMMUNE: "Other autoimmune diseases",
    OTHER: "Other conditions",
}
UNKNOWN_CATEGORY_GROUP = FALLBACK[OTHER]

CATEGORY_OF_GROUP: dict[str, str] = {
    **{group: category for group, category, _ in GROUPS},
    **{group: category for category, group in FALLBACK.items()},
}


# Every group, numbered: the landscape's query counts group numbers (cheaper to hash than names).
ALL_GROUPS: tuple[str, ...] = tuple(dict.fromkeys([*(g for g, _, _ in GROUPS), *FALLBACK.values()]))
NUMBER: dict[str, int] = {group: i for i, group in enumerate(ALL_GROUPS)}


def group_table() -> tuple[list[str], list[int]]:
    """(disease names, their group numbers): two parallel arrays for a SQL `unnest`."""
    names: list[str] = []
    numbers: list[int] = []
    for group, _, members in GROUPS:
        for name in members:
            names.append(name)
            numbers.append(NUMBER[group])
    return names, numbers


def fallback_table() -> tuple[list[str], list[int]]:
    """(categories, their catch-all group numbers): two parallel arrays for a SQL `unnest`."""
    return list(FALLBACK), [NUMBER[g] for g in FALLBACK.values()]


def group_of(name: str, category: str | None) -> str:
    """The group of one disease (the rule the landscape's query applies in SQL)."""
    for group, _, members in GROUPS:
        if name in members:
            return group
    return FALLBACK.get(category or "", UNKNOWN_CATEGORY_GROUP)


def group_numbers(names: Iterable[str], categories: Mapping[str, str]) -> dict[str, int]:
    """Each of `names` (a trial's disease names) -> its group number, as the landscape's
    query assigns them: a name of the disease vocabulary (`categories`: name ->
    category) falls in its mapped group, else in its category's catch-all; a name the
    vocabulary does not hold, in UNKNOWN_CATEGORY_GROUP."""
    mapped = dict(zip(*group_table()))
    fallback = dict(zip(*fallback_table()))
    unknown = NUMBER[UNKNOWN_CATEGORY_GROUP]
    numbers = {}
    for name in names:
        number = None
        if name in categories:
            number = mapped.get(name)
            if number is None:
                number = fallback.get(categories[name])
        numbers[name] = unknown if number is None else number
    return numbers
