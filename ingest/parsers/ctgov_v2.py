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

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ingest.parsers import _json
from ingest.parsers._criteria import split_criteria
from ingest.parsers._ctgov import NCT_ID, contact_role
from ingest.parsers._json import json_type
from ingest.parsers._values import first_value, joined, one_line, outcome_text, unique
from ingest.parsers.base import Parser
from ingest.records import Arm, Contact, Intervention, ParseError, Reference, SiteRecord, TrialRecord

MAX_PROBLEMS_IN_ERROR = 3
# Top-level keys of a document holding one study.
_SINGLE_KEYS = frozenset({"protocolSection", "ProtocolSection", "Study"})


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
        self.notes.append(f"{path}: expected {expected}, got {json_type(value)} (ignored)")

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


def _unique_or_none(items: list[str | None]) -> list[str] | None:
    """Unique non-empty values; None when every value was absent."""
    if items and all(item is None for item in items):
        return None
    return unique(items)


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
    countries = unique([s.country for s in sites])
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
    secondary += [
        r.text(info, "id", f"{ip}.secondaryIdInfos[]") for info in r.objs(ident, "secondaryIdInfos", ip) or []
    ]
    inclusion, exclusion, criteria = _criteria(r.text(elig, "eligibilityCriteria", ep))
    outcome_lists = [r.objs(outcomes, key, op) for key in ("primaryOutcomes", "secondaryOutcomes")]
    objectives = None
    if any(items is not None for items in outcome_lists):
        objectives = outcome_text(
            [
                (r.text(o, "measure", op) or "", r.text(o, "description", op) or "")
                for items in outcome_lists
                for o in items or []
            ]
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
        phase=joined(r.texts(design, "phases", dp), "/"),
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
        registration_date=first_value(date("studyFirstPostDateStruct"), r.text(status, "studyFirstSubmitDate", sp)),
        last_update_date=first_value(date("lastUpdatePostDateStruct"), r.text(status, "lastUpdateSubmitDate", sp)),
        sponsor=r.text(r.obj(sponsors, "leadSponsor", sop), "name", f"{sop}.leadSponsor"),
        sponsor_class=r.text(r.obj(sponsors, "leadSponsor", sop), "class", f"{sop}.leadSponsor"),
        collaborators=_unique_or_none(
            [r.text(c, "name", f"{sop}.collaborators[]") for c in r.objs(sponsors, "collaborators", sop) or []]
        )
        if sponsors.get("collaborators") is not None or r.complete
        else None,
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
        phase=joined(texts(design, "PhaseList", "Phase", dp), "/"),
        study_type=r.text(design, "StudyType", dp),
        min_age=r.text(elig, "MinimumAge", ep),
        max_age=r.text(elig, "MaximumAge", ep),
        sex=first_value(r.text(elig, "Gender", ep), r.text(elig, "Sex", ep)),
        healthy_volunteers=r.text(elig, "HealthyVolunteers", ep),
        enrollment=r.text(enrollment, "EnrollmentCount", f"{dp}.EnrollmentInfo", numbers=True),
        enrollment_type=r.text(enrollment, "EnrollmentType", f"{dp}.EnrollmentInfo"),
        start_date=date("StartDateStruct", "StartDate"),
        completion_date=date("CompletionDateStruct", "CompletionDate"),
        primary_completion_date=date("PrimaryCompletionDateStruct", "PrimaryCompletionDate"),
        registration_date=first_value(
            date("StudyFirstPostDateStruct", "StudyFirstPostDate"), r.text(status, "StudyFirstSubmitDate", sp)
        ),
        last_update_date=first_value(
            date("LastUpdatePostDateStruct", "LastUpdatePostDate"), r.text(status, "LastUpdateSubmitDate", sp)
        ),
        sponsor=r.text(r.obj(sponsors, "LeadSponsor", sop), "LeadSponsorName", f"{sop}.LeadSponsor"),
        sponsor_class=r.text(r.obj(sponsors, "LeadSponsor", sop), "LeadSponsorClass", f"{sop}.LeadSponsor"),
        collaborators=None
        if collaborators is None
        else unique([r.text(c, "CollaboratorName", sop) for c in collaborators]),
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

    A page (``{"studies": [...]}``, a bare list, a v1 ``FullStudiesResponse``)
    is read study by study: `parse()` returns an iterator, and only one study is
    in memory at a time. A single-study document is read whole into a list.

    Per-study problems: a page may hold thousands of studies, and one bad study
    must not lose the others. The good studies give records; `self.problems`
    gets one line per problem, e.g.
    ``"study #12 (NCT01234567): skipped: no title found"`` for a study left out, or
    ``"study #3 (NCT01234567): protocolSection.conditionsModule.conditions: expected
    a list, got a string (ignored)"`` for a mistyped field that was treated as
    absent while the study itself was kept. Studies are numbered from 1 in
    document order. ParseError when the document is not JSON or has no study
    shape at all (from `parse()`), when it turns out invalid part-way, or when
    none of its studies yields a record (from the iteration, at its end).
    """

    name = "ctgov_v2"
    version = "2"

    @classmethod
    def detect(cls, text: str) -> bool:
        """True for any text whose first non-space character opens a JSON object or array."""
        return re.match(r"[\s\ufeff]*[{\[]", text[:4096]) is not None

    def read(self, text: str) -> Iterable[TrialRecord]:
        """Records of every readable study; see the class docstring for `problems`."""
        data = text.encode("utf-8", errors="replace")
        path = _list_path(data)
        if path is None:
            return list(self._records([_json.load(text)], bare=False))
        return self._records(_json.iter_items(data, path), bare=path == ())

    def _records(self, items: Iterable[Any], *, bare: bool) -> Iterator[TrialRecord]:
        count = readable = skipped = 0
        first_skipped: list[str] = []
        first_type, any_object = "", False
        for number, item in enumerate(items, start=1):
            count = number
            if number == 1:
                first_type = json_type(item)
            any_object = any_object or isinstance(item, dict)
            builder, study = _builder_for(item)
            if builder is None or study is None:
                problem = f"study #{number}: skipped: not a study object ({json_type(item)} without 'protocolSection')"
                record = None
            else:
                label = f"study #{number} ({_study_id(item)})"
                reader = _Reader(complete=_is_complete(item))
                problem, record = None, None
                try:
                    record = builder(study, reader)
                except ParseError as exc:
                    problem = f"{label}: skipped: {one_line(str(exc))}"
                except Exception as exc:
                    problem = f"{label}: skipped: internal error {type(exc).__name__}: {one_line(str(exc))}"
            if problem is not None:
                skipped += 1
                if len(first_skipped) < MAX_PROBLEMS_IN_ERROR:
                    first_skipped.append(problem)
                self.problems.append(problem)
            if builder is not None:
                self.problems.extend(f"{label}: {note}" for note in reader.notes)
            if record is not None:
                readable += 1
                yield record
        if readable:
            return
        if bare and not any_object:
            self.problems.clear()  # the one line below says it all
            raise ParseError(f"JSON list holds no study objects (first item is {first_type})")
        raise ParseError(_no_records_message(count, first_skipped, skipped))


def _list_path(data: bytes) -> tuple[str, ...] | None:
    """Where the document's list of studies is: () for a top-level list, ("studies",)
    for an API v2 page, ("FullStudiesResponse", "FullStudies") for API v1; None for
    one study, read whole. Reads the document's first events only (and the values
    of top-level members before the one that tells), never building it. ParseError
    for a document that holds no study."""
    stream = _json.events(data)
    with _json.errors():
        event, value = next(stream)
        if event == "start_array":
            if next(stream)[0] == "end_array":
                raise ParseError("JSON list is empty: no studies")
            return ()
        if event != "start_map":
            raise ParseError(f"JSON document is {json_type(value)}, not a ClinicalTrials.gov study")
        keys: list[str] = []
        for key, event, value in _members(stream):
            if key in _SINGLE_KEYS:
                return None
            if key == "studies":
                _check_list(stream, event, value, "'studies'")
                return (key,)
            if key == "FullStudies":
                _check_list(stream, event, value, "'FullStudies'")
                return (key,)
            if key == "FullStudiesResponse" and event == "start_map":
                for inner, event, value in _members(stream):
                    if inner == "FullStudies":
                        _check_list(stream, event, value, "'FullStudies'")
                        return (key, inner)
                    _json.skip(stream, event)
            else:
                _json.skip(stream, event)
            if len(keys) < 5:
                keys.append(key)
    shown = ", ".join(repr(key) for key in keys) or "none"
    raise ParseError(
        "JSON is not a ClinicalTrials.gov study: expected 'protocolSection' or 'studies' "
        f"(found keys: {one_line(shown)[:120]})"
    )


def _members(stream: _json.Events) -> Iterator[tuple[str, str, Any]]:
    """(key, first event of its value, value) for each member of the object just
    opened; the caller reads each value (or skips it) before asking for the next."""
    for event, key in stream:
        if event == "end_map":
            return
        event, value = next(stream)
        yield key, event, value


def _check_list(stream: _json.Events, event: str, value: Any, what: str) -> None:
    """ParseError unless the value starting with `event` is a non-empty list."""
    if event != "start_array":
        if what == "'studies'":
            raise ParseError(f"'studies' is {_json.event_type(event, value)}, expected a list of studies")
        raise ParseError(f"{what} holds no studies")
    if next(stream)[0] == "end_array":
        raise ParseError(
            "'studies' is empty: no studies in this page" if what == "'studies'" else f"{what} holds no studies"
        )


def _no_records_message(count: int, first_skipped: list[str], skipped: int) -> str:
    if count == 1 and first_skipped:
        return first_skipped[0].split(": skipped: ", 1)[1]
    shown = "; ".join(first_skipped)
    more = f" (+{skipped - MAX_PROBLEMS_IN_ERROR} more)" if skipped > MAX_PROBLEMS_IN_ERROR else ""
    return f"no readable study among {count}: {shown}{more}"
