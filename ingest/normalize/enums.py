"""Canonical enumerations and the functions mapping registry strings onto them.

The values are the catalogue's (`catalogue.choices`); this module only maps
registry strings onto them.

Decisions:

* status — expanded-access states from ClinicalTrials.gov fold into the
  recruiting vocabulary: AVAILABLE → recruiting, TEMPORARILY_NOT_AVAILABLE →
  suspended, NO_LONGER_AVAILABLE / APPROVED_FOR_MARKETING → completed,
  WITHHELD → unknown. ICTRP's "Pending" is not_yet_recruiting and its bare
  "Not recruiting" is active_not_recruiting. ChiCTR's *registration* status
  (预注册 / Prospective registration) is not a recruiting status → unknown.
* phase — stated non-phase text ("New Treatment Measure Clinical Study",
  "其它", "Pilot"...) and any phase stated on an observational study map to
  not_applicable; no phase at all is None. Phase 0 is early_phase1. "Phase 1b/2" is phase1_phase2; a
  list of non-adjacent phases keeps the lowest one.
* study_type — "other" for a stated type that is none of the three
  (ChiCTR diagnostic / aetiology / epidemiology studies...).
* sex — a stated value that names neither sex, or both, is "all".
* Unknown stays unknown: status, phase, study type and sex are None when the
  registry states nothing, never a default that looks like the registry's word.
"""

from __future__ import annotations

import re
import unicodedata

from catalogue.choices import CellSource, DiseaseCategory, Phase, Sex, Status, StudyType

STATUS_VALUES = frozenset(Status.values)
PHASE_VALUES = frozenset(Phase.values)
SEX_VALUES = frozenset(Sex.values)
CELL_SOURCE_VALUES = frozenset(CellSource.values)
DISEASE_CATEGORY_VALUES = frozenset(DiseaseCategory.values)
STUDY_TYPE_VALUES = frozenset(StudyType.values)


def _fold(raw: str | None) -> str:
    """NFKC, lower case, separators collapsed to single spaces."""
    if not raw:
        return ""
    text = unicodedata.normalize("NFKC", str(raw)).lower()
    text = _SEPARATORS.sub(" ", text)
    return text.strip()


_SEPARATORS = re.compile(r"[\s_,;:\-–—/|()\[\]\x00]+")

# --- status ---------------------------------------------------------------

# Checked in order; the first rule whose pattern occurs wins. English first,
# then Chinese, so "尚未开始 Not yet recruiting" agrees either way.
_STATUS_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), value)
    for pattern, value in (
        (r"\bmay be ongoing or finished\b|\bunknown\b", "unknown"),
        (r"\bwithdrawn?\b|\bwithdrew\b", "withdrawn"),
        (r"\bterminated\b|\btermination\b", "terminated"),
        (r"\btemporarily not available\b|\bsuspend(?:ed|ing)?\b", "suspended"),
        (r"\bnot yet recruiting\b|\bnot yet open\b|\bpending\b", "not_yet_recruiting"),
        (r"\benrol?ling by invitation\b", "enrolling_by_invitation"),
        (r"\bactive not recruiting\b|\bclosed follow up continuing\b|\bnot recruiting\b", "active_not_recruiting"),
        (
            r"\bno longer available\b|\bapproved for marketing\b|\bcompleted?\b|"
            r"\bclosed follow up complete\b",
            "completed",
        ),
        (r"\brecruiting\b|\brecruitment (?:open|ongoing)\b|\bavailable\b", "recruiting"),
        (r"撤回|撤销|已撤", "withdrawn"),
        (r"终止|中止", "terminated"),
        (r"暂停", "suspended"),
        (r"尚未开始|尚未招募|未开始", "not_yet_recruiting"),
        (r"邀请", "enrolling_by_invitation"),
        (r"结束|完成", "completed"),
        (r"正在进行|正在招募|招募中|进行中", "recruiting"),
    )
)


def status(raw: str | None) -> str | None:
    """Recruitment status value (see `catalogue.choices.Status`) for a registry string.

    Accepts ClinicalTrials.gov API and classic text, ICTRP and ChiCTR (Chinese,
    English or both). A stated status we cannot read is "unknown" (as is the
    registry's own "Unknown status"); None when nothing is stated.
    """
    text = _fold(raw)
    if not text:
        return None
    for pattern, value in _STATUS_RULES:
        if pattern.search(text):
            return value
    return "unknown"


# --- study type -------------------------------------------------------------

_STUDY_TYPE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), value)
    for pattern, value in (
        (r"expanded access|compassionate|扩大使用|同情用药", "expanded_access"),
        (r"\bnon interventional|非干预", "observational"),
        (r"interventional|intervention|干预", "interventional"),
        (r"observational|观察", "observational"),
    )
)

_UNSTATED = frozenset({"", "n a", "na", "none", "unknown", "not stated", "not specified", "未知", "无"})


def study_type(raw: str | None) -> str | None:
    """Study type value (see `catalogue.choices.StudyType`) for a registry string.

    None when nothing is stated, "other" for a stated type that is not
    interventional, observational or expanded access.
    """
    text = _fold(raw)
    if text in _UNSTATED:
        return None
    for pattern, value in _STUDY_TYPE_RULES:
        if pattern.search(text):
            return value
    return "other"


_study_type_value = study_type  # `phase()` has a parameter of the same name

# --- phase -------------------------------------------------------------------

_NUMERAL = r"(?:IV|III|II|I|[0-4])(?:[AB])?(?![A-Z0-9])"
# Between two numerals: spaces, or a joiner with optional spaces around it. Written
# so that a run of spaces is read one way only (split between several quantifiers,
# "PHASE 1" followed by many spaces would take quadratic time).
_PHASE_JOIN = r"(?:\s+(?:(?:/|\+|\||,|&|-|~|AND|OR|TO)\s*)?|(?:/|\+|\||,|&|-|~|AND|OR|TO)\s*)"
_PHASE_RUN = re.compile(rf"PHASE\s*({_NUMERAL}(?:{_PHASE_JOIN}(?:PHASE\s*)?{_NUMERAL})*)")
# A run of numerals, with "期" after it when it is a Chinese phase. The run is
# matched whether or not "期" follows, so a long run without it is read once
# rather than once from each of its numerals.
_CN_PHASE_RUN = re.compile(rf"({_NUMERAL}(?:\s*[/+|,、\-~]\s*{_NUMERAL})*)(\s*期)?")
_NUMERAL_TOKEN = re.compile(r"IV|III|II|I|[0-4]")
_ROMAN = {"0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "I": 1, "II": 2, "III": 3, "IV": 4}
_EARLY = re.compile(r"EARLY\s*PHASE|PHASE\s*0(?![0-9])")
_POST_MARKETING = re.compile(r"POST[\s-]*MARKET|上市后")
_SINGLE_PHASE = {0: "early_phase1", 1: "phase1", 2: "phase2", 3: "phase3", 4: "phase4"}
_PAIR_PHASE = {(0, 1): "early_phase1", (1, 2): "phase1_phase2", (2, 3): "phase2_phase3"}


def phase(raw: str | None, study_type: str = "") -> str | None:
    """Trial phase value (see `catalogue.choices.Phase`) for a registry string.

    None when the registry states no phase (unknown stays unknown). A stated
    non-phase value ("N/A", "Pilot", "治疗新技术临床试验"...) and any phase
    stated for an observational study are "not_applicable".
    """
    if not raw or not str(raw).strip():
        return None
    if _study_type_value(study_type) == "observational":
        return "not_applicable"
    text = unicodedata.normalize("NFKC", str(raw)).upper().replace("_", " ")
    numbers: set[int] = set()
    for run in _PHASE_RUN.finditer(text):
        numbers.update(_ROMAN[tok] for tok in _NUMERAL_TOKEN.findall(run.group(1)))
    for run in _CN_PHASE_RUN.finditer(text):
        if run.group(2):
            numbers.update(_ROMAN[tok] for tok in _NUMERAL_TOKEN.findall(run.group(1)))
    if _EARLY.search(text):
        numbers.discard(1)
        numbers.add(0)
    if not numbers:
        return "phase4" if _POST_MARKETING.search(text) else "not_applicable"
    low = min(numbers)
    if low + 1 in numbers and (low, low + 1) in _PAIR_PHASE:
        return _PAIR_PHASE[(low, low + 1)]
    return _SINGLE_PHASE[low]


# --- sex -----------------------------------------------------------------------

_SEX_ALL = re.compile(r"\b(?:all|both|any|either)\b|男女|不限|均可")
_SEX_FEMALE = re.compile(r"\b(?:female|females|women|woman|f)\b|女")
_SEX_MALE = re.compile(r"\b(?:male|males|men|man|m)\b|男")


def sex(raw: str | None) -> str | None:
    """Sex eligibility value (see `catalogue.choices.Sex`).

    "all" for "All", "Both", 男女均可 or a value naming both sexes; None when
    nothing readable is stated ("", "not stated", "?").
    """
    text = _fold(raw)
    if not text or text in _UNSTATED:
        return None
    if _SEX_ALL.search(text):
        return "all"
    female = bool(_SEX_FEMALE.search(text))
    male = bool(_SEX_MALE.search(text))
    if female and not male:
        return "female"
    if male and not female:
        return "male"
    return "all" if female and male else None


# --- yes / no ----------------------------------------------------------------------

_YES = re.compile(r"^(?:true|yes|y|accepts? healthy volunteers|accepted|是)$|^yes\b")
_NO = re.compile(r"^(?:false|no|n|does not accept healthy volunteers|not accepted|否)$|^no\b")


def yes_no(raw: str | None) -> bool | None:
    """True / False for a registry's yes-or-no answer ("true", "Yes", "No",
    "Accepts Healthy Volunteers", 是 / 否); None when nothing readable is stated."""
    text = _fold(raw)
    if not text or text in _UNSTATED:
        return None
    if _NO.search(text):
        return False
    if _YES.search(text):
        return True
    return None


# --- enrollment ------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(?![\d])")
_MAX_ENROLLMENT = 10_000_000
_MAX_ENROLLMENT_DIGITS = len(str(_MAX_ENROLLMENT))


def _first_count(raw: str | None) -> int | None:
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", str(raw))
    match = _NUMBER.search(text)
    if not match:
        return None
    digits = match.group(1).replace(",", "").lstrip("0") or "0"
    if len(digits) > _MAX_ENROLLMENT_DIGITS:  # too large, and int() refuses numbers of thousands of digits
        return None
    value = int(digits)
    return value if value < _MAX_ENROLLMENT else None


def enrollment(total_raw: str | None, arm_sizes: list[str] | None) -> int | None:
    """Number of participants: the stated total, else the sum of the arms' sizes.

    "9 participants", "Estimated Enrollment: 20 participants", "1,200" and
    full-width digits are read; None when neither the total nor any arm states
    a number. Never negative.
    """
    total = _first_count(total_raw)
    if total is not None:
        return total
    sizes = [size for size in (_first_count(s) for s in (arm_sizes or [])) if size is not None]
    return sum(sizes) if sizes else None
