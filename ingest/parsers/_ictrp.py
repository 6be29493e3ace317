"""What the WHO ICTRP exports (XML and CSV) have in common: one trial is a set of
named fields, the same fields under slightly different spellings.

`Fields` holds one trial's raw values by a folded field name (case, spaces,
underscores and punctuation ignored: ``Date_enrollement``, ``Date enrollement``
and ``date enrollement`` are one field). `build_record` turns them into a
`TrialRecord`, so an XML and a CSV export of the same trials give the same
records (apart from `source_format`). `read_trials` runs it over every trial of
an export, one problem line per trial left out.

Absent vs empty: a field the export does not carry (an XML element left out, a
CSV column missing from the header) is absent (None); a field carried blank is
empty ("" / []).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from catalogue.registries import (
    ID_IN_TEXT,
    Registry,
    canonical_id,
    registry_for_ictrp_name,
    registry_for_id,
    safe_url,
)  # fmt: skip
from ingest.parsers._criteria import split_criteria
from ingest.parsers._values import dedent, outcome_text, unique
from ingest.parsers.base import Problems
from ingest.records import Arm, Contact, Intervention, ParseError, TrialRecord


def fold(name: str) -> str:
    """A field name folded for matching: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


@dataclass
class Fields:
    """One trial's raw values by folded field name, in document order. A name
    present with [""] is carried blank; a name not present is absent."""

    values: dict[str, list[str]] = field(default_factory=dict)
    contacts: list[Contact] | None = None  # the nested <contacts> of the <Triall> form
    ethics: list[dict[str, str]] | None = None  # the nested <ethics_reviews> of the <Triall> form

    def add(self, name: str, raw: str) -> None:
        self.values.setdefault(fold(name), []).append(raw)

    def has(self, *names: str) -> bool:
        return any(name in self.values for name in names)

    def raws(self, *names: str) -> list[str] | None:
        """Every raw value of `names` (in that order); None when none is carried."""
        if not self.has(*names):
            return None
        return [raw for name in names for raw in self.values.get(name, [])]

    def line(self, *names: str) -> str | None:
        """The first non-blank value among `names`, on one line; "" when carried blank."""
        raws = self.raws(*names)
        if raws is None:
            return None
        return next((value for value in map(line, raws) if value), "")

    def block(self, *names: str) -> str | None:
        """Like `line`, keeping line breaks (criteria, long text)."""
        raws = self.raws(*names)
        if raws is None:
            return None
        return next((value for value in map(block, raws) if value), "")

    def items(self, *names: str) -> list[str] | None:
        """The ";"- and line-separated items of every value of `names`, without duplicates."""
        raws = self.raws(*names)
        if raws is None:
            return None
        return unique(" ".join(item.split()) for raw in raws for item in re.split(r"[;\n]", unescape(raw)))

    def trial_id(self) -> str:
        return line(next(iter(self.raws("trialid") or []), ""))


_ESCAPED = re.compile(r"&lt;\s*br\s*/?\s*&gt;|&#x0*d;|&#0*13;", re.IGNORECASE)
_BR = re.compile(r"[\r\n]?<br\s*/?>", re.IGNORECASE)


def unescape(raw: str) -> str:
    """ICTRP's line breaks made plain: ``<br>`` (also left escaped as ``&lt;br&gt;``),
    a carriage return (also as ``&#x0D;``) or both in a row are one line break."""
    raw = _ESCAPED.sub(lambda m: "<br>" if "br" in m.group(0).lower() else "\r", raw)
    raw = _BR.sub("\n", raw.replace("\r\n", "\n"))
    return raw.replace("\r", "\n")


def line(raw: str) -> str:
    """A value on one line: layout whitespace (and ICTRP's padding) collapsed."""
    return " ".join(unescape(raw).split())


def block(raw: str) -> str:
    """A multi-line value: dedented, trailing spaces and runs of blank lines removed."""
    return dedent(unescape(raw))


# --- groups, arms and interventions ---------------------------------------------------------

_GROUP = re.compile(r"^(?P<label>[^:：]{1,200})[:：](?P<value>.*)$", re.DOTALL)
_NO_INTERVENTION = frozenset({"n/a", "na", "no", "none", "nil", "null", "-", "无"})
CTGOV_INTERVENTION_TYPES = frozenset({
    "behavioral", "biological", "combination product", "device", "diagnostic test",
    "dietary supplement", "drug", "genetic", "other", "procedure", "radiation",
})  # fmt: skip


def _parts(raw: str) -> list[str]:
    """The ";"-separated parts of a value, each kept as a block."""
    return [value for value in (block(part) for part in unescape(raw).split(";")) if value]


def _target(raw: str | None) -> tuple[str | None, list[tuple[str, str]]]:
    """(enrollment, groups) from ``Target_size``: "500" is a total; "group:49;group:49;"
    gives per-group sizes and no total."""
    if raw is None:
        return None, []
    items = _parts(raw)
    groups = [(m.group("label").strip(), " ".join(m.group("value").split())) for m in map(_GROUP.match, items) if m]
    if groups and len(groups) == len(items) and all(re.fullmatch(r"\d[\d,]*", size) for _, size in groups):
        return None, groups
    return line(raw), []


def _interventions(
    registry: str, raws: list[str] | None, groups: list[tuple[str, str]]
) -> tuple[list[Arm] | None, list[Intervention] | None]:
    arms: dict[str, Arm] = {}
    for label, size in groups:
        arms.setdefault(label.casefold(), Arm(label=label, sample_size=size))
    found: dict[str, Intervention] = {}
    # Only ClinicalTrials.gov ("Type: name;...") and ChiCTR ("group:name;...") rows are
    # ";"-lists; elsewhere a ";" is the registry's punctuation inside one text.
    split = registry in ("ctgov", "chictr")
    items = [part for raw in raws or [] for part in (_parts(raw) if split else [block(raw)])]
    for item in (item for item in items if item):
        match = _GROUP.match(item)
        kind, name = None, item
        if match and registry == "chictr":
            label, name = match.group("label").strip(), match.group("value").strip()
            arm = arms.setdefault(label.casefold(), Arm(label=label))
            arm.interventions = arm.interventions if arm.interventions is not None else []
            if name and name.casefold() not in _NO_INTERVENTION and name not in arm.interventions:
                arm.interventions.append(name)
        elif match and " ".join(match.group("label").split()).casefold() in CTGOV_INTERVENTION_TYPES:
            kind, name = " ".join(match.group("label").split()), match.group("value").strip()
        if name and name.casefold() not in _NO_INTERVENTION and name not in found:
            found[name] = Intervention(name=name, type=kind)
    return (list(arms.values()) if arms else None), (None if raws is None else list(found.values()))


# --- contacts ---------------------------------------------------------------------------------

_CONTACT_PREFIXES = (("contact", None), ("publiccontact", "public"), ("scientificcontact", "scientific"))
_CONTACT_PARTS = {
    "name": ("firstname", "middlename", "lastname", "name"),
    "address": ("address", "city", "zip", "country"),
    "email": ("email",),
    "phone": ("tel", "telephone", "phone"),
    "affiliation": ("affiliation",),
}


def _portal_contacts(f: Fields) -> list[Contact] | None:
    """Contacts from the flat ``Contact_*`` fields (also ``Public_contact_*``,
    ``Scientific_contact_*``). ICTRP writes several ClinicalTrials.gov contacts as
    parallel ";"-lists (names;names / email;email); a ChiCTR name may itself hold
    ";" ("Huang Luqi; Li Zhiqiang"), so the cells are split only when the names and
    the e-mail or telephone have the same number of parts. A cell without ";" is
    every contact's. Contacts with nothing in them, and repeats, are left out."""
    found: list[Contact] | None = None
    seen: set[tuple] = set()
    for prefix, role in _CONTACT_PREFIXES:
        columns = {
            part: [prefix + s for s in suffixes if prefix + s in f.values] for part, suffixes in _CONTACT_PARTS.items()
        }
        if not any(columns.values()):
            continue
        found = found if found is not None else []
        cells = {part: [unescape(f.values[n][0]).split(";") for n in names] for part, names in columns.items()}
        count = max((len(c) for c in cells["name"]), default=1)
        split = count > 1 and any(len(c) == count for part in ("email", "phone") for c in cells[part])
        if not split:
            cells = {part: [[";".join(c)] for c in pieces] for part, pieces in cells.items()}
            count = 1
        for index in range(count):
            values: dict[str, str | None] = {}
            for part, pieces in cells.items():
                if not columns[part]:
                    values[part] = None
                    continue
                texts = (" ".join(_nth(c, index, count).split()) for c in pieces)
                values[part] = (" " if part == "name" else ", ").join(t for t in texts if t)
            key = (role, *values.values())
            if any(values.values()) and key not in seen:
                seen.add(key)
                found.append(Contact(role=role, **values))
    return found


def _nth(parts: list[str], index: int, count: int) -> str:
    """Part `index` of a cell split on ";" into `count` contacts' values."""
    if len(parts) == 1:
        return parts[0]
    if index == count - 1 and len(parts) > count:
        return ";".join(parts[index:])
    return parts[index] if index < len(parts) else ""


# --- ethics -----------------------------------------------------------------------------------

_ETHICS = (
    ("Status", ("ethicsreviewstatus", "ethicsstatus", "status")),
    ("Approval date", ("ethicsreviewapprovaldate", "ethicsapprovaldate", "approvaldate")),
    ("Contact", ("ethicsreviewcontactname", "ethicscontactname", "contactname")),
    ("Address", ("ethicsreviewcontactaddress", "ethicscontactaddress", "contactaddress")),
    ("Phone", ("ethicsreviewcontactphone", "ethicscontactphone", "contactphone")),
    ("Email", ("ethicsreviewcontactemail", "ethicscontactemail", "contactemail")),
)


def _ethics(f: Fields) -> str | None:
    """Ethics review(s) as labelled lines, one paragraph per review."""
    reviews: list[dict[str, str]] = []
    if f.ethics is not None:
        reviews = f.ethics
    else:
        names = [name for _, names in _ETHICS for name in names[:2]]
        if not f.has(*names):
            return None
        reviews = [{name: f.values[name][0] for name in names if name in f.values}]
    paragraphs = []
    for review in reviews:
        lines = []
        for label, names in _ETHICS:
            value = next((v for v in (line(review.get(n, "")) for n in names) if v), "")
            if value:
                lines.append(f"{label}: {value}")
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


# --- the record -------------------------------------------------------------------------------


class Skipped(ValueError):
    """A trial left out of an export; the message says why, in a few words."""


def registry_of(trial_id: str, register: str | None) -> Registry:
    """The trial's registry: the one the ``Source Register`` names when the id fits it
    (ICTRP's "JPRN" covers jRCT and UMIN ids), else the one the id's form names,
    else the named one."""
    by_name = registry_for_ictrp_name(register) if register else None
    if by_name is not None and by_name.matches(trial_id):
        return by_name
    found = registry_for_id(trial_id) or by_name
    if found is None:
        raise Skipped(f"unknown registry (Source Register {register!r})" if register else "unknown registry")
    return found


def _secondary_ids(f: Fields, trial_id: str) -> list[str] | None:
    ids = f.items("secondaryid", "secondaryids", "secid")
    bridged = f.raws("bridging")
    if ids is None and bridged is None:
        return None
    ids = (ids or []) + [match for raw in bridged or [] for match in ID_IN_TEXT.findall(unescape(raw))]
    own = canonical_id(trial_id)
    return unique(i for i in ids if canonical_id(i) != own)


def _url(value: str | None, what: str, notes: list[str]) -> str | None:
    if not value:
        return value
    safe = safe_url(value)
    if not safe:
        notes.append(f"{what} left out: not an http(s) address")
        return None
    return safe


def _joined(values: list[str] | None) -> str | None:
    if values is None:
        return None
    return "; ".join(v for v in (line(raw) for raw in values) if v)


def build_record(f: Fields, source_format: str, notes: list[str]) -> TrialRecord:
    """One ICTRP trial as a TrialRecord. Raises `Skipped` when the trial has no id,
    no title or an unknown registry. `notes` gets one line per value left out."""
    trial_id = f.trial_id()
    if not trial_id:
        raise Skipped("no TrialID")
    registry = registry_of(trial_id, f.line("sourceregister", "regname"))
    title, official_title = f.line("publictitle"), f.line("scientifictitle")
    if not (title or official_title):
        raise Skipped("no title")
    target = f.raws("targetsize")
    enrollment, groups = _target(target[0] if target else None)
    arms, interventions = _interventions(registry.key, f.raws("intervention", "ifreetext"), groups)
    inclusion, exclusion = f.block("inclusioncriteria"), f.block("exclusioncriteria")
    if inclusion and not exclusion:
        # ClinicalTrials.gov rows carry the whole eligibility block in Inclusion_Criteria.
        split_in, split_out = split_criteria(inclusion)
        if split_out:
            inclusion, exclusion = split_in, split_out
    outcomes = f.raws("primaryoutcome", "primoutcome", "secondaryoutcome", "secoutcome")
    return TrialRecord(
        registry=registry.key,
        registry_id=canonical_id(trial_id),
        source_format=source_format,
        third_party=True,
        source_url=_url(f.line("webaddress", "url"), "web address", notes),
        secondary_ids=_secondary_ids(f, trial_id),
        title=title,
        official_title=official_title,
        acronym=f.line("acronym", "scientificacronym"),
        objectives=None if outcomes is None else outcome_text([(p, "") for raw in outcomes for p in _parts(raw)]),
        keywords=f.items("hckeyword", "ikeyword"),
        status=f.line("recruitmentstatus"),
        phase=f.line("phase"),
        study_type=f.line("studytype"),
        min_age=f.line("inclusionagemin", "agemin"),
        max_age=f.line("inclusionagemax", "agemax"),
        sex=f.line("inclusiongender", "gender"),
        enrollment=enrollment,
        enrollment_type=f.line("typeenrolment", "typeenrollment"),
        start_date=f.line("dateenrollement", "dateenrolment", "dateenrollment"),
        completion_date=f.line("resultsdatecompleted"),
        registration_date=f.line("dateregistration", "dateregistration3"),
        last_update_date=f.line("lastrefreshedon"),
        sponsor=f.line("primarysponsor"),
        collaborators=f.items("secondarysponsor", "sponsorname"),
        funding=_joined(f.raws("sourcesupport", "sourcename")),
        ethics=_ethics(f),
        conditions=f.items("condition", "hcfreetext"),
        interventions=interventions,
        arms=arms,
        countries=f.items("countries", "country2"),
        contacts=f.contacts if f.contacts is not None else _portal_contacts(f),
        inclusion_criteria=inclusion,
        exclusion_criteria=exclusion,
        has_results=f.line("resultsyesno"),
        results_date=f.line("resultsdateposted"),
        results_url=_url(f.line("resultsurllink"), "results url", notes),
    )


def read_trials(trials: Iterator[Fields], source_format: str, problems: Problems) -> list[TrialRecord]:
    """The records of an export's trials; one line in `problems` per trial left out
    (``trial #12 (XYZ123): skipped: unknown registry ...``) or read in part."""
    records: list[TrialRecord] = []
    count = 0
    for number, fields_ in enumerate(trials, start=1):
        count = number
        label = f"trial #{number} ({fields_.trial_id()[:40] or 'no id'})"
        notes: list[str] = []
        try:
            records.append(build_record(fields_, source_format, notes))
        except (Skipped, ParseError) as exc:
            problems.append(f"{label}: skipped: {exc}")
            continue
        problems.extend(f"{label}: {note}" for note in notes)
    if not records:
        if count == 0:
            raise ParseError("WHO ICTRP export holds no trial")
        skipped = [p.split(": skipped: ", 1)[-1] for p in problems]
        if count == 1:
            raise ParseError(f"the one trial was skipped: {skipped[0]}")
        raise ParseError(f"no readable trial among {count}: " + "; ".join(problems[:3]))
    return records
