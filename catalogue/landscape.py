"""The landscape page: how the (filtered) catalogue splits, as server-rendered SVG
charts with a table alternative, each downloadable as SVG, PNG and CSV.

All the counts come from one query: a CTE over `trial_list(filters=...)` (so the
charts honour exactly the list's filters) and a UNION ALL of one GROUP BY per
chart, cached per filter and data version like the list's counts. When the list's
counts would come from the in-memory facet index (`catalogue.facet_index`), so do
these, in milliseconds instead of seconds at 100,000 trials: the filtered catalogue
is one bitmap, each count a popcount; the query stays the reference (the tests
compare both on random filters) and the fallback. Each bar links
to the list filtered to that bar: the chart's own filter is replaced by the bar's
value, every other filter kept. Charts of values that are not filters (sponsor
type, enrollment size) and bins that are not one value ("before 2010") link
nowhere.

Start years are clamped: years before the 2nd percentile start (and before
YEAR_FLOOR) fall in one "before YYYY" bin, years after next year in one
"after YYYY" bin, so one outlier never stretches the axis.

Each chart is laid out at two widths (`LAYOUTS`): the page shows the one that
suits the screen (CSS, no script), downloads use the wide one.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import re
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from catalogue import disease_groups, facet_index
from catalogue.cache import DataState
from catalogue.charts import (
    AXIS,
    GAP,
    GRID,
    MUTED,
    Circle,
    Figure,
    Line,
    Mark,
    Polyline,
    Rect,
    Text,
    legend,
    nice_ticks,
    place_labels,
    svg_document,
    text_width,
    truncate,
    wrap,
)
from catalogue.choices import (
    ENROLLMENT_BUCKETS,
    NOT_STATED,
    DiseaseCategory,
    Modality,
    Phase,
    SponsorType,
    Status,
    enrollment_bucket_sql,
)
from catalogue.models import lookup_key
from catalogue.selectors import (
    CHOICE_LABELS,
    TrialFilters,
    cached,
    data_state_for,
    index_selection,
    index_snapshot,
    read_connection,
    trial_list,
)
from catalogue.serializers import neutralised

TOP_N = 20
COUNTS_KEY = ("landscape", 2)  # the counts' cache key (the rate limit asks whether it is cached)
SEP = "\x1f"  # joins the two keys of a cross count (year and modality, antigen and group)
YEAR_FLOOR = 2010  # years before it are always "before" (the first CAR-T trials are rare before)
YEAR_PERCENTILE = 0.02
TREND_MAX = 6  # antigens drawn at once in the trend chart
TREND_DEFAULT = 3
TREND_OFFERED = 12
SERIES_MAX = 6  # stacked series shown; the rest are summed as "Other"
HEAT_ROWS = {"wide": 12, "narrow": 8}
HEAT_COLUMNS = {"wide": 15, "narrow": 7}

# (card, full-width) chart widths in user units, per layout. The page's CSS shows
# "narrow" at viewports up to NARROW_VIEWPORT px, where a card is ~330 px wide,
# and "wide" above, where a card is ~550 px and the full width ~1160 px.
LAYOUTS: dict[str, tuple[int, int]] = {"wide": (540, 1120), "narrow": (320, 320)}
NARROW_VIEWPORT = 600


def layout_for_viewport(pixels: int) -> str:
    """Which layout the page shows at a viewport width (the CSS breakpoint)."""
    return "narrow" if pixels <= NARROW_VIEWPORT else "wide"


# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7f7f7f")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "", "6 3")
BAR = "#2c5ea8"
OTHER_SERIES = "Other"


@dataclass(frozen=True)
class ChartSpec:
    key: str
    title: str
    description: str
    kind: str = "bars"  # bars | columns | stacked | lines | heatmap
    header: str = ""  # the table's first column
    filter: str | None = None  # the GET filter a bar sets; None: the values are no filter
    top: int | None = None  # keep only the top N bars (by count)
    unstated: str = "state none"  # how to say that some trials have no value here
    multiple: bool = False  # a trial can count under several bars
    full: bool = False  # spans the page on wide screens


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("antigen", "Trials by target antigen", "Number of trials targeting each antigen", header="Antigen",
              filter="antigen", top=TOP_N, unstated="name no antigen the catalogue recognises", multiple=True),
    ChartSpec("disease", "Trials by disease group", "Number of trials studying each group of diseases",
              header="Disease group", filter="disease", top=15,
              unstated="name no disease the catalogue recognises", multiple=True),
    ChartSpec("disease_category", "Trials by disease category", "Number of trials in each disease category",
              header="Disease category", filter="disease_category",
              unstated="name no disease the catalogue recognises", multiple=True),
    ChartSpec("phase", "Trials by phase", "Number of trials in each phase", header="Phase", filter="phase"),
    ChartSpec("status", "Trials by recruitment status", "Number of trials in each recruitment status",
              header="Status", filter="status"),
    ChartSpec("modality", "Trials by modality", "Number of trials studying each kind of engineered cell therapy",
              header="Modality", filter="modality",
              unstated="study no engineered cell therapy the catalogue recognises", multiple=True),
    ChartSpec("sponsor_type", "Trials by sponsor type",
              "Number of trials by the kind of lead sponsor, from the registry's sponsor class or the sponsor's name",
              header="Sponsor type", unstated="name no sponsor"),
    ChartSpec("enrollment", "Trials by enrollment size", "Number of trials by planned or actual enrollment",
              header="Enrollment", unstated="state no enrollment"),
    ChartSpec("start_year", "Trials by start year", "Number of trials starting each year (planned starts included)",
              kind="columns", header="Start year", filter="start_year", unstated="state no start date"),
    ChartSpec("antigen_trend", "Trials started per year, by target antigen",
              "Number of trials starting each year that target each chosen antigen", kind="lines",
              header="Start year", unstated="state no start date", multiple=True),
    ChartSpec("year_modality", "Trials started per year, by modality",
              "Number of trials starting each year, stacked by the kind of engineered cell therapy", kind="stacked",
              header="Start year", unstated="state no start date", multiple=True),
    ChartSpec("year_registry", "Trials started per year, by registry",
              "Number of trials starting each year, stacked by the registry that holds them", kind="stacked",
              header="Start year", unstated="state no start date"),
    ChartSpec("antigen_disease", "Target antigens by disease group",
              "Number of trials for each pair of target antigen and disease group, for the most frequent of each",
              kind="heatmap", header="Disease group", multiple=True, full=True),
    ChartSpec("country", "Trials by country", "Number of trials with a site in each country", header="Country",
              filter="country", top=TOP_N, unstated="list no country", multiple=True),
)  # fmt: skip
BY_KEY: dict[str, ChartSpec] = {spec.key: spec for spec in CHARTS}

LABELS: dict[str, dict[str, str]] = {
    **CHOICE_LABELS,
    "sponsor_type": dict(SponsorType.choices),
    "enrollment": {str(i): label for i, (_, _, label) in enumerate(ENROLLMENT_BUCKETS)},
    "year_modality": {**dict(Modality.choices), "": "None identified"},
    "year_registry": CHOICE_LABELS.get("registry", {}),
}
ORDERS: dict[str, list[str]] = {
    "phase": list(Phase.values),
    "status": list(Status.values),
    "disease_category": list(DiseaseCategory.values),
    "sponsor_type": list(SponsorType.values),
    "enrollment": [str(i) for i in range(len(ENROLLMENT_BUCKETS))],
}


# --- the one query ----------------------------------------------------------------------------


def landscape_counts(filters: TrialFilters) -> tuple[int, dict[str, dict[str, int]]]:
    """(total, {count key: {value: trials}}) for the filtered catalogue: cached per
    filter and data version, like the list's counts, and read once per request; on a
    miss, from the facet index or in one query.

    Keys: every simple chart's (value "" = trials stating none), "disease_name"
    ("group␟name"), "antigen_disease" ("antigen␟group"), "year_modality",
    "year_registry" and "year_antigen" ("year␟value"; modality "" = none)."""
    if "landscape" not in filters.memo:  # the page, its charts and its map read them once
        filters.memo["landscape"] = cached(filters, COUNTS_KEY, lambda: _count(filters))
    return filters.memo["landscape"]


COUNT_KEYS = (
    "antigen", "phase", "status", "sponsor_type", "enrollment", "start_year", "disease_category", "disease",
    "disease_name", "country", "modality", "antigen_disease", "year_modality", "year_registry", "year_antigen",
)  # fmt: skip


def _count(filters: TrialFilters) -> tuple[int, dict[str, dict[str, int]]]:
    """From the in-memory facet index when it can answer the filters (as the list's
    counts do), else the one query (`_landscape_counts`, the reference)."""
    snapshot = index_snapshot(filters)
    if snapshot is not None:
        return _landscape_counts_with_index(filters, snapshot)
    return _landscape_counts(filters)


def _landscape_counts(filters: TrialFilters) -> tuple[int, dict[str, dict[str, int]]]:
    queryset = (
        trial_list(filters=filters)
        .order_by()
        .values(
            "id", "registry", "antigen_names", "phase", "status", "start_date", "disease_names",
            "disease_categories", "countries", "modalities", "sponsor_type", "enrollment",
        )
    )  # fmt: skip
    sql, params = queryset.query.sql_with_params()
    names, groups = disease_groups.group_table()
    categories, fallbacks = disease_groups.fallback_table()
    sep = "E'\\x1f'"
    union = f"""
        WITH t AS ({sql}),
        gm AS (
            SELECT d.name, COALESCE(m.grp, f.grp) AS grp FROM catalogue_disease d
            LEFT JOIN unnest(%s::text[], %s::int[]) AS m(name, grp) ON m.name = d.name
            LEFT JOIN unnest(%s::text[], %s::int[]) AS f(category, grp) ON f.category = d.category
        ),
        dn AS (
            SELECT t.id, n AS name, COALESCE(gm.grp, %s::int) AS grp
            FROM t CROSS JOIN LATERAL unnest(t.disease_names) AS n LEFT JOIN gm ON gm.name = n
            WHERE n <> ''
        ),
        dg AS (SELECT DISTINCT id, grp FROM dn),
        y AS (SELECT t.*, EXTRACT(YEAR FROM t.start_date)::int::text AS year FROM t WHERE t.start_date IS NOT NULL)
        SELECT 'antigen', v::text, COUNT(*) FROM t, unnest(t.antigen_names) v WHERE v <> '' GROUP BY 2
        UNION ALL SELECT 'antigen', NULL, COUNT(*) FROM t WHERE cardinality(t.antigen_names) = 0
        UNION ALL SELECT 'phase', t.phase::text, COUNT(*) FROM t GROUP BY 2
        UNION ALL SELECT 'status', t.status::text, COUNT(*) FROM t GROUP BY 2
        UNION ALL SELECT 'sponsor_type', t.sponsor_type::text, COUNT(*) FROM t GROUP BY 2
        UNION ALL SELECT 'enrollment', {enrollment_bucket_sql("t.enrollment")}, COUNT(*) FROM t GROUP BY 2
        UNION ALL SELECT 'start_year', EXTRACT(YEAR FROM t.start_date)::int::text, COUNT(*) FROM t GROUP BY 2
        UNION ALL SELECT 'disease_category', v::text, COUNT(*) FROM t, unnest(t.disease_categories) v
                  WHERE v <> '' GROUP BY 2
        UNION ALL SELECT 'disease_category', NULL, COUNT(*) FROM t WHERE cardinality(t.disease_categories) = 0
        UNION ALL SELECT 'disease', grp::text, COUNT(*) FROM dg GROUP BY grp
        UNION ALL SELECT 'disease', NULL, COUNT(*) FROM t WHERE NOT EXISTS (SELECT 1 FROM dg WHERE dg.id = t.id)
        UNION ALL SELECT 'disease_name', grp::text || {sep} || name, COUNT(*) FROM dn GROUP BY grp, name
        UNION ALL SELECT 'country', v::text, COUNT(*) FROM t, unnest(t.countries) v WHERE v <> '' GROUP BY 2
        UNION ALL SELECT 'country', NULL, COUNT(*) FROM t WHERE cardinality(t.countries) = 0
        UNION ALL SELECT 'modality', v::text, COUNT(*) FROM t, unnest(t.modalities) v WHERE v <> '' GROUP BY 2
        UNION ALL SELECT 'modality', NULL, COUNT(*) FROM t WHERE cardinality(t.modalities) = 0
        UNION ALL SELECT 'antigen_disease', v || {sep} || dg.grp::text, COUNT(*)
                  FROM dg JOIN t ON t.id = dg.id, unnest(t.antigen_names) v WHERE v <> '' GROUP BY v, dg.grp
        UNION ALL SELECT 'year_modality', y.year || {sep} || COALESCE(v, ''), COUNT(*)
                  FROM y LEFT JOIN LATERAL unnest(y.modalities) v ON true GROUP BY 2
        UNION ALL SELECT 'year_registry', y.year || {sep} || y.registry, COUNT(*) FROM y GROUP BY 2
        UNION ALL SELECT 'year_antigen', y.year || {sep} || v, COUNT(*)
                  FROM y, unnest(y.antigen_names) v WHERE v <> '' GROUP BY 2
        UNION ALL SELECT 'total', NULL, COUNT(*) FROM t
    """
    unknown = disease_groups.NUMBER[disease_groups.UNKNOWN_CATEGORY_GROUP]
    args = [*params, names, groups, categories, fallbacks, unknown]
    with read_connection().cursor() as cursor:
        cursor.execute(union, args)
        rows = cursor.fetchall()
    counts: dict[str, dict[str, int]] = {key: {} for key in COUNT_KEYS}
    total = 0
    group = dict(enumerate(disease_groups.ALL_GROUPS))
    for key, value, n in rows:
        if value is not None and key == "disease":
            value = group[int(value)]
        elif key == "disease_name":
            number, _, name = value.partition(SEP)
            value = f"{group[int(number)]}{SEP}{name}"
        elif key == "antigen_disease":
            antigen, _, number = value.partition(SEP)
            value = f"{antigen}{SEP}{group[int(number)]}"
        if key == "total":
            total = n
        elif value is None:
            if n:
                counts[key][""] = n  # trials stating no value (no start date, no antigen...)
        else:
            counts[key][value] = n
    return total, counts


# --- the same counts from the facet index -----------------------------------------------------


@dataclass(frozen=True)
class _IndexExtras:
    """What the landscape derives from one facet index snapshot and data version."""

    group_of: dict[str, str]  # disease name -> its group (`disease_groups`)
    groups: dict[str, int]  # group -> the trials with a disease in it
    missing: dict[str, int]  # count key -> the trials stating no value for it


# (snapshot, data token, extras), replaced as one: threads share it. The snapshot is held
# weakly: a replaced index snapshot is not kept alive by its extras.
_extras_held: list[tuple[weakref.ref[facet_index.Snapshot], str, _IndexExtras]] = []


def _index_extras(snapshot: facet_index.Snapshot, token: str | None) -> _IndexExtras:
    """The disease groups as bitmaps (the vocabulary's categories read once per data
    version: one query) and the "states none" bitmaps, once per snapshot."""
    held = _extras_held[-1] if _extras_held else None
    if token is not None and held is not None and held[0]() is snapshot and held[1] == token:
        return held[2]
    with read_connection().cursor() as cursor:
        cursor.execute("SELECT name, category FROM catalogue_disease")
        categories = dict(cursor.fetchall())
    names = snapshot.values("disease")
    group_of = {
        name: disease_groups.ALL_GROUPS[n] for name, n in disease_groups.group_numbers(names, categories).items()
    }
    groups: dict[str, int] = {}
    for name, ids in names.items():
        groups[group_of[name]] = groups.get(group_of[name], 0) | ids
    entries = snapshot.of(facet_index.ENTRY, "1")

    def none_of(bitmaps: Iterable[int]) -> int:
        stated = 0
        for ids in bitmaps:
            stated |= ids
        return entries & ~stated

    missing = {
        "disease": none_of(groups.values()),
        "start_year": none_of(snapshot.values("#start_year").values()),
        "enrollment": none_of(snapshot.values("#enrollment").values()),
        # "" and NULL alike (the query's two "" rows are one bucket)
        "sponsor_type": none_of(ids for value, ids in snapshot.values("#sponsor_type").items() if value != ""),
        **{
            name: snapshot.of(facet_index.EMPTY, name)
            for name in ("antigen", "disease_category", "country", "modality")
        },
        **{name: snapshot.of(name, NOT_STATED) for name in ("phase", "status")},
    }
    extras = _IndexExtras(group_of=group_of, groups=groups, missing=missing)
    if token is not None:
        _extras_held[:] = [(weakref.ref(snapshot), token, extras)]
    return extras


def _landscape_counts_with_index(
    filters: TrialFilters, snapshot: facet_index.Snapshot
) -> tuple[int, dict[str, dict[str, int]]]:
    """`_landscape_counts` from the facet index: the filtered catalogue as one bitmap
    (the list's own filter evaluation, `index_selection`), each count a popcount of
    it and a value's bitmap, each cross count one of it and two values' (only values
    counting at least one trial are crossed)."""
    everything = index_selection(filters, snapshot).everything
    extras = _index_extras(snapshot, data_state_for(filters).token)
    counts: dict[str, dict[str, int]] = {key: {} for key in COUNT_KEYS}

    def tally(key: str, bitmaps: Mapping[Any, int]) -> dict[str, int]:
        """counts[key] (and "" for the trials stating none): {value: its filtered trials} of the values counted."""
        kept: dict[str, int] = {}
        for value, ids in bitmaps.items():
            if value in ("", NOT_STATED) and key in ("phase", "status", "sponsor_type"):
                continue  # counted as stating none
            hits = ids & everything
            if n := hits.bit_count():
                counts[key][str(value)] = n
                kept[str(value)] = hits
        if key in extras.missing and (n := (extras.missing[key] & everything).bit_count()):
            counts[key][""] = n
        return kept

    antigens = tally("antigen", snapshot.values("antigen"))
    for key in ("phase", "status", "disease_category", "country"):
        tally(key, snapshot.values(key))
    modalities = tally("modality", snapshot.values("modality"))
    tally("sponsor_type", snapshot.values("#sponsor_type"))
    tally("enrollment", snapshot.values("#enrollment"))
    years = tally("start_year", snapshot.values("#start_year"))
    groups = tally("disease", extras.groups)
    for name, ids in snapshot.values("disease").items():
        if n := (ids & everything).bit_count():
            counts["disease_name"][f"{extras.group_of[name]}{SEP}{name}"] = n
    for antigen, trials in antigens.items():
        for group, in_group in groups.items():
            if n := (trials & in_group).bit_count():
                counts["antigen_disease"][f"{antigen}{SEP}{group}"] = n
    without_modality = extras.missing["modality"] & everything
    crosses = (
        ("year_modality", {**modalities, "": without_modality}),
        ("year_registry", snapshot.values("registry")),
        ("year_antigen", antigens),
    )
    for year, in_year in years.items():
        for key, bitmaps in crosses:
            for value, ids in bitmaps.items():
                if n := (in_year & ids).bit_count():
                    counts[key][f"{year}{SEP}{value}"] = n
    return everything.bit_count(), counts


# --- what a chart shows -----------------------------------------------------------------------


@dataclass
class Cell:
    text: str
    href: str = ""
    number: int | None = None


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


@dataclass
class Item:
    """One bar (or bin): a value, its label and count, and the list it links to."""

    value: str
    label: str
    count: int
    href: str = ""
    selected: bool = False
    lines: tuple[str, ...] = ()  # the axis label, on one or more lines

    @property
    def aria_label(self) -> str:
        return f"{self.label}: {self.count} trial{'s' if self.count != 1 else ''}"


@dataclass(frozen=True)
class YearBin:
    key: str  # "2019", or "<2010" / ">2027" for the clamped ends
    lines: tuple[str, ...]
    first: int | None  # the years it holds (None: open)
    last: int | None

    @property
    def label(self) -> str:
        return " ".join(self.lines)

    @property
    def year(self) -> int | None:
        """The one year of a single-year bin (a bar the list can be filtered to)."""
        return self.first if self.first is not None and self.first == self.last else None

    def holds(self, year: int) -> bool:
        return (self.first is None or year >= self.first) and (self.last is None or year <= self.last)


def year_bins(counts: Mapping[int, int], *, today: dt.date | None = None) -> list[YearBin]:
    """The start-year axis: every year from the first to the last with trials, with
    outliers clamped: years before the 2nd percentile start (or before YEAR_FLOOR)
    in one "before" bin, years after next year in one "after" bin."""
    years = sorted(y for y, n in counts.items() if n)
    if not years:
        return []
    total = sum(counts[y] for y in years)
    running = 0
    percentile = years[-1]
    for year in years:
        running += counts[year]
        if running >= YEAR_PERCENTILE * total:
            percentile = year
            break
    low = min(max(percentile, YEAR_FLOOR), years[-1])
    high = max((today or timezone.now().date()).year + 1, low)
    bins: list[YearBin] = []
    if years[0] < low:
        bins.append(YearBin(f"<{low}", ("before", str(low)), None, low - 1))
    inside = [y for y in years if low <= y <= high]
    if inside:
        bins.extend(YearBin(str(y), (str(y),), y, y) for y in range(inside[0], inside[-1] + 1))
    if years[-1] > high:
        bins.append(YearBin(f">{high}", ("after", str(high)), high + 1, None))
    return bins


def binned(bins: Sequence[YearBin], counts: Mapping[int, int]) -> list[int]:
    """Each bin's sum of `counts` (year → n)."""
    return [sum(n for y, n in counts.items() if b.holds(y)) for b in bins]


@dataclass
class Chart:
    spec: ChartSpec
    table: Table
    figures: dict[str, Figure] = field(default_factory=dict)
    csv_table: Table | None = None  # the download's data, when it is more than the table
    notes: list[str] = field(default_factory=list)
    summary: str = ""  # the sentence that describes the figure (SVG <desc>)
    empty: bool = False
    query: str = ""  # the filters (and chart options) its downloads carry
    trend: list[str] = field(default_factory=list)  # the trend chart: the antigens drawn
    trend_options: list[str] = field(default_factory=list)  # and those offered

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def description(self) -> str:
        return " ".join(p for p in (self.spec.description + ".", self.summary, *self.notes) if p)

    def svg(self, layout: str = "wide") -> SafeString:
        """The chart drawn at one layout, as the page shows it (bars link to the list)."""
        suffix = "" if layout == "wide" else f"-{layout}"
        return svg_document(
            self.figures[layout],
            key=self.key,
            title=self.title,
            description=self.description,
            css_class=f"chart chart--{self.spec.kind} chart--{layout}",
            id_suffix=suffix,
        )

    @property
    def svg_wide(self) -> SafeString:
        return self.svg("wide")

    @property
    def svg_narrow(self) -> SafeString:
        return self.svg("narrow")

    @property
    def data(self) -> Table:
        return self.csv_table or self.table


def _plural(n: int, word: str = "trial") -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class Links:
    """Hrefs to the list: a chart's own filter replaced by a value, every other kept."""

    def __init__(self, filters: TrialFilters) -> None:
        self.filters = filters
        self.list_url = reverse("catalogue:trial_list")

    def to(self, **values: str | list[str]) -> str:
        drop = (*values, "page")
        items = [(k, v) for k, v in self.filters.query_items(drop=drop)]
        for name, value in values.items():
            for v in value if isinstance(value, list) else [value]:
                items.append((name, v))
        query = urlencode(items)
        return f"{self.list_url}?{query}" if query else self.list_url

    def selected(self, key: str, value: str) -> bool:
        current = self.filters.values.get(key)
        if current is None:
            return False
        if isinstance(current, list):
            return value in [str(v) for v in current]
        return str(current) == value


def _ordered(key: str, values: dict[str, int]) -> list[tuple[str, int]]:
    order = ORDERS.get(key)
    if order is not None:
        return sorted(values.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return sorted(values.items(), key=lambda kv: (-kv[1], kv[0].lower()))


def _split(counts: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """{"a␟b": n} → {a: {b: n}}."""
    result: dict[str, dict[str, int]] = defaultdict(dict)
    for pair, n in counts.items():
        a, _, b = pair.partition(SEP)
        result[a][b] = n
    return result


def _years(counts: Mapping[str, int]) -> dict[int, int]:
    return {int(y): n for y, n in counts.items() if y.lstrip("-").isdigit()}


# --- building the charts ----------------------------------------------------------------------


def build_charts(
    filters: TrialFilters, *, trend: Sequence[str] = (), today: dt.date | None = None, only: str | None = None
) -> tuple[int, list[Chart]]:
    """(total, charts) for the filters; `trend`: the antigens the trend chart draws
    (names, any case or punctuation; default: the most frequent); `only`: just that chart."""
    total, counts = landscape_counts(filters)
    return total, charts_from_counts(filters, counts, trend=trend, today=today, only=only)


def charts_from_counts(
    filters: TrialFilters,
    counts: Mapping[str, Mapping[str, int]],
    *,
    trend: Sequence[str] = (),
    today: dt.date | None = None,
    only: str | None = None,
) -> list[Chart]:
    """The charts of `landscape_counts()`'s counts (no query)."""
    counts = defaultdict(dict, {key: dict(values) for key, values in counts.items()})
    links = Links(filters)
    year_counts = _years(counts["start_year"])
    bins = year_bins(year_counts, today=today)
    group_names = _split(counts["disease_name"])
    context = _Context(filters, counts, links, bins, group_names, list(trend))
    charts = []
    for spec in CHARTS:
        if only is not None and spec.key != only:
            continue
        builder = _BUILDERS[spec.kind]
        chart = builder(spec, context)
        chart.query = filters.querystring(drop=("page", "sort", "page_size"))
        if chart.trend and trend:
            chart.query = "&".join(q for q in (chart.query, urlencode([("trend", a) for a in chart.trend])) if q)
        charts.append(chart)
    return charts


@dataclass
class _Context:
    filters: TrialFilters
    counts: dict[str, dict[str, int]]
    links: Links
    bins: list[YearBin]
    group_names: dict[str, dict[str, int]]  # disease group → {disease name: trials}
    trend: list[str]

    def group_href(self, group: str, **more: str) -> str:
        names = sorted(self.group_names.get(group, {}))
        if not names or len(names) > 20:  # the disease filter takes up to 20 names
            return ""
        return self.links.to(disease=names, **more)


def _label(key: str, value: str) -> str:
    return LABELS.get(key, {}).get(value, value)


def _bars_chart(spec: ChartSpec, ctx: _Context) -> Chart:
    values = dict(ctx.counts[spec.key])
    unstated = values.pop("", 0)
    items = []
    for value, n in _ordered(spec.key, values):
        if spec.key == "disease":
            href = ctx.group_href(value)
        elif spec.filter:
            href = ctx.links.to(**{spec.filter: value})
        else:
            href = ""
        selected = bool(spec.filter) and spec.key != "disease" and ctx.links.selected(spec.filter or "", value)
        items.append(Item(value, _label(spec.key, value), n, href, selected))
    shown = items[: spec.top] if spec.top else items
    chart = Chart(spec, Table([spec.header, "Trials"]), empty=not items)
    chart.table.rows = [[Cell(i.label, i.href), Cell(str(i.count), number=i.count)] for i in items]
    if shown:
        top = max(shown, key=lambda i: i.count)
        chart.summary = f"The largest is {top.label} with {top.count}."
    if len(items) > len(shown):
        chart.notes.append(f"Top {len(shown)} shown; {len(items) - len(shown)} more in the table.")
    if unstated:
        chart.notes.append(f"{_plural(unstated)} {spec.unstated}.")
    if spec.multiple:
        chart.notes.append("A trial with several values counts under each.")
    if spec.key == "disease":
        chart.notes.append("Groups of the catalogue's disease vocabulary: each bar opens its diseases.")
    for layout, (width, _) in LAYOUTS.items():
        chart.figures[layout] = _layout_bars(shown, width, layout)
    return chart


def _columns_chart(spec: ChartSpec, ctx: _Context) -> Chart:
    unstated = ctx.counts["start_year"].get("", 0)
    years = _years(ctx.counts["start_year"])
    items = []
    for b, n in zip(ctx.bins, binned(ctx.bins, years)):
        href = ctx.links.to(start_year=str(b.year)) if b.year is not None else ""
        items.append(Item(b.key, b.label, n, href, b.year is not None and ctx.links.selected("start_year", b.key),
                          lines=b.lines))  # fmt: skip
    chart = Chart(spec, Table([spec.header, "Trials"]), empty=not items)
    chart.table.rows = [[Cell(i.label, i.href), Cell(str(i.count), number=i.count)] for i in items]
    if items:
        top = max(items, key=lambda i: i.count)
        chart.summary = f"The largest is {top.label} with {top.count}."
    chart.notes.extend(_clamp_notes(ctx.bins, years))
    if unstated:
        chart.notes.append(f"{_plural(unstated)} {spec.unstated}.")
    for layout, (width, _) in LAYOUTS.items():
        series = [("Trials", BAR, [i.count for i in items], [i.href for i in items])]
        chart.figures[layout] = _layout_time(ctx.bins, series, width, layout, kind="columns", items=items)
    return chart


def _clamp_notes(bins: Sequence[YearBin], years: Mapping[int, int]) -> list[str]:
    notes = []
    for b in bins:
        if b.first is None or b.last is None:
            held = sorted(y for y in years if b.holds(y))
            span = f"{held[0]}–{held[-1]}" if len(held) > 1 else str(held[0])
            notes.append(f"“{b.label.capitalize()}” gathers the start years {span}.")
    return notes


def _series(ctx: _Context, per_year: dict[str, dict[str, int]]) -> tuple[list[str], list[list[int]]]:
    """The series of a stacked chart (most trials first, the rest summed as Other)
    and each series' count per bin."""
    totals: dict[str, int] = defaultdict(int)
    for values in per_year.values():
        for value, n in values.items():
            totals[value] += n
    ordered = sorted(totals, key=lambda v: (-totals[v], v))
    keep = ordered if len(ordered) <= SERIES_MAX else ordered[: SERIES_MAX - 1]
    rest = [v for v in ordered if v not in keep]
    names = keep + ([OTHER_SERIES] if rest else [])
    matrix = []
    for value in names:
        members = rest if value == OTHER_SERIES else [value]
        by_year = {int(y): sum(v.get(m, 0) for m in members) for y, v in per_year.items()}
        matrix.append(binned(ctx.bins, by_year))
    return names, matrix


def _stacked_chart(spec: ChartSpec, ctx: _Context) -> Chart:
    filter_name = {"year_modality": "modality", "year_registry": "registry"}[spec.key]
    per_year = _split(ctx.counts[spec.key])
    names, matrix = _series(ctx, per_year)
    labels = [_label(spec.key, n) if n != OTHER_SERIES else OTHER_SERIES for n in names]
    trials = binned(ctx.bins, _years(ctx.counts["start_year"]))
    chart = Chart(spec, Table([spec.header, *labels, "Trials"]), empty=not ctx.bins)
    for i, b in enumerate(ctx.bins):
        row = [Cell(b.label, ctx.links.to(start_year=str(b.year)) if b.year is not None else "")]
        for s, name in enumerate(names):
            n = matrix[s][i]
            linkable = b.year is not None and name not in (OTHER_SERIES, "") and n
            href = ctx.links.to(start_year=str(b.year), **{filter_name: name}) if linkable else ""
            row.append(Cell(str(n), href, number=n))
        row.append(Cell(str(trials[i]), number=trials[i]))
        chart.table.rows.append(row)
    if names:
        chart.summary = f"The largest series is {labels[0]} with {sum(matrix[0])}."
    chart.notes.extend(_clamp_notes(ctx.bins, _years(ctx.counts["start_year"])))
    if spec.multiple:
        chart.notes.append("A trial studying several modalities counts under each.")
    unstated = ctx.counts["start_year"].get("", 0)
    if unstated:
        chart.notes.append(f"{_plural(unstated)} {spec.unstated}.")
    colours = [PALETTE[i] if n != OTHER_SERIES else PALETTE[-1] for i, n in enumerate(names)]
    series = []
    for s in range(len(names)):
        hrefs = [chart.table.rows[i][s + 1].href for i in range(len(ctx.bins))]
        series.append((labels[s], colours[s], matrix[s], hrefs))
    for layout, (width, _) in LAYOUTS.items():
        chart.figures[layout] = _layout_time(ctx.bins, series, width, layout, kind="stacked")
    return chart


def trend_antigens(requested: Sequence[str], per_antigen: Mapping[str, int]) -> tuple[list[str], list[str]]:
    """(the antigens to draw, the requested names no trial with a start date targets):
    names match in any case or punctuation ('cd19', 'B7H3'); none asked: the most frequent."""
    by_key = {lookup_key(name): name for name in per_antigen}
    chosen: list[str] = []
    unknown: list[str] = []
    for name in requested:
        match = by_key.get(lookup_key(name))
        if match is None:
            unknown.append(name)
        elif match not in chosen:
            chosen.append(match)
    if not requested:
        chosen = sorted(per_antigen, key=lambda a: (-per_antigen[a], a))[:TREND_DEFAULT]
    return chosen[:TREND_MAX], unknown


def _lines_chart(spec: ChartSpec, ctx: _Context) -> Chart:
    by_year = _split(ctx.counts["year_antigen"])
    per_antigen: dict[str, int] = defaultdict(int)
    for values in by_year.values():
        for antigen, n in values.items():
            per_antigen[antigen] += n
    chosen, unknown = trend_antigens(ctx.trend, per_antigen)
    chart = Chart(spec, Table([spec.header, *chosen]), empty=not ctx.bins)
    series = []
    for s, antigen in enumerate(chosen):
        counts = binned(ctx.bins, {int(y): v.get(antigen, 0) for y, v in by_year.items()})
        hrefs = [ctx.links.to(antigen=antigen, start_year=str(b.year)) if b.year is not None else "" for b in ctx.bins]
        series.append((antigen, PALETTE[s % len(PALETTE)], counts, hrefs))
    for i, b in enumerate(ctx.bins):
        row = [Cell(b.label, ctx.links.to(start_year=str(b.year)) if b.year is not None else "")]
        row.extend(Cell(str(s[2][i]), s[3][i] if s[2][i] else "", number=s[2][i]) for s in series)
        chart.table.rows.append(row)
    chart.trend = chosen
    chart.trend_options = sorted(
        set(sorted(per_antigen, key=lambda a: (-per_antigen[a], a))[:TREND_OFFERED]) | set(chosen),
        key=lambda a: (-per_antigen[a], a),
    )
    if chosen:
        chart.summary = "Lines for " + ", ".join(chosen) + "."
    else:
        chart.notes.append("No trial with a start date targets an antigen under these filters.")
    if unknown:
        chart.notes.append("No trial with a start date targets " + ", ".join(f"“{u}”" for u in unknown) + ".")
    chart.notes.extend(_clamp_notes(ctx.bins, _years(ctx.counts["start_year"])))
    chart.notes.append("A trial targeting several antigens counts on each line.")
    for layout, (width, _) in LAYOUTS.items():
        chart.figures[layout] = _layout_time(ctx.bins, series, width, layout, kind="lines")
    return chart


def _heatmap_chart(spec: ChartSpec, ctx: _Context) -> Chart:
    pairs = _split(ctx.counts["antigen_disease"])  # antigen → {group: n}
    antigen_totals = {a: n for a, n in ctx.counts["antigen"].items() if a}
    group_totals = {g: n for g, n in ctx.counts["disease"].items() if g}
    antigens = [a for a, _ in _ordered("antigen", antigen_totals) if a in pairs]
    groups = [g for g, _ in _ordered("disease", group_totals) if any(g in v for v in pairs.values())]
    grid_antigens = antigens[: HEAT_COLUMNS["wide"]]
    grid_groups = groups[: HEAT_ROWS["wide"]]
    chart = Chart(spec, Table([spec.header, *grid_antigens]), empty=not (antigens and groups))
    for g in grid_groups:
        row = [Cell(g, ctx.group_href(g))]
        for a in grid_antigens:
            n = pairs.get(a, {}).get(g, 0)
            row.append(Cell(str(n), ctx.group_href(g, antigen=a) if n else "", number=n))
        chart.table.rows.append(row)
    chart.csv_table = Table(["Antigen", "Disease group", "Trials"])
    for a in antigens:
        for g in groups:
            n = pairs.get(a, {}).get(g, 0)
            if n:
                chart.csv_table.rows.append([Cell(a), Cell(g), Cell(str(n), number=n)])
    if chart.csv_table.rows:
        best = max(chart.csv_table.rows, key=lambda r: r[2].number or 0)
        chart.summary = f"The most frequent pair is {best[0].text} in {best[1].text} with {best[2].text}."
    if len(antigens) > HEAT_COLUMNS["narrow"] or len(groups) > HEAT_ROWS["narrow"]:
        chart.notes.append(
            "The most frequent antigens and disease groups are drawn; the table has the top"
            f" {len(grid_antigens)} × {len(grid_groups)}, the CSV every pair."
        )
    chart.notes.append("A trial counts in every cell of its antigens and disease groups.")
    for layout, (_, width) in LAYOUTS.items():
        rows, cols = groups[: HEAT_ROWS[layout]], antigens[: HEAT_COLUMNS[layout]]
        chart.figures[layout] = _layout_heatmap(rows, cols, pairs, ctx, width, layout)
    return chart


_BUILDERS: dict[str, Callable[[ChartSpec, _Context], Chart]] = {
    "bars": _bars_chart,
    "columns": _columns_chart,
    "stacked": _stacked_chart,
    "lines": _lines_chart,
    "heatmap": _heatmap_chart,
}


# --- geometry ---------------------------------------------------------------------------------


def _sizes(layout: str) -> tuple[float, float]:
    """(label, count) font sizes."""
    return (12.0, 11.0) if layout == "wide" else (11.0, 10.0)


def _layout_bars(items: Sequence[Item], width: int, layout: str) -> Figure:
    size, count_size = _sizes(layout)
    row, bar = (24, 16) if layout == "wide" else (22, 14)
    widest = max((text_width(i.label, size) for i in items), default=0)
    label_room = min(widest, width * (0.4 if layout == "wide" else 0.42))
    count_room = max((text_width(str(i.count), count_size) for i in items), default=0) + 6
    left = label_room + 8
    area = width - left - count_room - 2
    top = 4
    scale = max((i.count for i in items), default=0) or 1
    figure = Figure(width, top + len(items) * row + 2)
    for n, item in enumerate(items):
        y = top + n * row
        w = max(2.0, area * item.count / scale)
        baseline = y + bar / 2 + size * 0.36
        shapes = [
            Text(left - 6, baseline, [truncate(item.label, size, label_room)], size=size, anchor="end",
                 cls="bar__label"),
            Rect(left, y, w, bar, BAR, cls="bar__rect", rx=3),
            Text(left + w + 4, y + bar / 2 + count_size * 0.36, [str(item.count)], size=count_size, cls="bar__count"),
        ]  # fmt: skip
        figure.add(Mark(item.aria_label, shapes, item.href, item.selected))
    return figure


def _layout_time(
    bins: Sequence[YearBin],
    series: Sequence[tuple[str, str, list[int], list[str]]],
    width: int,
    layout: str,
    *,
    kind: str,
    items: Sequence[Item] = (),
) -> Figure:
    """Columns, stacked columns or lines over the start-year bins, with a y axis,
    x labels thinned so none overlap, and a legend for several series."""
    size, count_size = _sizes(layout)
    area = 160 if layout == "wide" else 130
    figure = Figure(width, 0)
    top = 4.0
    if kind != "columns" and series:
        shapes, used = legend([(name, colour) for name, colour, _, _ in series], 2, top + 2, width - 2, size=count_size)
        figure.add(*shapes)
        top += used + 4
    n = max(len(bins), 1)
    if kind == "stacked":
        peaks = [sum(s[2][i] for s in series) for i in range(len(bins))]
    else:
        peaks = [max((s[2][i] for s in series), default=0) for i in range(len(bins))]
    ticks = nice_ticks(max(peaks, default=0) or 1)
    scale = ticks[-1] or 1
    left = max(text_width(str(t), count_size) for t in ticks) + 8
    top += count_size * 1.3  # room for the counts above the highest column
    axis = top + area
    step = (width - left - 4) / n
    colw = max(2.0, min(40.0, step * 0.72))
    centers = [left + step * i + step / 2 for i in range(len(bins))]
    for t in ticks:
        y = axis - area * t / scale
        figure.add(Line(left, y, width - 2, y, GRID, cls="grid"))
        figure.add(Text(left - 4, y + count_size * 0.35, [str(t)], size=count_size, anchor="end", fill=MUTED,
                        cls="axis__tick"))  # fmt: skip
    figure.add(Line(left, axis, width - 2, axis, AXIS, cls="axis"))
    labels = [Text(c, axis + size + 3, list(b.lines), size=size, anchor="middle", cls="axis__label") for c, b in
              zip(centers, bins)]  # fmt: skip
    for label in labels:
        box = label.box()
        if box.x0 < left:
            label.x += left - box.x0
        elif box.x1 > width:
            label.x -= box.x1 - width
    shown = place_labels(labels, width)
    figure.add(*shown)
    bottom = max((t.box().y1 for t in shown), default=axis)
    if kind == "lines":
        for name, colour, values, hrefs in series:
            points = [(c, axis - area * v / scale) for c, v in zip(centers, values)]
            if len(points) > 1:
                figure.add(Polyline(points, colour, 2, DASHES[PALETTE.index(colour) % len(DASHES)]))
            for (x, y), v, href, b in zip(points, values, hrefs, bins):
                label = f"{name}, {b.label}: {_plural(v)}"
                figure.add(Mark(label, [Circle(x, y, 3.5 if layout == "wide" else 3, colour)], href if v else "",
                                cls="point"))  # fmt: skip
    else:
        for i, b in enumerate(bins):
            base = axis
            for name, colour, values, hrefs in series:
                v = values[i]
                if not v and kind != "columns":
                    continue
                h = max(1.0, area * v / scale) if v else 0.0
                shapes: list[Any] = []
                if kind == "columns":
                    label = f"{b.label}: {_plural(v)}"
                    # the whole height answers a pointer, so a short column is easy to hit
                    shapes.append(Rect(left + step * i, axis - area, step, area, "transparent", cls="bar__hit"))
                else:
                    label = f"{b.label}, {name}: {_plural(v)}"
                if v:
                    shapes.append(Rect(centers[i] - colw / 2, base - h, colw, h, colour, cls="bar__rect"))
                selected = bool(items) and items[i].selected
                figure.add(Mark(label, shapes, hrefs[i], selected))
                base -= h
            total = peaks[i]
            if total and text_width(str(total), count_size) <= step - GAP:
                figure.add(Text(centers[i], base - 3, [str(total)], size=count_size, anchor="middle", cls="bar__count"))
    figure.height = bottom + 4
    return figure


def _heat_colour(n: int, top: int) -> tuple[str, str]:
    """(fill, text colour) on a light-to-dark blue scale (square root: small counts stay visible)."""
    if not n:
        return "#f3f4f6", MUTED
    t = (n / max(top, 1)) ** 0.5
    low, high = (232, 240, 254), (8, 48, 107)
    rgb = tuple(round(a + (b - a) * t) for a, b in zip(low, high))
    return "#{:02x}{:02x}{:02x}".format(*rgb), ("#ffffff" if t > 0.5 else "#1f2937")


def _layout_heatmap(
    groups: Sequence[str],
    antigens: Sequence[str],
    pairs: Mapping[str, Mapping[str, int]],
    ctx: _Context,
    width: int,
    layout: str,
) -> Figure:
    size, count_size = _sizes(layout)
    label_room = min(max((text_width(g, size) for g in groups), default=0), width * (0.3 if layout == "wide" else 0.36))
    left = label_room + 8
    cols = max(len(antigens), 1)
    cell_w = min(56.0, (width - left - 4) / cols)
    cell_h = 26.0 if layout == "wide" else 24.0
    header_room = min(max((text_width(a, count_size) for a in antigens), default=0), 90.0)
    top = header_room + 8
    top_count = max((pairs.get(a, {}).get(g, 0) for a in antigens for g in groups), default=0)
    figure = Figure(width, 0)
    for c, antigen in enumerate(antigens):
        x = left + c * cell_w + cell_w / 2 + count_size * 0.35
        figure.add(Text(x, top - 5, [truncate(antigen, count_size, header_room)], size=count_size, rotate=True,
                        cls="axis__label"))  # fmt: skip
    for r, group in enumerate(groups):
        y = top + r * cell_h
        figure.add(Text(left - 6, y + cell_h / 2 + size * 0.36, [truncate(group, size, label_room)], size=size,
                        anchor="end", cls="axis__label"))  # fmt: skip
        for c, antigen in enumerate(antigens):
            n = pairs.get(antigen, {}).get(group, 0)
            fill, ink = _heat_colour(n, top_count)
            x = left + c * cell_w
            shapes: list[Any] = [Rect(x + 1, y + 1, cell_w - 2, cell_h - 2, fill, cls="cell__rect", rx=2)]
            if n and text_width(str(n), count_size) <= cell_w - 6:
                shapes.append(Text(x + cell_w / 2, y + cell_h / 2 + count_size * 0.36, [str(n)], size=count_size,
                                   anchor="middle", fill=ink, cls="cell__count"))  # fmt: skip
            href = ctx.group_href(group, antigen=antigen) if n else ""
            figure.add(Mark(f"{antigen} × {group}: {_plural(n)}", shapes, href, cls="cell"))
    grid_bottom = top + len(groups) * cell_h
    # the scale: pale = few trials, dark = many
    key_y = grid_bottom + 10
    steps = 5
    key_w = min(24.0, (width - left - 80) / steps)
    for i in range(steps):
        fill, _ = _heat_colour(max(1, round(top_count * ((i + 1) / steps) ** 2)), top_count)
        figure.add(Rect(left + i * key_w, key_y, key_w, 10, fill, cls="legend__swatch"))
    figure.add(Text(left - 6, key_y + 9, ["1"], size=count_size, anchor="end", fill=MUTED, cls="legend__label"))
    figure.add(Text(left + steps * key_w + 6, key_y + 9, [f"{top_count} trials"], size=count_size, fill=MUTED,
                    cls="legend__label"))  # fmt: skip
    figure.height = key_y + 10 + count_size
    return figure


# --- downloads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stamp:
    """What every download says about itself: the filter in words, the data date, the source."""

    filters_text: str
    data_date: dt.date | None
    last_ingest: dt.datetime | None
    url: str

    @classmethod
    def of(cls, filters_text: str, state: DataState, url: str) -> Stamp:
        return cls(filters_text, state.registry_updated_max, state.last_ingest_at, url)

    @property
    def data_line(self) -> str:
        if self.data_date:
            text = f"Data as of {self.data_date:%Y-%m-%d} (the newest registry update held)"
        else:
            text = "Data as of: no registry update dates held"
        if self.last_ingest:
            text += f"; last ingest {timezone.localtime(self.last_ingest, dt.UTC):%Y-%m-%d %H:%M} UTC"
        return text + "."

    @property
    def lines(self) -> list[str]:
        return [f"Filter: {self.filters_text}.", self.data_line, f"Source: CAR-T Trials Catalogue, {self.url}"]


def filename(chart: Chart, filters: TrialFilters, stamp: Stamp, extension: str) -> str:
    """car-t-landscape_<chart>[_<filters>]_<data date>.<ext>"""
    parts = []
    for name, value in filters.query_items(drop=("page", "sort", "page_size")):
        parts.append(f"{name}-{value}")
    words = re.sub(r"[^A-Za-z0-9.+-]+", "-", "_".join(parts)).strip("-")[:60]
    day = (stamp.data_date or timezone.now().date()).isoformat()
    return "_".join(p for p in ("car-t-landscape", chart.key, words, day) if p) + f".{extension}"


def standalone_svg(chart: Chart, stamp: Stamp) -> str:
    """The chart as an SVG document: its title above, the stamp below (no links)."""
    figure = chart.figures["wide"]
    width = figure.width
    title_lines = wrap(chart.title, 15, width - 8, bold=True)
    head = 6 + len(title_lines) * 19
    caption: list[str] = []
    for line in [*chart.notes, *stamp.lines]:
        caption.extend(wrap(line, 10, width - 8))
    framed = Figure(width, head + figure.height + 10 + len(caption) * 13 + 4)
    framed.add(Text(4, 20, title_lines, size=15, bold=True, cls="chart__title"))
    moved = _translated(figure, head)
    framed.items.extend(moved.items)
    framed.add(Text(4, head + figure.height + 18, caption, size=10, fill=MUTED, cls="chart__caption"))
    svg = svg_document(framed, key=chart.key, title=chart.title, description=chart.description, standalone=True)
    return str(svg)


def _translated(figure: Figure, dy: float) -> Figure:
    moved = copy.deepcopy(figure)

    def shift(shape: Any) -> None:
        if isinstance(shape, Text | Rect):
            shape.y += dy
        elif isinstance(shape, Line):
            shape.y1 += dy
            shape.y2 += dy
        elif isinstance(shape, Circle):
            shape.cy += dy
        elif isinstance(shape, Polyline):
            shape.points = [(x, y + dy) for x, y in shape.points]

    for item in moved.items:
        for shape in item.shapes if isinstance(item, Mark) else [item]:
            shift(shape)
    return moved


PNG_SCALE = 2  # print resolution: twice the SVG's size in pixels


def png(svg: str) -> bytes:
    """The SVG rendered to PNG on the server (cairosvg; no network, no scripts)."""
    import cairosvg  # noqa: PLC0415  # loads libcairo: only the PNG download needs it

    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=PNG_SCALE, unsafe=False)


def chart_csv(chart: Chart, stamp: Stamp) -> str:
    """The chart's data as CSV (UTF-8 with a BOM, for spreadsheets), headed by `#` lines
    with the chart's title and the stamp."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    for line in [chart.title, *stamp.lines]:
        buffer.write("# " + " ".join(line.split()) + "\r\n")
    writer = csv.writer(buffer)
    data = chart.data
    writer.writerow(data.headers)
    for row in data.rows:
        writer.writerow([str(c.number) if c.number is not None else neutralised(c.text) for c in row])
    return buffer.getvalue()
