"""WHO ICTRP XML export: ``<trials><Trial>`` (the real export spells it ``<Triall>``).

Two layouts are read by the same code, since both are flat lists of named fields:
the XML web-service export (``<Triall><main><trial_id>...</main><criteria>...``)
and the search-portal export (``<Trials_downloaded_from_ICTRP><Trial><TrialID>...``).
Field names are matched case-insensitively on leaf elements.

Only ChiCTR and ClinicalTrials.gov trials are accepted (the catalogue's registries);
other registries' trials are refused per trial (see `IctrpXmlParser.problems`).
"""

from __future__ import annotations

import re

from lxml import etree

from ingest.parsers.base import Parser
from ingest.parsers.ctgov_v2 import outcome_text
from ingest.parsers.ctgov_xml import block_of, local, parse_xml, root_tag
from ingest.records import Arm, Intervention, ParseError, TrialRecord

ROOTS = ("trials", "trials_downloaded_from_ictrp")
TRIALS = ("trial", "triall")
_GROUP_ITEM = re.compile(r"^(?P<label>[^:：]{1,200})[:：](?P<value>.*)$", re.DOTALL)


class _Fields:
    """Leaf-element texts of one trial, by lower-cased tag name, in document order."""

    def __init__(self, trial: etree._Element) -> None:
        self.values: dict[str, list[str]] = {}
        for el in trial.iter():
            name = local(el).lower()
            if not name or any(isinstance(c.tag, str) for c in el):
                continue
            value = block_of(el)
            if value:
                self.values.setdefault(name, []).append(value)

    def one(self, *names: str) -> str:
        """The first non-empty value among `names` (in order of preference)."""
        for name in names:
            if self.values.get(name):
                return self.values[name][0]
        return ""

    def all(self, *names: str) -> list[str]:
        """Every non-empty value of every field in `names`."""
        return [value for name in names for value in self.values.get(name, [])]


def _split(text: str) -> list[str]:
    """ICTRP multi-value fields use ";" (and sometimes line breaks / <br>) between items."""
    items = re.split(r";|\n|<br\s*/?>", text, flags=re.IGNORECASE)
    return list(dict.fromkeys(item.strip() for item in items if item.strip()))


def _registry(trial_id: str, reg_name: str) -> str:
    if trial_id.upper().startswith("CHICTR"):
        return "chictr"
    if re.fullmatch(r"NCT\d{8}", trial_id):
        return "ctgov"
    source = f" (registry {reg_name})" if reg_name else ""
    raise ParseError(f"trial {trial_id[:40]}{source} is not from ChiCTR or ClinicalTrials.gov; not supported")


CTGOV_INTERVENTION_TYPES = (
    "behavioral", "biological", "combination product", "device", "diagnostic test",
    "dietary supplement", "drug", "genetic", "other", "procedure", "radiation",
)


def _groups(registry: str, target_size: str, interventions: str) -> tuple[str, list[Arm], list[Intervention]]:
    """Enrollment, arms and interventions from ICTRP's "target_size" and "i_freetext".

    ChiCTR states sizes and interventions per group as "group:value;group:value;",
    which become arms (with `sample_size`). ClinicalTrials.gov items read
    "Type: Name". A plain target size is the total enrollment. "N/A" is not an
    intervention.
    """
    arms: dict[str, Arm] = {}
    enrollment = ""
    for item in _split(target_size):
        match = _GROUP_ITEM.match(item)
        if registry == "chictr" and match:
            label = match.group("label").strip()
            arms.setdefault(label, Arm(label=label)).sample_size = match.group("value").strip()
        elif not enrollment:
            enrollment = item
    found: dict[str, Intervention] = {}
    for item in _split(interventions):
        match = _GROUP_ITEM.match(item)
        kind, name = "", item
        if match and registry == "chictr":
            label, name = match.group("label").strip(), match.group("value").strip()
            arm = arms.setdefault(label, Arm(label=label))
            if name and name.upper() != "N/A":
                arm.interventions.append(name)
        elif match and match.group("label").strip().lower() in CTGOV_INTERVENTION_TYPES:
            kind, name = match.group("label").strip(), match.group("value").strip()
        if name and name.upper() != "N/A" and name not in found:
            found[name] = Intervention(name=name, type=kind)
    return enrollment, list(arms.values()), list(found.values())


def _record(trial: etree._Element) -> TrialRecord:
    f = _Fields(trial)
    trial_id = " ".join(f.one("trial_id", "trialid").split())
    if not trial_id:
        raise ParseError("no <trial_id>")
    registry = _registry(trial_id, f.one("reg_name", "source_register"))
    enrollment, arms, interventions = _groups(registry, f.one("target_size"), f.one("i_freetext", "intervention"))
    ages_min, ages_max = f.one("agemin", "inclusion_agemin"), f.one("agemax", "inclusion_agemax")
    return TrialRecord(
        registry=registry,
        registry_id=trial_id,
        source_format="ictrp_xml",
        source_url=f.one("url", "web_address"),
        secondary_ids=list(dict.fromkeys(sid for sid in f.all("sec_id") if sid != trial_id))
        + [sid for sid in _split(f.one("secondary_id")) if sid != trial_id],
        title=f.one("public_title"),
        official_title=f.one("scientific_title"),
        acronym=f.one("acronym", "scientific_acronym"),
        objectives=outcome_text(
            [
                (item, "")
                for field in f.all("prim_outcome", "sec_outcome") or f.all("primary_outcome", "secondary_outcome")
                for item in _split(field)
            ]
        ),
        keywords=list(dict.fromkeys(f.all("hc_keyword", "i_keyword"))),
        status=f.one("recruitment_status"),
        phase=f.one("phase"),
        study_type=f.one("study_type"),
        min_age=ages_min,
        max_age=ages_max,
        sex=f.one("gender", "inclusion_gender"),
        enrollment=enrollment,
        enrollment_type=f.one("type_enrolment"),
        start_date=f.one("date_enrolment", "date_enrollement"),
        registration_date=f.one("date_registration", "date_registration3"),
        last_update_date=f.one("last_refreshed_on"),
        sponsor=f.one("primary_sponsor"),
        collaborators=list(dict.fromkeys(f.all("sponsor_name") + _split(f.one("secondary_sponsor")))),
        conditions=_split(f.one("hc_freetext", "condition")),
        interventions=interventions,
        arms=arms,
        countries=list(dict.fromkeys(f.all("country2") + _split(f.one("countries")))),
        inclusion_criteria=f.one("inclusion_criteria"),
        exclusion_criteria=f.one("exclusion_criteria"),
    )


class IctrpXmlParser(Parser):
    """WHO ICTRP XML export of ChiCTR and ClinicalTrials.gov trials.

    A file may hold many trials. `parse()` returns the readable ones and fills
    `self.problems` (reset on each call) with one line per trial left out, e.g.
    ``"trial #2 (ISRCTN123): trial ISRCTN123 (registry ISRCTN) is not from ChiCTR or
    ClinicalTrials.gov; not supported"``. ParseError when no trial is readable.
    """

    name = "ictrp_xml"
    version = "1"

    def __init__(self) -> None:
        self.problems: list[str] = []

    @classmethod
    def detect(cls, text: str) -> bool:
        """True when the root element is ``<trials>`` / ``<Trials_downloaded_from_ICTRP>``."""
        return root_tag(text).lower() in ROOTS

    def parse(self, text: str) -> list[TrialRecord]:
        """Every ChiCTR / ClinicalTrials.gov trial in the export."""
        self.problems = []
        root = parse_xml(text)
        if local(root).lower() not in ROOTS:
            raise ParseError(f"not a WHO ICTRP export: root element is <{local(root) or '?'}>")
        trials = [el for el in root if local(el).lower() in TRIALS]
        if not trials:
            raise ParseError("WHO ICTRP export holds no <Trial> element")
        records: list[TrialRecord] = []
        for number, trial in enumerate(trials, start=1):
            try:
                records.append(_record(trial))
            except ParseError as exc:
                trial_id = " ".join(_Fields(trial).one("trial_id", "trialid").split())[:40] or "no id"
                self.problems.append(f"trial #{number} ({trial_id}): {exc}")
        if not records:
            if len(trials) == 1:
                raise ParseError(self.problems[0].split(": ", 1)[1])
            raise ParseError(f"no readable trial among {len(trials)}: " + "; ".join(self.problems[:3]))
        return records
