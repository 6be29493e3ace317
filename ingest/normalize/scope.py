"""Whether a trial belongs in the catalogue's default view: in scope, with the reason.

A trial is in scope when it studies a CAR, CAAR or TCR-engineered cell therapy
(modalities from `modality.modalities`, products from the product dictionary),
or follows up, observes or gives supportive care to patients who receive or
received one:

* treatment trials of such a product, including combinations and comparisons
  with it (KITE-753 versus axi-cel);
* long-term follow-up of such products' recipients;
* observational studies of their recipients (real-world outcomes, registries);
* supportive care around such a therapy: CRS / ICANS prophylaxis or treatment,
  infection prophylaxis, vaccination, rehabilitation of CAR-T recipients. These
  are in scope because their patients receive the product within the care
  episode the trial studies; their modality is that product's.

Out of scope: trials that give no engineered cell product and whose patients
are not defined by receiving one — a bispecific antibody (blinatumomab), a
drug given after CAR-T *failure* (salvage of relapse is a different therapy),
TIL or unmodified NK cells, a survey, a glaucoma study. Earlier therapy never
brings a trial in scope ("relapsed after CAR-T"), nor does a background
sentence ("CAR-T therapies have been approved").

`in_scope(record, modalities, products, trial_type=…)` returns a
`Classification` whose value is True or False; each evidence dict also carries
a "reason" sentence. Out-of-scope trials whose text still mentions a CAR (in a
context that does not count) are flagged for review. Pure: no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from catalogue.choices import Modality, TrialType
from ingest.normalize.classification import Classification, found, record_texts
from ingest.normalize.products import ProductSpec
from ingest.records import TrialRecord

__all__ = ["in_scope"]

# A company code for an investigational product: letters and digits (CRC01, IASO104,
# JNJ-90009530, VGO-Cs01p), or a "… cell injection".
_CODE = re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z]{2})[A-Za-z][\w]*(?:-[\w]+)*(?![\w-])")
_CELL_PRODUCT = re.compile(
    r"\bcells?\s+(?:injection|infusion|therapy|treatment|for\s+infusion)\b|\b(?:T|NK|NKT)[\s-]+cells?\b(?![\s-]+(?:lymphoma|leuk))|"
    r"\w+leucel\b|细胞注射液|细胞治疗",
    re.I,
)
# What marks a code as something else than an engineered cell product.
_NOT_A_CELL_PRODUCT = re.compile(
    r"\w+(?:mab|nib|lisib|ciclib|clax|parib|stat|platin|rubicin|taxel|tecan|ib)\b|antibod|bispecific|"
    r"engager|\bADC\b|drug conjugate|vaccin|inhibitor|tablets?\b|capsules?\b|oral\b|placebo|radioligand|"
    r"\bPET\b|tracer|imaging|tumou?r[\s-]infiltrating|\bTILs?\b|survey|questionnaire|oncolytic|virus",
    re.I,
)
_GENE_MODIFIED = re.compile(
    r"gene[\s-]*(?:therapy|therapies|modified|edited)|genetically\s+(?:modified|engineered)|investigational\s+therapy|"
    r"lentivir|retrovir|基因修饰",
    re.I,
)
# Codes that are not products: disease stages, genes, scales, registry ids.
_NOT_A_PRODUCT_CODE = re.compile(
    r"^(?:NCT\d+|ChiCTR\w+|CD\d+\w*|COVID-?19|SARS-?CoV-?2|IL-?\d+|HLA-?\w+|T\d|N\d|M\d|[A-Z]{1,2}\d{1,2})$", re.I
)


def _unknown_product(record: TrialRecord) -> tuple[str, str, int, int] | None:
    """(field, text, start, end) of a code-named investigational product the record
    gives its patients (interventions first; the title when no intervention is
    named), unless that intervention's own words mark it as a drug, antibody,
    vaccine or other non-cell therapy."""
    record = record.filled()
    names = [i.name for i in record.interventions if i.name]
    # Interventions first; the title too, when they are only dose groups or generic words.
    candidates = [("interventions", n) for n in names] + [("title", record.title), ("title", record.official_title)]
    for field, text in candidates:
        if not text or _NOT_A_CELL_PRODUCT.search(text):
            continue
        m = _CELL_PRODUCT.search(text)
        if m:
            return field, text, m.start(), m.end()
        for m in _CODE.finditer(text):
            if not _NOT_A_PRODUCT_CODE.match(m.group()):
                return field, text, m.start(), m.end()
    return None


_LABELS = dict(Modality.choices)
_WHAT = {
    TrialType.TREATMENT.value: "studies",
    TrialType.LONG_TERM_FOLLOW_UP.value: "follows up recipients of",
    TrialType.OBSERVATIONAL.value: "observes recipients of",
    TrialType.SUPPORTIVE_CARE.value: "gives supportive care to recipients of",
    TrialType.OTHER.value: "studies patients receiving",
}
_CAR_WORDS = re.compile(
    r"\bCAR[\s\-]?(?:T|NK|M)?\b|\bCART\w*|chimeric\s+antigen\s+receptor|\w+cabtagene|\bTCR[\s\-]?T\b|嵌合抗原受体", re.I
)


def in_scope(
    record: TrialRecord,
    modalities: Classification,
    products: Iterable[ProductSpec] = (),
    *,
    trial_type: str | None = None,
) -> Classification:
    """True when the trial studies, follows up or cares for recipients of an engineered cell product.

    `modalities`: the `modality.modalities` result for the record; `products`:
    the dictionary entries of the products it names; `trial_type`: its
    TrialType value (worded into the reason). See the module docstring.
    """
    products = list(products)
    kinds = list(modalities.value)
    what = _WHAT.get(trial_type or TrialType.TREATMENT.value, "studies")
    if kinds:
        label = " / ".join(_LABELS.get(kind, kind) for kind in kinds)
        reason = f"{what} a {label} product"
        evidence: list[dict[str, Any]] = []
        for item in modalities.evidence[:1]:
            evidence.append({**item, "value": True, "reason": reason})
        if not evidence:
            evidence.append({"value": True, "reason": reason, "source": "modality"})
        return Classification(True, evidence)
    if products:
        reason = f"{what} the named product {products[0].name}"
        return Classification(
            True,
            [{"value": True, "reason": reason, "source": f"product dictionary: {products[0].name}"}],
            ["named product of unknown modality"],
        )
    if trial_type == TrialType.LONG_TERM_FOLLOW_UP.value:
        for part in record_texts(record):
            m = _GENE_MODIFIED.search(part.text)
            if m:
                return Classification(
                    True,
                    [
                        {
                            **found(True, part.field, part.text, m.start(), m.end()),
                            "reason": "follows up recipients of a gene-modified therapy",
                        }
                    ],
                    ["follow-up of a gene-modified therapy: is it an engineered cell product?"],
                )
    unknown = _unknown_product(record)
    if unknown is not None:
        field, text, start, end = unknown
        return Classification(
            True,
            [
                {
                    **found(True, field, text, start, end),
                    "reason": "studies a code-named product the catalogue does not know yet; kept until a curator decides",
                }
            ],
            ["code-named product of unknown kind: is it an engineered cell therapy?"],
        )
    review: list[str] = []
    evidence = [
        {
            "value": False,
            "reason": "names no CAR, CAAR or engineered TCR cell product given to its patients",
            "source": "default",
        }
    ]
    for part in record_texts(record):
        m = _CAR_WORDS.search(part.text)
        if m:
            review.append("a CAR is mentioned only as earlier therapy or background")
            evidence.append(
                {
                    **found(False, part.field, part.text, m.start(), m.end()),
                    "reason": "mentioned, but not as a product its patients receive",
                }
            )
            break
    return Classification(False, evidence, review)
