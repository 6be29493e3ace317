"""Where a trial's CAR cells come from: the patient (autologous), a donor or a cell line
(allogeneic), or nowhere outside the body (in_vivo: the CAR is made in the patient).

`classify(record, products=..., modalities=...)` returns a `Classification`
(value, evidence, review); `cell_source(record)` is its value alone.

Only text describing the product is read: titles, acronym, keywords,
interventions, arms, summary, description and objectives. Eligibility
criteria are never read (they say "prior allogeneic transplant" or "must have
autologous T cells" about the patient, not the product), nor conditions.

Transplant context is not a cell source: "relapse after allogeneic
haematopoietic stem cell transplantation" or "autologous stem cell transplant"
say nothing about the CAR-T product.

Decisions:

* Fields are read in tiers — (1) titles, acronym and intervention names,
  (2) everything else. The first tier that states a source decides it.
* When one tier states both, allogeneic wins: the product itself is then
  donor-derived for at least part of the trial (e.g. donor-derived CAR-T after
  allo-HSCT), and allogeneic is the property a reader must not miss. The
  trial is flagged for review.
* Allogeneic cues, English and Chinese: allogeneic / 异体 / 同种异体, universal /
  通用型 / "UCAR-T" / "U CAR-T", off-the-shelf, healthy / third-party /
  haploidentical donor, donor-derived / 供者来源, cord blood / 脐带血, iPSC,
  NK-92 (a cell line), TRAC / TCR knock-out (done only to donor T cells).
  Autologous: autologous / 自体, "autoleucel" (the INN for an autologous
  product), the patient's own cells.
* A product named from the product dictionary whose entry has a sourced cell
  source counts as a tier-1 statement ("product dictionary: P-BCMA-ALLO1 (…)").
* A trial whose only modality is in vivo CAR is `in_vivo`.
* When the record states nothing, the modality's usual source is the value,
  with evidence "default for <modality>: …" (`MODALITY_DEFAULTS`): CAR-T,
  TCR-T, CAR-Treg, CAAR-T and CAR-M are autologous, CAR-NK and γδ CAR-T
  allogeneic. Allogeneic products say so (it is what sets them apart), so a
  silent CAR-T record is far more likely autologous than unknown. With no
  modality (or modalities with different defaults) it stays "unknown".
* Earlier therapy never sets the cell source: "relapsed after auto-CAR T",
  "prior allogeneic HSCT", "failed donor-derived CAR-T" are skipped, like
  transplant context ("…bridging to allogeneic transplant").
* Collecting the patient's own cells counts as autologous: "PBMCs / T cells
  of (from) patients", "their own T cells"; "(leuk)apheresis" too, but only
  when nothing else states a source (a donor can be apheresed). So
  seed 002 ("PBMCs of patients ... obtained through apheresis" in its arm, and
  "autologous" only in the inclusion criteria) is autologous.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from catalogue.choices import Modality
from ingest.normalize.classification import (
    Classification,
    default,
    found,
    from_product,
    record_texts,
    sentence_bounds,
)
from ingest.normalize.products import ProductSpec
from ingest.records import TrialRecord

IN_VIVO_CAR = Modality.IN_VIVO_CAR.value

# The cell source a product of each modality has when its record does not say: CAR-T, TCR-T, CAR-Treg,
# CAAR-T and CAR-macrophage products are made from the patient's cells unless the record states a donor
# (allogeneic products say so: it is what sets them apart); CAR-NK and γδ CAR-T products come from cord
# blood, cell lines, iPSCs or donors. CAR-NKT products are both: no default.
MODALITY_DEFAULTS = {
    Modality.CAR_T.value: "autologous",
    Modality.TCR_T.value: "autologous",
    Modality.CAR_TREG.value: "autologous",
    Modality.CAAR_T.value: "autologous",
    Modality.CAR_M.value: "autologous",
    Modality.CAR_NK.value: "allogeneic",
    Modality.CAR_GD_T.value: "allogeneic",
}
_DEFAULT_REASON = {
    "autologous": "such products are made from the patient's own cells unless the record names a donor",
    "allogeneic": "such products come from donors, cord blood, cell lines or iPSCs unless the record says otherwise",
}

_TRANSPLANT_CONTEXT = (
    r"(?:[\s\-]*(?:(?:and/or|or|and|/)[\s\-]*(?:allogen(?:e|i)?ic|autologous|auto|allo)[\s\-]*)?)"
    r"(?:[\s\-]*(?:hematopoietic|haematopoietic|hemopoietic|peripheral[\s\-]+blood|bone[\s\-]+marrow|"
    r"stem|progenitor|cord[\s\-]+blood))*[\s\-]*"
    r"(?:cells?[\s\-]*)?(?:transplant|transplantation|HSCT|SCT|HCT|BMT|ASCT|graft|stem|HSC\b)"
)
# Every English alternative starts with a letter at a word boundary, so that is
# tested once per position before the alternatives rather than by each of them:
# the same matches, several times faster on long texts.
_WORD_START = r"\b(?=[^\W\d_])"
_ALLO_WORDS = (
    rf"allogen(?:e|i)?ic\b(?!{_TRANSPLANT_CONTEXT})",
    r"allo[\s\-]?CAR",
    r"universal[\s\-]+(?:CAR|chimeric|T[\s\-]?cells?)",
    r"U-?CAR",
    r"off[\s\-]+the[\s\-]+shelf\b",
    r"donor[\s\-]+(?:derived|origin|sourced?)\b",
    r"derived[\s\-]+from[\s\-]+(?:\w+[\s\-]+){0,3}donors?\b",
    r"(?:healthy|third[\s\-]party|haploidentical|allogeneic|volunteer)[\s\-]+donors?\b",
    r"from[\s\-]+(?:the[\s\-]+|a[\s\-]+|an[\s\-]+|their[\s\-]+)?(?:healthy[\s\-]+|original[\s\-]+|"
    r"previous[\s\-]+|prior[\s\-]+|transplant[\s\-]+|HSCT[\s\-]+|stem[\s\-]+cell[\s\-]+)*donors?\b",
    r"donor[\s\-]+(?:CAR|T[\s\-]?cells?)",
    r"gene[\s\-]edited[\s\-]+(?:allogeneic|universal)",
    r"u[\s\-]car[\s\-]?(?:t|nk)\b",
    r"(?-i:ALLO)[\s\-]?\d{2,}|[A-Za-z0-9]+-(?-i:ALLO)\d*\b",  # product codes: ALLO-316, P-BCMA-ALLO1
    r"universal[\s\-]+(?:\w+[\s\-]+){0,2}?(?:cells?|car|cart|nk|products?|injection)",
    rf"(?:umbilical[\s\-]+)?cord[\s\-]+blood\b(?!{_TRANSPLANT_CONTEXT})",
    r"cb[\s\-](?:derived|nk)",
    r"ipsc?s?(?:[\s\-]derived)?|induced[\s\-]+pluripotent[\s\-]+stem",
    r"nk[\s\-]?92|t?hank\b",
    r"(?:trac|tcr(?:[\s\-]?(?:alpha|α|αβ|ab))?)[\s\-]*(?:gene[\s\-]*)?(?:knock[\s\-]?out|ko|deficient|disrupted|deleted|edited|negative|null|less)\b",
    r"healthy[\s\-]+(?:adult[\s\-]+)?(?:volunteer[\s\-]+)?donors?",
    r"healthy[\s\-]+volunteers?[\s\-]+(?:derived|t[\s\-]?cells?|pbmcs?)",
    r"(?:hla[\s\-]+)?haplo(?:identical)?[\s\-]+(?:car|nk|t[\s\-]?cells?|donors?|/)",
)
_ALLO = re.compile(
    _WORD_START + r"(?:" + "|".join(_ALLO_WORDS) + r")"
    r"|通用型|通用CAR|通用CAR|异体(?!造血|干细胞|移植|骨髓)|同种异体(?!造血|干细胞|移植|骨髓)|"
    r"异基因(?!造血|干细胞|移植|骨髓)|供者来源|供体来源|健康供者|健康供体|脐带血|健康志愿者",
    re.I,
)
_AUTO_WORDS = (
    rf"autologous\b(?!{_TRANSPLANT_CONTEXT})",
    r"autologus\b",
    r"auto[\s\-]CAR",
    r"patient[\s\-]+(?:derived|specific)\b",
    r"patients?['’]?s?[\s\-]+own\b",
    r"(?:PBMCs?|peripheral[\s\-]+blood[\s\-]+mononuclear[\s\-]+cells?|T[\s\-]?cells?|T[\s\-]lymphocytes?|"
    r"lymphocytes?|mononuclear[\s\-]+cells?)(?:[\s\-]*\([^)]{0,20}\))?[\s\-]+(?:of|from)[\s\-]+"
    r"(?:the[\s\-]+)?(?:patients?|subjects?|participants?)\b",
    r"(?:their|his|her|(?:the\s+|a\s+)?(?:patient|participant|subject)s?['’]?s?)\s+(?:own\s+|autologous\s+)?"
    r"(?:T[\s\-]?cells?|T[\s\-]lymphocytes?|immune\s+cells|white\s+blood\s+cells|PBMCs?|lymphocytes)\b",
    r"(?:their|his|her)\s+own\b",
    r"(?:taken|collected|obtained|harvested|isolated)\s+from\s+(?:the\s+|a\s+|each\s+)?"
    r"(?:patient|participant|subject)s?\b",
    r"\w*cabtagene[\s\-]+autoleucel\b",
    r"autoleucel\b",
)
_AUTO = re.compile(
    _WORD_START + r"(?:" + "|".join(_AUTO_WORDS) + r")|自体(?!造血|干细胞|移植|骨髓)|患者自身|自身T细胞",
    re.I,
)
# Collecting cells by apheresis is how an autologous product starts, but a donor
# can be apheresed too: it only counts when no tier states a source outright.
_AUTO_WEAK = re.compile(r"\b(?:leuk(?:o|ocyte)?[\s\-]?)?apheresis\b|单采", re.I)


_PRIOR_BEFORE = re.compile(
    r"(?<![a-z\-])(?:relaps\w*|refractory|fail\w*|progress\w*|resistan\w*|prior|previous(?:ly)?|history\s+of|"
    r"received|undergone|underwent|bridging\s+to|既往|复发)[\s\-]+(?:[\w/()]+[\s\-]+){0,3}$",
    re.I,
)
_BACKGROUND = re.compile(
    r"\b(?:although|however|have shown|has shown|have demonstrated|has demonstrated|been approved|approved by|"
    r"such as|for example|e\.g\.|unlike|in contrast|compared (?:to|with)|have proven|has proven|limitations?)\b",
    re.I,
)


_GRAFT = re.compile(r"transplant|\bHS?CT\b|\bBMT\b|\bgraft|\bGvL\b|移植", re.I)
_CAR = re.compile(r"\bCAR|chimeric|嵌合", re.I)


def _cues(text: str, pattern: re.Pattern[str], *, follow_up: bool, short: bool) -> re.Match[str] | None:
    """The first match of `pattern` that is not about earlier therapy nor in a background sentence."""
    for m in pattern.finditer(text):
        before = text[max(0, m.start() - 80) : m.start()]
        cut = max(before.rfind(". "), before.rfind(";"), before.rfind("\n"))
        if cut >= 0:
            before = before[cut + 1 :]
        if not follow_up and _PRIOR_BEFORE.search(before):
            continue
        if not short:
            begin, stop = sentence_bounds(text, m.start(), m.end())
            if _BACKGROUND.search(text, begin, stop):
                continue
            if pattern is _ALLO:
                near = text[max(begin, m.start() - 70) : min(stop, m.end() + 30)]
                if _GRAFT.search(near) and not _CAR.search(near):
                    continue  # donor cells of a transplant ("GvL mediated by donor-derived NK cells"), not the product
        return m
    return None


def classify(
    record: TrialRecord,
    products: Iterable[ProductSpec] = (),
    modalities: Iterable[str] = (),
    *,
    follow_up: bool = False,
) -> Classification:
    """The cell source of the trial's product, with evidence and review flags.

    Value: "autologous", "allogeneic", "in_vivo" or "unknown". `products`: the
    dictionary entries of the products the trial names (a sourced cell source
    counts at tier 1); `modalities`: the trial's modalities (only in vivo CAR
    gives "in_vivo"); `follow_up`: a long-term follow-up study, whose earlier
    product counts. Reads titles, acronym, interventions, arms, keywords,
    summary, description and objectives — never eligibility criteria.
    """
    modalities = list(modalities)
    if modalities and set(modalities) == {IN_VIVO_CAR}:
        return Classification("in_vivo", [{"value": "in_vivo", "source": "modality: in vivo CAR"}])
    parts = record_texts(record)
    product_facts = [(spec, spec.fact("cell_source")) for spec in products]
    review: list[str] = []
    if IN_VIVO_CAR in modalities:
        review.append("in vivo CAR next to another modality: cell source read from the text")
    for tier in (True, False):
        tier_parts = [part for part in parts if part.short == tier]
        joined = "\n".join(part.text for part in tier_parts)
        candidates = [
            (value, pattern)
            for value, pattern in (("allogeneic", _ALLO), ("autologous", _AUTO))
            if pattern.search(joined)
        ]
        found_values: dict[str, dict] = {}
        if tier:
            for spec, value in product_facts:
                if value in ("allogeneic", "autologous") and value not in found_values:
                    found_values[value] = from_product(value, spec.name, spec.source("cell_source"))
        for part in tier_parts if candidates else ():
            for value, pattern in candidates:
                if value in found_values:
                    continue
                m = _cues(part.text, pattern, follow_up=follow_up, short=part.short)
                if m:
                    found_values[value] = found(value, part.field, part.text, m.start(), m.end())
        if found_values:
            if len(found_values) > 1:
                review.append("allogeneic and autologous both stated; allogeneic kept")
                return Classification("allogeneic", [found_values["allogeneic"], found_values["autologous"]], review)
            ((value, evidence),) = found_values.items()
            return Classification(value, [evidence], review)
    for part in parts:
        m = _AUTO_WEAK.search(part.text)
        if m:
            return Classification(
                "autologous", [found("autologous", part.field, part.text, m.start(), m.end())], review
            )
    defaults = {MODALITY_DEFAULTS.get(kind, "unknown") for kind in modalities}
    if len(defaults) == 1 and "unknown" not in defaults:
        (value,) = defaults
        kinds = ", ".join(modalities)
        return Classification(
            value, [{"value": value, "source": f"default for {kinds}: {_DEFAULT_REASON[value]}"}], review
        )
    return Classification("unknown", [default("unknown")], review)


def cell_source(record: TrialRecord, products: Iterable[ProductSpec] = (), modalities: Iterable[str] = ()) -> str:
    """ "allogeneic", "autologous", "in_vivo" or "unknown" for the trial's CAR cells (see `classify`)."""
    return classify(record, products, modalities).value
