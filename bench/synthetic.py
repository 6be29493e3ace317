"""Synthetic trials for benchmarks: `python manage.py seed_synthetic --trials N`.

Synthetic trials are ordinary ClinicalTrials.gov-like ("ctgov") and ChiCTR-like
("chictr") trials with ids in ranges no registry has handed out (`CTGOV_ID`,
`CHICTR_ID`) and `source_format` "synthetic", which is how `--clear` finds
exactly them. The product knows nothing of them.

Their distributions are data: `calibration.json` beside this module, loaded at
import. Its "measured" section is what `calibrate()` prints when run on the real
trials of a database (the 2,587 of the 2026-08-22 bulk snapshot); "assumptions"
are what the bulk file cannot tell, each with its source in "notes"; "text" is
the material titles, summaries and raw strings are made of.

Rows are written the way the importer writes them, through `catalogue.trials`:
the same denormalized facet arrays (`set_denormalized`'s sorted unique names),
the same `search_document()` (with the antigens' synonyms), `parsed` in
`snapshot()` form, and the same `search_vector()` expression, computed set-based
in SQL over the stored columns. No linking runs on them, and they have no
`TrialSource` rows.

Speed (100,000 trials in under two minutes on 2 cores): each batch is COPYed into
a temporary stage table and moved into catalogue_trial by one INSERT … SELECT
that computes the search vector, so every row is written once. (The first
version COPYed the rows and then ran one UPDATE … SET search_vector = … over all
of them; that rewrote every row, doubled the index maintenance and left 100,000
dead tuples: 21 s per 5,000 trials instead of 8 s.) For large loads the trial
table's secondary indexes are dropped and rebuilt from their own definitions in
the same transaction (`index_mode`). The next batch is generated in a thread
while PostgreSQL works on the current one.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from django.db import connection, models, transaction
from django.db.models import F, JSONField
from django.db.models.sql import Query

from catalogue import places
from catalogue.models import DoseLevel, Site, Trial
from catalogue.trials import SCALAR_FIELDS, SITE_KEYS, search_vector, set_denormalized, to_json
from catalogue.trials import site_row as site_model
from ingest.importer import Vocabularies
from ingest.normalize.sponsor import sponsor_type

SOURCE_FORMAT = "synthetic"
PARSER_VERSION = "synthetic-1"
SNAPSHOT_DATE = date(2026, 8, 22)  # the bulk snapshot's date: "today" for synthetic data

# Id ranges no registry has handed out yet (ClinicalTrials.gov is at NCT07…, ChiCTR ids
# start with the year), apart from the other benchmark ranges: bench_ingest's copies
# (NCT9…, ChiCTR9999…), the soak's ingest (NCT98…) and the tests' factory (NCT9…).
CTGOV_ID = "NCT8{:07d}"
CHICTR_ID = "ChiCTR98{:08d}"
ID_PATTERN = r"^(?:NCT8|ChiCTR98)(\d+)$"  # group 1: the index

# How calibrate() groups what it measures.
KEY_ANTIGEN_COUNT = 16  # diseases are drawn conditioned on the trial's most common antigen among the top 16
ANTIGEN_SET_MIN_COUNT = 2  # antigen combinations seen once are drawn from the marginal frequencies instead
AGE_PAIR_MIN_COUNT = 4  # (min, max) age pairs seen fewer times are drawn from the marginals instead


def registry_id(index: int, *, chictr_like: bool) -> str:
    return (CHICTR_ID if chictr_like else CTGOV_ID).format(index)


# --------------------------------------------------------------------------------------------
# The distributions: calibration.json
# --------------------------------------------------------------------------------------------

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
with CALIBRATION_FILE.open(encoding="utf-8") as _file:
    CALIBRATION: dict[str, Any] = json.load(_file)
_measured, _assumed, _text = CALIBRATION["measured"], CALIBRATION["assumptions"], CALIBRATION["text"]

CALIBRATION_TRIALS: int = _measured["CALIBRATION_TRIALS"]
ANTIGEN_SETS: list = _measured["ANTIGEN_SETS"]  # [names, weight]; [null, weight]: the rarer combinations
ANTIGEN_FREQUENCIES: list = _measured["ANTIGEN_FREQUENCIES"]
KEY_ANTIGENS: list[str] = _measured["KEY_ANTIGENS"]
CATEGORY_SETS_BY_KEY: dict = _measured["CATEGORY_SETS_BY_KEY"]
DISEASES_BY_KEY: dict = _measured["DISEASES_BY_KEY"]
DISEASES_BY_CATEGORY: dict = _measured["DISEASES_BY_CATEGORY"]
DISEASE_COUNTS: list = _measured["DISEASE_COUNTS"]
PHASES: list = _measured["PHASES"]
STATUSES: list = _measured["STATUSES"]
CELL_SOURCES: list = _measured["CELL_SOURCES"]
# (min, max) pairs as tuples: a drawn pair is compared with tuples.
AGE_PAIRS: list = [(None if pair is None else tuple(pair), n) for pair, n in _measured["AGE_PAIRS"]]
MIN_AGES: list = _measured["MIN_AGES"]
MAX_AGES: list = _measured["MAX_AGES"]
COUNTRY_COUNTS: list = _measured["COUNTRY_COUNTS"]
SINGLE_COUNTRIES: list = _measured["SINGLE_COUNTRIES"]
MULTI_COUNTRIES: list = _measured["MULTI_COUNTRIES"]
START_YEARS: list = _measured["START_YEARS"]
ENROLLMENT_QUANTILES: list = _measured["ENROLLMENT_QUANTILES"]
ENROLLMENT_MISSING: int = _measured["ENROLLMENT_MISSING"]
TITLE_LENGTH_QUANTILES: list = _measured["TITLE_LENGTH_QUANTILES"]
SUMMARY_LENGTH_QUANTILES: list = _measured["SUMMARY_LENGTH_QUANTILES"]
SUMMARY_MISSING: int = _measured["SUMMARY_MISSING"]
SPONSORS: list = _measured["SPONSORS"]
CONDITION_COUNTS: list = _measured["CONDITION_COUNTS"]
INTERVENTION_COUNTS: list = _measured["INTERVENTION_COUNTS"]
PER_KG_DOSE_IN_BULK: int = _measured["PER_KG_DOSE_IN_BULK"]
TAIL_SETS_MULTI: list = _measured["TAIL_SETS_MULTI"]  # [multi-target, single rare antigen] among the rarer sets
OTHER_INTERVENTIONS: list = _measured["OTHER_INTERVENTIONS"]

CHICTR_SHARE: float = _assumed["CHICTR_SHARE"]
PER_KG_DOSE_SHARE: float = _assumed["PER_KG_DOSE_SHARE"]
FLAT_DOSE_SHARE: float = _assumed["FLAT_DOSE_SHARE"]
DOSE_LEVEL_COUNTS: list = _assumed["DOSE_LEVEL_COUNTS"]
DOSE_LADDER: list[float] = _assumed["DOSE_LADDER"]
DOSE_START_WEIGHTS: list[int] = _assumed["DOSE_START_WEIGHTS"]
DOSE_RANGE_SHARE: float = _assumed["DOSE_RANGE_SHARE"]
SITE_COUNTS: list = _assumed["SITE_COUNTS"]
OBSERVATIONAL_SHARE_WITHOUT_PHASE: float = _assumed["OBSERVATIONAL_SHARE_WITHOUT_PHASE"]

DISEASE_ZH: dict[str, str] = _text["DISEASE_ZH"]
CATEGORY_ZH: dict[str, str] = _text["CATEGORY_ZH"]
CHINESE_SPONSORS: frozenset[str] = frozenset(_text["CHINESE_SPONSORS"])
CITIES: dict[str, list[str]] = _text["CITIES"]
INSTITUTION_KINDS: dict[str, list[str]] = _text["INSTITUTION_KINDS"]
CONDITION_PREFIXES: list[str] = _text["CONDITION_PREFIXES"]
RR: list[str] = _text["RR"]
PHASE_TITLE: dict[str, str] = _text["PHASE_TITLE"]
TITLE_TEMPLATES: list[str] = _text["TITLE_TEMPLATES"]
TITLE_SUFFIXES: list[str] = _text["TITLE_SUFFIXES"]
SUMMARY_OPENERS: list[str] = _text["SUMMARY_OPENERS"]
SUMMARY_SENTENCES: list[str] = _text["SUMMARY_SENTENCES"]
DESIGNS: list[str] = _text["DESIGNS"]
ZH_TITLE_TEMPLATES: list[str] = _text["ZH_TITLE_TEMPLATES"]
ZH_TITLE_NO_ANTIGEN: list[str] = _text["ZH_TITLE_NO_ANTIGEN"]
STATUS_RAW_CTGOV: dict[str, str] = _text["STATUS_RAW_CTGOV"]
STATUS_RAW_CHICTR: dict[str, str] = _text["STATUS_RAW_CHICTR"]
PHASE_RAW_CTGOV: dict[str, str] = _text["PHASE_RAW_CTGOV"]
PHASE_RAW_CHICTR: dict[str, str] = _text["PHASE_RAW_CHICTR"]


# --------------------------------------------------------------------------------------------
# Generation: one trial from (seed, index), pure
# --------------------------------------------------------------------------------------------


class Weighted:
    """A weighted choice that is fast to draw from many times."""

    __slots__ = ("values", "cumulative", "total")

    def __init__(self, items: Iterable[tuple[Any, float]]) -> None:
        items = [(v, w) for v, w in items if w > 0]
        self.values = [v for v, _ in items]
        self.cumulative = list(itertools.accumulate(w for _, w in items))
        self.total = self.cumulative[-1] if self.cumulative else 0

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]

    def share(self, predicate: Callable[[Any], bool]) -> float:
        previous, hit = 0.0, 0.0
        for value, cumulative in zip(self.values, self.cumulative):
            if predicate(value):
                hit += cumulative - previous
            previous = cumulative
        return hit / self.total


def _quantile_draw(quantiles: Sequence[float], u: float) -> float:
    """A value at uniform position `u` of a distribution given by its evenly spaced quantiles."""
    position = u * (len(quantiles) - 1)
    low = int(position)
    if low >= len(quantiles) - 1:
        return quantiles[-1]
    frac = position - low
    return quantiles[low] + (quantiles[low + 1] - quantiles[low]) * frac


_ANTIGEN_SETS = Weighted((tuple(s) if s is not None else None, n) for s, n in ANTIGEN_SETS)
_KEYS = set(KEY_ANTIGENS)
_ANTIGEN_RANK = {a: i for i, (a, _) in enumerate(ANTIGEN_FREQUENCIES)}
_RARE_ANTIGENS = Weighted((a, n) for a, n in ANTIGEN_FREQUENCIES if a not in _KEYS)
_ANY_ANTIGENS = Weighted(ANTIGEN_FREQUENCIES)
_CATEGORY_SETS = {k: Weighted((tuple(c), n) for c, n in v) for k, v in CATEGORY_SETS_BY_KEY.items()}
_DISEASE_COUNTS = Weighted(DISEASE_COUNTS)
_DISEASES_BY_CATEGORY = {k: Weighted(v) for k, v in DISEASES_BY_CATEGORY.items()}
_CATEGORY_OF = {d: c for c, items in DISEASES_BY_CATEGORY.items() for d, _ in items}
_DISEASES_BY_KEY_CATEGORY = {
    (key, category): Weighted((d, n) for d, n in items if _CATEGORY_OF.get(d) == category)
    for key, items in DISEASES_BY_KEY.items()
    for category in DISEASES_BY_CATEGORY
}
_PHASES = Weighted(PHASES)
_STATUSES = Weighted(STATUSES)
_CELL_SOURCES = Weighted(CELL_SOURCES)
_AGE_PAIRS = Weighted(AGE_PAIRS)
_MIN_AGES = Weighted(MIN_AGES)
_MAX_AGES = Weighted(MAX_AGES)
_COUNTRY_COUNTS = Weighted(COUNTRY_COUNTS)
_SINGLE_COUNTRIES = Weighted(SINGLE_COUNTRIES)
_MULTI_COUNTRIES = Weighted(MULTI_COUNTRIES)
_START_YEARS = Weighted(START_YEARS)
_SPONSORS_CHINA = Weighted((s, n) for s, n in SPONSORS if s in CHINESE_SPONSORS)
_SPONSORS_OTHER = Weighted((s, n) for s, n in SPONSORS if s not in CHINESE_SPONSORS)
_SPONSOR_LISTED_SHARE = sum(n for _, n in SPONSORS) / CALIBRATION_TRIALS
_CONDITION_COUNTS = Weighted(CONDITION_COUNTS)
_INTERVENTION_COUNTS = Weighted(INTERVENTION_COUNTS)
_OTHER_INTERVENTIONS = Weighted(OTHER_INTERVENTIONS)
_DOSE_LEVEL_COUNTS = Weighted(DOSE_LEVEL_COUNTS)
_DOSE_START = Weighted(zip(range(len(DOSE_LADDER)), DOSE_START_WEIGHTS))
_SITE_COUNTS = Weighted(SITE_COUNTS)


def unstated_age_share() -> float:
    """The expected share of trials stating neither age limit."""
    pairs = _AGE_PAIRS.share(lambda p: p == (None, None))
    tail = _AGE_PAIRS.share(lambda p: p is None)
    return pairs + tail * _MIN_AGES.share(lambda a: a is None) * _MAX_AGES.share(lambda a: a is None)


@dataclass
class SyntheticTrial:
    """One generated trial: the values a `NormalizedTrial` would carry."""

    index: int
    registry_id: str
    chictr_like: bool
    title: str
    title_zh: str
    brief_summary: str
    status: str
    phase: str
    study_type: str
    min_age_years: Decimal | None
    max_age_years: Decimal | None
    sex: str
    enrollment: int | None
    enrollment_type: str
    start_date: date | None
    completion_date: date | None
    registration_date: date | None
    updated_at: datetime
    sponsor: str
    countries: list[str]
    cell_source: str
    conditions: list[str]
    interventions: list[str]
    antigens: list[str]  # canonical names
    diseases: list[tuple[str, str]]  # (canonical name, category)
    dose_levels: list[dict[str, Any]]  # DoseLevel fields: arm, low, high, unit, basis, raw
    sites: list[dict[str, Any]]  # catalogue.trials.SITE_KEYS
    raw: dict[str, Any]
    official_title: str = ""
    secondary_ids: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    modalities: list[str] = field(default_factory=lambda: ["car_t"])
    trial_type: str = "treatment"
    in_scope: bool = True
    product_names: list[str] = field(default_factory=list)
    inclusion_criteria: str = ""
    exclusion_criteria: str = ""
    source_url: str = ""
    healthy_volunteers: bool | None = None

    @property
    def sponsor_type(self) -> str | None:
        """As a record without the registry's sponsor class normalizes (by the name)."""
        return sponsor_type(self.sponsor)

    @property
    def registry(self) -> str:
        return "chictr" if self.chictr_like else "ctgov"

    @property
    def registry_updated(self) -> date:
        """The registry's own last-update date: the day of the trial's last change."""
        return self.updated_at.date()

    @property
    def has_results(self) -> bool | None:
        """ChiCTR says nothing about results; one completed ClinicalTrials.gov-like trial in four posts them."""
        if self.chictr_like:
            return None
        return self.status == "completed" and self.index % 4 == 0

    @property
    def results_date(self) -> date | None:
        return self.completion_date if self.has_results else None

    @property
    def results_url(self) -> str:
        return f"https://clinicaltrials.gov/study/{self.registry_id}?tab=results" if self.has_results else ""

    @property
    def dose_min_cells_per_kg(self) -> float | None:
        per_kg = [d["low"] for d in self.dose_levels if d["basis"] == "per_kg"]
        return min(per_kg) if per_kg else None

    @property
    def dose_max_cells_per_kg(self) -> float | None:
        per_kg = [d["high"] for d in self.dose_levels if d["basis"] == "per_kg"]
        return max(per_kg) if per_kg else None


def _antigens(rng: random.Random) -> list[str]:
    chosen = _ANTIGEN_SETS(rng)
    if chosen is not None:
        return list(chosen)
    multi, single = TAIL_SETS_MULTI
    if rng.random() * (multi + single) < single:
        return [_RARE_ANTIGENS(rng)]
    names = {_ANY_ANTIGENS(rng), _RARE_ANTIGENS(rng)}
    while rng.random() < 0.3:
        names.add(_RARE_ANTIGENS(rng))
    return sorted(names)


def _key(antigens: list[str]) -> str:
    if not antigens:
        return ""
    best = min(antigens, key=lambda a: _ANTIGEN_RANK.get(a, 10**6))
    return best if best in _KEYS else "*"


def _diseases(rng: random.Random, antigens: list[str]) -> list[tuple[str, str]]:
    key = _key(antigens)
    categories = _CATEGORY_SETS.get(key, _CATEGORY_SETS["*"])(rng)
    if not categories:
        return []
    wanted = max(len(categories), _DISEASE_COUNTS(rng))
    chosen: dict[str, str] = {}
    for attempt in range(wanted * 4):
        if len(chosen) >= wanted:
            break
        # One disease per category first, then more from any of the trial's categories.
        category = categories[attempt] if attempt < len(categories) else categories[rng.randrange(len(categories))]
        by_key = _DISEASES_BY_KEY_CATEGORY.get((key, category))
        draw = by_key if by_key and by_key.total and rng.random() < 0.7 else _DISEASES_BY_CATEGORY[category]
        chosen.setdefault(draw(rng), category)
    return sorted(chosen.items())


def _ages(rng: random.Random) -> tuple[Decimal | None, Decimal | None]:
    pair = _AGE_PAIRS(rng)
    if pair is None:
        for _ in range(20):
            pair = (_MIN_AGES(rng), _MAX_AGES(rng))
            if pair[0] is None or pair[1] is None or pair[0] <= pair[1]:
                break
        else:
            pair = (18.0, None)
    return tuple(None if a is None else Decimal(str(a)).quantize(Decimal("0.01")) for a in pair)  # type: ignore[return-value]


def _countries(rng: random.Random, chictr_like: bool) -> list[str]:
    if chictr_like:
        return ["China"]
    n = _COUNTRY_COUNTS(rng)
    if n == 0:
        return []
    if n == 1:
        return [_SINGLE_COUNTRIES(rng)]
    names: dict[str, None] = {}
    for _ in range(n * 5):
        if len(names) >= n:
            break
        names[_MULTI_COUNTRIES(rng)] = None
    return list(names)


def _sponsor(rng: random.Random, country: str) -> str:
    if rng.random() < _SPONSOR_LISTED_SHARE:
        return (_SPONSORS_CHINA if country == "China" else _SPONSORS_OTHER)(rng)
    return _institution(rng, country or "United States")


def _institution(rng: random.Random, country: str) -> str:
    city = rng.choice(CITIES.get(country) or [country])
    kinds = INSTITUTION_KINDS.get(country, INSTITUTION_KINDS["*"])
    return f"{city} {rng.choice(kinds)}"


# Sites are drawn from each country's 60 most populous gazetteer cities, weighted by
# population (CAR-T centres are in large cities), so `near=` has real places to find.
SITE_CITIES_PER_COUNTRY = 60
# A site's own status, given the trial's (ClinicalTrials.gov-like records only; ChiCTR states none).
_SITE_STATUS_MIX = {
    "recruiting": Weighted((("recruiting", 80), ("not_yet_recruiting", 12), ("completed", 4), ("withdrawn", 4))),
    "not_yet_recruiting": Weighted((("not_yet_recruiting", 95), ("withdrawn", 5))),
    "active_not_recruiting": Weighted((("active_not_recruiting", 90), ("completed", 10))),
}
_site_cities: dict[str, Weighted | None] = {}


def _city_draw(country: str) -> Weighted | None:
    if country not in _site_cities:
        found = places.cities(country, limit=SITE_CITIES_PER_COUNTRY)
        _site_cities[country] = Weighted((p, p.population) for p in found) if found else None
    return _site_cities[country]


def _site_status(rng: random.Random, trial_status: str, chictr_like: bool) -> str | None:
    if chictr_like:
        return None
    mix = _SITE_STATUS_MIX.get(trial_status)
    return mix(rng) if mix is not None else None  # a closed trial's sites: mostly no status of their own


def _sites(
    rng: random.Random, countries: list[str], *, status: str = "", chictr_like: bool = False
) -> list[dict[str, Any]]:
    if not countries:
        return []
    n = max(len(countries), _SITE_COUNTS(rng))
    sites = []
    for i in range(n):
        country = countries[i] if i < len(countries) else countries[0]
        draw = _city_draw(country)
        place = draw(rng) if draw is not None else None
        city = place.name if place is not None else rng.choice(CITIES.get(country) or [""])
        kinds = INSTITUTION_KINDS.get(country, INSTITUTION_KINDS["*"])
        sites.append({
            "institution": f"{city or country} {rng.choice(kinds)}", "institution_zh": "", "city": city, "city_zh": "",
            "state": place.state if place is not None else "", "state_zh": "", "country": country, "country_zh": "",
            "zip": "", "status": _site_status(rng, status, chictr_like),
            "latitude": place.latitude if place is not None else None,
            "longitude": place.longitude if place is not None else None,
            "geo_source": ("gazetteer" if chictr_like else "registry") if place is not None else "",
        })  # fmt: skip
    return sites


SITE_COLUMNS = ("trial_id", "position", *SITE_KEYS)


def site_row(pk: int, position: int, site: dict[str, Any]) -> list[Any]:
    """A synthetic site as a COPY row of `SITE_COLUMNS`, cut to the columns' sizes as the importer cuts them."""
    row = site_model(Trial(pk=pk), position, site)
    return [pk, position, *(getattr(row, key) for key in SITE_KEYS)]


def _format_cells(value: float) -> tuple[str, int]:
    exponent = len(str(int(value))) - 1
    mantissa = value / 10**exponent
    return (f"{mantissa:g}", exponent)


def _dose_levels(rng: random.Random, chictr_like: bool) -> list[dict[str, Any]]:
    u = rng.random()
    if u < PER_KG_DOSE_SHARE:
        basis = "per_kg"
    elif u < PER_KG_DOSE_SHARE + FLAT_DOSE_SHARE:
        basis = "flat"
    else:
        return []
    count = _DOSE_LEVEL_COUNTS(rng)
    start = _DOSE_START(rng)
    if basis == "flat":
        start = min(len(DOSE_LADDER) - 1, start + 2)  # flat doses are ~50-100× the per-kg ones
    levels = []
    for i in range(count):
        step = min(len(DOSE_LADDER) - 1, start + i)
        low = DOSE_LADDER[step] * (70 if basis == "flat" else 1)
        high = low
        if rng.random() < DOSE_RANGE_SHARE and step + 1 < len(DOSE_LADDER):
            high = DOSE_LADDER[step + 1] * (70 if basis == "flat" else 1)
        m_low, e_low = _format_cells(low)
        m_high, e_high = _format_cells(high)
        if basis == "per_kg":
            unit = "cells/kg"
            if high == low:
                raw = f"{m_low}E{e_low}/kgBW" if chictr_like else f"{m_low} × 10^{e_low} CAR-T cells/kg"
            else:
                raw = (
                    f"({m_low}-{m_high})×10^{e_low}/kg"
                    if e_low == e_high
                    else f"{m_low}×10^{e_low} to {m_high}×10^{e_high} cells/kg"
                )
        else:
            unit = "cells"
            raw = (
                f"{m_low} x 10^{e_low} CAR-T cells"
                if high == low
                else f"{m_low}×10^{e_low} to {m_high}×10^{e_high} CAR-T cells"
            )
        levels.append(
            {
                "arm": f"Dose level {i + 1}" if count > 1 else "",
                "low": float(low),
                "high": float(high),
                "unit": unit,
                "basis": basis,
                "raw": raw,
            }
        )
    return levels


def _product(rng: random.Random, antigens: list[str], cell_source: str) -> str:
    if not antigens:
        return rng.choice(["CAR-T Cells", "Chimeric Antigen Receptor T Cells", "CAR-T Cell Therapy", "CAR-NK Cells"])
    target = "/".join(antigens[:3])
    u = rng.random()
    if u < 0.12:
        letters = "".join(rng.choice("ABCDEFGHKLMPRSTXYZ") for _ in range(rng.choice((2, 3, 3, 4))))
        return f"{letters}-{rng.randrange(10, 999)}"
    if cell_source == "allogeneic" and u < 0.5:
        return f"Universal {target} CAR-T Cells"
    return rng.choice(
        [
            f"{target} CAR-T Cells",
            f"Anti-{target} CAR-T Cells",
            f"{target}-targeted CAR-T Cells",
            f"Autologous {target} CAR T Cells",
            f"{target} Chimeric Antigen Receptor T Cells",
        ]
    )


def _acronym(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHIKLMNOPRSTUVY") for _ in range(rng.choice((3, 4, 5)))) + rng.choice(
        ("", "", "-1", "-2", "01")
    )


def _title(rng: random.Random, target: int, fill: dict[str, str]) -> str:
    candidates = [t.format(**fill) for t in TITLE_TEMPLATES]
    rng.shuffle(candidates)
    title = min(candidates, key=lambda c: abs(len(c) - target))
    for suffix in TITLE_SUFFIXES:
        if len(title) + 10 > target:
            break
        suffix = suffix.format(**fill)
        if suffix.strip() not in title:
            title += suffix
    return title


def _summary(rng: random.Random, target: int, fill: dict[str, str]) -> str:
    sentences = [rng.choice(SUMMARY_OPENERS).format(**fill)]
    others = list(SUMMARY_SENTENCES)
    rng.shuffle(others)
    length = len(sentences[0])
    for sentence in others:
        if length >= target:
            break
        sentence = sentence.format(**fill)
        sentences.append(sentence)
        length += len(sentence) + 1
    text = " ".join(sentences)
    while len(text) < target - 40:  # the longest real summaries (a few thousand characters)
        text += "\n\n" + " ".join(s.format(**fill) for s in rng.sample(SUMMARY_SENTENCES, 4))
    return text


def _date_in_year(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def generate_trial(index: int, *, seed: int = 0) -> SyntheticTrial:
    """Trial number `index` of seed `seed`. Pure and deterministic: the same
    (seed, index) always gives the same trial, whatever else is generated."""
    rng = random.Random(f"{seed}:{index}")
    chictr_like = rng.random() < CHICTR_SHARE
    antigens = _antigens(rng)
    diseases = _diseases(rng, antigens)
    phase = _PHASES(rng)
    status = _STATUSES(rng)
    cell_source = _CELL_SOURCES(rng)
    min_age, max_age = _ages(rng)
    countries = _countries(rng, chictr_like)
    year = _START_YEARS(rng)
    start = _date_in_year(rng, year) if year else None
    enrollment = (
        None
        if rng.random() * CALIBRATION_TRIALS < ENROLLMENT_MISSING
        else int(_quantile_draw(ENROLLMENT_QUANTILES, rng.random()))
    )
    sponsor = _sponsor(rng, countries[0] if countries else "")
    study_type = "interventional"
    if phase == "not_applicable" and rng.random() < OBSERVATIONAL_SHARE_WITHOUT_PHASE:
        study_type = "observational"
    # The last change: between the start (or 2015) and the snapshot date.
    since = max(start or date(2015, 1, 1), date(2015, 1, 1))
    if since >= SNAPSHOT_DATE:
        since = SNAPSHOT_DATE - timedelta(days=365)
    updated = since + timedelta(days=rng.randrange((SNAPSHOT_DATE - since).days + 1))
    updated_at = datetime(updated.year, updated.month, updated.day, tzinfo=UTC) + timedelta(
        seconds=rng.randrange(86400)
    )

    disease_names = [name for name, _ in diseases]
    disease_text = " and ".join(disease_names[:2]) if disease_names else "Hematologic Malignancies"
    product = _product(rng, antigens, cell_source)
    rr = rng.choice(RR)
    fill = {
        "product": product,
        "antigen": antigens[0] if antigens else "CAR",
        "disease": disease_text,
        "disease_lower": disease_text.lower(),
        "rr": rr,
        "rr_lower": rr.lower(),
        "phase": PHASE_TITLE[phase],
        "acronym": _acronym(rng),
        "design": rng.choice(DESIGNS),
        "enrollment": str(enrollment or 20),
    }
    fill["article"] = "an" if fill["design"][0] in "aeiou" else "a"
    title = _title(rng, int(_quantile_draw(TITLE_LENGTH_QUANTILES, rng.random())), fill)
    title_zh = ""
    summary = ""
    if chictr_like:
        zh_disease = "血液系统恶性肿瘤"
        if diseases:
            zh_disease = DISEASE_ZH.get(diseases[0][0]) or CATEGORY_ZH[diseases[0][1]]
        if antigens:
            title_zh = rng.choice(ZH_TITLE_TEMPLATES).format(antigen="/".join(antigens[:2]), disease=zh_disease)
        else:
            title_zh = rng.choice(ZH_TITLE_NO_ANTIGEN).format(disease=zh_disease)
    elif rng.random() * CALIBRATION_TRIALS >= SUMMARY_MISSING:
        summary = _summary(rng, int(_quantile_draw(SUMMARY_LENGTH_QUANTILES, rng.random())), fill)

    n_conditions = _CONDITION_COUNTS(rng)
    conditions: list[str] = []
    for i in range(n_conditions):
        base = disease_names[i % len(disease_names)] if disease_names else "Hematologic Malignancy"
        condition = (rng.choice(CONDITION_PREFIXES) if i >= len(disease_names) or rng.random() < 0.3 else "") + base
        if condition not in conditions:
            conditions.append(condition)
    n_interventions = _INTERVENTION_COUNTS(rng)
    interventions: list[str] = [product] if n_interventions else []
    for _ in range(n_interventions * 3):
        if len(interventions) >= n_interventions:
            break
        other = _OTHER_INTERVENTIONS(rng)
        if other not in interventions:
            interventions.append(other)

    dose_levels = _dose_levels(rng, chictr_like)
    sites = _sites(rng, countries, status=status, chictr_like=chictr_like)
    completion = registration = None
    if chictr_like and start is not None:
        registration = start - timedelta(days=rng.randrange(0, 90))
        completion = start + timedelta(days=rng.randrange(365, 4 * 365))
    enrollment_type = ""
    if enrollment is not None:
        enrollment_type = "estimated" if status in ("recruiting", "not_yet_recruiting") else "actual"

    raw = _raw(
        chictr_like=chictr_like, status=status, phase=phase, min_age=min_age, max_age=max_age, sponsor=sponsor,
        countries=countries, conditions=conditions, interventions=interventions, start=start,
        enrollment=enrollment, enrollment_type=enrollment_type, study_type=study_type, completion=completion,
        registration=registration, doses=[d["raw"] for d in dose_levels],
    )  # fmt: skip
    return SyntheticTrial(
        index=index,
        registry_id=registry_id(index, chictr_like=chictr_like),
        chictr_like=chictr_like,
        title=title,
        title_zh=title_zh,
        brief_summary=summary,
        status=status,
        phase=phase,
        study_type=study_type,
        min_age_years=min_age,
        max_age_years=max_age,
        sex="all",
        enrollment=enrollment,
        enrollment_type=enrollment_type,
        start_date=start,
        completion_date=completion,
        registration_date=registration,
        updated_at=updated_at,
        sponsor=sponsor,
        countries=countries,
        cell_source=cell_source,
        conditions=conditions,
        interventions=interventions,
        antigens=antigens,
        diseases=diseases,
        dose_levels=dose_levels,
        sites=sites,
        raw=raw,
        healthy_volunteers=None if chictr_like else False,
    )


def _age_raw(value: Decimal | None, chictr_like: bool) -> str:
    if value is None:
        return ""
    if value < 1:
        return f"{int(value * 12)} {'months' if chictr_like else 'Months'}"
    return f"{value.normalize():f} {'years' if chictr_like else 'Years'}"


def _raw(
    *,
    chictr_like: bool,
    status: str,
    phase: str,
    min_age,
    max_age,
    sponsor: str,
    countries,
    conditions,
    interventions,
    start,
    enrollment,
    enrollment_type: str,
    study_type: str,
    completion,
    registration,
    doses,
) -> dict[str, Any]:
    """The registry's own strings, as the parsers record them."""

    def when(d: date | None) -> str:
        return "" if d is None else (f"{d.isoformat()} 00:00:00" if chictr_like else d.isoformat())

    return {
        "sex": "Both" if chictr_like else "",
        "doses": doses,
        "phase": (PHASE_RAW_CHICTR if chictr_like else PHASE_RAW_CTGOV)[phase],
        "status": (STATUS_RAW_CHICTR if chictr_like else STATUS_RAW_CTGOV)[status],
        "max_age": _age_raw(max_age, chictr_like),
        "min_age": _age_raw(min_age, chictr_like),
        "sponsor": sponsor,
        "age_text": "",
        "countries": ["中国 China"] if chictr_like else list(countries),
        "conditions": list(conditions),
        "enrollment": "" if enrollment is None else str(enrollment),
        "start_date": when(start),
        "study_type": ("Interventional study" if study_type == "interventional" else "Observational study")
        if chictr_like
        else "",
        "interventions": list(interventions),
        "completion_date": when(completion),
        "enrollment_type": enrollment_type.upper() if not chictr_like else "",
        "registration_date": when(registration),
    }


# --------------------------------------------------------------------------------------------
# Writing: COPY in batches; the search vector computed by one set-based statement per batch
# --------------------------------------------------------------------------------------------

STAGE_TABLE = "synthetic_trial_stage"
# Adding at least this many trials, and at least as many as the table holds, drops the
# trial table's secondary indexes for the load and rebuilds them at the end ("auto"):
# building a trigram GIN index once costs a fraction of growing it row by row.
REBUILD_MIN_TRIALS = 20_000
INDEX_MODES = ("auto", "rebuild", "keep")


@dataclass
class SeedResult:
    created: int
    deleted: int
    first_index: int
    seconds: float
    phases: dict[str, float]
    rebuilt_indexes: bool = False

    @property
    def trials_per_s(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0


def search_vector_sql(alias: str) -> tuple[str, list[Any]]:
    """`catalogue.trials.search_vector()` over the `title` and `search_document`
    columns of the row source `alias` (a table with the trial table's columns),
    compiled by Django: (sql, params)."""
    query = Query(Trial)
    expression = search_vector(F("title"), F("search_document")).resolve_expression(query)
    expression = expression.relabeled_clone({Trial._meta.db_table: alias})
    return query.get_compiler(connection=connection).compile(expression)


def clear_synthetic(*, vacuum: bool = True) -> int:
    """Delete every synthetic trial and what hangs off it; real trials are untouched.

    Set-based: one DELETE per dependent table (Django's collector would load
    every trial into memory first), then one for the trials. Then VACUUM (outside
    a transaction), so a following load reuses the space instead of doubling the table.
    """
    deleted = _delete_synthetic()
    if vacuum and deleted and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(_tables())}")
    return deleted


def _tables() -> list[str]:
    """The tables a synthetic load writes."""
    return [Trial._meta.db_table, Trial.antigens.through._meta.db_table, Trial.diseases.through._meta.db_table,
            DoseLevel._meta.db_table, Site._meta.db_table]  # fmt: skip


def _delete_synthetic() -> int:
    table = Trial._meta.db_table
    doomed = f"(SELECT id FROM {table} WHERE source_format = %s)"
    with transaction.atomic(), connection.cursor() as cursor:
        for relation in Trial._meta.related_objects:
            related, column = relation.related_model._meta.db_table, relation.field.column
            if relation.on_delete is models.CASCADE:
                cursor.execute(f"DELETE FROM {related} WHERE {column} IN {doomed}", [SOURCE_FORMAT])
            elif relation.on_delete is models.SET_NULL:
                cursor.execute(f"UPDATE {related} SET {column} = NULL WHERE {column} IN {doomed}", [SOURCE_FORMAT])
            # PROTECT / DO_NOTHING: the final DELETE lets the database refuse
        for m2m in Trial._meta.many_to_many:
            through = m2m.remote_field.through._meta
            column = through.get_field(m2m.m2m_field_name()).column
            cursor.execute(f"DELETE FROM {through.db_table} WHERE {column} IN {doomed}", [SOURCE_FORMAT])
        cursor.execute(f"DELETE FROM {table} WHERE source_format = %s", [SOURCE_FORMAT])
        return cursor.rowcount


def _next_index() -> int:
    """The first free synthetic index (after the highest one in the database)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT max(substring(registry_id FROM %s)::bigint) FROM {Trial._meta.db_table} WHERE source_format = %s",
            [ID_PATTERN, SOURCE_FORMAT],
        )
        (highest,) = cursor.fetchone()
    return (highest or 0) + 1


def trial_values(t: SyntheticTrial, vocab: Any, *, now: datetime) -> dict[str, Any]:
    """Every Trial column of a synthetic trial (by attname) except `id` and
    `search_vector`, filled as the importer fills them, plus the ids of its
    antigens and diseases under "_antigen_ids" / "_disease_ids"."""
    antigens = [vocab.antigen(name) for name in t.antigens]
    diseases = [vocab.disease(name, category) for name, category in t.diseases]
    values: dict[str, Any] = {f: getattr(t, f) for f in SCALAR_FIELDS}
    # The catalogue's own denormalization, on an unsaved Trial as the importer has it at that point
    # (its search_vector expression is computed set-based over the stored columns instead).
    unsaved = Trial(registry=t.registry, registry_id=t.registry_id, **values)
    set_denormalized(unsaved, antigens, diseases)
    values.update(
        registry=t.registry,
        registry_id=t.registry_id,
        registry_updated=t.registry_updated,
        updated_at=t.updated_at,
        created_at=now,
        ingested_at=now,
        source_format=SOURCE_FORMAT,
        parser_version=PARSER_VERSION,
        source_document_id=None,
        merged_into_id=None,
        raw=t.raw,
        curated_fields=[],
        curation_conflicts={},
        antigen_names=unsaved.antigen_names,
        disease_names=unsaved.disease_names,
        disease_categories=unsaved.disease_categories,
        search_document=unsaved.search_document,
    )
    # as importer.snapshot(): what the registry said, JSON-safe
    parsed = {f: to_json(values[f]) for f in SCALAR_FIELDS}
    parsed["antigens"] = list(t.antigens)
    parsed["diseases"] = [name for name, _ in t.diseases]
    parsed["dose_levels"] = [dict(d) for d in t.dose_levels]
    parsed["sites"] = [dict(s) for s in t.sites]
    parsed["references"] = []
    parsed["contacts"] = []
    parsed["source_format"] = SOURCE_FORMAT
    parsed["raw"] = t.raw
    values["parsed"] = parsed
    values["_antigen_ids"] = [a.pk for a in antigens]
    values["_disease_ids"] = [d.pk for d in diseases]
    return values


def _droppable_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes that back no constraint."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT i.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ORDER BY pg_relation_size(i.indexrelid) DESC, c.relname
            """,
            [table],
        )
        return cursor.fetchall()


def _warm_vocabulary(vocab: Any) -> None:
    """Load (or create) every term the generator can draw, before the load starts:
    the generating thread then never needs the database."""
    for names, _ in ANTIGEN_SETS:
        for name in names or ():
            vocab.antigen(name)
    for name, _ in ANTIGEN_FREQUENCIES:
        vocab.antigen(name)
    for category, items in DISEASES_BY_CATEGORY.items():
        for name, _ in items:
            vocab.disease(name, category)


@dataclass
class _Batch:
    trials: list[tuple]  # COPY rows for the stage table
    antigens: list[tuple]
    diseases: list[tuple]
    dose_levels: list[tuple]
    sites: list[tuple]


def _make_batch(pks: Sequence[int], indexes: Sequence[int], columns: list, *, seed: int, vocab: Any,
                now: datetime) -> _Batch:  # fmt: skip
    """Generate one batch as COPY rows. Pure Python, no database: runs in the generating thread."""
    is_json = [isinstance(f, JSONField) for f in columns]
    batch = _Batch([], [], [], [], [])
    for pk, index in zip(pks, indexes):
        t = generate_trial(index, seed=seed)
        values = trial_values(t, vocab, now=now)
        values["id"] = pk
        row = []
        for f, json_column in zip(columns, is_json):
            value = values[f.attname] if f.attname in values else f.get_default()
            # JSON as text: the COPY's text format hands it to jsonb's input function.
            row.append(json.dumps(value, ensure_ascii=False) if json_column else value)
        batch.trials.append(tuple(row))
        batch.antigens.extend((pk, a) for a in values["_antigen_ids"])
        batch.diseases.extend((pk, d) for d in values["_disease_ids"])
        batch.dose_levels.extend(
            (pk, i, d["arm"][:500], d["low"], d["high"], d["unit"], d["basis"], d["raw"])
            for i, d in enumerate(t.dose_levels)
        )
        batch.sites.extend(tuple(site_row(pk, i, s)) for i, s in enumerate(t.sites))
    return batch


def _generated_batches(pks: list[int], first: int, batch_size: int, columns: list, *, seed: int, vocab: Any,
                       now: datetime) -> Iterable[_Batch]:  # fmt: skip
    """The batches, generated one ahead in a thread while the caller writes the previous one."""
    work = [
        (pks[start : start + batch_size], range(first + start, first + min(start + batch_size, len(pks))))
        for start in range(0, len(pks), batch_size)
    ]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="synthetic") as pool:
        pending = None
        for batch_pks, indexes in work:
            future = pool.submit(_make_batch, batch_pks, indexes, columns, seed=seed, vocab=vocab, now=now)
            if pending is not None:
                yield pending.result()
            pending = future
        if pending is not None:
            yield pending.result()


def seed_synthetic(
    trials: int,
    *,
    seed: int = 0,
    clear: bool = False,
    batch_size: int = 5000,
    progress: Callable[[str], None] | None = None,
    vacuum: bool = True,
    index_mode: str = "auto",
) -> SeedResult:
    """Insert `trials` synthetic trials (numbered after the highest existing one, or
    from 1 with `clear`), then refresh the planner statistics.

    Each batch is COPYed into a temporary stage table and moved into the trial
    table by one INSERT … SELECT that computes `search_vector` with the catalogue's
    expression (set-based, and each row is written once); the M2M rows, dose
    levels and sites follow by COPY. The next batch is generated in a thread meanwhile.

    `index_mode`: "keep" maintains every index row by row (one transaction per
    batch); "rebuild" drops the trial table's secondary indexes and recreates them
    from their own definitions at the end, all in one transaction (the table is
    locked meanwhile; a failure rolls everything back, indexes included); "auto"
    rebuilds for large loads only (see REBUILD_MIN_TRIALS).
    """
    if index_mode not in INDEX_MODES:
        raise ValueError(f"index_mode must be one of {INDEX_MODES}")
    say = progress or (lambda message: None)
    phases: dict[str, float] = {}
    started = time.perf_counter()
    deleted = 0
    table = Trial._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    if clear:
        t0 = time.perf_counter()
        deleted = clear_synthetic()
        phases["clear"] = time.perf_counter() - t0
        say(f"deleted {deleted} synthetic trials")
    rebuild = index_mode == "rebuild"
    if index_mode == "auto" and trials >= REBUILD_MIN_TRIALS:
        rebuild = trials >= Trial.objects.count()
    first = _next_index()
    vocab = Vocabularies()  # inserts missing built-in terms; unknown ones are created as the importer does
    _warm_vocabulary(vocab)
    now = datetime.now(UTC)
    columns = [f for f in Trial._meta.concrete_fields if f.attname != "search_vector"]
    column_sql = ", ".join(quote(f.column) for f in columns)
    select_sql = ", ".join(f"s.{quote(f.column)}" for f in columns)
    vector_sql, vector_params = search_vector_sql("s")

    with transaction.atomic() if rebuild else contextlib.nullcontext(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
        # INCLUDING COMPRESSION: values are compressed once, in the stage table, and move into the
        # trial table as they are, so they must already use its columns' method (lz4, migration 0004).
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_TABLE} (LIKE {table} INCLUDING DEFAULTS INCLUDING COMPRESSION)")
        indexes: list[tuple[str, str]] = []
        if rebuild:
            indexes = _droppable_indexes(table)
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
            say(f"dropped {len(indexes)} indexes for the load")
        t0 = time.perf_counter()
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, trials])
        pks = [r[0] for r in cursor.fetchall()]
        created = 0
        for batch in _generated_batches(pks, first, batch_size, columns, seed=seed, vocab=vocab, now=now):
            with transaction.atomic():
                _copy(cursor, STAGE_TABLE, [quote(f.column) for f in columns], batch.trials)
                cursor.execute(
                    f"INSERT INTO {table} ({column_sql}, {quote('search_vector')}) "
                    f"SELECT {select_sql}, {vector_sql} FROM {STAGE_TABLE} s",
                    vector_params,
                )
                cursor.execute(f"TRUNCATE {STAGE_TABLE}")
                _copy(cursor, Trial.antigens.through._meta.db_table, ("trial_id", "antigen_id"), batch.antigens)
                _copy(cursor, Trial.diseases.through._meta.db_table, ("trial_id", "disease_id"), batch.diseases)
                _copy(cursor, DoseLevel._meta.db_table,
                      ("trial_id", "position", "arm", "low", "high", "unit", "basis", "raw"), batch.dose_levels)  # fmt: skip
                _copy(cursor, Site._meta.db_table, SITE_COLUMNS, batch.sites)
            created += len(batch.trials)
            say(f"copied {created}/{trials} trials")
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
        phases["generate_copy"] = time.perf_counter() - t0

        if rebuild:
            t0 = time.perf_counter()
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred FK checks, before CREATE INDEX
            cursor.execute("SET LOCAL maintenance_work_mem TO '512MB'")
            for name, definition in indexes:
                cursor.execute(definition)
                say(f"rebuilt {name}")
            phases["rebuild_indexes"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    tables = _tables()
    with connection.cursor() as cursor:
        if vacuum and not connection.in_atomic_block:
            # Sets the visibility map (index-only scans) and merges GIN pending lists,
            # so the first searches don't pay for that.
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        else:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
    phases["vacuum_analyze"] = time.perf_counter() - t0
    say("statistics refreshed")
    return SeedResult(created=created, deleted=deleted, first_index=first,
                      seconds=time.perf_counter() - started, phases=phases, rebuilt_indexes=rebuild)  # fmt: skip


def _copy(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# --------------------------------------------------------------------------------------------
# calibrate(): the measurement, to redo on another snapshot
# --------------------------------------------------------------------------------------------

CALIBRATION_SQL = """
    SELECT antigen_names, disease_names, disease_categories, countries, phase, status, cell_source,
           min_age_years, max_age_years, EXTRACT(YEAR FROM start_date)::int, enrollment,
           length(title), length(brief_summary), sponsor, cardinality(conditions), cardinality(interventions),
           dose_min_cells_per_kg
    FROM catalogue_trial WHERE source_format <> %s AND merged_into_id IS NULL
"""


def _top(counter: Counter, n: int | None = None, *, min_count: int = 1) -> list[tuple[Any, int]]:
    items = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
    items = [(k, v) for k, v in items if v >= min_count]
    return items[:n] if n else items


def _quantiles(values: list[float], steps: int = 20) -> list[float]:
    """The 0, 1/steps, …, 1 quantiles (nearest rank)."""
    values = sorted(values)
    if not values:
        return []
    return [values[min(len(values) - 1, round(i * (len(values) - 1) / steps))] for i in range(steps + 1)]


def measure() -> dict[str, Any]:
    """The distributions of the real (non-synthetic) trials in the database, as the
    "measured" section of calibration.json names them."""
    with connection.cursor() as cursor:
        cursor.execute(CALIBRATION_SQL, [SOURCE_FORMAT])
        rows = cursor.fetchall()
        cursor.execute("SELECT name, category FROM catalogue_disease")
        categories = dict(cursor.fetchall())
    if not rows:
        raise ValueError("no real trials in the database to calibrate on")

    antigen_freq: Counter = Counter(a for r in rows for a in r[0])
    keys = [a for a, _ in _top(antigen_freq, KEY_ANTIGEN_COUNT)]

    def key_of(names: Sequence[str]) -> str:
        if not names:
            return ""
        best = max(names, key=lambda a: (antigen_freq[a], a))
        return best if best in keys else "*"

    sets: Counter = Counter(tuple(r[0]) for r in rows)
    cat_sets: dict[str, Counter] = {}
    diseases_by_key: dict[str, Counter] = {}
    diseases_by_category: dict[str, Counter] = {}
    disease_count: Counter = Counter()
    pairs: Counter = Counter()
    min_ages: Counter = Counter()
    max_ages: Counter = Counter()
    country_count: Counter = Counter()
    single_countries: Counter = Counter()
    multi_countries: Counter = Counter()
    years: Counter = Counter()
    enrollments = []
    sponsors: Counter = Counter()
    for (
        ants,
        dis,
        cats,
        countries,
        _phase,
        _status,
        _cell,
        mn,
        mx,
        year,
        enrol,
        _tl,
        _sl,
        sponsor,
        _nc,
        _ni,
        _dose,
    ) in rows:
        key = key_of(ants)
        cat_sets.setdefault(key, Counter())[tuple(cats)] += 1
        for d in dis:
            diseases_by_key.setdefault(key, Counter())[d] += 1
            diseases_by_category.setdefault(categories.get(d, "other"), Counter())[d] += 1
        if dis:
            disease_count[len(dis)] += 1
        age = (None if mn is None else float(mn), None if mx is None else float(mx))
        pairs[age] += 1
        min_ages[age[0]] += 1
        max_ages[age[1]] += 1
        country_count[len(countries)] += 1
        if len(countries) == 1:
            single_countries[countries[0]] += 1
        elif countries:
            multi_countries.update(countries)
        years[year] += 1
        if enrol is not None:
            enrollments.append(enrol)
        sponsors[sponsor] += 1

    tail_sets = sum(n for s, n in sets.items() if n < ANTIGEN_SET_MIN_COUNT)
    tail_multi = sum(n for s, n in sets.items() if n < ANTIGEN_SET_MIN_COUNT and len(s) > 1)
    top_pairs = _top(pairs, min_count=AGE_PAIR_MIN_COUNT)
    return {
        "CALIBRATION_TRIALS": len(rows),
        "ANTIGEN_SETS": [(list(s), n) for s, n in _top(sets, min_count=ANTIGEN_SET_MIN_COUNT)] + [(None, tail_sets)],
        "ANTIGEN_FREQUENCIES": _top(antigen_freq, 80),
        "KEY_ANTIGENS": keys,
        "CATEGORY_SETS_BY_KEY": {k: [(list(c), n) for c, n in _top(v)] for k, v in sorted(cat_sets.items())},
        "DISEASES_BY_KEY": {k: _top(v, 15) for k, v in sorted(diseases_by_key.items())},
        "DISEASES_BY_CATEGORY": {k: _top(v, 40) for k, v in sorted(diseases_by_category.items())},
        "DISEASE_COUNTS": _top(disease_count),
        "PHASES": _top(Counter(r[4] for r in rows)),
        "STATUSES": _top(Counter(r[5] for r in rows)),
        "CELL_SOURCES": _top(Counter(r[6] for r in rows)),
        "AGE_PAIRS": top_pairs + [(None, len(rows) - sum(n for _, n in top_pairs))],
        "MIN_AGES": _top(min_ages, 30),
        "MAX_AGES": _top(max_ages, 30),
        "COUNTRY_COUNTS": _top(country_count),
        "SINGLE_COUNTRIES": _top(single_countries, 30),
        "MULTI_COUNTRIES": _top(multi_countries, 40),
        "START_YEARS": sorted(years.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)),
        "ENROLLMENT_QUANTILES": _quantiles(enrollments),
        "ENROLLMENT_MISSING": sum(1 for r in rows if r[10] is None),
        "TITLE_LENGTH_QUANTILES": _quantiles([r[11] for r in rows]),
        "SUMMARY_LENGTH_QUANTILES": _quantiles([r[12] for r in rows if r[12]]),
        "SUMMARY_MISSING": sum(1 for r in rows if not r[12]),
        "SPONSORS": _top(sponsors, 40),
        "CONDITION_COUNTS": _top(Counter(r[14] for r in rows)),
        "INTERVENTION_COUNTS": _top(Counter(r[15] for r in rows)),
        "PER_KG_DOSE_IN_BULK": sum(1 for r in rows if r[16] is not None),
        "TAIL_SETS_MULTI": [tail_multi, tail_sets - tail_multi],
    }


def calibrate(stdout: TextIO | None = None) -> dict[str, Any]:
    """Measure the real trials in the database and print the "measured" section of
    calibration.json for them (as JSON, to paste over it). What SQL cannot measure
    (OTHER_INTERVENTIONS) is carried over from the current file."""
    stdout = stdout or sys.stdout
    measured = {**CALIBRATION["measured"], **measure()}
    stdout.write(format_json(measured) + "\n")
    return measured


def format_json(value: Any, indent: int = 0, width: int = 110) -> str:
    """JSON as calibration.json holds it: short values on one line, long lists wrapped."""
    flat = json.dumps(value, ensure_ascii=False)
    if indent + len(flat) <= width or not isinstance(value, (list, dict)) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {format_json(v, indent + 2, width)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    lines, line = [], ""
    for item in value:
        text = format_json(item, indent + 2, width)
        if "\n" in text:
            lines += [line] if line else []
            lines.append(pad + text)
            line = ""
            continue
        candidate = f"{line}, {text}" if line else pad + text
        if len(candidate) + 1 > width and line:
            lines.append(line)
            candidate = pad + text
        line = candidate
    lines += [line] if line else []
    return "[\n" + ",\n".join(lines) + "\n" + " " * indent + "]"
