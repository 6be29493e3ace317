"""Legacy ClinicalTrials.gov XML: the public ``<clinical_study>`` (public.xsd) export.

Also reads the older internal archive schema (``<clinical_study><study_id>``,
``<textblock>`` wrappers, ``status_block``, ``phase_block``, ``primary_name``...)
served by the ClinicalTrials.gov archive. Values are the registry's own text,
stripped of XML layout whitespace: short fields are collapsed to one line,
text blocks are dedented. An element the document leaves out is absent (None);
one it carries empty is empty ("" / []).
"""

from __future__ import annotations

from lxml import etree

from ingest.parsers._criteria import split_criteria
from ingest.parsers._ctgov import NCT_ID, contact_role
from ingest.parsers._values import outcome_text, unique
from ingest.parsers._xml import block_of, child, child_texts, children, first_text, local, parse_xml, root_tag, text_of
from ingest.parsers.base import Parser
from ingest.records import Arm, Contact, Intervention, ParseError, Reference, SiteRecord, TrialRecord


def _block(el: etree._Element | None) -> str | None:
    return None if el is None else block_of(el)


class CtgovXmlParser(Parser):
    """Legacy ClinicalTrials.gov ``<clinical_study>`` XML (public.xsd and the archive schema).

    One document holds one study; `problems` stays empty.
    """

    name = "ctgov_xml"
    version = "2"

    @classmethod
    def detect(cls, text: str) -> bool:
        """True when the document's root element is ``clinical_study``."""
        return root_tag(text) == "clinical_study"

    def read(self, text: str) -> list[TrialRecord]:
        """The one trial of a ``<clinical_study>`` document."""
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
    phases = child_texts(child(root, "phase_block"), "phase")
    if phases is None:
        phases = child_texts(root, "phase")

    interventions, arm_interventions = _interventions(root)
    arm_groups = children(root, "arm_group")
    arms = [
        Arm(
            label=first_text(group, "arm_group_label"),
            type=first_text(group, "arm_group_type", "arm_type"),
            description=_block(child(group, "description", "arm_group_description")),
            interventions=arm_interventions.get(first_text(group, "arm_group_label") or "", []),
        )
        for group in arm_groups
    ]
    locations = children(root, "location")
    sites = [_site(location) for location in locations]
    countries = child_texts(child(root, "location_countries"), "country")
    if countries is None and locations:
        countries = unique([s.country for s in sites])
    outcome_elements = children(root, "primary_outcome", "secondary_outcome")
    outcomes = [(text_of(child(o, "measure")), block_of(child(o, "description"))) for o in outcome_elements]
    references = [
        Reference(pmid=first_text(ref, "PMID"), type=_REFERENCE_TYPES[local(ref)], citation=first_text(ref, "citation"))
        for ref in children(root, "reference", "results_reference")
    ]
    contacts = [
        _contact(el, _CONTACT_ROLES[local(el)])
        for el in children(
            root, "overall_contact", "overall_contact_backup", "contact", "overall_official", "investigator"
        )
    ]
    has_results, results_date = _results(root)
    return TrialRecord(
        registry="ctgov",
        registry_id=nct_id,
        source_format="ctgov_xml",
        source_url=f"https://clinicaltrials.gov/study/{nct_id}",
        secondary_ids=unique(child_texts(ids, "org_study_id", "secondary_id") or []),
        title=first_text(root, "brief_title"),
        official_title=first_text(root, "official_title"),
        acronym=first_text(root, "acronym"),
        brief_summary=_block(child(root, "brief_summary")),
        detailed_description=_block(child(root, "detailed_description", "detailed_descr")),
        objectives=outcome_text(outcomes) if outcome_elements else None,
        keywords=child_texts(root, "keyword"),
        status=first_text(root, "overall_status") or first_text(child(root, "status_block"), "status"),
        phase=None if phases is None else "/".join(phases),
        study_type=first_text(root, "study_type"),
        min_age=first_text(eligibility, "minimum_age"),
        max_age=first_text(eligibility, "maximum_age"),
        sex=first_text(eligibility, "gender", "sex"),
        healthy_volunteers=first_text(eligibility, "healthy_volunteers"),
        enrollment=None if enrollment is None else text_of(enrollment),
        enrollment_type=None if enrollment is None else (enrollment.get("type") or "").strip(),
        start_date=first_text(root, "start_date"),
        completion_date=first_text(root, "completion_date", "compl_date"),
        primary_completion_date=first_text(root, "primary_completion_date", "primary_compl_date"),
        registration_date=first_text(
            root, "study_first_posted", "firstreceived_date", "study_first_submitted", "initial_release_date"
        ),
        last_update_date=first_text(
            root, "last_update_posted", "lastchanged_date", "last_update_submitted", "last_release_date"
        ),
        sponsor=first_text(lead, "agency"),
        sponsor_class=first_text(lead, "agency_class"),
        collaborators=None
        if sponsors is None
        else unique([first_text(c, "agency") for c in children(sponsors, "collaborator", "sponsor")]),
        conditions=child_texts(root, "condition"),
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
        name = first_text(item, "intervention_name", "primary_name")
        interventions.append(
            Intervention(
                name=name,
                type=first_text(item, "intervention_type", "intervent_type"),
                description=_block(child(item, "description")),
                other_names=child_texts(item, "other_name"),
            )
        )
        for label in child_texts(item, "arm_group_label") or []:
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
        institution=first_text(facility, "name"),
        city=first_text(address, "city"),
        state=first_text(address, "state"),
        country=first_text(address, "country"),
        zip=first_text(address, "zip"),
        status=first_text(location, "status"),
        contacts=people or None,
    )


def _contact(el: etree._Element, role: str) -> Contact:
    """A person element: the public schema's first/middle/last name and degrees, or
    the archive's single <name>; an official's or investigator's <role> becomes our
    role word ("principal_investigator"), `role` otherwise."""
    parts = [first_text(el, name) for name in ("first_name", "middle_name", "last_name", "name")]
    name = " ".join(part for part in parts if part) or ("" if any(p is not None for p in parts) else None)
    degrees = first_text(el, "degrees")
    if name and degrees:
        name = f"{name}, {degrees}"
    phone = first_text(el, "phone")
    ext = first_text(el, "phone_ext")
    return Contact(
        role=contact_role(first_text(el, "role"), role),
        name=name,
        phone=f"{phone} ext. {ext}" if phone and ext else phone,
        email=first_text(el, "email"),
        affiliation=first_text(el, "affiliation"),
    )


def _results(root: etree._Element) -> tuple[str | None, str | None]:
    """(has_results, results first posted). The public XML carries <clinical_results>
    when results are posted and says so in a comment when they are not; the archive
    schema carries a results release date, empty when there are none."""
    date = first_text(root, "results_first_posted", "firstreceived_results_date", "init_results_release_date")
    if child(root, "clinical_results") is not None or date:
        return "true", date
    said_none = any(isinstance(node, etree._Comment) and _NO_RESULTS_NOTE in (node.text or "") for node in root)
    if date == "" or said_none:
        return "false", date
    return None, date
