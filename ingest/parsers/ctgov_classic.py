"""ClinicalTrials.gov CLASSIC study page (ct2/show) and archive pages, as HTML or text.

The classic page is a sequence of label/value pairs ("Recruitment Status : Recruiting",
`<th>Study Type :</th><td>Interventional</td>`) plus three tables: conditions /
interventions / phase, arms / interventions, and locations. Text renderings of the
page separate table cells with `|`. HTML is rendered to the same kind of lines
(`_html.page_lines`), so one walker reads both; the archive layout
(`table.info` of `<th>label</th><td>value</td>` rows) is read by the same walker.
A label or section the page leaves out is absent (None); a label shown without a
value is empty ("" / []).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.parsers import _html
from ingest.parsers._criteria import is_criteria_heading, split_criteria_lines
from ingest.parsers._ctgov import add_details, age_limits, contact_role, enrollment_type, is_classic_page, page_head
from ingest.parsers._values import first_value, joined, unique
from ingest.parsers.base import Parser
from ingest.records import Arm, Contact, Intervention, ParseError, Reference, SiteRecord, TrialRecord


@dataclass(frozen=True)
class _Label:
    key: str
    pattern: re.Pattern[str]
    inline: bool = True  # the value may follow a colon in the same cell


def _label(key: str, pattern: str, inline: bool = True) -> _Label:
    return _Label(key, re.compile(rf"(?:{pattern})", re.IGNORECASE), inline)


_STATE = r"(?:(?P<state>Actual|Estimated|Anticipated)\s+)?"
_LABELS: tuple[_Label, ...] = (
    _label("nct_id", r"ClinicalTrials(?:\.gov)?\s+Identifier|NCT\s+Number"),
    _label("status", r"Recruitment\s+Status|Overall\s+(?:Recruitment\s+)?Status"),
    _label("status", r"Status", inline=False),
    _label("first_posted", r"First\s+Posted|(?:Study\s+)?First\s+Received|First\s+Submitted"),
    _label("last_update", r"Last\s+Update\s+Posted|Last\s+Updated?|Updated"),
    _label("results_posted", r"Results\s+First\s+(?:Posted|Received)|First\s+Received\s+Results"),
    _label("last_verified", r"Last\s+Verified|Verification\s+Date|Record\s+Verification\s+Date"),
    _label("study_type", r"Study\s+Type"),
    _label("enrollment", rf"{_STATE}Enrollment"),
    _label("brief_title", r"Brief\s+Title"),
    _label("official_title", r"Official\s+Title"),
    _label("acronym", r"Acronym"),
    _label("start_date", rf"{_STATE}(?:Study\s+)?Start\s+Date"),
    _label("primary_completion", rf"{_STATE}Primary\s+Completion\s+Date"),
    _label("completion", rf"{_STATE}(?:Study\s+)?Completion\s+Date"),
    _label("ages", r"Ages?\s+Eligible(?:\s+for\s+Study)?"),
    _label("min_age", r"Minimum\s+Age"),
    _label("max_age", r"Maximum\s+Age"),
    _label("sex", r"(?:Sexes|Genders)\s+Eligible(?:\s+for\s+Study)?"),
    _label("sex", r"Gender|Sex", inline=False),
    _label("healthy", r"(?:Accepts\s+)?Healthy\s+Volunteers"),
    _label("brief_summary", r"Brief\s+Summary"),
    _label("detailed_description", r"Detailed\s+Description"),
    _label("criteria", r"Criteria", inline=False),
    _label("outcome", r"(?:Primary|Secondary|Other(?:\s+Pre-specified)?)\s+Outcome(?:\s+Measures?)?"),
    _label("sponsor", r"(?:Lead\s+)?Sponsor"),
    _label("collaborators", r"Collaborators?"),
    _label("responsible_party", r"Responsible\s+Party"),
    _label("provided_by", r"Information\s+provided\s+by(?:\s*\(Responsible\s+Party\))?"),
    _label("other_ids", r"Other\s+Study\s+ID\s+Numbers?|Organization\s+study\s+ID|Secondary\s+IDs?|Org\s+Study\s+ID"),
    _label("keywords", r"Keywords(?:\s+provided\s+by\s+.+)?"),
    _label("condition", r"Conditions?", inline=False),
    _label("phase", r"Phases?", inline=False),
    _label("arm", r"Arm/Group", inline=False),
    _label("intervention", r"Interventions?", inline=False),
    _label("investigator", r"Principal\s+Investigator|Study\s+Director|Study\s+Chair|Sub-Investigator"),
    _label(
        "other",
        r"Allocation|Intervention\s+Model|Masking|Primary\s+Purpose|Study\s+design|Time\s+Perspective"
        r"|Observational\s+Model|Study\s+Population|Sampling\s+Method|Plan\s+to\s+Share\s+IPD"
        r"|Studies\s+a\s+U\.S\.\s+FDA-regulated\s+.+|Organization\s+name|Health\s+Authority|URL|See\s+also"
        r"|Additional\s+relevant\s+MeSH\s+terms|Individual\s+Participant\s+Data.*|Has\s+Data\s+Monitoring\s+Committee"
        r"|Product\s+Manufactured\s+in\s+and\s+Exported\s+from\s+the\s+U\.S\.|IPD\s+Sharing.*|Biospecimen.*",
    ),
)

_STOP = re.compile(
    r"^(?:Condition or disease\b|Arm\s*\|?\s*Intervention/treatment|Group/Cohort\b|Show detailed description"
    r"|Hide detailed description|Study Description$|Study Design$|Arms and Interventions$|Outcome Measures$"
    r"|Eligibility Criteria$|Contacts and Locations$|More Information$|Layout table|Go to\b"
    r"|Choosing to participate\b|To learn more about this study\b|Please refer to this study\b|Locations:?$"
    r"|Sponsors and Collaborators$|Investigators:?$|Publications\b|Contact:|Contacts:?$|No Contacts or Locations"
    r"|Descriptive Information$|Recruitment Information$|Administrative Data$|Tracking Information$"
    r"|Study Details$|Tabular View$|No Results Posted$|Disclaimer$|How to Read a Study Record$)",
    re.IGNORECASE,
)
_LABEL_CELL = re.compile(r"^(?P<label>[^:：|]{1,100}?)\s*[:：]\s*(?P<rest>.*)$")
_ARM_TYPES = r"Experimental|Active Comparator|Placebo Comparator|Sham Comparator|No Intervention|Other"
_ARM_TYPE = re.compile(rf"^({_ARM_TYPES})\s*:\s*(.*)$", re.IGNORECASE)
_ARM_TYPE_ONLY = re.compile(rf"^(?:{_ARM_TYPES})$", re.IGNORECASE)
_INTERVENTION_TYPES = (
    r"Biological|Drug|Device|Genetic|Procedure(?:/Surgery)?|Radiation|Behavioral|Dietary Supplement"
    r"|Combination Product|Diagnostic Test|Other"
)
_INTERVENTION_LINE = re.compile(rf"^({_INTERVENTION_TYPES})\s*:\s*(.+)$")
_INTERVENTION_SPLIT = re.compile(rf"(?:^|\s)(?=(?:{_INTERVENTION_TYPES})\s*:\s)")
_OTHER_NAMES = re.compile(r"^Other Names?\s*:\s*(.*)$", re.IGNORECASE)
_TIME_FRAME = re.compile(r"\[\s*Time Frame\s*:", re.IGNORECASE)
_LOCATION_START = re.compile(
    r"^(?:Please refer to this study by its ClinicalTrials\.gov identifier|Locations:?$|Layout table for location)",
    re.IGNORECASE,
)
_LOCATION_END = {
    "responsible_party",
    "sponsor",
    "collaborators",
    "provided_by",
    "nct_id",
    "other_ids",
    "first_posted",
    "last_update",
    "keywords",
}
_SITE_SKIP = re.compile(
    r"^(?:Contact:|Principal Investigator|Sub-Investigator|Study Director|Study Chair|Layout table|Go to\b"
    r"|Show \d+ (?:Study )?Locations|Hide (?:Study )?Locations|Locations:?$|Contacts:?$|Contacts and Locations"
    r"|Please refer to this study)",
    re.IGNORECASE,
)
_ORG_WORDS = re.compile(
    r"\b(?:Universit\w*|Hospital|Institute|Institut\w*|Cent(?:er|re)|College|Clinic|School|Foundation|Inc\b"
    r"|Ltd\b|LLC|Co\.|Company|Corporation|Corp\b|Group|Pharma\w*|Therapeutics|Bio\w*|Academy|Society"
    r"|Council|Organi[sz]ation|Network|Ministry|Department|Laboratories|Medical|Health|GmbH|S\.A\.|AG\b)",
    re.IGNORECASE,
)
_DEGREE = re.compile(r"^(?:M\.?D\.?|Ph\.?D\.?|MD,? PhD|MBBS|DO|RN|MSc|MS|MPH|Prof\.?|Dr\.?)$", re.IGNORECASE)


_BLOCK_LABELS = frozenset({"brief_summary", "detailed_description", "criteria", "outcome"})
_WEAK_LABELS = frozenset(
    {
        "condition",
        "phase",
        "intervention",
        "arm",
        "status",
        "sex",
        "other",
        "outcome",
        "sponsor",
        "collaborators",
        "keywords",
        "investigator",
        "acronym",
    }
)


@dataclass
class _Field:
    key: str
    label: str
    index: int
    values: list[str] = field(default_factory=list)


class _Page:
    """The lines of one classic page and the labelled fields found in them."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.firsts = [_html.first_cell(line) for line in lines]
        self.matches: list[_Field | None] = [_match_label(line, i) for i, line in enumerate(lines)]
        self._unmark_subheadings()
        self.fields = [f for f in self.matches if f is not None]

    def _unmark_subheadings(self) -> None:
        """Generic labels inside free text (a summary's "Phase:" line) are the text's, not the page's."""
        starts = [(i, f.key) for i, f in enumerate(self.matches) if f is not None and f.key in _BLOCK_LABELS]
        heading = next((i for i, c in enumerate(self.firsts) if is_criteria_heading(c)), None)
        if heading is not None:
            starts.append((heading, "criteria"))
        for start, key in sorted(starts):
            for j in range(start + 1, len(self.lines)):
                if self.lines[j] and self.is_boundary(j, key):
                    break
                self.matches[j] = None

    def all(self, key: str) -> list[_Field]:
        return [f for f in self.fields if f.key == key]

    def first(self, key: str) -> _Field | None:
        return next((f for f in self.fields if f.key == key), None)

    def is_boundary(self, index: int, block: str = "") -> bool:
        """True where a value ends: a section marker or a label.

        Inside a free-text `block`, a bare generic label ("Phase:", "Intervention:") is
        taken as the text's own sub-heading unless it carries a value or repeats `block`.
        """
        if _STOP.match(self.firsts[index]):
            return True
        found = self.matches[index]
        if found is None:
            return False
        return not block or bool(found.values) or found.key == block or found.key not in _WEAK_LABELS

    def value(self, key: str) -> str | None:
        """The single-line value of the first `key` field; None when the page has no such label."""
        return self.value_of(self.first(key))

    def value_of(self, found: _Field | None) -> str | None:
        """The value in a field's own row, else on the next non-blank line unless that is a label
        ("" for a label without a value, None for no label)."""
        if found is None:
            return None
        if found.values:
            return found.values[0]
        for j in range(found.index + 1, min(found.index + 4, len(self.lines))):
            if not self.firsts[j]:
                continue
            return "" if self.is_boundary(j) else self.firsts[j]
        return ""

    def following(self, index: int, *, stop_at_blank: bool, block: str = "") -> list[str]:
        """Lines after `index` up to the next label or section marker (or blank line)."""
        out: list[str] = []
        for j in range(index + 1, len(self.lines)):
            if not self.lines[j]:
                if stop_at_blank and out:
                    break
                continue
            if self.is_boundary(j, block):
                break
            out.append(self.lines[j])
        return out

    def block(self, found: _Field) -> list[str]:
        """Value lines of a multi-line field (cells of a row kept on one line)."""
        inline = [" ".join(found.values)] if found.values else []
        return inline + [_strip_row(x) for x in self.following(found.index, stop_at_blank=False, block=found.key)]

    def items(self, found: _Field) -> list[str]:
        """Value items of a list field: cells on its line, then lines up to a blank line."""
        rest = self.following(found.index, stop_at_blank=True) if not found.values else []
        return found.values + [c for line in rest for c in _html.cells(line)]


def _strip_row(line: str) -> str:
    return " | ".join(_html.cells(line))


def _match_label(line: str, index: int) -> _Field | None:
    cells = _html.cells(line)
    if not cells:
        return None
    cell = cells[0]
    match = _LABEL_CELL.match(cell)
    label, rest = (match.group("label").strip(), match.group("rest").strip()) if match else (cell, "")
    for spec in _LABELS:
        found = spec.pattern.fullmatch(label)
        if not found:
            continue
        if rest and not spec.inline:
            return None
        if not match and len(label.split()) > 8:
            return None
        values = ([rest] if rest else []) + cells[1:]
        return _Field(spec.key, label, index, values)
    return None


class CtgovClassicParser(Parser):
    """The classic ClinicalTrials.gov study page (ct2/show) and archive pages."""

    name = "ctgov_classic"
    version = "2"

    @classmethod
    def detect(cls, text: str) -> bool:
        """Classic pages carry "ClinicalTrials.gov Identifier" with classic labels or markup."""
        try:
            head = page_head(text)
            return head is not None and is_classic_page(head)
        except Exception:
            return False

    def read(self, text: str) -> list[TrialRecord]:
        """One TrialRecord from a classic or archive page; ParseError when it is not one."""
        if not text or not text.strip():
            raise ParseError(f"{self.name}: empty document")
        lines, heading, rendering = _html.page_lines(text)
        page = _Page(lines)
        registry_id = _registry_id(page, text)
        if not registry_id:
            raise ParseError(f"{self.name}: no ClinicalTrials.gov identifier (NCT number) found")
        enrollment = page.first("enrollment")
        enrollment_value = page.value("enrollment")
        min_age, max_age, age_text = _ages(page)
        inclusion, exclusion, whole = _criteria(page)
        conditions, table_interventions, phase = _conditions_table(page)
        arms, arm_interventions = _arms_table(page)
        archive_interventions = _archive_interventions(page)
        sources = [
            found for found in (table_interventions, arm_interventions, archive_interventions) if found is not None
        ]
        interventions = _merge_interventions([i for found in sources for i in found]) if sources else None
        if arms is None:
            arms = _archive_arms(page)
            _link_archive_arms(page, arms)
        sites, contacts = _locations(page)
        sponsor, collaborators = _sponsors(page)
        results_date = _date(page.value("results_posted"))
        record = TrialRecord(
            registry="ctgov",
            registry_id=registry_id,
            source_format=f"ctgov_classic_{rendering}",
            secondary_ids=_items(page, "other_ids"),
            title=page.value("brief_title") or _title(page, heading) or None,
            official_title=page.value("official_title"),
            acronym=page.value("acronym"),
            brief_summary=_block_text(page, "brief_summary"),
            detailed_description=_block_text(page, "detailed_description"),
            objectives=_objectives(page),
            keywords=_items(page, "keywords"),
            status=_status(page.value("status")),
            phase=first_value(phase, joined(_items(page, "phase"), " ")),
            study_type=page.value("study_type"),
            min_age=min_age,
            max_age=max_age,
            age_text=age_text,
            sex=page.value("sex"),
            healthy_volunteers=page.value("healthy"),
            enrollment=None if enrollment_value is None else _html.leading_number(enrollment_value),
            enrollment_type=None if enrollment is None else enrollment_type(enrollment.label, enrollment_value or ""),
            start_date=_date(page.value("start_date")),
            completion_date=_date(page.value("completion")),
            primary_completion_date=_date(page.value("primary_completion")),
            registration_date=_date(page.value("first_posted")),
            last_update_date=_date(page.value("last_update")),
            sponsor=sponsor,
            collaborators=collaborators,
            conditions=conditions or _items(page, "condition") or conditions,
            interventions=interventions,
            arms=arms,
            sites=sites,
            countries=None if sites is None else unique(s.country for s in sites),
            contacts=contacts,
            inclusion_criteria=inclusion,
            exclusion_criteria=exclusion,
            eligibility_text=whole,
            references=_references(page),
            has_results="true" if results_date else ("false" if _says_no_results(page) else None),
            results_date=results_date,
        )
        return [record]


def _items(page: _Page, key: str) -> list[str] | None:
    """The values of every `key` field as one list; None when the page has no such label."""
    found = page.all(key)
    return None if not found else unique(v for f in found for v in page.items(f))


def _registry_id(page: _Page, text: str) -> str:
    for found in page.all("nct_id"):
        value = " ".join(found.values) or page.value_of(found)
        if nct := _html.find_nct_id(value):
            return nct
    match = re.search(r"identifier \(NCT number\)\s*:?\s*(NCT\d{8})", text, re.IGNORECASE)
    return match.group(1) if match else ""


def _title(page: _Page, heading: str) -> str:
    if heading and not re.match(r"^View of NCT\d{8}", heading):
        return heading
    stop = page.first("nct_id")
    end = stop.index if stop else min(len(page.lines), 10)
    for j in range(end):
        line = page.firsts[j]
        if not line or line.startswith("![") or page.is_boundary(j):
            continue
        if re.match(r"^The safety and scientific validity|^(?:Skip to|Home\b|Search\b|Find Studies)", line):
            continue
        return line
    return ""


def _status(value: str | None) -> str | None:
    return None if value is None else re.split(r"\s+Verified\s", value, maxsplit=1)[0].strip()


def _date(value: str | None) -> str | None:
    if value is None:
        return None
    value = re.sub(r"\s*Key Record Dates\s*$", "", value, flags=re.IGNORECASE)
    return _html.clean_line(value)


def _ages(page: _Page) -> tuple[str | None, str | None, str | None]:
    age_text = page.value("ages")
    min_age, max_age = age_limits(age_text, page.value("min_age"), page.value("max_age"))
    return min_age, max_age, age_text


def _block_text(page: _Page, key: str) -> str | None:
    found = page.all(key)
    if not found:
        return None
    blocks = (_html.join_lines(page.block(f)) for f in found)
    return "\n\n".join(b for b in blocks if b)


def _criteria(page: _Page) -> tuple[str | None, str | None, str | None]:
    found = page.first("criteria")
    if found is not None:
        lines = page.block(found)
    else:
        start = next((i for i, c in enumerate(page.firsts) if is_criteria_heading(c)), None)
        if start is None:
            return None, None, None
        lines = [page.lines[start]] + page.following(start, stop_at_blank=False, block="criteria")
    return split_criteria_lines(lines)


def _objectives(page: _Page) -> str | None:
    found = page.all("outcome")
    blocks = [(f.label, _html.join_lines(page.block(f))) for f in found]
    blocks = [f"{label}:\n{body}" for label, body in blocks if body]
    if blocks:
        return "\n\n".join(blocks)
    start = next((i for i, line in enumerate(page.lines) if _TIME_FRAME.search(line)), None)
    if start is None:
        return "" if found else None
    lines = [page.lines[start]] + page.following(start, stop_at_blank=True)
    return _html.join_lines(re.sub(r"^[-*•]\s+", "", line) for line in lines)


def _table_rows(page: _Page, header: int, ncols: int) -> list[list[str]]:
    """Rows of a `|`-separated table whose header line is `page.lines[header]`."""
    segments = "\n".join(page.lines[header + 1 :]).split("|")
    i = 0
    while i < len(segments) and re.fullmatch(r"\s*:?-{2,}:?\s*", segments[i]):
        i += 1
    rows: list[list[str]] = []
    while i + ncols <= len(segments):
        row = segments[i : i + ncols]
        first = row[0].strip("\n ")
        if (not first and not any(s.strip() for s in row)) or re.search(r"\n\s*\n", first):
            break
        first_line = first.split("\n", 1)[0].strip()
        if _match_label(first_line, 0) is not None or _STOP.match(first_line):
            break
        if re.search(r"\n\s*\n", row[-1].strip("\n ")):
            break
        rows.append([s.strip() for s in row])
        i += ncols
    return rows


def _header_index(page: _Page, first: re.Pattern[str], second: str) -> int | None:
    for i, line in enumerate(page.lines):
        found = _html.cells(line)
        if len(found) >= 2 and first.match(found[0]) and second.lower() in found[1].lower():
            return i
    return None


def _conditions_table(page: _Page) -> tuple[list[str] | None, list[Intervention] | None, str | None]:
    """Conditions, interventions and phase of the table under the page header (None without it)."""
    header = _header_index(page, re.compile(r"^Conditions? or disease", re.IGNORECASE), "Intervention")
    if header is None:
        return None, None, None
    names = [c.lower() for c in _html.cells(page.lines[header])]
    conditions: list[str] = []
    interventions: list[Intervention] = []
    phases: list[str] = []
    for row in _table_rows(page, header, len(names)):
        for name, cell in zip(names, row):
            lines = [x.strip() for x in cell.split("\n") if x.strip()]
            if name.startswith("condition"):
                conditions.extend(lines)
            elif name.startswith("intervention"):
                for line in lines:
                    for piece in _INTERVENTION_SPLIT.split(line):
                        if match := _INTERVENTION_LINE.match(piece.strip()):
                            interventions.append(Intervention(name=match.group(2).strip(), type=match.group(1)))
                        elif piece.strip():
                            interventions.append(Intervention(name=piece.strip()))
            elif name.startswith("phase"):
                phases.extend(lines)
    has_phase = any(name.startswith("phase") for name in names)
    return unique(conditions), interventions, " ".join(unique(phases)) if has_phase else None


def _arms_table(page: _Page) -> tuple[list[Arm] | None, list[Intervention] | None]:
    header = _header_index(page, re.compile(r"^(?:Arms?|Groups?/Cohorts?)$", re.IGNORECASE), "Intervention")
    if header is None:
        return None, None
    arms: list[Arm] = []
    interventions: list[Intervention] = []
    for row in _table_rows(page, header, 2):
        arm_lines = [x.strip() for x in row[0].split("\n") if x.strip()]
        if not arm_lines:
            continue
        arm = Arm(label=arm_lines[0], description="\n".join(arm_lines[1:]))
        if match := _ARM_TYPE.match(arm_lines[0]):
            arm.type, arm.label = match.group(1), match.group(2).strip()
        found = _intervention_cell([x.strip() for x in row[1].split("\n") if x.strip()])
        arm.interventions = [f"{i.type}: {i.name}" if i.type else i.name for i in found]
        interventions.extend(found)
        arms.append(arm)
    return arms, interventions


def _intervention_cell(lines: list[str]) -> list[Intervention]:
    found: list[Intervention] = []
    description: list[str] = []
    in_other_names = False
    for line in lines:
        if match := _INTERVENTION_LINE.match(line):
            if found:
                found[-1].description = "\n".join(description)
            found.append(Intervention(name=match.group(2).strip(), type=match.group(1)))
            description, in_other_names = [], False
        elif not found:
            found.append(Intervention(name=line))
        elif match := _OTHER_NAMES.match(line):
            in_other_names = True
            found[-1].other_names = [
                *(found[-1].other_names or []),
                *(n.strip() for n in match.group(1).split(",") if n.strip()),
            ]
        elif in_other_names and re.match(r"^[-*•]\s+", line):
            found[-1].other_names = [*(found[-1].other_names or []), re.sub(r"^[-*•]\s+", "", line)]
        else:
            in_other_names = False
            description.append(line)
    if found:
        found[-1].description = "\n".join(description)
    return found


def _merge_interventions(items: list[Intervention]) -> list[Intervention]:
    """One intervention per name; what one listing leaves out (None) another may give."""
    merged: dict[str, Intervention] = {}
    for item in items:
        key = (item.name or "").strip().lower()
        if not key:
            continue
        if key not in merged:
            other_names = None if item.other_names is None else list(item.other_names)
            merged[key] = Intervention(item.name, item.type, item.description, other_names)
            continue
        known = merged[key]
        add_details(known, item)
        if item.other_names is not None:
            known.other_names = unique((known.other_names or []) + item.other_names)
    return list(merged.values())


def _archive_arms(page: _Page) -> list[Arm] | None:
    if not page.all("arm"):
        return None
    arms: list[Arm] = []
    for found in page.all("arm"):
        parts = page.items(found)
        if not parts:
            continue
        label = re.sub(r"^Arm Label\s*:\s*", "", parts[0], flags=re.IGNORECASE)
        rest = parts[1:]
        arm_type = rest[0] if rest and _ARM_TYPE_ONLY.match(rest[0]) else None
        description = "\n".join(rest[1:] if arm_type else rest)
        arms.append(Arm(label=label, type=arm_type, description=description))
    return arms


def _archive_interventions(page: _Page) -> list[Intervention] | None:
    if not page.all("intervention"):
        return None
    out: list[Intervention] = []
    for found in page.all("intervention"):
        parts = page.items(found)
        if not parts:
            continue
        match = _INTERVENTION_LINE.match(parts[0])
        item = Intervention(name=match.group(2).strip(), type=match.group(1)) if match else Intervention(name=parts[0])
        notes = [p for p in parts[1:] if not re.match(r"^Arm Label\s*:", p, re.IGNORECASE)]
        item.description = "\n".join(notes)
        out.append(item)
    return out


def _link_archive_arms(page: _Page, arms: list[Arm] | None) -> None:
    if not arms or not page.all("intervention"):
        return
    for arm in arms:
        arm.interventions = []
    by_label = {(a.label or "").lower(): a for a in arms}
    for found in page.all("intervention"):
        parts = page.items(found)
        if not parts:
            continue
        for part in parts[1:]:
            if match := re.match(r"^Arm Label\s*:\s*(.+)$", part, re.IGNORECASE):
                arm = by_label.get(match.group(1).strip().lower())
                if arm is not None and parts[0] not in arm.interventions:
                    arm.interventions.append(parts[0])


def _sponsors(page: _Page) -> tuple[str | None, list[str] | None]:
    collaborators = _items(page, "collaborators")
    sponsor = page.value("sponsor")
    section = next(
        (i for i, c in enumerate(page.firsts) if re.fullmatch(r"Sponsors and Collaborators:?", c, re.I)), None
    )
    if section is not None:
        names = [_strip_row(x) for x in page.following(section, stop_at_blank=False)]
        names = [n for n in names if not re.match(r"^Investigators?\b", n, re.IGNORECASE)]
        if names and not sponsor:
            sponsor = names[0]
        if not collaborators:
            collaborators = unique(n for n in names if n != sponsor)
    if not sponsor:
        for key in ("responsible_party", "provided_by"):
            organization = _organization_of(page.value(key) or "")
            if organization:
                sponsor = organization
                break
    return sponsor, collaborators


def _organization_of(party: str) -> str:
    """The organization in a responsible-party string ("Name, Title, Organization"), or ""."""
    parts = [p.strip() for p in party.split(",") if p.strip()]
    if not parts or parts[0].lower() == "sponsor":
        return ""
    if len(parts) == 1:
        return parts[0]
    for i in range(1, len(parts)):
        if _ORG_WORDS.search(parts[i]):
            return ", ".join(parts[i:])
    if len(parts) >= 3:
        return ", ".join(parts[2:])
    return "" if _DEGREE.match(parts[1]) else parts[1]


_CONTACT_LINE = re.compile(r"^Contact\s*:\s*", re.IGNORECASE)
_NO_LOCATIONS = re.compile(r"^No Contacts or Locations Provided", re.IGNORECASE)
_SITE_STATUS = re.compile(
    r"^(?:Recruiting|Not yet recruiting|Active,? not recruiting|Completed|Withdrawn|Terminated|Suspended"
    r"|Enrolling by invitation|Available|No longer available|Temporarily not available|Approved for marketing"
    r"|Unknown(?: status)?)$",
    re.IGNORECASE,
)
_NO_RESULTS = re.compile(r"^[-*•]?\s*No Results Posted\b", re.IGNORECASE)


def _locations(page: _Page) -> tuple[list[SiteRecord] | None, list[Contact] | None]:
    """The sites and the trial-level contacts (central contacts and investigators).

    "Contact:" lines before the first location are the study's central contacts;
    after a location, that site's. A "Principal Investigator: Name" line inside the
    location list is the site's; one with a separate affiliation cell (the
    Investigators table) is the study's. Both lists are None when the page has no
    contacts-and-locations section at all.
    """
    start = next((i for i, c in enumerate(page.firsts) if _LOCATION_START.match(c)), None)
    site_investigators: set[int] = set()
    central: list[Contact] = []
    sites: list[SiteRecord] | None = None
    if start is not None:
        entries: list[str] = []
        notes: list[_html.SiteNote] = []
        for j in range(start + 1, len(page.lines)):
            line = page.firsts[j]
            found = page.matches[j]
            if found is not None and found.key in _LOCATION_END:
                break
            if not line:
                continue
            if found is not None:
                if found.key == "investigator" and entries and len(found.values) == 1:
                    site_investigators.add(j)
                    notes[-1].add_contact(Contact(role=contact_role(found.label, "investigator"), name=found.values[0]))
                continue
            if _CONTACT_LINE.match(line):
                contact = _html.read_contact(_CONTACT_LINE.sub("", page.lines[j], count=1), "central")
                if entries:
                    contact.role = "site"
                    notes[-1].add_contact(contact)
                else:
                    central.append(contact)
                continue
            if _SITE_SKIP.match(line) or _NO_LOCATIONS.match(line):
                continue
            if "@" in line or re.fullmatch(r"[\d\s()+\-.ext/,]+", line):
                continue
            if _STOP.match(line):
                break
            cells = _html.cells(page.lines[j])
            status = next((c for c in cells[1:] if _SITE_STATUS.match(c)), None)
            entries.append(line)
            notes.append(_html.SiteNote(status=status))
        sites = _html.read_sites(entries, notes=notes)
    elif any(_NO_LOCATIONS.match(c) for c in page.firsts):
        sites = []
    officials = [
        Contact(
            role=contact_role(f.label, "investigator"),
            name=(f.values[0] if f.values else page.value_of(f)) or None,
            affiliation=f.values[1] if len(f.values) > 1 else None,
        )
        for f in page.all("investigator")
        if f.index not in site_investigators
    ]
    if sites is None and not central and not officials:
        return None, None
    return sites, [*central, *officials]


def _references(page: _Page) -> list[Reference] | None:
    """Citations under the page's "Publications" headings, with any PMID they state."""
    found = False
    references: list[Reference] = []
    for i, line in enumerate(page.firsts):
        kind = _publication_kind(line)
        if kind is None:
            continue
        found = True
        for text in page.following(i, stop_at_blank=False):
            citation = _strip_row(text)
            if _publication_kind(citation) is not None or re.match(r"^(?:Responsible Party|Layout table)", citation):
                break
            pmid = re.search(r"\b(?:PMID|PubMed(?:\s+ID)?)\s*:?\s*(\d{1,9})\b", citation)
            references.append(Reference(pmid=pmid.group(1) if pmid else None, type=kind, citation=citation))
    return references if found else None


def _publication_kind(line: str) -> str | None:
    """The reference type a "Publications..." heading announces (API v2 words), or None."""
    if re.match(r"^Publications of Results\s*:?$", line, re.IGNORECASE):
        return "RESULT"
    if re.match(r"^Publications automatically indexed to this study\b", line, re.IGNORECASE):
        return "DERIVED"
    if re.match(r"^Publications\s*:?$", line, re.IGNORECASE):
        return "BACKGROUND"
    return None


def _says_no_results(page: _Page) -> bool:
    return any(_NO_RESULTS.match(line) for line in page.lines)
