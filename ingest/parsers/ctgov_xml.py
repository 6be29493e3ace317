"""Legacy ClinicalTrials.gov XML: the public ``<clinical_study>`` (public.xsd) export.

Also reads the older internal archive schema (``<clinical_study><study_id>``,
``<textblock>`` wrappers, ``status_block``, ``phase_block``, ``primary_name``...)
served by the ClinicalTrials.gov archive. Values are the registry's own text,
stripped of XML layout whitespace: short fields are collapsed to one line,
text blocks are dedented.
"""

from __future__ import annotations

import re

from lxml import etree

from ingest.parsers.base import Parser
from ingest.parsers.ctgov_v2 import NCT_ID, outcome_text, split_criteria
from ingest.records import Arm, Intervention, ParseError, SiteRecord, TrialRecord

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


def _texts(el: etree._Element | None, *names: str) -> list[str]:
    return [value for value in (text_of(c) for c in children(el, *names)) if value]


def _first_text(el: etree._Element | None, *names: str) -> str:
    for name in names:
        value = text_of(child(el, name))
        if value:
            return value
    return ""


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


class CtgovXmlParser(Parser):
    """Legacy ClinicalTrials.gov ``<clinical_study>`` XML (public.xsd and the archive schema).

    One document holds one study. `problems` is always empty (kept for the same
    interface as the JSON parser).
    """

    name = "ctgov_xml"
    version = "1"

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
    eligibility = child(root, "eligibility")
    criteria = block_of(child(child(eligibility, "criteria"), "textblock")) or block_of(child(eligibility, "criteria"))
    inclusion, exclusion = split_criteria(criteria)
    enrollment = child(root, "enrollment")
    phases = _texts(child(root, "phase_block"), "phase") or _texts(root, "phase")

    interventions: list[Intervention] = []
    arm_interventions: dict[str, list[str]] = {}
    for item in children(root, "intervention"):
        name = _first_text(item, "intervention_name", "primary_name")
        interventions.append(
            Intervention(
                name=name,
                type=_first_text(item, "intervention_type", "intervent_type"),
                description=block_of(child(item, "description")),
                other_names=_texts(item, "other_name"),
            )
        )
        for label in _texts(item, "arm_group_label"):
            arm_interventions.setdefault(label, []).append(name)
    arms = []
    for group in children(root, "arm_group"):
        label = _first_text(group, "arm_group_label")
        arms.append(
            Arm(
                label=label,
                type=_first_text(group, "arm_group_type", "arm_type"),
                description=block_of(child(group, "description", "arm_group_description")),
                interventions=[n for n in arm_interventions.get(label, []) if n],
            )
        )

    sites = []
    for location in children(root, "location"):
        facility = child(location, "facility")
        address = child(facility, "address")
        sites.append(
            SiteRecord(
                institution=_first_text(facility, "name"),
                city=_first_text(address, "city"),
                state=_first_text(address, "state"),
                country=_first_text(address, "country"),
            )
        )
    countries = _texts(child(root, "location_countries"), "country") or _unique([s.country for s in sites])

    outcomes = [
        (text_of(child(o, "measure")), block_of(child(o, "description")))
        for o in children(root, "primary_outcome") + children(root, "secondary_outcome")
    ]
    return TrialRecord(
        registry="ctgov",
        registry_id=nct_id,
        source_format="ctgov_xml",
        source_url=f"https://clinicaltrials.gov/study/{nct_id}",
        secondary_ids=_unique(_texts(ids, "org_study_id", "secondary_id")),
        title=_first_text(root, "brief_title"),
        official_title=_first_text(root, "official_title"),
        acronym=_first_text(root, "acronym"),
        brief_summary=block_of(child(root, "brief_summary")),
        detailed_description=block_of(child(root, "detailed_description", "detailed_descr")),
        objectives=outcome_text(outcomes),
        keywords=_texts(root, "keyword"),
        status=_first_text(root, "overall_status") or _first_text(child(root, "status_block"), "status"),
        phase="/".join(phases),
        study_type=_first_text(root, "study_type"),
        min_age=_first_text(eligibility, "minimum_age"),
        max_age=_first_text(eligibility, "maximum_age"),
        sex=_first_text(eligibility, "gender", "sex"),
        enrollment=text_of(enrollment),
        enrollment_type=(enrollment.get("type") or "").strip() if enrollment is not None else "",
        start_date=_first_text(root, "start_date"),
        completion_date=_first_text(root, "completion_date", "compl_date"),
        primary_completion_date=_first_text(root, "primary_completion_date", "primary_compl_date"),
        registration_date=_first_text(
            root, "study_first_posted", "firstreceived_date", "study_first_submitted", "initial_release_date"
        ),
        last_update_date=_first_text(
            root, "last_update_posted", "lastchanged_date", "last_update_submitted", "last_release_date"
        ),
        sponsor=_first_text(child(sponsors, "lead_sponsor"), "agency"),
        collaborators=_unique([_first_text(c, "agency") for c in children(sponsors, "collaborator", "sponsor")]),
        conditions=_texts(root, "condition"),
        interventions=interventions,
        arms=arms,
        sites=[s for s in sites if s.institution or s.city],
        countries=countries,
        inclusion_criteria=inclusion,
        exclusion_criteria=exclusion,
        eligibility_text=criteria,
    )
