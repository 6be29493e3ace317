"""What kind of study a trial is: treatment, long-term follow-up, observational, supportive care, other.

`trial_type(record)` returns a `Classification` whose value is a
`catalogue.choices.TrialType` value. Rules, first match wins:

1. long_term_follow_up: a study that follows patients treated in earlier
   studies: "long-term follow-up", "LTFU", "follow-up study of patients
   (previously) treated with…", "rollover study", in a title, an intervention
   name, or a summary sentence saying what the study is ("This is a long-term
   follow-up study…"). A treatment trial announcing that its patients will
   enter long-term follow-up is not one.
2. observational: the registry's study type says so (a stated type outranks
   the text), or a title / summary sentence says observational, real-world,
   retrospective, registry, non-interventional, survey, chart review, biobank,
   sample collection.
3. supportive_care: the trial's own intervention manages a complication or the
   burden of the therapy rather than the disease: preventing or treating CRS,
   ICANS / neurotoxicity, cytopenias (ICAHT), infections (prophylaxis,
   vaccination, immunoglobulin), or exercise, rehabilitation, psychological,
   palliative or remote-monitoring programmes for patients having cell therapy.
4. other: imaging, diagnostic, biomarker-screening or manufacturing studies
   with no treatment.
5. treatment: everything else (the default, evidence "default").

Pure: no database, no network.
"""

from __future__ import annotations

import re
from typing import Any

from catalogue.choices import TrialType
from ingest.normalize import enums
from ingest.normalize.classification import Classification, FieldText, default, found, record_texts, sentence_bounds
from ingest.records import TrialRecord

__all__ = ["TRIAL_TYPE_VALUES", "is_follow_up", "trial_type"]

TRIAL_TYPE_VALUES = frozenset(TrialType.values)
LTFU = TrialType.LONG_TERM_FOLLOW_UP.value
OBSERVATIONAL = TrialType.OBSERVATIONAL.value
SUPPORTIVE = TrialType.SUPPORTIVE_CARE.value
OTHER = TrialType.OTHER.value
TREATMENT = TrialType.TREATMENT.value

_LTFU_NAME = re.compile(
    r"\b(?:long[\s\-]?term|longterm)\s+(?:safety\s+)?follow[\s\-]?up\b|\bLTFU\b|\broll[\s\-]?over\s+(?:study|protocol|trial)\b"
    r"|\bfollow[\s\-]?up\s+(?:study|trial|protocol|registry)?\s*(?:of|for|in)\s+(?:the\s+)?(?:study\s+)?(?:patients|participants|subjects)\b"
    r"|\blong[\s\-]?term\s+(?:study|safety|registry)\b[^.;]{0,80}\b(?:previously|treated|received|administered|who\s+have)\b"
    r"|\b[A-Z][A-Za-z]*-?\d[\w\-]*\s+follow[\s\-]?up$"  # an intervention named "UCART19 follow-up"
    r"|长期随访",
    re.I,
)
_LTFU_SENTENCE = re.compile(
    r"\b(?:this|the)\s+(?:\w+[\s\-]+){0,3}(?:study|protocol|trial)\s+(?:is|will\s+be)\s+(?:an?\s+)?(?:\w+[\s\-,]+){0,4}?"
    r"(?:long[\s\-]?term|longterm)\s+(?:safety\s+(?:and\s+\w+\s+)?)?follow[\s\-]?up\b"
    r"|\bthis\s+is\s+an?\s+(?:\w+[\s\-,]+){0,4}?(?:long[\s\-]?term|longterm)\s+(?:safety\s+)?follow[\s\-]?up\s+(?:study|protocol)\b"
    r"|\b(?:purpose|aim|goal|objective)s?\s+of\s+this\s+(?:study|protocol)\s+(?:is|are)\s+to\s+(?:\w+\s+){0,3}"
    r"(?:long[\s\-]?term|longterm)\s+(?:safety|follow[\s\-]?up|data|outcomes)\b[^.;]{0,120}\b(?:previously|treated|received|who\s+have)\b"
    r"|\b(?:provide|collect)\s+long[\s\-]?term\s+follow[\s\-]?up\s+(?:data\s+)?(?:for|of|on)\s+(?:patients|participants|subjects)\s+who\b",
    re.I,
)
_OBSERVATIONAL_NAME = re.compile(
    r"\b(?:observational|real[\s\-]?world|retrospective|registry|non[\s\-]?interventional|survey|questionnaires?|"
    r"cohort\s+study|case\s+series|chart\s+review|biobank|natural\s+history|claims\s+data|database\s+study|"
    r"epidemiolog\w*|prospective\s+(?:cohort|study\s+of\s+patients))\b|观察性|真实世界|回顾性",
    re.I,
)
_OBSERVATIONAL_SENTENCE = re.compile(
    r"\b(?:this|the)\s+(?:\w+[\s\-]+){0,2}(?:study|protocol|registry)\s+is\s+(?:an?\s+)?(?:\w+[\s\-,]+){0,3}?"
    r"(?:observational|retrospective|non[\s\-]?interventional|real[\s\-]?world)\b"
    r"|\b(?:this\s+is\s+an?\s+)(?:\w+[\s\-,]+){0,3}?(?:observational|retrospective|non[\s\-]?interventional|real[\s\-]?world)\b",
    re.I,
)
_SAMPLES_ONLY = re.compile(
    r"\b(?:collection\s+of\s+(?:biological\s+)?samples|sample\s+collection|biospecimen\s+collection\s+study|"
    r"blood\s+and\s+tissue\s+samples)\b",
    re.I,
)
_SPECIFIC_COMPLICATION = (
    r"(?:cytokine[\s\-]+release(?:[\s\-]+syndrome)?|\bCRS\b|\bICANS\b|neurotoxicit\w*|neurologic(?:al)?\s+toxicit\w*|"
    r"encephalopath\w*|immune\s+effector\s+cell[\s\-]associated\s+\w+|\bIEC[\s\-]HS\b|\bHLH\b|haemophagocytic|"
    r"hemophagocytic|cytopeni\w*|\bICAHT\b|hematotoxicit\w*|haematotoxicit\w*|neutropeni\w*|thrombocytopeni\w*|"
    r"hypogammaglobulin\w*|graft[\s\-]versus[\s\-]host|GvHD)"
)
_ANY_COMPLICATION = (
    r"(?:" + _SPECIFIC_COMPLICATION + r"|infections?|infectious\s+complications?|toxicit(?:y|ies)|side\s+effects|"
    r"adverse\s+events)"
)
_SUPPORTIVE = re.compile(
    r"\b(?:prevent\w*|prophyla\w*|pre-?empt\w*|mitigat\w*|manag\w*|minimi[sz]\w*|early\s+(?:detection|recognition)\s+"
    r"(?:of\s+)?|monitor\w*\s+(?:for\s+)?)\s*(?:\w+[\s\-]+){0,5}?"
    + _ANY_COMPLICATION
    + r"|\b(?:reduc\w*|treat(?:ing|ment)?(?:\s+of)?|decreas\w*|lower\w*|control\w*)\s+(?:\w+[\s\-]+){0,4}?"
    + _SPECIFIC_COMPLICATION
    + r"|\b"
    + _SPECIFIC_COMPLICATION
    + r"\s+(?:prophylaxis|prevention|management|treatment)\b"
    r"|\b(?:infection|antimicrobial|antiviral|antifungal)\s+prophylaxis\b"
    r"|\b(?:vaccination|(?:influenza|flu|covid(?:-19)?|sars-cov-2|pneumococcal|rsv|zoster|hepatitis\s+b)\s+vaccin\w*|"
    r"vaccines?\s+(?:response|responses|immunogenicity)|immunoglobulin\s+(?:replacement|substitution)|IVIG)\b"
    r"|\b(?:exercise|physical\s+(?:activity|therapy|exercise)|rehabilitation|prehabilitation|psycholog\w*|psychosocial|"
    r"palliative|supportive\s+care|symptom\s+management|virtual\s+reality|cognitive\s+training|mindfulness|yoga|music\s+therapy|"
    r"nutrition\w*|telemonitoring|remote\s+(?:patient\s+)?monitoring|wearable|caregiver\w*|"
    r"health\s+coaching|quality\s+of\s+life\s+intervention|geriatric\s+assessment|functional\s+recovery|"
    r"cognitive\s+intervention)\b",
    re.I,
)
# Words every supportive-care cue contains: most trials have none, and the full patterns are slow.
_SUPPORTIVE_HINT = re.compile(
    r"prevent|prophyla|empt|mitigat|manag|minimi|detect|recogni|monitor|reduc|treat|decreas|lower|control|vaccin|"
    r"immunoglobulin|ivig|exercise|physical|rehabilit|psycho|palliat|supportive|symptom|virtual|cognitive|mindful|yoga|"
    r"music|nutrition|telemonitor|remote|wearable|caregiver|coaching|quality of life",
    re.I,
)
_SUPPORTIVE_SPECIFIC = re.compile(
    r"\b(?:prevent\w*|prophyla\w*|mitigat\w*|manag\w*|reduc\w*|treat(?:ing|ment)?(?:\s+of)?|decreas\w*)\s+"
    r"(?:\w+[\s\-]+){0,4}?" + _SPECIFIC_COMPLICATION + r"|\b(?:infection|antimicrobial|antiviral)\s+prophylaxis\b",
    re.I,
)
# A title that presents an engineered cell product as the thing tested ("CD19 CAR NK cells for ITP",
# "CD6-CAR Tregs for chronic GvHD"), not the therapy its patients receive ("…after CAR-T", "…in people receiving CAR-T").
_TITLE_CAR = re.compile(r"\b(?:[\w\-]*CAR[\s\-]?(?:T|NK|M|Treg)s?|CARs?|chimeric\s+antigen\s+receptor)\b", re.I)
_RECEIVED_BEFORE = re.compile(
    r"\b(?:after|post|following|receiving|received|treated\s+with|undergoing|recipients\s+of|in\s+patients|for\s+patients|"
    r"people|participants|prior\s+to|before|during)\b[^.;]{0,40}$",
    re.I,
)
_RECEIVED_AFTER = re.compile(
    r"^[\s\-]*(?:(?:T[\s\-]?)?cells?[\s\-]+)?(?:therapy[\s\-]+)?(?:associated|related|induced|mediated|recipients|patients|"
    r"survivors)\b|^[^.;]{0,40}\b(?:recipients|survivors)\b",
    re.I,
)


def _tests_a_product(title: str) -> bool:
    for m in _TITLE_CAR.finditer(title):
        if not _RECEIVED_BEFORE.search(title[max(0, m.start() - 60) : m.start()]) and not _RECEIVED_AFTER.search(
            title[m.end() :]
        ):
            return True
    return False


_OTHER = re.compile(
    r"\b(?:PET(?:/CT|/MRI|[\s\-]CT)?|positron\s+emission|imaging|MRI|magnetic\s+resonance|tracer|radiotracer|"
    r"biomarker\s+screening|screening\s+protocol|diagnostic\s+(?:study|test|accuracy)|manufactur\w*\s+(?:study|feasibility))\b",
    re.I,
)
_TREATMENT_WORDS = re.compile(
    r"\b(?:CAR|chimeric|cell\s+therapy|injection|infusion|dose|efficacy|safety|tolerability|treat\w*|therapy)\b", re.I
)
_TYPE_FIELDS = {"title", "official_title", "title_zh", "official_title_zh", "acronym", "interventions", "keywords"}


def _first(
    pattern: re.Pattern[str], parts: list[FieldText], fields: set[str] | None = None, value: str = ""
) -> dict[str, Any] | None:
    for part in parts:
        if fields is not None and part.field not in fields:
            continue
        m = pattern.search(part.text)
        if m:
            return found(value, part.field, part.text, m.start(), m.end())
    return None


def is_follow_up(record: TrialRecord) -> bool:
    """Whether the trial is a long-term follow-up of patients treated earlier (rule 1 of the module docstring)."""
    return _follow_up_evidence(record_texts(record)) is not None


def _follow_up_evidence(parts: list[FieldText]) -> dict[str, Any] | None:
    evidence = _first(_LTFU_NAME, parts, {"title", "official_title", "title_zh", "official_title_zh", "acronym"}, LTFU)
    if evidence is None:
        evidence = _first(_LTFU_NAME, [p for p in parts if p.field == "interventions" and p.short], None, LTFU)
    if evidence is None:
        # what the study is, said at the start of its summary (later text may announce a separate LTFU study)
        evidence = _first(_LTFU_SENTENCE, [_opening(p) for p in parts if p.field == "summary"], None, LTFU)
    return evidence


def _opening(part: FieldText, sentences: int = 2) -> FieldText:
    """The first sentences of a long text."""
    end = 0
    for _ in range(sentences):
        _, end = sentence_bounds(part.text, end, end)
        end += 1
    return FieldText(part.field, part.text[:end], part.short)


def trial_type(record: TrialRecord) -> Classification:
    """The trial's TrialType value with evidence (see the module docstring)."""
    parts = record_texts(record)
    evidence = _follow_up_evidence(parts)
    if evidence is not None:
        return Classification(LTFU, [evidence])
    filled = record.filled()
    stated = enums.study_type(filled.study_type)
    if stated == "observational":
        return Classification(
            OBSERVATIONAL,
            [{"value": OBSERVATIONAL, "field": "study_type", "phrase": " ".join(filled.study_type.split())[:120]}],
        )
    evidence = _first(
        _OBSERVATIONAL_NAME,
        parts,
        {"title", "official_title", "title_zh", "official_title_zh", "acronym"},
        OBSERVATIONAL,
    ) or _first(_OBSERVATIONAL_SENTENCE, [p for p in parts if p.field == "summary"], None, OBSERVATIONAL)
    if evidence is not None and stated != "interventional":
        return Classification(OBSERVATIONAL, [evidence])
    review: list[str] = []
    if evidence is not None:
        review.append("observational wording in a study registered as interventional")
    title = " ".join(p.text for p in parts if p.field in ("title", "official_title"))
    supportive = None
    if not _tests_a_product(title):
        supportive = _first(_SUPPORTIVE, parts, _TYPE_FIELDS, SUPPORTIVE)
        if supportive is None:
            # the summary's first sentence usually says what the study tests
            opening = [_opening(p, 1) for p in parts if p.field == "summary"]
            supportive = _first(_SUPPORTIVE_SPECIFIC, opening, None, SUPPORTIVE)
    if supportive is not None:
        return Classification(SUPPORTIVE, [supportive], review)
    if evidence is not None and _SAMPLES_ONLY.search(" ".join(p.text for p in parts if p.short)):
        return Classification(OBSERVATIONAL, [evidence], review)
    other = _first(_OTHER, parts, {"title", "official_title", "acronym"}, OTHER)
    if other is None:
        other = _first(_SAMPLES_ONLY, parts, {"title", "official_title", "acronym"}, OTHER)
    if other is not None:
        title = next((p.text for p in parts if p.field == "title"), "")
        interventions = [p.text for p in parts if p.field == "interventions" and p.short]
        if not re.search(r"\bCAR|chimeric|cell\s+therap|injection|infusion", title, re.I) or not interventions:
            return Classification(OTHER, [other], review)
    return Classification(TREATMENT, [default(TREATMENT)], review)
