"""Where a trial's CAR cells come from: the patient (autologous) or a donor (allogeneic).

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
  allo-HSCT), and allogeneic is the property a reader must not miss.
* Collecting the patient's own cells counts as autologous: "PBMCs / T cells
  of (from) patients", "their own T cells"; "(leuk)apheresis" too, but only
  when nothing else states a source (a donor can be apheresed). So
  seed 002 ("PBMCs of patients ... obtained through apheresis" in its arm, and
  "autologous" only in the inclusion criteria) is autologous.
"""

from __future__ import annotations

import re
import unicodedata

from ingest.records import TrialRecord

_TRANSPLANT_CONTEXT = (
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
)
_ALLO = re.compile(
    _WORD_START + r"(?:" + "|".join(_ALLO_WORDS) + r")"
    r"|通用型|通用CAR|异体(?!造血|干细胞|移植|骨髓)|同种异体(?!造血|干细胞|移植|骨髓)|"
    r"异基因(?!造血|干细胞|移植|骨髓)|供者来源|供体来源|健康供者|健康供体",
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
)
_AUTO = re.compile(
    _WORD_START + r"(?:" + "|".join(_AUTO_WORDS) + r")|自体(?!造血|干细胞|移植|骨髓)|患者自身|自身T细胞",
    re.I,
)
# Collecting cells by apheresis is how an autologous product starts, but a donor
# can be apheresed too: it only counts when no tier states a source outright.
_AUTO_WEAK = re.compile(r"\b(?:leuk(?:o|ocyte)?[\s\-]?)?apheresis\b|单采", re.I)


def _text(parts: list[str]) -> str:
    return unicodedata.normalize("NFKC", "\n".join(p for p in parts if p))


def _tiers(record: TrialRecord) -> tuple[str, str]:
    record = record.filled()
    first = [record.title, record.official_title, record.title_zh, record.acronym]
    first += [i.name for i in record.interventions]
    rest = [record.brief_summary, record.detailed_description, record.objectives, *record.keywords]
    for item in record.interventions:
        rest += [item.description, *item.other_names]
    for arm in record.arms:
        rest += [arm.label, arm.description, *arm.interventions]
    return _text(first), _text(rest)


def cell_source(record: TrialRecord) -> str:
    """"allogeneic", "autologous" or "unknown" for the trial's CAR cells.

    Reads titles, acronym, interventions, arms, keywords, summary, description
    and objectives — never eligibility criteria. See the module docstring for
    how conflicting statements are resolved.
    """
    tiers = _tiers(record)
    for text in tiers:
        if _ALLO.search(text):
            return "allogeneic"
        if _AUTO.search(text):
            return "autologous"
    if any(_AUTO_WEAK.search(text) for text in tiers):
        return "autologous"
    return "unknown"
