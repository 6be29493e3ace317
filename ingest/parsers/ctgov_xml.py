"""Legacy ClinicalTrials.gov XML: the public ``<clinical_study>`` (public.xsd) export.

Also reads the older internal archive schema (``<clinical_study><study_id>``,
``<textblock>`` wrappers, ``status_block``, ``phase_block``, ``primary_name``...)
served by the ClinicalTrials.gov archive. Values are the registry's own text,
stripped of XML layout whitespace: short fields are collapsed to one line,
text blocks are dedented. An element the document leaves out is absent (None);
one it carries empty is empty ("" / []).
"""

from __future__ import annotations

import re

from lxml import etree

from ingest.parsers.base import Parser
from ingest.parsers.ctgov_v2 import NCT_ID, contact_role, outcome_text, split_criteria
from ingest.records import Arm, Contact, Intervention, ParseError, Reference, SiteRecord, TrialRecord

_PROLOG = re.compile(r"\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>\s*)*", re.DOTALL)
_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def root_tag(text: str) -> str:
    """Local name of the first element of an XML document, "" when there is none. Never raises."""
    head = text[:8192].lstrip("\ufeff")
    prolog = _PROLOG.match(head)
    match = _FIRST_TAG.match(head, prolog.end() if prolog else 0)
    return match.group(2) if match else ""


def parse_xml(text: str) -> etree._Element:
    """Parse XML safely (no entity expansion, no network, no DTD); ParseError on bad XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(_XML_DECLARATION.sub("", text, count=1), parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"truncated or invalid XML: {' '.join(str(exc).split())}") from None
    except ValueError as exc:
        raise ParseError(f"invalid XML: {' '.join(str(exc).split())}") from None
    if root is None:
        raise ParseError("invalid XML: no root element")
    return root


def local(el: etree._Element) -> str:
    """Element tag without namespace ("" for comments, processing instructions, entities)."""
    tag = el.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def string_of(el: etree._Element) -> str:
    """An element's text with its descendants', leaving out comments, processing
    instructions and (unexpanded) entity references."""
    parts = [el.text or ""]
    for node in el:
        if isinstance(node.tag, str):
            parts.append(string_of(node))
        parts.append(node.tail or "")
    return "".join(parts)


def text_of(el: etree._Element | None) -> str:
    """An element's text (see `string_of`), collapsed to one line."""
    if el is None:
        return ""
    return " ".join(string_of(el).split())


def block_of(el: etree._Element | None) -> str:
    """An element's multi-line text, dedented and stripped, line breaks kept."""
    if el is None:
        return ""
    lines = string_of(el).replace("\r\n", "\n").split("\n")
    lines = [line.rstrip() for line in lines]
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line[cut:] for line in lines)).strip()


def children(el: etree._Element | None, *names: str) -> list[etree._Element]:
    """Direct child elements whose local name is one of `names`, in document order."""
    if el is None:
        return []
    return [child for child in el if local(child) in names]


def child(el: etree._Element | None, *names: str) -> etree._Element | None:
    """The first direct child named (in order of preference) one of `names`."""
    for name in names:
        found = children(el, name)
        if found:
            return found[0]
    return None


def _texts(el: etree._Element | None, *names: str) -> list[str] | None:
    """Texts of the children named `names`; None when there is no such child (absent)."""
    found = children(el, *names)
    if not found:
        return None
    return [value for value in (text_of(c) for c in found) if value]


def _first_text(el: etree._Element | None, *names: str) -> str | None:
    """The first non-empty text among the children named `names` (in order of
    preference); "" when such children are there but empty; None when none is."""
    carried = False
    for name in names:
        for found in children(el, name):
            carried = True
            value = text_of(found)
            if value:
                return value
    return "" if carried else None


def _block(el: etree._Element | None) -> str | None:
    return None if el is None else block_of(el)


def _unique(items: list[str | None]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


class CtgovXmlParser(Parser):
    """Legacy ClinicalTrials.gov ``<clinical_study>`` XML (public.xsd and the archive schema).

    One document holds one study. `problems` is always empty (kept for the same
    interface as the JSON parser).
    """

    name = "ctgov_xml"
    version = "2"

    def __init__(self) -> None:
        self.problems: list[str] = []

    @classmethod
    def detect(cls, text: str) -> bool:
        """True when the document's root element is ``clinical_study``."""
        return root_tag(text) == "clinical_study"

    def parse(self, text: str) -> list[TrialRecord]:
        """The one trial of a ``<clinical_study>`` document."""
        self.problems = []
        root = parse_xml(text)
        if local(root) != "clinical_study":
            raise ParseError(f"not a ClinicalTrials.gov XML study: root element is <{local(root) or '?'}>")
        return [_record(root)]


def _record(root: etree._Element) -> TrialRecord:
    ids = child(root, "id_info", "study_id")
    nct_id = text_of(child(ids, "nct_id"))
    if not nct_id:
        raise ParseError("no <nct_id> in <id_info>")
    if not NCT_ID.fullmatch(nct_id):
        raise ParseError(f"<nct_id> {nct_id[:40]!r} is not an NCT number")

    sponsors = child(root, "sponsors", "study_sponsor")
    lead = child(sponsors, "lead_sponsor")
    eligibility = child(root, "eligibility")
    criteria_el = child(eligibility, "criteria")
    criteria = None if criteria_el is None else (block_of(child(criteria_el, "textblock")) or block_of(criteria_el))
    inclusion, exclusion = split_criteria(criteria) if criteria is not None else (None, None)
    enrollment = child(root, "enrollment")
    phases = _texts(child(root, "phase_block"), "phase")
    if phases is None:
        phases = _texts(root, "phase")

    interventions, arm_interventions = _interventions(root)
    arm_groups = children(root, "arm_group")
    arms = [
        Arm(
            label=_first_text(group, "arm_group_label"),
            type=_first_text(group, "arm_group_type", "arm_type"),
            description=_block(child(group, "description", "arm_group_description")),
            interventions=arm_interventions.get(_first_text(group, "arm_group_label") or "", []),
        )
        for group in arm_groups
    ]
    locations = children(root, "location")
    sites = [_site(location) for location in locations]
    countries = _texts(child(root, "location_countries"), "country")
    if countries is None and locations:
        countries = _unique([s.country for s in sites])
    outcome_elements = children(root, "primary_outcome", "secondary_outcome")
    outcomes = [(text_of(child(o, "measure")), block_of(child(o, "description"))) for o in outcome_elements]
    references = [
        Reference(pmid=_first_text(ref, "PMID"), type=_REFERENCE_TYPES[local(ref)], citation=_first_text(ref, "citation"))
        for ref in children(root, "reference", "results_reference")
    ]
    contacts = [
        _contact(el, _CONTACT_ROLES[local(el)])
        for el in children(root, "overall_contact", "overall_contact_backup", "contact", "overall_official", "investigator")
    ]
    has_results, results_date = _results(root)
    return TrialRecord(
        registry="ctgov",
        registry_id=nct_id,
        source_format="ctgov_xml",
        source_url=f"https://clinicaltrials.gov/study/{nct_id}",
        secondary_ids=_unique(_texts(ids, "org_study_id", "secondary_id") or []),
        title=_first_text(root, "brief_title"),
        official_title=_first_text(root, "official_title"),
        acronym=_first_text(root, "acronym"),
        brief_summary=_block(child(root, "brief_summary")),
        detailed_description=_block(child(root, "detailed_description", "detailed_descr")),
        objectives=outcome_text(outcomes) if outcome_elements else None,
        keywords=_texts(root, "keyword"),
        status=_first_text(root, "overall_status") or _first_text(child(root, "status_block"), "status"),
        phase=None if phases is None else "/".join(phases),
        study_type=_first_text(root, "study_type"),
        min_age=_first_text(eligibility, "minimum_age"),
        max_age=_first_text(eligibility, "maximum_age"),
        sex=_first_text(eligibility, "gender", "sex"),
        healthy_volunteers=_first_text(eligibility, "healthy_volunteers"),
        enrollment=None if enrollment is None else text_of(enrollment),
        enrollment_type=None if enrollment is None else (enrollment.get("type") or "").strip(),
        start_date=_first_text(root, "start_date"),
        completion_date=_first_text(root, "completion_date", "compl_date"),
        primary_completion_date=_first_text(root, "primary_completion_date", "primary_compl_date"),
        registration_date=_first_text(
            root, "study_first_posted", "firstreceived_date", "study_first_submitted", "initial_release_date"
        ),
        last_update_date=_first_text(
            root, "last_update_posted", "lastchanged_date", "last_update_submitted", "last_release_date"
        ),
        sponsor=_first_text(lead, "agency"),
        sponsor_class=_first_text(lead, "agency_class"),
        collaborators=None
        if sponsors is None
        else _unique([_first_text(c, "agency") for c in children(sponsors, "collaborator", "sponsor")]),
        conditions=_texts(root, "condition"),
        interventions=interventions,
        arms=arms if arm_groups else None,
        sites=[s for s in sites if s.institution or s.city] if locations else None,
        countries=countries,
        contacts=contacts or None,
        inclusion_criteria=inclusion,
        exclusion_criteria=exclusion,
        eligibility_text=criteria,
        references=references or None,
        has_results=has_results,
        results_date=results_date,
    )


# The public schema's <reference> is a background citation, <results_reference> a
# publication of the study's results (API v2: BACKGROUND / RESULT).
_REFERENCE_TYPES = {"reference": "BACKGROUND", "results_reference": "RESULT"}
_CONTACT_ROLES = {
    "overall_contact": "central",
    "overall_contact_backup": "central_backup",
    "contact": "central",  # the archive schema's study contact
    "overall_official": "investigator",
    "investigator": "investigator",
}
_SITE_ROLES = {"contact": "site", "contact_backup": "site_backup", "investigator": "investigator"}
_NO_RESULTS_NOTE = "Results have not yet been posted"


def _interventions(root: etree._Element) -> tuple[list[Intervention] | None, dict[str, list[str]]]:
    items = children(root, "intervention")
    interventions: list[Intervention] = []
    arm_interventions: dict[str, list[str]] = {}
    for item in items:
        name = _first_text(item, "intervention_name", "primary_name")
        interventions.append(
            Intervention(
                name=name,
                type=_first_text(item, "intervention_type", "intervent_type"),
                description=_block(child(item, "description")),
                other_names=_texts(item, "other_name"),
            )
        )
        for label in _texts(item, "arm_group_label") or []:
            if name:
                arm_interventions.setdefault(label, []).append(name)
    return (interventions if items else None), arm_interventions


def _site(location: etree._Element) -> SiteRecord:
    facility = child(location, "facility")
    address = child(facility, "address")
    people = [
        _contact(el, _SITE_ROLES[local(el)]) for el in children(location, "contact", "contact_backup", "investigator")
    ]
    return SiteRecord(
        institution=_first_text(facility, "name"),
        city=_first_text(address, "city"),
        state=_first_text(address, "state"),
        country=_first_text(address, "country"),
        zip=_first_text(address, "zip"),
        status=_first_text(location, "status"),
        contacts=people or None,
    )


def _contact(el: etree._Element, role: str) -> Contact:
    """A person element: the public schema's first/middle/last name and degrees, or
    the archive's single <name>; an official's or investigator's <role> becomes our
    role word ("principal_investigator"), `role` otherwise."""
    parts = [_first_text(el, name) for name in ("first_name", "middle_name", "last_name", "name")]
    name = " ".join(part for part in parts if part) or ("" if any(p is not None for p in parts) else None)
    degrees = _first_text(el, "degrees")
    if name and degrees:
        name = f"{name}, {degrees}"
    phone = _first_text(el, "phone")
    ext = _first_text(el, "phone_ext")
    return Contact(
        role=contact_role(_first_text(el, "role"), role),
        name=name,
        phone=f"{phone} ext. {ext}" if phone and ext else phone,
        email=_first_text(el, "email"),
        affiliation=_first_text(el, "affiliation"),
    )


def _results(root: etree._Element) -> tuple[str | None, str | None]:
    """(has_results, results first posted). The public XML carries <clinical_results>
    when results are posted and says so in a comment when they are not; the archive
    schema carries a results release date, empty when there are none."""
    date = _first_text(root, "results_first_posted", "firstreceived_results_date", "init_results_release_date")
    if child(root, "clinical_results") is not None or date:
        return "true", date
    said_none = any(isinstance(node, etree._Comment) and _NO_RESULTS_NOTE in (node.text or "") for node in root)
    if date == "" or said_none:
        return "false", date
    return None, date
