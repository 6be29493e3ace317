"""Who runs a trial: industry, academic (or non-profit), government or other.

`sponsor_type(name, sponsor_class)` reads the lead sponsor's registry class
first (ClinicalTrials.gov: INDUSTRY, NIH, FED, OTHER_GOV, NETWORK, INDIV,
OTHER, AMBIG, UNKNOWN) and its name second.

Decisions:

* INDUSTRY is industry; NIH, FED and OTHER_GOV are government, whatever the
  name says (a state-run hospital the registry files under OTHER_GOV stays
  government): the class is the registry's own word.
* OTHER, NETWORK, INDIV and the like say "not industry, not government" only
  loosely: many companies and sponsor-investigators are filed there. So the
  name decides when it clearly names a company or a government body; otherwise
  the trial is academic (universities, hospitals, cooperative groups and the
  investigators they employ).
* With no class (ChiCTR, ICTRP, older ClinicalTrials.gov formats) the name
  alone decides, in this order: a university, college or hospital is academic
  (so a "Pharmaceutical University" or "Hospital, Inc." is not a company); company cues (Co., Ltd, Inc,
  GmbH, pharma, biotech, therapeutics…) mean industry; ministries, national
  health institutes and the like mean government; hospitals, institutes,
  centres, foundations and groups are academic; anything else (a person's
  name, an unknown word) is "other".
* No name and no class: None, unknown (never a default).
"""

from __future__ import annotations

import re
import unicodedata

from catalogue.choices import SponsorType

INDUSTRY = SponsorType.INDUSTRY.value
ACADEMIC = SponsorType.ACADEMIC.value
GOVERNMENT = SponsorType.GOVERNMENT.value
OTHER = SponsorType.OTHER.value

# The registry's class, where it settles the question by itself.
CLASSES: dict[str, str] = {
    "INDUSTRY": INDUSTRY,
    "NIH": GOVERNMENT,
    "FED": GOVERNMENT,
    "OTHER_GOV": GOVERNMENT,
    "U.S. FED": GOVERNMENT,  # the legacy XML's agency_class spelling
    "NIH/FED": GOVERNMENT,
}
# Classes that only say "not industry, not government" (the name may still tell).
NON_COMMERCIAL_CLASSES = frozenset({"OTHER", "NETWORK", "INDIV", "AMBIG"})


def _pattern(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


UNIVERSITY = _pattern(r"\buniversit", r"\bcollege\b", r"\bschool of medicine\b", r"大学", r"学院")
HOSPITAL = _pattern(r"hospital", r"hôpita", r"\bhospices?\b", r"医院")
COMPANY = _pattern(
    r"\bco\.?\s*,?\s*ltd\b",
    r"\bco\.,",
    r"\bltd\b",
    r"\blimited\b",
    r"\binc\b",
    r"\bl\.?l\.?c\b",
    r"\bgmbh\b",
    r"\bcorp(oration)?\b",
    r"\bcompany\b",
    r"\bs\.?a\.?s?\b\.?$",
    r"\bs\.p\.a\b",
    r"\bag\b",
    r"\bplc\b",
    r"\bse$",
    r"\bbio$",
    r"\blaboratories\b",
    r"\bb\.?v\.?$",
    r"\bn\.?v\.?$",
    r"pharma",
    r"biotech",
    r"biopharm",
    r"bioscience",
    r"biologics",
    r"biomedicals?\b",
    r"therapeutics",
    r"\boncology\s+(sa|inc|ltd)\b",
    r"公司",
    r"有限",
    r"集团",
)
GOVERNMENT_NAMES = _pattern(
    r"\bministry\b",
    r"\bgovernment\b",
    r"\bnational institutes? of health\b",
    r"\bnational cancer institute\b",
    r"\bdepartment of (health|defense|veterans)",
    r"\bveterans affairs\b",
    r"\bfederal\b",
    r"\bcenters? for disease control\b",
    r"\bhealth (commission|authority)\b",
    r"卫生",
    r"健康委员会",
    r"政府",
    r"\bministerio\b",
    r"\bministère\b",
)
ACADEMIC_NAMES = _pattern(
    r"\binstitut",
    r"\bcent(er|re)\b",
    r"\bclinic",
    r"\bfoundation\b",
    r"\bfondazione\b",
    r"\bfundaci",
    r"\bacademy\b",
    r"\bgroup\b",
    r"\bgruppo\b",
    r"\bgrupo\b",
    r"\bconsortium\b",
    r"\bnetwork\b",
    r"\bresearch\b",
    r"\bsociety\b",
    r"\bmedical\b",
    r"\bhealth system\b",
    r"\bcancer\b",
    r"\bazienda\b",
    r"\bassistance publique\b",
    r"\bstichting\b",
    r"研究所",
    r"研究院",
    r"中心",
)


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def by_name(name: str) -> str | None:
    """The sponsor type a name alone shows; None when the name is empty."""
    name = _fold(name)
    if not name:
        return None
    if UNIVERSITY.search(name) or HOSPITAL.search(name):
        return ACADEMIC
    if COMPANY.search(name):
        return INDUSTRY
    if GOVERNMENT_NAMES.search(name):
        return GOVERNMENT
    if ACADEMIC_NAMES.search(name):
        return ACADEMIC
    return OTHER


def sponsor_type(name: str | None, sponsor_class: str | None = None) -> str | None:
    """A `catalogue.choices.SponsorType` value for the lead sponsor, or None when
    the record names no sponsor and gives no class."""
    cls = _fold(sponsor_class or "").upper()
    if cls in CLASSES:
        return CLASSES[cls]
    named = by_name(name or "")
    if cls in NON_COMMERCIAL_CLASSES:
        return named if named in (INDUSTRY, GOVERNMENT) else ACADEMIC
    return named
