"""ClinicalTrials.gov JSON: API v2 studies and the legacy API v1 "full_studies" shape.

Accepted documents:

* one API v2 study ``{"protocolSection": {...}, ...}``;
* an API v2 page ``{"studies": [...], "nextPageToken": ...}``;
* a bare JSON list of API v2 studies;
* legacy API v1: ``{"FullStudiesResponse": {"FullStudies": [{"Rank": 1, "Study": {...}}]}}``,
  one ``{"Rank": .., "Study": {...}}`` element, a ``{"Study": ...}`` or a bare
  ``{"ProtocolSection": ...}``.

Values are the registry's own strings (trimmed); absent modules mean "not stated".
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from ingest.parsers.base import Parser
from ingest.records import Arm, Contact, Intervention, ParseError, Reference, SiteRecord, TrialRecord

NCT_ID = re.compile(r"NCT\d{8}")
MAX_PROBLEMS_IN_ERROR = 3

_HEADING = re.compile(
    r"^[ \t]*(?:[-*#•>]+[ \t]*)?(?:\*\*)?"
    r"(?P<prefix>(?:[A-Za-z][\w/()-]*[ \t]+){0,3}?)"
    r"(?P<kind>inclusion|exclusion)[ \t]+criteria\b(?P<rest>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)


def split_criteria(text: str) -> tuple[str, str]:
    """Split an eligibility block into (inclusion, exclusion) at its headings.

    A heading is a line such as "Inclusion Criteria:", "Key Exclusion Criteria",
    "Donor Inclusion Criteria:" or "Inclusion criteria for Part A:". Plain headings
    are dropped; qualified ones are kept as the first line of their section, so
    "Donor ..." context survives. Several sections of one kind are joined with a
    blank line; text before the first heading goes to inclusion. Without any
    heading both parts are "" (the caller keeps the whole block as eligibility text).
    """
    headings: list[tuple[re.Match[str], str, str]] = []
    for match in _HEADING.finditer(text):
        rest = match.group("rest").strip().strip("*").strip()
        prefix = match.group("prefix").strip()
        if not rest or rest == ":":
            keep = match.group(0).strip() if prefix else ""
        elif rest.startswith(":"):
            keep = (match.group(0).strip() if prefix else rest[1:].strip())
        elif rest.endswith(":") and len(rest) <= 100:
            keep = match.group(0).strip()
        else:
            continue
        headings.append((match, match.group("kind").lower(), keep))
    if not headings:
        return "", ""
    parts: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    preamble = text[: headings[0][0].start()].strip()
    if preamble:
        parts["inclusion"].append(preamble)
    for index, (match, kind, keep) in enumerate(headings):
        end = headings[index + 1][0].start() if index + 1 < len(headings) else len(text)
        body = text[match.end() : end].strip("\n").rstrip()
        section = "\n".join(piece for piece in (keep, _dedent_block(body)) if piece)
        if section:
            parts[kind].append(section)
    return "\n\n".join(parts["inclusion"]), "\n\n".join(parts["exclusion"])


def _dedent_block(text: str) -> str:
    lines = text.split("\n")
    indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] if line.strip() else "" for line in lines).strip()


def outcome_text(outcomes: list[tuple[str, str]]) -> str:
    """Outcome measures as one text: each "measure" paragraph with its description below."""
    return "\n\n".join("\n".join(part for part in pair if part) for pair in outcomes if any(pair))


class _Reader:
    """Type-checked access to one study's JSON; wrong types become notes, never exceptions.

    A key that is not there is *absent* (None) in a partial study (a bulk
    snapshot, a `fields=`-filtered API answer), and *empty* ("" / []) in a
    complete one (`complete`: the API's full study, which always carries
    `derivedSection`), because the full record leaves out only what the
    registry does not have.
    """

    def __init__(self, complete: bool = False) -> None:
        self.notes: list[str] = []
        self.complete = complete

    def _wrong(self, path: str, expected: str, value: Any) -> None:
        self.notes.append(f"{path}: expected {expected}, got {_json_type(value)} (ignored)")

    def obj(self, parent: dict[str, Any], key: str, path: str) -> dict[str, Any]:
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self._wrong(f"{path}.{key}" if path else key, "an object", value)
            return {}
        return value

    def text(self, parent: dict[str, Any], key: str, path: str, *, numbers: bool = False) -> str | None:
        value = parent.get(key)
        if value is None:
            return "" if self.complete else None
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, bool):
            return "true" if value else "false"
        if numbers and isinstance(value, (int, float)):
            return str(value)
        self._wrong(f"{path}.{key}", "a string", value)
        return ""

    def objs(self, parent: dict[str, Any], key: str, path: str) -> list[dict[str, Any]] | None:
        items = self._list(parent, key, path)
        if items is None:
            return None
        good = [item for item in items if isinstance(item, dict)]
        if len(good) != len(items):
            self.notes.append(f"{path}.{key}: {len(items) - len(good)} item(s) are not objects (ignored)")
        return good

    def texts(self, parent: dict[str, Any], key: str, path: str) -> list[str] | None:
        items = self._list(parent, key, path)
        if items is None:
            return None
        good = [item.strip() for item in items if isinstance(item, str)]
        if len(good) != len(items):
            self.notes.append(f"{path}.{key}: {len(items) - len(good)} item(s) are not strings (ignored)")
        return [item for item in good if item]

    def _list(self, parent: dict[str, Any], key: str, path: str) -> list[Any] | None:
        value = parent.get(key)
        if value is None:
            return [] if self.complete else None
        if not isinstance(value, list):
            self._wrong(f"{path}.{key}", "a list", value)
            return []
        return value


def _first(*values: str | None) -> str | None:
    """The first non-empty value; else "" if any was carried; else None (absent)."""
    for value in values:
        if value:
            return value
    return "" if any(v is not None for v in values) else None


def _joined(items: list[str] | None, sep: str = "/") -> str | None:
    return None if items is None else sep.join(items)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _unique(items: list[str | None]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


def _unique_or_none(items: list[str | None]) -> list[str] | None:
    """Unique non-empty values; None when every value was absent."""
    if items and all(item is None for item in items):
        return None
    return _unique(items)


def _criteria(text: str | None) -> tuple[str | None, str | None, str | None]:
    """(inclusion, exclusion, whole block); all None when the criteria are absent."""
    if text is None:
        return None, None, None
    inclusion, exclusion = split_criteria(text)
    return inclusion, exclusion, text


def _sites_and_countries(sites: list[SiteRecord] | None) -> tuple[list[SiteRecord] | None, list[str] | None]:
    """Sites with a place (facility or city) and the countries of every location.

    A snapshot that keeps only the locations' countries gives countries and no
    sites at all (absent), never an empty site list.
    """
    if sites is None:
        return None, None
    countries = _unique([s.country for s in sites])
    placed = [s for s in sites if s.institution or s.city]
    if not placed and any(s.institution is None and s.city is None for s in sites):
        return None, countries
    return placed, countries


def _v2_record(study: dict[str, Any], r: _Reader) -> TrialRecord:
    ps = r.obj(study, "protocolSection", "")
    pp = "protocolSection"
    ident = r.obj(ps, "identificationModule", pp)
    ip = f"{pp}.identificationModule"
    nct_id = _nct_id(r.text(ident, "nctId", ip) or "", "protocolSection.identificationModule.nctId")

    status = r.obj(ps, "statusModule", pp)
    sp = f"{pp}.statusModule"
    sponsors = r.obj(ps, "sponsorCollaboratorsModule", pp)
    sop = f"{pp}.sponsorCollaboratorsModule"
    desc = r.obj(ps, "descriptionModule", pp)
    cond = r.obj(ps, "conditionsModule", pp)
    cp = f"{pp}.conditionsModule"
    design = r.obj(ps, "designModule", pp)
    dp = f"{pp}.designModule"
    enrollment = r.obj(design, "enrollmentInfo", dp)
    arms_mod = r.obj(ps, "armsInterventionsModule", pp)
    ap = f"{pp}.armsInterventionsModule"
    outcomes = r.obj(ps, "outcomesModule", pp)
    op = f"{pp}.outcomesModule"
    elig = r.obj(ps, "eligibilityModule", pp)
    ep = f"{pp}.eligibilityModule"
    contacts_mod = r.obj(ps, "contactsLocationsModule", pp)
    clp = f"{pp}.contactsLocationsModule"
    locations = r.objs(contacts_mod, "locations", clp)
    lp = f"{clp}.locations[]"
    refs = r.objs(r.obj(ps, "referencesModule", pp), "references", f"{pp}.referencesModule")

    def date(key: str) -> str | None:
        return r.text(r.obj(status, key, sp), "date", f"{sp}.{key}")

    secondary = [r.text(r.obj(ident, "orgStudyIdInfo", ip), "id", f"{ip}.orgStudyIdInfo")]
    secondary += [r.text(info, "id", f"{ip}.secondaryIdInfos[]") for info in r.objs(ident, "secondaryIdInfos", ip) or []]
    inclusion, exclusion, criteria = _criteria(r.text(elig, "eligibilityCriteria", ep))
    outcome_lists = [r.objs(outcomes, key, op) for key in ("primaryOutcomes", "secondaryOutcomes")]
    objectives = None
    if any(items is not None for items in outcome_lists):
        objectives = outcome_text(
            [(r.text(o, "measure", op) or "", r.text(o, "description", op) or "") for items in outcome_lists for o in items or []]
        )
    sites, countries = _sites_and_countries(None if locations is None else [_v2_site(r, loc, lp) for loc in locations])
    central = _contacts(r, r.objs(contacts_mod, "centralContacts", clp), f"{clp}.centralContacts[]", "central")
    officials = _contacts(r, r.objs(contacts_mod, "overallOfficials", clp), f"{clp}.overallOfficials[]", "investigator")
    interventions = r.objs(arms_mod, "interventions", ap)
    arm_groups = r.objs(arms_mod, "armGroups", ap)
    has_results = study.get("hasResults")
    return TrialRecord(
        registry="ctgov",
        registry_id=nct_id,
        source_format="ctgov_v2_json",
        source_url=f"https://clinicaltrials.gov/study/{nct_id}",
        secondary_ids=_unique_or_none(secondary),
        title=r.text(ident, "briefTitle", ip),
        official_title=r.text(ident, "officialTitle", ip),
        acronym=r.text(ident, "acronym", ip),
        brief_summary=r.text(desc, "briefSummary", f"{pp}.descriptionModule"),
        detailed_description=r.text(desc, "detailedDescription", f"{pp}.descriptionModule"),
        objectives=objectives,
        keywords=r.texts(cond, "keywords", cp),
        status=r.text(status, "overallStatus", sp),
        phase=_joined(r.texts(design, "phases", dp)),
        study_type=r.text(design, "studyType", dp),
        min_age=r.text(elig, "minimumAge", ep),
        max_age=r.text(elig, "maximumAge", ep),
        sex=r.text(elig, "sex", ep),
        healthy_volunteers=r.text(elig, "healthyVolunteers", ep),
        enrollment=r.text(enrollment, "count", f"{dp}.enrollmentInfo", numbers=True),
        enrollment_type=r.text(enrollment, "type", f"{dp}.enrollmentInfo"),
        start_date=date("startDateStruct"),
        completion_date=date("completionDateStruct"),
        primary_completion_date=date("primaryCompletionDateStruct"),
        registration_date=_first(date("studyFirstPostDateStruct"), r.text(status, "studyFirstSubmitDate", sp)),
        last_update_date=_first(date("lastUpdatePostDateStruct"), r.text(status, "lastUpdateSubmitDate", sp)),
        sponsor=r.text(r.obj(sponsors, "leadSponsor", sop), "name", f"{sop}.leadSponsor"),
        sponsor_class=r.text(r.obj(sponsors, "leadSponsor", sop), "class", f"{sop}.leadSponsor"),
        collaborators=_unique_or_none(
            [r.text(c, "name", f"{sop}.collaborators[]") for c in r.objs(sponsors, "collaborators", sop) or []]
        ) if sponsors.get("collaborators") is not None or r.complete else None,
        conditions=r.texts(cond, "conditions", cp),
        interventions=None
        if interventions is None
        else [
            Intervention(
                name=r.text(i, "name", f"{ap}.interventions[]"),
                type=r.text(i, "type", f"{ap}.interventions[]"),
                description=r.text(i, "description", f"{ap}.interventions[]"),
                other_names=r.texts(i, "otherNames", f"{ap}.interventions[]"),
            )
            for i in interventions
        ],
        arms=None
        if arm_groups is None
        else [
            Arm(
                label=r.text(a, "label", f"{ap}.armGroups[]"),
                type=r.text(a, "type", f"{ap}.armGroups[]"),
                description=r.text(a, "description", f"{ap}.armGroups[]"),
                interventions=r.texts(a, "interventionNames", f"{ap}.armGroups[]"),
            )
            for a in arm_groups
        ],
        sites=sites,
        countries=countries,
        contacts=None if central is None and officials is None else [*(central or []), *(officials or [])],
        inclusion_criteria=inclusion,
        exclusion_criteria=exclusion,
        eligibility_text=criteria,
        references=None
        if refs is None
        else [
            Reference(
                pmid=r.text(ref, "pmid", f"{pp}.referencesModule.references[]"),
                type=r.text(ref, "type", f"{pp}.referencesModule.references[]"),
                citation=r.text(ref, "citation", f"{pp}.referencesModule.references[]"),
            )
            for ref in refs
        ],
        has_results=None if not isinstance(has_results, bool) else ("true" if has_results else "false"),
        results_date=date("resultsFirstPostDateStruct") if has_results else None,
    )


def _v2_site(r: _Reader, loc: dict[str, Any], lp: str) -> SiteRecord:
    geo = r.obj(loc, "geoPoint", lp)
    return SiteRecord(
        institution=r.text(loc, "facility", lp),
        city=r.text(loc, "city", lp),
        state=r.text(loc, "state", lp),
        country=r.text(loc, "country", lp),
        zip=r.text(loc, "zip", lp),
        status=r.text(loc, "status", lp),
        latitude=r.text(geo, "lat", f"{lp}.geoPoint", numbers=True),
        longitude=r.text(geo, "lon", f"{lp}.geoPoint", numbers=True),
        contacts=_contacts(r, r.objs(loc, "contacts", lp), f"{lp}.contacts[]", "site"),
    )


def contact_role(registry_role: str | None, default: str) -> str:
    """Our role word for a contact: `default` ("central", "site"...) for a plain contact,
    the registry's own role in snake case for anyone else ("principal_investigator")."""
    word = "_".join((registry_role or "").replace("-", " ").split()).lower()
    if word == "backup":
        return f"{default}_backup"
    return default if word in ("", "contact", "primary") else word


def _contacts(r: _Reader, items: list[dict[str, Any]] | None, path: str, role: str) -> list[Contact] | None:
    if items is None:
        return None
    contacts = []
    for item in items:
        phone = r.text(item, "phone", path)
        ext = r.text(item, "phoneExt", path)
        contacts.append(
            Contact(
                role=contact_role(r.text(item, "role", path), role),
                name=r.text(item, "name", path),
                phone=f"{phone} ext. {ext}" if phone and ext else phone,
                email=r.text(item, "email", path),
                affiliation=r.text(item, "affiliation", path),
            )
        )
    return contacts


def _v1_record(study: dict[str, Any], r: _Reader) -> TrialRecord:
    """Legacy API v1 full_studies: PascalCase keys, lists wrapped as XList.X[]."""
    ps = r.obj(study, "ProtocolSection", "Study")
    pp = "ProtocolSection"

    def mod(name: str) -> dict[str, Any]:
        return r.obj(ps, name, pp)

    def wrapped(parent: dict[str, Any], list_key: str, item_key: str, path: str) -> dict[str, Any]:
        return {item_key: r.obj(parent, list_key, path).get(item_key)}

    def objs(parent: dict[str, Any], list_key: str, item_key: str, path: str) -> list[dict[str, Any]] | None:
        return r.objs(wrapped(parent, list_key, item_key, path), item_key, f"{path}.{list_key}")

    def texts(parent: dict[str, Any], list_key: str, item_key: str, path: str) -> list[str] | None:
        return r.texts(wrapped(parent, list_key, item_key, path), item_key, f"{path}.{list_key}")

    ident, ip = mod("IdentificationModule"), f"{pp}.IdentificationModule"
    nct_id = _nct_id(r.text(ident, "NCTId", ip) or "", "ProtocolSection.IdentificationModule.NCTId")
    status, sp = mod("StatusModule"), f"{pp}.StatusModule"
    sponsors, sop = mod("SponsorCollaboratorsModule"), f"{pp}.SponsorCollaboratorsModule"
    desc, dsp = mod("DescriptionModule"), f"{pp}.DescriptionModule"
    cond, cp = mod("ConditionsModule"), f"{pp}.ConditionsModule"
    design, dp = mod("DesignModule"), f"{pp}.DesignModule"
    enrollment = r.obj(design, "EnrollmentInfo", dp)
    arms_mod, ap = mod("ArmsInterventionsModule"), f"{pp}.ArmsInterventionsModule"
    outcomes, op = mod("OutcomesModule"), f"{pp}.OutcomesModule"
    elig, ep = mod("EligibilityModule"), f"{pp}.EligibilityModule"
    contacts_mod, clp = mod("ContactsLocationsModule"), f"{pp}.ContactsLocationsModule"
    locations = objs(contacts_mod, "LocationList", "Location", clp)
    lp = f"{clp}.LocationList.Location[]"
    refs = objs(mod("ReferencesModule"), "ReferenceList", "Reference", f"{pp}.ReferencesModule")

    def date(struct: str, key: str) -> str | None:
        return r.text(r.obj(status, struct, sp), key, f"{sp}.{struct}")

    secondary = [r.text(r.obj(ident, "OrgStudyIdInfo", ip), "OrgStudyId", f"{ip}.OrgStudyIdInfo")]
    secondary += [r.text(s, "SecondaryId", ip) for s in objs(ident, "SecondaryIdInfoList", "SecondaryIdInfo", ip) or []]
    inclusion, exclusion, criteria = _criteria(r.text(elig, "EligibilityCriteria", ep))
    outcome_lists = [objs(outcomes, f"{kind}OutcomeList", f"{kind}Outcome", op) for kind in ("Primary", "Secondary")]
    objectives = None
    if any(items is not None for items in outcome_lists):
        objectives = outcome_text(
            [
                (r.text(o, f"{kind}OutcomeMeasure", op) or "", r.text(o, f"{kind}OutcomeDescription", op) or "")
                for kind, items in zip(("Primary", "Secondary"), outcome_lists)
                for o in items or []
            ]
        )
    sites, countries = _sites_and_countries(
        None
        if locations is None
        else [
            SiteRecord(
                institution=r.text(loc, "LocationFacility", lp),
                city=r.text(loc, "LocationCity", lp),
                state=r.text(loc, "LocationState", lp),
                country=r.text(loc, "LocationCountry", lp),
                zip=r.text(loc, "LocationZip", lp),
                status=r.text(loc, "LocationStatus", lp),
                contacts=_v1_contacts(r, objs(loc, "LocationContactList", "LocationContact", lp), "Location", "site"),
            )
            for loc in locations
        ]
    )
    central = _v1_contacts(r, objs(contacts_mod, "CentralContactList", "CentralContact", clp), "Central", "central")
    officials = objs(contacts_mod, "OverallOfficialList", "OverallOfficial", clp)
    results = study.get("ResultsSection")
    interventions = objs(arms_mod, "InterventionList", "Intervention", ap)
    arm_groups = objs(arms_mod, "ArmGroupList", "ArmGroup", ap)
    collaborators = objs(sponsors, "CollaboratorList", "Collaborator", sop)
    return TrialRecord(
        registry="ctgov",
        registry_id=nct_id,
        source_format="ctgov_v1_json",
        source_url=f"https://clinicaltrials.gov/study/{nct_id}",
        secondary_ids=_unique_or_none(secondary),
        title=r.text(ident, "BriefTitle", ip),
        official_title=r.text(ident, "OfficialTitle", ip),
        acronym=r.text(ident, "Acronym", ip),
        brief_summary=r.text(desc, "BriefSummary", dsp),
        detailed_description=r.text(desc, "DetailedDescription", dsp),
        objectives=objectives,
        keywords=texts(cond, "KeywordList", "Keyword", cp),
        status=r.text(status, "OverallStatus", sp),
        phase=_joined(texts(design, "PhaseList", "Phase", dp)),
        study_type=r.text(design, "StudyType", dp),
        min_age=r.text(elig, "MinimumAge", ep),
        max_age=r.text(elig, "MaximumAge", ep),
        sex=_first(r.text(elig, "Gender", ep), r.text(elig, "Sex", ep)),
        healthy_volunteers=r.text(elig, "HealthyVolunteers", ep),
        enrollment=r.text(enrollment, "EnrollmentCount", f"{dp}.EnrollmentInfo", numbers=True),
        enrollment_type=r.text(enrollment, "EnrollmentType", f"{dp}.EnrollmentInfo"),
        start_date=date("StartDateStruct", "StartDate"),
        completion_date=date("CompletionDateStruct", "CompletionDate"),
        primary_completion_date=date("PrimaryCompletionDateStruct", "PrimaryCompletionDate"),
        registration_date=_first(date("StudyFirstPostDateStruct", "StudyFirstPostDate"), r.text(status, "StudyFirstSubmitDate", sp)),
        last_update_date=_first(date("LastUpdatePostDateStruct", "LastUpdatePostDate"), r.text(status, "LastUpdateSubmitDate", sp)),
        sponsor=r.text(r.obj(sponsors, "LeadSponsor", sop), "LeadSponsorName", f"{sop}.LeadSponsor"),
        sponsor_class=r.text(r.obj(sponsors, "LeadSponsor", sop), "LeadSponsorClass", f"{sop}.LeadSponsor"),
        collaborators=None if collaborators is None else _unique([r.text(c, "CollaboratorName", sop) for c in collaborators]),
        conditions=texts(cond, "ConditionList", "Condition", cp),
        interventions=None
        if interventions is None
        else [
            Intervention(
                name=r.text(i, "InterventionName", ap),
                type=r.text(i, "InterventionType", ap),
                description=r.text(i, "InterventionDescription", ap),
                other_names=texts(i, "InterventionOtherNameList", "InterventionOtherName", ap),
            )
            for i in interventions
        ],
        arms=None
        if arm_groups is None
        else [
            Arm(
                label=r.text(a, "ArmGroupLabel", ap),
                type=r.text(a, "ArmGroupType", ap),
                description=r.text(a, "ArmGroupDescription", ap),
                interventions=texts(a, "ArmGroupInterventionList", "ArmGroupInterventionName", ap),
            )
            for a in arm_groups
        ],
        sites=sites,
        countries=countries,
        contacts=None
        if central is None and officials is None
        else [
            *(central or []),
            *(
                Contact(
                    role=contact_role(r.text(o, "OverallOfficialRole", clp), "investigator"),
                    name=r.text(o, "OverallOfficialName", clp),
                    affiliation=r.text(o, "OverallOfficialAffiliation", clp),
                )
                for o in officials or []
            ),
        ],
        inclusion_criteria=inclusion,
        exclusion_criteria=exclusion,
        eligibility_text=criteria,
        references=None
        if refs is None
        else [
            Reference(
                pmid=r.text(ref, "ReferencePMID", pp),
                type=r.text(ref, "ReferenceType", pp),
                citation=r.text(ref, "ReferenceCitation", pp),
            )
            for ref in refs
        ],
        has_results=None if not r.complete else ("true" if isinstance(results, dict) and results else "false"),
        results_date=date("ResultsFirstPostDateStruct", "ResultsFirstPostDate") if results else None,
    )


def _v1_contacts(r: _Reader, items: list[dict[str, Any]] | None, prefix: str, role: str) -> list[Contact] | None:
    if items is None:
        return None
    path = f"{prefix}Contact"
    contacts = []
    for item in items:
        phone = r.text(item, f"{prefix}ContactPhone", path)
        ext = r.text(item, f"{prefix}ContactPhoneExt", path)
        contacts.append(
            Contact(
                role=contact_role(r.text(item, f"{prefix}ContactRole", path), role),
                name=r.text(item, f"{prefix}ContactName", path),
                phone=f"{phone} ext. {ext}" if phone and ext else phone,
                email=r.text(item, f"{prefix}ContactEMail", path),
            )
        )
    return contacts


def _nct_id(value: str, path: str) -> str:
    if not value:
        raise ParseError(f"no {path}")
    if not NCT_ID.fullmatch(value):
        raise ParseError(f"{path} {value[:40]!r} is not an NCT number")
    return value


Builder = Callable[[dict[str, Any], _Reader], TrialRecord]


def _study_id(study: dict[str, Any]) -> str:
    """Best-effort NCT id for messages; never raises."""
    for outer, module, key in (
        ("protocolSection", "identificationModule", "nctId"),
        ("ProtocolSection", "IdentificationModule", "NCTId"),
    ):
        section = study.get("Study", study) if outer == "ProtocolSection" else study
        try:
            value = section[outer][module][key]
        except (KeyError, TypeError, IndexError):
            continue
        if isinstance(value, str) and value.strip():
            return value.strip()[:20]
    return "no id"


def _is_complete(item: Any) -> bool:
    """A full study record (the API's answer without a `fields=` filter), as opposed to a
    partial copy: the full record always carries the derived section. `hasResults`
    alone proves nothing: a `fields=` answer may ask for it and nothing else."""
    if not isinstance(item, dict):
        return False
    study = item.get("Study", item) if isinstance(item.get("Study"), dict) else item
    return "derivedSection" in study or "DerivedSection" in study


def _builder_for(item: Any) -> tuple[Builder | None, dict[str, Any] | None]:
    if not isinstance(item, dict):
        return None, None
    if "protocolSection" in item:
        return _v2_record, item
    if isinstance(item.get("Study"), dict):
        return _v1_record, item["Study"]
    if "ProtocolSection" in item:
        return _v1_record, item
    return None, None


class CtgovV2Parser(Parser):
    """ClinicalTrials.gov API v2 JSON (and legacy API v1 full_studies JSON).

    Claims every JSON document, so wrong-shape JSON gets a clear message here
    rather than "unknown format".

    Per-study problems: a page may hold thousands of studies, and one bad study
    must not lose the others. `parse()` returns the records of the good studies
    and fills `self.problems` (reset on each call) with one line per problem, e.g.
    ``"study #12 (NCT01234567): skipped: no title found"`` for a study left out, or
    ``"study #3 (NCT01234567): protocolSection.conditionsModule.conditions: expected
    a list, got a string (ignored)"`` for a mistyped field that was treated as
    absent while the study itself was kept. Studies are numbered from 1 in
    document order. ParseError is raised only when the document is not JSON,
    has no study shape at all, or none of its studies yields a record.
    """

    name = "ctgov_v2"
    version = "2"

    def __init__(self) -> None:
        self.problems: list[str] = []

    @classmethod
    def detect(cls, text: str) -> bool:
        """True for any text whose first non-space character opens a JSON object or array."""
        match = re.match(r"[\s\ufeff]*([{\[])", text[:4096])
        return match is not None

    def parse(self, text: str) -> list[TrialRecord]:
        """Records of every readable study; see the class docstring for `problems`."""
        self.problems = []
        try:
            data = json.loads(text)
        except RecursionError:
            raise ParseError("invalid JSON: nested too deeply") from None
        except ValueError as exc:
            raise ParseError(f"truncated or invalid JSON: {_one_line(str(exc))}") from None
        items = _studies(data)
        records: list[TrialRecord] = []
        for number, item in enumerate(items, start=1):
            builder, study = _builder_for(item)
            if builder is None or study is None:
                self.problems.append(
                    f"study #{number}: skipped: not a study object "
                    f"({_json_type(item)} without 'protocolSection')"
                )
                continue
            label = f"study #{number} ({_study_id(item)})"
            reader = _Reader(complete=_is_complete(item))
            try:
                records.append(builder(study, reader))
            except ParseError as exc:
                self.problems.append(f"{label}: skipped: {_one_line(str(exc))}")
            except Exception as exc:  # noqa: BLE001 - one bad study must not lose the page
                self.problems.append(f"{label}: skipped: internal error {type(exc).__name__}: {_one_line(str(exc))}")
            self.problems.extend(f"{label}: {note}" for note in reader.notes)
        if not records:
            raise ParseError(_no_records_message(len(items), self.problems))
        return records


def _studies(data: Any) -> list[Any]:
    """The list of study candidates in a decoded document; ParseError for non-study shapes."""
    if isinstance(data, list):
        if not data:
            raise ParseError("JSON list is empty: no studies")
        if not any(isinstance(item, dict) for item in data):
            raise ParseError(f"JSON list holds no study objects (first item is {_json_type(data[0])})")
        return data
    if not isinstance(data, dict):
        raise ParseError(f"JSON document is {_json_type(data)}, not a ClinicalTrials.gov study")
    if "protocolSection" in data or "ProtocolSection" in data or "Study" in data:
        return [data]
    if "studies" in data:
        studies = data["studies"]
        if not isinstance(studies, list):
            raise ParseError(f"'studies' is {_json_type(studies)}, expected a list of studies")
        if not studies:
            raise ParseError("'studies' is empty: no studies in this page")
        return studies
    full = data.get("FullStudiesResponse", data)
    if isinstance(full, dict) and "FullStudies" in full:
        studies = full["FullStudies"]
        if not isinstance(studies, list) or not studies:
            raise ParseError("'FullStudies' holds no studies")
        return studies
    keys = ", ".join(repr(key) for key in list(data)[:5]) or "none"
    raise ParseError(
        f"JSON is not a ClinicalTrials.gov study: expected 'protocolSection' or 'studies' (found keys: {_one_line(keys)[:120]})"
    )


def _no_records_message(count: int, problems: list[str]) -> str:
    skipped = [p for p in problems if ": skipped: " in p]
    if count == 1 and skipped:
        return skipped[0].split(": skipped: ", 1)[1]
    shown = "; ".join(skipped[:MAX_PROBLEMS_IN_ERROR])
    more = f" (+{len(skipped) - MAX_PROBLEMS_IN_ERROR} more)" if len(skipped) > MAX_PROBLEMS_IN_ERROR else ""
    return f"no readable study among {count}: {shown}{more}"


def _one_line(text: str) -> str:
    return " ".join(text.split())
