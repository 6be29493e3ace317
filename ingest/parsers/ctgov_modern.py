"""ClinicalTrials.gov records as rendered by MODERN study pages and their mirrors.

Such a page is a run of headings ("Recruitment Status", "Study Groups", "Eligibility
Criteria"...) each followed by its value lines. Mirrors put an editorial one-line
blurb under section headings ("Review the sponsor-provided synopsis..."); those are
recognised (`_html.is_blurb`) and dropped. HTML is rendered to text lines first
(`_html.page_lines`), so one reader serves both. A heading the page leaves out is
absent (None); a heading with nothing under it (or only its blurb) is empty ("" / []).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.parsers import _html
from ingest.parsers._criteria import split_criteria_lines
from ingest.parsers._ctgov import add_details, age_limits, contact_role, enrollment_type, is_classic_page, page_head
from ingest.parsers._values import first_value, unique
from ingest.parsers.base import Parser
from ingest.records import Arm, Contact, Intervention, ParseError, SiteRecord, TrialRecord

FIELD, TEXT, LIST, IGNORE = "field", "text", "list", "ignore"


@dataclass(frozen=True)
class _Heading:
    key: str
    kind: str
    pattern: re.Pattern[str]


def _heading(key: str, kind: str, *names: str) -> _Heading:
    return _Heading(key, kind, re.compile("|".join(f"(?:{n})" for n in names), re.IGNORECASE))


_WHEN = r"(?:\s*\((?:Actual|Estimated|Anticipated)\))?"
_HEADINGS: tuple[_Heading, ...] = (
    _heading("nct_id", FIELD, r"NCT\s*ID", r"NCT\s+Number", r"ClinicalTrials\.gov\s+ID"),
    _heading("last_update", FIELD, r"Last\s+Updated?", r"Last\s+Update\s+(?:Posted|Submitted)" + _WHEN),
    _heading("first_posted", FIELD, r"(?:Study\s+)?First\s+Posted" + _WHEN, r"Registration\s+Date"),
    _heading("first_submitted", FIELD, r"(?:Study\s+)?First\s+(?:Submitted|Received)" + _WHEN),
    _heading("results_posted", FIELD, r"Results\s+First\s+(?:Posted|Submitted)" + _WHEN),
    _heading("status", FIELD, r"Recruitment\s+Status", r"Overall\s+(?:Recruitment\s+)?Status", r"Study\s+Status"),
    _heading("phase", FIELD, r"Clinical\s+Phase", r"(?:Study\s+|Trial\s+)?Phases?"),
    _heading("enrollment", FIELD, r"(?:Total|Target|Estimated|Actual|Anticipated)\s+Enrollment", r"Enrollment" + _WHEN),
    _heading("study_type", FIELD, r"Study\s+Classification", r"Study\s+Type"),
    _heading("start_date", FIELD, r"Study\s+Start(?:\s+Date)?" + _WHEN, r"Start\s+Date"),
    _heading("primary_completion", FIELD, r"Primary\s+Completion(?:\s+Date)?" + _WHEN),
    _heading("completion", FIELD, r"Study\s+Completion(?:\s+Date)?" + _WHEN, r"Completion\s+Date"),
    _heading("brief_title", FIELD, r"Brief\s+Title"),
    _heading("official_title", FIELD, r"Official\s+Title", r"Scientific\s+Title"),
    _heading("acronym", FIELD, r"Acronym"),
    _heading("min_age", FIELD, r"Minimum(?:\s+Eligible)?\s+Age"),
    _heading("max_age", FIELD, r"Maximum(?:\s+Eligible)?\s+Age"),
    _heading("ages", FIELD, r"Ages?\s+Eligible(?:\s+for\s+Study)?", r"Eligible\s+Ages?", r"Age\s+Range"),
    _heading(
        "sex",
        FIELD,
        r"Eligible\s+(?:Sex|Gender)",
        r"Sex",
        r"Gender",
        r"Sex/Gender",
        r"(?:Sexes|Genders)\s+Eligible(?:\s+for\s+Study)?",
    ),
    _heading("healthy", FIELD, r"Accepts\s+Healthy\s+Volunteers", r"Healthy\s+Volunteers"),
    _heading(
        "other",
        FIELD,
        r"Allocation(?:\s+Method)?",
        r"Intervention\s+Model(?:\s+Description)?",
        r"Primary\s+(?:Study\s+)?Purpose",
        r"Blinding\s+Strategy",
        r"Masking(?:\s+Description)?",
        r"Time\s+Perspective",
        r"Observational\s+Model",
        r"Study\s+Population",
        r"Sampling\s+Method",
    ),
    _heading("brief_summary", TEXT, r"Brief\s+Summary"),
    _heading("detailed_description", TEXT, r"Detailed\s+Description"),
    _heading("eligibility", TEXT, r"Eligibility\s+Criteria", r"Eligibility"),
    _heading(
        "arms",
        TEXT,
        r"Study\s+Groups",
        r"(?:Study\s+)?Arms",
        r"Arm\s+Groups",
        r"Study\s+Arms?/Groups?",
        r"Participant\s+Groups?/Arms?",
        r"Arms\s+and\s+Interventions",
        r"Groups?/Cohorts?",
    ),
    _heading("interventions", TEXT, r"Interventions?", r"Intervention\s*/\s*Treatment"),
    _heading("outcomes", TEXT, r"(?:Primary|Secondary|Other)\s+Outcomes?(?:\s+Measures?)?", r"Outcome\s+Measures"),
    _heading("conditions", LIST, r"Conditions?", r"Conditions?\s+Studied"),
    _heading("keywords", LIST, r"Keywords?"),
    _heading("other_names", LIST, r"Other\s+Intervention\s+Names", r"Other\s+Names"),
    _heading("sponsors", LIST, r"Sponsors?", r"Lead\s+Sponsor", r"Sponsors?\s*(?:/|and)\s*Collaborators"),
    _heading("collaborators", LIST, r"Collaborators"),
    _heading("responsible_party", LIST, r"Responsible\s+Party"),
    _heading("investigators", LIST, r"(?:Principal\s+)?Investigators", r"Study\s+Officials"),
    _heading("locations", LIST, r"Locations", r"Study\s+(?:Locations|Sites)", r"Sites"),
    _heading("countries", LIST, r"Countries", r"Location\s+Countries"),
    _heading("central_contacts", LIST, r"Central\s+Contacts?", r"Contacts"),
    _heading("facility_contacts", LIST, r"Facility\s+Contacts?", r"Site\s+Contacts?"),
    _heading(
        "secondary_ids",
        LIST,
        r"Other\s+Identifiers",
        r"Secondary\s+(?:IDs|Identifiers)",
        r"Other\s+Study\s+ID\s+Numbers",
        r"Other\s+IDs",
    ),
    _heading(
        "ignore",
        IGNORE,
        r"Study\s+Results",
        r"Basic\s+Information",
        r"Study\s+Design",
        r"More\s+Related\s+Trials",
        r"Related\s+Trials",
        r"References",
        r"Publications",
        r"Study\s+Documents",
        r"Study\s+Overview",
        r"Participation\s+Criteria",
        r"Study\s+Plan",
        r"Collaborators\s+and\s+Investigators",
        r"Study\s+Record\s+Dates",
        r"Contacts\s+and\s+Locations",
        r"Design\s+Details",
        r"More\s+Information",
        r"Results\s+Overview",
        r"Resource\s+links",
        r"Study\s+Registration\s+Dates",
        r"Study\s+Details",
    ),
)
_BARE_NCT_ID = re.compile(r"^(?:NCT\s*ID|ClinicalTrials\.gov\s+ID|NCT\s+Number)\s+(NCT\d{8})\b", re.IGNORECASE)
_BARE_DATE = re.compile(
    r"^(Last\s+Update\s+Posted|Last\s+Updated|First\s+Posted|First\s+Submitted)(?:\s*\((?:Actual|Estimated)\))?"
    r"\s+(\d{4}-\d{2}(?:-\d{2})?|[A-Z][a-z]+\.? \d{1,2}, \d{4})$",
    re.IGNORECASE,
)
_INLINE_HEADING = re.compile(r"^(?P<head>[^:：]{1,80}?)\s*[:：]\s*(?P<value>.+)$")
_SUBLABEL = re.compile(
    r"^(Group Type|Intervention Type|Sponsor Role|Site Status|Responsibility Role|Identifier Type"
    r"|Identifier Source|Identifier Link|Role|Sponsor Class|Agency Class)\s*[:：]?\s*$",
    re.IGNORECASE,
)
_GROUP_TYPE = re.compile(r"^(?:Group|Arm)\s+Type\s*[:：]?\s*(.+)$", re.IGNORECASE)
_INTERVENTION_TYPE = re.compile(r"^Intervention\s+Type\s*[:：]?\s*(.+)$", re.IGNORECASE)
_TYPED_INTERVENTION = re.compile(
    r"^(Biological|Drug|Device|Genetic|Procedure|Radiation|Behavioral|Dietary Supplement|Combination Product"
    r"|Diagnostic Test|Other)\s*:\s*(.+)$",
    re.IGNORECASE,
)
_ARM_LINE = re.compile(
    r"^(Experimental|Active Comparator|Placebo Comparator|Sham Comparator|No Intervention|Other)\s*:\s*(.+)$",
    re.IGNORECASE,
)
_OTHER_NAMES_LINE = re.compile(r"^Other\s+(?:Intervention\s+)?Names?\s*[:：]\s*(.*)$", re.IGNORECASE)
_SPONSOR_ROLE = re.compile(r"^(?:Sponsor\s+)?Role\s*[:：]?\s*(lead|collaborator)\b.*$", re.IGNORECASE)
_SPONSOR_CLASS = re.compile(
    r"^(?:INDUSTRY|OTHER|OTHER_GOV|NIH|FED|INDIV|NETWORK|UNKNOWN|AMBIG|Industry|Other|U\.S\. Fed|Individual)$"
)
_SITE_NOISE = re.compile(
    r"^(?:Contact\b|Role\s*[:：]|Principal Investigator\b|Sub-?Investigator\b|Phone\b|Email\b|Tel\b)|@",
    re.IGNORECASE,
)
_BARE_STATUS = re.compile(
    r"^(?:Recruiting|Not yet recruiting|Active,? not recruiting|Completed|Withdrawn|Terminated|Suspended"
    r"|Enrolling by invitation|Available|No longer available|Unknown(?: status)?|[A-Z]+(?:_[A-Z]+)+|RECRUITING"
    r"|COMPLETED|WITHDRAWN|TERMINATED|SUSPENDED)$",
    re.IGNORECASE,
)
_ID_META = re.compile(r"^(?:Identifier\s+)?(?:Type|Source|Link|Domain)\s*[:：]", re.IGNORECASE)
_UPPER_PHASE = re.compile(r"^(?:EARLY_)?PHASE\d|^NA$|^N/A$")


@dataclass
class _Section:
    key: str
    kind: str
    heading: str
    lines: list[str] = field(default_factory=list)


def _first_of(specs: tuple[_Heading, ...]) -> tuple[re.Pattern[str], tuple[_Heading, ...]]:
    """One pattern for `specs`: its `lastindex` names the first spec whose own pattern
    matches (an alternation tries its branches in order), in a single regex call."""
    pattern = "|".join(f"({spec.pattern.pattern})" for spec in specs)
    return re.compile(pattern, re.IGNORECASE), specs


_ANY_HEADING = _first_of(_HEADINGS)
_FIELD_HEADING = _first_of(tuple(spec for spec in _HEADINGS if spec.kind == FIELD))


def _first_heading(text: str, headings: tuple[re.Pattern[str], tuple[_Heading, ...]]) -> _Heading | None:
    pattern, specs = headings
    match = pattern.fullmatch(text)
    return specs[match.lastindex - 1] if match else None


def _match_heading(line: str, in_text: bool) -> tuple[_Heading, str] | None:
    """The heading a line starts, with any value written after a colon on the same line."""
    bare = line.rstrip(":：").strip()
    if len(bare) > 80:
        return None
    spec = _first_heading(bare, _ANY_HEADING)
    if spec is not None:
        if in_text and line.rstrip().endswith((":", "：")):
            return None
        return spec, ""
    if in_text:
        return None
    if match := _BARE_NCT_ID.match(line):
        return _HEADINGS[0], match.group(1)
    if match := _BARE_DATE.match(line):
        return _match_heading(match.group(1), in_text=False)[0], match.group(2)
    match = _INLINE_HEADING.match(line)
    if match:
        spec = _first_heading(match.group("head").strip(), _FIELD_HEADING)
        if spec is not None:
            return spec, match.group("value").strip()
    return None


def _merge_sublabels(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _SUBLABEL.match(line) and i + 1 < len(lines):
            out.append(f"{line.rstrip(':： ')} {lines[i + 1]}")
            i += 2
            continue
        out.append(line)
        i += 1
    return out


def _sections(lines: list[str]) -> tuple[list[str], list[_Section]]:
    """Lines before the first heading, and the sections, with blurbs dropped."""
    preamble: list[str] = []
    sections: list[_Section] = []
    current: _Section | None = None
    expect_blurb = False
    for line in lines:
        found = _match_heading(line, in_text=current is not None and current.kind == TEXT)
        if found is not None:
            spec, value = found
            current = _Section(spec.key, spec.kind, line)
            if value:
                current.lines.append(value)
            sections.append(current)
            expect_blurb = not value and spec.kind != FIELD
            continue
        if expect_blurb:
            expect_blurb = False
            if _html.is_blurb(line, list_section=current.kind in (LIST, IGNORE)):
                continue
        if current is None:
            preamble.append(line)
        else:
            current.lines.append(line)
    return preamble, sections


class _Record:
    """The sections of one page. A key the page has no heading for is absent (None)."""

    def __init__(self, sections: list[_Section]) -> None:
        self.sections = sections

    def all(self, key: str) -> list[_Section]:
        return [s for s in self.sections if s.key == key]

    def has(self, key: str) -> bool:
        return any(s.key == key for s in self.sections)

    def lines(self, key: str) -> list[str]:
        return [line for s in self.all(key) for line in s.lines]

    def items(self, key: str) -> list[str] | None:
        """The unique lines of every `key` section; None without such a section."""
        return unique(self.lines(key)) if self.has(key) else None

    def text(self, key: str) -> str | None:
        return _html.join_lines(self.lines(key)) if self.has(key) else None

    def value(self, key: str) -> str | None:
        """The first line under the first `key` heading; "" for an empty section, None for none."""
        for section in self.all(key):
            if section.lines:
                return section.lines[0]
        return "" if self.has(key) else None

    def heading(self, key: str) -> str:
        found = self.all(key)
        return found[0].heading if found else ""


class CtgovModernParser(Parser):
    """ClinicalTrials.gov records as shown by modern study pages and their mirrors."""

    name = "ctgov_modern"
    version = "2"

    @classmethod
    def detect(cls, text: str) -> bool:
        """ "NCT ID" plus modern headings, and none of the classic page's markers."""
        try:
            head = page_head(text)
            if head is None or is_classic_page(head):
                return False
            has_id = re.search(r"NCT\s*ID\s*[:：]?\s*(?:<[^>]*>\s*)*NCT\d{8}", head) or re.search(
                r"ClinicalTrials\.gov\s+ID\b(?!entifier)", head
            )
            if not has_id:
                return False
            markers = (
                "Recruitment Status",
                "Clinical Phase",
                "Study Classification",
                "Total Enrollment",
                "Minimum Eligible Age",
                "Eligible Sex",
                "Study Groups",
                "Eligibility Criteria",
                "Brief Summary",
                "Study Start",
            )
            return sum(marker in head for marker in markers) >= 2
        except Exception:
            return False

    def read(self, text: str) -> list[TrialRecord]:
        """One TrialRecord from a modern page; ParseError when it is not one."""
        if not text or not text.strip():
            raise ParseError(f"{self.name}: empty document")
        lines, heading, rendering = _html.page_lines(text)
        preamble, sections = _sections(_merge_sublabels([x for x in lines if x]))
        page = _Record(sections)
        registry_id = _html.find_nct_id(" ".join(page.lines("nct_id")[:1]))
        if not registry_id:
            raise ParseError(f"{self.name}: no ClinicalTrials.gov identifier (NCT ID) found")
        countries = page.items("countries")
        interventions = _read_interventions(page.lines("interventions")) if page.has("interventions") else None
        arms, arm_interventions = (
            _read_arms(page.lines("arms"), interventions or []) if page.has("arms") else (None, None)
        )
        if interventions is not None or arm_interventions is not None:
            interventions = _merge(interventions or [], arm_interventions or [])
        other_names = unique(page.lines("other_names"))
        if other_names and interventions and len(interventions) == 1:
            interventions[0].other_names = unique((interventions[0].other_names or []) + other_names)
        sites = _read_sites(page.lines("locations"), countries or []) if page.has("locations") else None
        contacts = _read_contacts(page, sites)
        sponsor, sponsor_class, collaborators = _read_sponsors(page)
        inclusion, exclusion, whole = (
            split_criteria_lines(page.lines("eligibility")) if page.has("eligibility") else (None, None, None)
        )
        age_text = page.value("ages")
        min_age, max_age = age_limits(age_text, page.value("min_age"), page.value("max_age"))
        enrollment = page.value("enrollment")
        results_date = page.value("results_posted")
        record = TrialRecord(
            registry="ctgov",
            registry_id=registry_id,
            source_format=f"ctgov_modern_{rendering}",
            secondary_ids=None
            if not page.has("secondary_ids")
            else unique(x for x in page.lines("secondary_ids") if not _ID_META.match(x)),
            title=page.value("brief_title") or heading or _title(preamble) or None,
            official_title=page.value("official_title"),
            acronym=page.value("acronym"),
            brief_summary=page.text("brief_summary"),
            detailed_description=page.text("detailed_description"),
            objectives=_objectives(page),
            keywords=page.items("keywords"),
            status=page.value("status"),
            phase=_phase(page.lines("phase")) if page.has("phase") else None,
            study_type=page.value("study_type"),
            min_age=min_age,
            max_age=max_age,
            age_text=age_text,
            sex=page.value("sex"),
            healthy_volunteers=page.value("healthy"),
            enrollment=None if enrollment is None else _html.leading_number(enrollment),
            enrollment_type=None if enrollment is None else enrollment_type(page.heading("enrollment"), enrollment),
            start_date=page.value("start_date"),
            completion_date=page.value("completion"),
            primary_completion_date=page.value("primary_completion"),
            registration_date=first_value(page.value("first_posted"), page.value("first_submitted")),
            last_update_date=page.value("last_update"),
            sponsor=sponsor,
            sponsor_class=sponsor_class,
            collaborators=collaborators,
            conditions=page.items("conditions"),
            interventions=interventions,
            arms=arms,
            sites=sites,
            countries=countries or (None if sites is None else unique(s.country for s in sites)) or countries,
            contacts=contacts,
            inclusion_criteria=inclusion,
            exclusion_criteria=exclusion,
            eligibility_text=whole,
            has_results="true" if results_date else ("false" if any(_NO_RESULTS.match(x) for x in lines) else None),
            results_date=results_date,
        )
        return [record]


_NO_RESULTS = re.compile(r"^(?:No Results Posted|Results pending)$", re.IGNORECASE)


def _title(preamble: list[str]) -> str:
    for line in preamble:
        if not re.match(r"^(?:Skip to|Home$|Menu$|Search$|Back to)", line, re.IGNORECASE):
            return line
    return ""


def _phase(lines: list[str]) -> str:
    values = unique(lines)
    if len(values) > 1 and all(_UPPER_PHASE.match(v) for v in values):
        return "/".join(values)
    return " ".join(values)


def _objectives(page: _Record) -> str | None:
    if not page.has("outcomes"):
        return None
    blocks = [(s.heading.rstrip(":："), _html.join_lines(s.lines)) for s in page.all("outcomes")]
    return "\n\n".join(f"{head}:\n{body}" for head, body in blocks if body)


def _entries_by_type(lines: list[str]) -> list[tuple[str, str, list[str]]]:
    """(name, type, description lines) from "name / Intervention Type X / description" runs.

    Both layouts are read: the type line right after the name (description after it)
    and the type line closing the entry (description between name and type).
    """
    marks = [i for i, line in enumerate(lines) if _INTERVENTION_TYPE.match(line)]
    if not marks:
        return []
    entries: list[tuple[str, str, list[str]]] = []
    if marks[0] == 1:
        for n, mark in enumerate(marks):
            end = marks[n + 1] - 1 if n + 1 < len(marks) else len(lines)
            kind = _INTERVENTION_TYPE.match(lines[mark]).group(1).strip()
            entries.append((lines[mark - 1], kind, lines[mark + 1 : end]))
        return entries
    start = 0
    for mark in marks:
        block = lines[start:mark]
        if block:
            kind = _INTERVENTION_TYPE.match(lines[mark]).group(1).strip()
            entries.append((block[0], kind, block[1:]))
        start = mark + 1
    return entries


def _read_interventions(lines: list[str]) -> list[Intervention]:
    entries = _entries_by_type(lines)
    if not entries:
        entries = []
        for line in lines:
            if match := _TYPED_INTERVENTION.match(line):
                entries.append((match.group(2).strip(), match.group(1), []))
            elif entries:
                entries[-1][2].append(line)
            else:
                entries.append((line, "", []))
    out: list[Intervention] = []
    for name, kind, description in entries:
        item = Intervention(name=name, type=kind or None)
        rest: list[str] = []
        for line in description:
            if match := _OTHER_NAMES_LINE.match(line):
                item.other_names = [
                    *(item.other_names or []),
                    *(n.strip() for n in match.group(1).split(",") if n.strip()),
                ]
            else:
                rest.append(line)
        item.description = "\n".join(rest)
        out.append(item)
    return out


def _read_arms(lines: list[str], known: list[Intervention]) -> tuple[list[Arm], list[Intervention]]:
    """Arms from a "Study Groups" section: label, description, "Group Type X", then interventions."""
    if not lines:
        return [], []
    groups = [i for i, line in enumerate(lines) if _GROUP_TYPE.match(line)]
    if not groups:
        return _typed_arms(lines)
    by_name = {(k.name or "").lower(): set((k.description or "").split("\n")) - {""} for k in known}
    all_known = set().union(*by_name.values()) if by_name else set()
    arms: list[Arm] = []
    found: list[Intervention] = []
    pos = 0
    for n, mark in enumerate(groups):
        header = lines[pos:mark]
        arm = Arm(
            label=header[0] if header else "",
            type=_GROUP_TYPE.match(lines[mark]).group(1).strip(),
            description="\n".join(header[1:]),
            interventions=[],
        )
        last = n + 1 == len(groups)
        end = groups[n + 1] if not last else len(lines)
        j = mark + 1
        while j + 1 < end and _INTERVENTION_TYPE.match(lines[j + 1]):
            name, kind = lines[j], _INTERVENTION_TYPE.match(lines[j + 1]).group(1).strip()
            j += 2
            expected = by_name.get(name.lower(), all_known if known else None)
            description: list[str] = []
            while j < end and not (j + 1 < end and _INTERVENTION_TYPE.match(lines[j + 1])):
                if not last:
                    if expected is not None and lines[j] not in expected:
                        break
                    if expected is None and end - j <= 2:
                        break
                description.append(lines[j])
                j += 1
            arm.interventions.append(name)
            found.append(Intervention(name=name, type=kind, description="\n".join(description)))
        pos = j
        arms.append(arm)
    return arms, found


def _typed_arms(lines: list[str]) -> tuple[list[Arm], list[Intervention]]:
    """Arms written as "Experimental: label" lines with "Drug: name" interventions (the arms table)."""
    arms: list[Arm] = []
    found: list[Intervention] = []
    current: Intervention | None = None
    for line in lines:
        if "|" in line or re.match(r"^Participant Group/Arm\b", line, re.IGNORECASE):
            continue
        arm_match = _ARM_LINE.match(line)
        if arm_match and (not arms or arm_match.group(1).lower() != "other"):
            arms.append(
                Arm(label=arm_match.group(2).strip(), type=arm_match.group(1), description="", interventions=[])
            )
            current = None
        elif (typed := _TYPED_INTERVENTION.match(line)) and arms:
            current = Intervention(name=typed.group(2).strip(), type=typed.group(1), description="")
            arms[-1].interventions.append(f"{current.type}: {current.name}")
            found.append(current)
        elif current is not None:
            current.description = "\n".join(x for x in (current.description, line) if x)
        elif arms:
            arms[-1].description = "\n".join(x for x in (arms[-1].description, line) if x)
    if not arms:
        return [Arm(label=lines[0], description="\n".join(lines[1:]), interventions=[])], []
    return arms, found


def _merge(primary: list[Intervention], extra: list[Intervention]) -> list[Intervention]:
    merged = {(i.name or "").lower(): i for i in primary}
    out = list(primary)
    for item in extra:
        known = merged.get((item.name or "").lower())
        if known is None:
            merged[(item.name or "").lower()] = item
            out.append(item)
            continue
        add_details(known, item)
    return out


def _read_sponsors(page: _Record) -> tuple[str | None, str | None, list[str] | None]:
    """Lead sponsor, its class and the collaborators. Each entry is a name, an optional
    class line ("OTHER", "INDUSTRY") and, where given, "Sponsor Role lead|collaborator";
    without roles the first entry is the lead."""
    if not page.has("sponsors") and not page.has("collaborators"):
        return None, None, None
    names: list[str] = []
    classes: dict[int, str] = {}
    roles: dict[int, str] = {}
    for line in page.lines("sponsors"):
        if (match := _SPONSOR_ROLE.match(line)) and names:
            roles[len(names) - 1] = match.group(1).lower()
        elif _SPONSOR_CLASS.match(line) and names and len(names) - 1 not in classes:
            classes[len(names) - 1] = line
        elif not match:
            names.append(line)
    lead_index = next((i for i, role in roles.items() if role == "lead"), None)
    if lead_index is None and names and not roles:
        lead_index = 0
    lead = names[lead_index] if lead_index is not None else ("" if page.has("sponsors") else None)
    collaborators = [name for i, name in enumerate(names) if i != lead_index] + page.lines("collaborators")
    return lead, classes.get(lead_index), unique(c for c in collaborators if c != lead)


_SITE_STATUS_VALUE = re.compile(r"^(?:Site\s+|Recruitment\s+)?Status\s*[:：]?\s*(\S.*)$", re.IGNORECASE)
_CONTACT_LINE = re.compile(r"^Contact\s*[:：]\s*", re.IGNORECASE)
_INVESTIGATOR_LINE = re.compile(r"^(Principal Investigator|Sub-?Investigator)\s*[:：]\s*(\S.*)$", re.IGNORECASE)


def _read_sites(lines: list[str], countries: list[str]) -> list[SiteRecord]:
    """Sites with the status and contacts written after their facility or address line."""
    entries: list[str] = []
    notes: list[_html.SiteNote] = []
    for line in lines:
        if (match := _SITE_STATUS_VALUE.match(line)) or _BARE_STATUS.match(line):
            if notes:
                notes[-1].status = match.group(1).strip() if match else line
            continue
        if _CONTACT_LINE.match(line) or (person := _INVESTIGATOR_LINE.match(line)):
            if notes:
                contact = (
                    _html.read_contact(_CONTACT_LINE.sub("", line, count=1), "site")
                    if _CONTACT_LINE.match(line)
                    else Contact(role=contact_role(person.group(1), "investigator"), name=person.group(2).strip())
                )
                notes[-1].add_contact(contact)
            continue
        if _SITE_NOISE.search(line) or re.fullmatch(r"[\d\s()+\-.ext/,]+", line):
            continue
        entries.append(line)
        notes.append(_html.SiteNote())
    return _html.read_sites(entries, countries, notes)


_ROLE_LINE = re.compile(r"^Role\s*[:：]\s*(.*)$", re.IGNORECASE)


def _people(lines: list[str], default_role: str) -> list[Contact]:
    """Contacts of a list section: each a name line, then "Role: X", then its phone,
    e-mail or (for an investigator) affiliation lines. Without role lines each line
    is a contact, and a line of only a phone or e-mail belongs to the one above."""
    marks = [i for i, line in enumerate(lines) if _ROLE_LINE.match(line)]
    if not marks:
        found: list[Contact] = []
        for line in lines:
            person = _html.read_contact(line, default_role)
            if person.name is None and found:
                found[-1].phone = found[-1].phone or person.phone
                found[-1].email = found[-1].email or person.email
            else:
                found.append(person)
        return found
    people: list[Contact] = []
    for n, mark in enumerate(marks):
        end = marks[n + 1] - 1 if n + 1 < len(marks) else len(lines)
        person = _html.read_contact(lines[mark - 1], default_role) if mark else Contact(role=default_role)
        person.role = contact_role(_ROLE_LINE.match(lines[mark]).group(1), default_role)
        for line in lines[mark + 1 : end]:
            detail = _html.read_contact(line, default_role)
            person.email = person.email or detail.email
            person.phone = person.phone or detail.phone
            if detail.name and not (detail.email or detail.phone) and person.affiliation is None:
                person.affiliation = detail.name
        people.append(person)
    return people


def _read_contacts(page: _Record, sites: list[SiteRecord] | None) -> list[Contact] | None:
    """Central contacts and investigators. The facility contacts of a one-site trial
    are that site's; with several sites the page does not say whose they are, so they
    stay with the trial (role "site")."""
    if not any(page.has(key) for key in ("central_contacts", "investigators", "facility_contacts")):
        return None
    contacts = _people(page.lines("central_contacts"), "central") + _people(page.lines("investigators"), "investigator")
    facility = _people(page.lines("facility_contacts"), "site")
    if facility and sites is not None and len(sites) == 1:
        sites[0].contacts = [*(sites[0].contacts or []), *facility]
    else:
        contacts += facility
    return contacts
