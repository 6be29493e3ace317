"""Quality reports for the normalizers, run over real registry data.

`antigen_coverage()` says how many trials get a target and lists the CAR trials
that do not, so a person can read them; `peer_benchmark()` compares the
targets with a peer project's hand-curated labels; `classification_distributions()`
counts modalities, cell sources, trial types and scope. All are plain functions
returning small dataclasses whose `format()` / `str()` is a readable report.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.normalize import normalize
from ingest.normalize.antigens import Vocabulary, default_vocabulary, find_antigens
from ingest.normalize.products import find_products, products_named
from ingest.records import Arm, Intervention, TrialRecord

__all__ = [
    "BenchmarkResult",
    "CoverageReport",
    "DistributionReport",
    "classification_distributions",
    "antigen_coverage",
    "load_ctgov_v2_studies",
    "mentions_car",
    "names_car_product",
    "peer_benchmark",
    "unrecognised_targets",
]

_CAR = re.compile(
    r"(?<![a-z0-9])(?:u?car[\s\-]?(?:t|nk|m|γδ|gd)?(?![a-z])|u?cart|cars(?![a-z])|chimeric\s+antigen|"
    r"chimeric\s+(?:t[\s\-]cell\s+)?receptor|\w*cabtagene|\w+-cel(?![a-z]))",
    re.IGNORECASE,
)
# A named product: an INN ("…cabtagene autoleucel", "xxx-cel") anywhere, or a code
# such as "CT041", "JNJ-68284528", "AUTO1" as an intervention name.
_INN = re.compile(r"\w*cabtagene|\b[a-z]{3,6}-cel\b", re.IGNORECASE)
_PRODUCT_CODE = re.compile(r"\b[A-Z][A-Za-z]{0,5}-?[0-9]{2,}[A-Za-z0-9.\-]*\b")


# "anti-XYZ CAR", "XYZ-targeted", "CAR-T targeting XYZ": a phrase that states a
# target; used to flag misses whose target is stated but not recognised.
_STATED = re.compile(
    r"(?:\banti-?\s?(?!gen|bod)(?P<a>[A-Za-z0-9αβγκ][\w.\-αβγκ]{1,14})\s*(?:CAR|chimeric|CART)"
    r"|\b(?P<b>[A-Za-z0-9αβγκ][\w.\-αβγκ]{1,14})[\s\-](?:targeted|targeting|directed|specific|redirected)\s+"
    r"(?:CAR|chimeric|CART|T[\s\-]cells?|NK)"
    r"|(?:CAR|CAR-?T|CAR-?NK|chimeric antigen receptor)s?[\s\-]*(?:T[\s\-]?cells?\s+)?(?:targeting|against|directed (?:to|against)|"
    r"specific (?:to|for))\s+(?:the\s+)?(?P<c>[A-Za-z0-9αβγκ][\w.\-αβγκ]{1,14}))",
    re.IGNORECASE,
)
_NOT_A_TARGET = re.compile(
    r"^(?:the|a|an|and|or|of|multi-antigen|car|cars|car-t|cart|cells?|tumou?rs?|cancers?|solid|b|t|b-cell|t-cell|antigens?|multiple|myeloma|mm|"
    r"leuka?emia|lymphoma|sarcomas?|malignan\w*|disease\w*|autoimmune|hematologic\w*|haematologic\w*|"
    r"tumou?r-\w+|cancer-\w+|\w+-specific|specific|novel|universal|autologous|allogeneic|dual|multi|single|"
    r"these|their|this|its|sle|aml|all|nhl|mrd|glioblastoma|gbm|neuroblastoma|leukemic|lymphoid|myeloid|"
    r"surface|target\w*|marker\w*|patients?|human|cd19-?negative|antigen-\w+|receptors?)$",
    re.IGNORECASE,
)


def unrecognised_targets(record: TrialRecord, vocabulary: Vocabulary | None = None) -> list[str]:
    """Words that a targeting phrase names as the target but the vocabulary does not know.

    A reading aid for the misses list: "anti-EX02 CAR" gives ["EX02"].
    """
    vocabulary = vocabulary or default_vocabulary()
    found: list[str] = []
    for m in _STATED.finditer(_record_text(record)):
        word = (m.group("a") or m.group("b") or m.group("c") or "").strip(".-")
        if (
            word
            and not _NOT_A_TARGET.match(word)
            and not vocabulary.lookup(word)
            and not re.fullmatch(r"(?i)cd\s?-?\d+\w?", word)
            and word not in found
        ):
            found.append(word)
    return found


def mentions_car(text: str) -> bool:
    """True when the text is about a CAR (CAR-T, CAR-NK, chimeric antigen receptor, a -cabtagene)."""
    return bool(_CAR.search(text))


def names_car_product(record: TrialRecord) -> bool:
    """True when the record names a specific CAR product: an INN or a code-named intervention."""
    text = _record_text(record)
    if not mentions_car(text):
        return False
    return bool(_INN.search(text)) or any(_PRODUCT_CODE.search(i.name or "") for i in record.interventions or [])


def _record_text(record: TrialRecord) -> str:
    record = record.filled()
    parts = [
        record.title,
        record.official_title,
        record.acronym,
        record.brief_summary,
        record.detailed_description,
        record.objectives,
        *record.keywords,
    ]
    for intervention in record.interventions:
        parts += [intervention.name, intervention.description, *intervention.other_names]
    for arm in record.arms:
        parts += [arm.label, arm.description]
    return "\n".join(p for p in parts if p)


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _study_record(study: dict[str, Any]) -> TrialRecord:
    ps = study.get("protocolSection") or {}
    ident = ps.get("identificationModule") or {}
    desc = ps.get("descriptionModule") or {}
    arms_mod = ps.get("armsInterventionsModule") or {}
    outcomes = ps.get("outcomesModule") or {}
    measures = [
        " ".join(x for x in (o.get("measure", ""), o.get("description", "")) if x)
        for key in ("primaryOutcomes", "secondaryOutcomes")
        for o in outcomes.get(key) or []
    ]
    interventions = [
        Intervention(
            name=i.get("name", ""),
            type=i.get("type", ""),
            description=i.get("description", ""),
            other_names=list(i.get("otherNames") or []),
        )
        for i in arms_mod.get("interventions") or []
    ]
    arms = [
        Arm(
            label=a.get("label", ""),
            type=a.get("type", ""),
            description=a.get("description", ""),
            interventions=list(a.get("interventionNames") or []),
        )
        for a in arms_mod.get("armGroups") or []
    ]
    return TrialRecord(
        registry="ctgov",
        registry_id=ident.get("nctId", ""),
        source_format="ctgov-v2",
        title=ident.get("briefTitle", ""),
        official_title=ident.get("officialTitle", ""),
        acronym=ident.get("acronym", ""),
        brief_summary=desc.get("briefSummary", ""),
        detailed_description=desc.get("detailedDescription", ""),
        objectives="\n".join(m for m in measures if m),
        keywords=list(_get(ps, "conditionsModule", "keywords") or []),
        conditions=list(_get(ps, "conditionsModule", "conditions") or []),
        interventions=interventions,
        arms=arms,
        inclusion_criteria=_get(ps, "eligibilityModule", "eligibilityCriteria") or "",
    )


def load_ctgov_v2_studies(path: str | Path) -> list[TrialRecord]:
    """TrialRecords from a ClinicalTrials.gov API v2 page (`{"studies": [...]}`) or list of studies.

    A small loader for the bulk snapshot: it reads only the fields the antigen
    normalizer uses and tolerates missing modules.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    studies = data.get("studies", []) if isinstance(data, dict) else data
    return [_study_record(s) for s in studies if _get(s, "protocolSection", "identificationModule", "nctId")]


@dataclass
class Miss:
    """A CAR trial for which no target was found."""

    registry_id: str
    title: str
    interventions: list[str]
    named_product: bool
    unrecognised: list[str] = field(default_factory=list)  # targets stated in words we do not know
    unsourced_product: str = ""  # a dictionary product it names whose targets have no source


@dataclass
class CoverageReport:
    """How many trials get a target antigen, per antigen, and the CAR trials missed."""

    total: int
    with_target: int
    car_trials: int
    car_product_trials: int
    misses: list[Miss] = field(default_factory=list)
    per_antigen: Counter = field(default_factory=Counter)
    multi_target: int = 0

    @property
    def without_target(self) -> int:
        return self.total - self.with_target

    @property
    def miss_share(self) -> float:
        """Share of CAR trials with no target found."""
        return len(self.misses) / self.car_trials if self.car_trials else 0.0

    @property
    def product_misses(self) -> list[Miss]:
        return [m for m in self.misses if m.named_product]

    @property
    def product_miss_share(self) -> float:
        """Share of trials naming a CAR product whose target was not found."""
        return len(self.product_misses) / self.car_product_trials if self.car_product_trials else 0.0

    @property
    def unsourced_product_misses(self) -> list[Miss]:
        """Misses naming a dictionary product whose targets have no source: no target may be asserted for them."""
        return [m for m in self.misses if m.unsourced_product]

    @property
    def sourced_product_miss_share(self) -> float:
        """Share of trials naming a CAR product with no target found, leaving out those whose only lead is an
        unsourced dictionary product."""
        missed = [m for m in self.product_misses if not m.unsourced_product]
        return len(missed) / self.car_product_trials if self.car_product_trials else 0.0

    @property
    def stated_misses(self) -> list[Miss]:
        """Misses whose text states a target in a targeting phrase that we did not recognise."""
        return [m for m in self.misses if m.unrecognised]

    @property
    def stated_miss_share(self) -> float:
        """Share of CAR trials whose stated target was not recognised."""
        return len(self.stated_misses) / self.car_trials if self.car_trials else 0.0

    @property
    def multi_target_share(self) -> float:
        return self.multi_target / self.with_target if self.with_target else 0.0

    def format(self, *, misses: int | None = 50, antigens: int | None = 40) -> str:
        """A readable multi-line report; `misses`/`antigens` cap the lists (None: all)."""
        lines = [
            f"Trials: {self.total}; with a target: {self.with_target} "
            f"({self.with_target / self.total:.1%}); without: {self.without_target}"
            if self.total
            else "Trials: 0",
            f"CAR trials: {self.car_trials}; no target found: {len(self.misses)} ({self.miss_share:.2%})",
            f"Trials naming a CAR product: {self.car_product_trials}; no target found: "
            f"{len(self.product_misses)} ({self.product_miss_share:.2%}); of which naming a dictionary product "
            f"whose targets have no source: {len(self.unsourced_product_misses)}",
            f"Misses that state a target we do not recognise: {len(self.stated_misses)} "
            f"({self.stated_miss_share:.2%} of CAR trials)",
            f"Multi-target trials: {self.multi_target} ({self.multi_target_share:.1%} of those with a target)",
            "",
            "Per antigen:",
        ]
        for name, count in self.per_antigen.most_common(antigens):
            lines.append(f"  {count:5d}  {name}")
        lines += ["", "CAR trials with no target found (* names a product):"]
        shown = self.misses if misses is None else self.misses[:misses]
        for miss in shown:
            flag = "*" if miss.named_product else " "
            stated = f"  [stated: {', '.join(miss.unrecognised)}]" if miss.unrecognised else ""
            lines.append(f" {flag}{miss.registry_id}  {miss.title}  || {'; '.join(miss.interventions)}{stated}")
        if len(shown) < len(self.misses):
            lines.append(f"  ... and {len(self.misses) - len(shown)} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def antigen_coverage(records: Iterable[TrialRecord], *, vocabulary: Vocabulary | None = None) -> CoverageReport:
    """Run `find_antigens` over `records` and summarise what it finds and misses."""
    vocabulary = vocabulary or default_vocabulary()
    report = CoverageReport(total=0, with_target=0, car_trials=0, car_product_trials=0)
    for record in records:
        report.total += 1
        found = find_antigens(record, vocabulary=vocabulary)
        is_car = mentions_car(_record_text(record))
        named = is_car and names_car_product(record)
        report.car_trials += is_car
        report.car_product_trials += named
        if found:
            report.with_target += 1
            report.per_antigen.update(found)
            report.multi_target += len(found) > 1
        elif is_car:
            unsourced = next(
                (spec.name for spec in products_named(find_products(record)) if not spec.fact("targets")), ""
            )
            report.misses.append(
                Miss(
                    record.registry_id,
                    record.title,
                    [i.name for i in record.interventions or [] if i.name],
                    named,
                    unrecognised_targets(record, vocabulary),
                    unsourced,
                )
            )
    return report


@dataclass
class BenchmarkResult:
    """Agreement with the peer benchmark's target labels."""

    matched: int
    total: int
    mismatches: list[tuple[str, str, list[str]]]  # (id, label, our antigens)
    skipped: list[str] = field(default_factory=list)
    exact: int = 0  # matched with no extra target at all

    def __iter__(self):
        return iter((self.matched, self.total, self.mismatches))

    def format(self) -> str:
        lines = [
            f"Peer benchmark: {self.matched}/{self.total} target labels matched "
            f"({self.exact} with exactly the labelled targets)"
        ]
        lines += [f"  {rid}: label {label!r}, found {found}" for rid, label, found in self.mismatches]
        if self.skipped:
            lines.append(f"  skipped (not in records): {', '.join(self.skipped)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _label_antigens(label: str, vocabulary: Vocabulary) -> list[str]:
    label = re.sub(r"^[^:]*:\s*", "", label)  # "CAR-NK: CD19"
    label = re.sub(r"\b(dual|bispecific|tandem)\b", "", label, flags=re.IGNORECASE)
    names = []
    for part in re.split(r"[/+,]| and ", label):
        part = part.strip()
        if not part:
            continue
        if re.fullmatch(r"\d+", part) and names and names[-1].startswith("CD"):
            part = "CD" + part
        names.append(vocabulary.canonical(part) or part)
    return names


def peer_benchmark(
    records: Iterable[TrialRecord], csv_path: str | Path, *, vocabulary: Vocabulary | None = None
) -> BenchmarkResult:
    """Compare our targets with the peer benchmark's `TargetCategory` labels.

    A trial matches when every labelled target is found and our first (title-most)
    target is one of them; the peer files EGFRvIII under EGFR, so EGFRvIII counts
    as EGFR here. Extra targets from a second construct in the same trial
    (e.g. a B7-H3 trial whose arm B adds CD19) do not make a mismatch.
    Returns (matched, total, mismatches) — also unpackable as a tuple.
    """
    vocabulary = vocabulary or default_vocabulary()
    by_id = {r.registry_id: r for r in records}
    lines = [
        line
        for line in Path(csv_path).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    matched = total = exact = 0
    mismatches: list[tuple[str, str, list[str]]] = []
    skipped: list[str] = []
    for row in csv.DictReader(lines):
        rid, label = (row.get("NCTId") or "").strip(), (row.get("TargetCategory") or "").strip()
        if not rid or not label:
            continue
        record = by_id.get(rid)
        if record is None:
            skipped.append(rid)
            continue
        total += 1
        found = find_antigens(record, vocabulary=vocabulary)
        comparable = ["EGFR" if name == "EGFRvIII" else name for name in found]
        wanted = {"EGFR" if name == "EGFRvIII" else name for name in _label_antigens(label, vocabulary)}
        if comparable and wanted <= set(comparable) and comparable[0] in wanted:
            matched += 1
            exact += wanted == set(comparable)
        else:
            mismatches.append((rid, label, found))
    return BenchmarkResult(matched, total, mismatches, skipped, exact)


@dataclass
class DistributionReport:
    """How the classifications of `normalize()` are distributed over a set of records."""

    total: int = 0
    modality_sets: Counter = field(default_factory=Counter)  # "car_t+car_nk" -> trials; "" for none
    modalities: Counter = field(default_factory=Counter)  # each modality -> trials carrying it
    cell_sources: Counter = field(default_factory=Counter)
    trial_types: Counter = field(default_factory=Counter)
    scope: Counter = field(default_factory=Counter)  # "in" / "out"
    in_scope_cell_sources: Counter = field(default_factory=Counter)
    review: Counter = field(default_factory=Counter)  # review reason -> trials
    with_products: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of every count."""
        return {
            "total": self.total,
            "modality_sets": dict(self.modality_sets.most_common()),
            "modalities": dict(self.modalities.most_common()),
            "cell_sources": dict(self.cell_sources.most_common()),
            "in_scope_cell_sources": dict(self.in_scope_cell_sources.most_common()),
            "trial_types": dict(self.trial_types.most_common()),
            "scope": dict(self.scope.most_common()),
            "trials_naming_a_product": self.with_products,
            "review": dict(self.review.most_common()),
        }

    def format(self) -> str:
        def block(title: str, counter: Counter, limit: int | None = None) -> list[str]:
            lines = [f"{title}:"]
            for key, count in counter.most_common(limit):
                share = count / self.total if self.total else 0.0
                lines.append(f"  {count:5d}  {share:6.1%}  {key or '(none)'}")
            return lines

        lines = [f"Classified trials: {self.total}; naming a dictionary product: {self.with_products}", ""]
        lines += block("Scope", self.scope) + [""]
        lines += block("Modality sets", self.modality_sets) + [""]
        lines += block("Modalities (a trial may carry several)", self.modalities) + [""]
        lines += block("Cell source", self.cell_sources) + [""]
        lines += block("Cell source of in-scope trials", self.in_scope_cell_sources) + [""]
        lines += block("Trial type", self.trial_types) + [""]
        lines += block("Flagged for review", self.review, 15)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def classification_distributions(records: Iterable[TrialRecord]) -> DistributionReport:
    """Run `normalize()` over `records` and count its classifications."""
    report = DistributionReport()
    for record in records:
        trial = normalize(record)
        report.total += 1
        report.modality_sets["+".join(trial.modalities)] += 1
        report.modalities.update(trial.modalities)
        report.cell_sources[trial.cell_source] += 1
        report.trial_types[trial.trial_type] += 1
        report.scope["in" if trial.in_scope else "out"] += 1
        if trial.in_scope:
            report.in_scope_cell_sources[trial.cell_source] += 1
        report.with_products += bool(trial.products)
        report.review.update({reason.split(";")[0] for reason in trial.review})
    return report
