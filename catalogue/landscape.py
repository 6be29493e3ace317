"""The landscape page: how the (filtered) catalogue splits by antigen, phase,
start year, disease category, modality and country, as server-rendered SVG bar charts.

All the counts come from one query: a CTE over `trial_list(filters=...)`
(so the charts honour exactly the list's filters) and a UNION ALL of one
GROUP BY per chart. Each bar links to the list filtered to that bar: the
chart's own filter is replaced by the bar's value, every other filter kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from catalogue.choices import DiseaseCategory, Phase
from catalogue.selectors import CHOICE_LABELS, TrialFilters, cached, read_connection, trial_list

TOP_N = 20


@dataclass(frozen=True)
class ChartSpec:
    key: str  # the chart's group key, and the GET filter its bars set
    title: str
    description: str
    top: int | None = None  # keep only the top N bars (by count)
    vertical: bool = False  # columns along an axis (years) instead of bars
    unstated: str = "state none"  # how to say that some trials have no value here
    multiple: bool = False  # a trial can count under several bars


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        "antigen",
        "Trials by target antigen",
        "Number of trials targeting each antigen",
        top=TOP_N,
        unstated="name no antigen the catalogue recognises",
        multiple=True,
    ),
    ChartSpec("phase", "Trials by phase", "Number of trials in each phase"),
    ChartSpec(
        "start_year",
        "Trials by start year",
        "Number of trials starting each year (planned starts included)",
        vertical=True,
        unstated="state no start date",
    ),
    ChartSpec(
        "disease_category",
        "Trials by disease category",
        "Number of trials in each disease category",
        unstated="name no disease the catalogue recognises",
        multiple=True,
    ),
    ChartSpec(
        "modality",
        "Trials by modality",
        "Number of trials studying each kind of engineered cell therapy",
        unstated="study no engineered cell therapy the catalogue recognises",
        multiple=True,
    ),
    ChartSpec(
        "country",
        "Trials by country",
        "Number of trials with a site in each country",
        top=TOP_N,
        unstated="list no country",
        multiple=True,
    ),
)


def landscape_counts(filters: TrialFilters) -> tuple[int, dict[str, dict[str, int]]]:
    """(total, {chart: {value: count}}) for the filtered catalogue: cached per filter
    and data version, like the list's counts; on a miss, one query."""
    return cached(filters, ("landscape",), lambda: _landscape_counts(filters))


def _landscape_counts(filters: TrialFilters) -> tuple[int, dict[str, dict[str, int]]]:
    queryset = (
        trial_list(filters=filters)
        .order_by()
        .values("antigen_names", "phase", "start_date", "disease_categories", "countries", "modalities")
    )
    sql, params = queryset.query.sql_with_params()
    union = f"""
        WITH t AS ({sql})
        SELECT 'antigen', v::text, COUNT(*) FROM t, unnest(t.antigen_names) v WHERE v <> '' GROUP BY 2
        UNION ALL SELECT 'phase', t.phase::text, COUNT(*) FROM t GROUP BY 2
        UNION ALL SELECT 'start_year', EXTRACT(YEAR FROM t.start_date)::int::text, COUNT(*) FROM t GROUP BY 2
        UNION ALL SELECT 'disease_category', v::text, COUNT(*) FROM t, unnest(t.disease_categories) v
                  WHERE v <> '' GROUP BY 2
        UNION ALL SELECT 'country', v::text, COUNT(*) FROM t, unnest(t.countries) v WHERE v <> '' GROUP BY 2
        UNION ALL SELECT 'modality', v::text, COUNT(*) FROM t, unnest(t.modalities) v WHERE v <> '' GROUP BY 2
        UNION ALL SELECT 'modality', NULL, COUNT(*) FROM t WHERE cardinality(t.modalities) = 0
        UNION ALL SELECT 'antigen', NULL, COUNT(*) FROM t WHERE cardinality(t.antigen_names) = 0
        UNION ALL SELECT 'disease_category', NULL, COUNT(*) FROM t WHERE cardinality(t.disease_categories) = 0
        UNION ALL SELECT 'country', NULL, COUNT(*) FROM t WHERE cardinality(t.countries) = 0
        UNION ALL SELECT 'total', NULL, COUNT(*) FROM t
    """
    with read_connection().cursor() as cursor:
        cursor.execute(union, params)
        rows = cursor.fetchall()
    counts: dict[str, dict[str, int]] = {spec.key: {} for spec in CHARTS}
    total = 0
    for key, value, n in rows:
        if key == "total":
            total = n
        elif value is None:
            if n:
                counts[key][""] = n  # trials stating no value (no start date, no antigen...)
        else:
            counts[key][value] = n
    return total, counts


@dataclass
class Bar:
    value: str
    label: str
    count: int
    href: str
    selected: bool = False
    # geometry, in the chart's viewBox units
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    label_x: float = 0
    label_y: float = 0
    count_x: float = 0
    count_y: float = 0
    show_label: bool = True
    show_count: bool = True
    short_label: str = ""

    @property
    def aria_label(self) -> str:
        return f"{self.label}: {self.count} trial{'s' if self.count != 1 else ''}"


@dataclass
class Chart:
    spec: ChartSpec
    bars: list[Bar] = field(default_factory=list)
    table: list[Bar] = field(default_factory=list)  # every value, for the table fallback
    width: int = 520
    height: int = 0
    hidden_count: int = 0  # values beyond the top N
    unstated: int = 0  # trials with no value for this chart (e.g. no start date)
    axis_y: float = 0
    max_count: int = 0

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def description(self) -> str:
        parts = [self.spec.description]
        if self.bars:
            top = max(self.bars, key=lambda b: b.count)
            parts.append(f"The largest is {top.label} with {top.count}.")
        if self.hidden_count:
            parts.append(f"{self.hidden_count} more values are not shown.")
        if self.unstated:
            parts.append(f"{self.unstated} trial{'s' if self.unstated != 1 else ''} {self.spec.unstated}.")
        return " ".join(parts)


def _order(spec: ChartSpec, values: dict[str, int]) -> list[tuple[str, int]]:
    if spec.key == "phase":
        order = list(Phase.values)
        return sorted(values.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    if spec.key == "disease_category":
        order = list(DiseaseCategory.values)
        return sorted(values.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    if spec.key == "start_year":
        return sorted(values.items(), key=lambda kv: int(kv[0]))
    return sorted(values.items(), key=lambda kv: (-kv[1], kv[0].lower()))


def _link(filters: TrialFilters, key: str, value: str, list_url: str) -> str:
    query = filters.querystring(drop=(key, "page"), with_=(key, value))
    return f"{list_url}?{query}" if query else list_url


def _selected(filters: TrialFilters, key: str, value: str) -> bool:
    current = filters.values.get(key)
    if current is None:
        return False
    if isinstance(current, list):
        return value in [str(v) for v in current]
    return str(current) == value


def build_charts(filters: TrialFilters) -> tuple[int, list[Chart]]:
    total, counts = landscape_counts(filters)
    list_url = reverse("catalogue:trial_list")
    charts = []
    for spec in CHARTS:
        values = dict(counts[spec.key])
        chart = Chart(spec=spec, unstated=values.pop("", 0))
        if spec.key == "start_year" and values:
            # A timeline: years without trials are shown as empty columns, not skipped.
            years = [int(v) for v in values]
            for year in range(min(years), max(years) + 1):
                values.setdefault(str(year), 0)
        ordered = _order(spec, values)
        labels = CHOICE_LABELS.get(spec.key, {})
        chart.table = [
            Bar(
                value=value,
                label=labels.get(value, value),
                count=n,
                href=_link(filters, spec.key, value, list_url),
                selected=_selected(filters, spec.key, value),
            )
            for value, n in ordered
        ]
        chart.bars = chart.table
        if spec.top and len(ordered) > spec.top:
            chart.hidden_count = len(ordered) - spec.top
            chart.bars = chart.table[: spec.top]
        _layout(chart)
        charts.append(chart)
    return total, charts


# --- geometry -----------------------------------------------------------------------------

ROW = 26  # a horizontal bar's row height
BAR = 18
LABEL_W = 170  # room for the labels on the left
COUNT_W = 56  # room for the count after the longest bar
COL_AREA = 150  # vertical chart: the columns' height
COL_WIDTH = 1040  # vertical chart: the viewBox width (it spans the page)
MIN_COL = 14


def _layout(chart: Chart) -> None:
    chart.max_count = max((b.count for b in chart.bars), default=0)
    scale_max = chart.max_count or 1
    if chart.spec.vertical:
        _layout_columns(chart, scale_max)
        return
    area = chart.width - LABEL_W - COUNT_W
    top = 6
    for i, bar in enumerate(chart.bars):
        bar.x = LABEL_W
        bar.y = top + i * ROW
        bar.height = BAR
        bar.width = max(2.0, round(area * bar.count / scale_max, 1))
        bar.label_x = LABEL_W - 8
        bar.label_y = bar.y + BAR / 2 + 5
        bar.count_x = bar.x + bar.width + 6
        bar.count_y = bar.label_y
        bar.short_label = bar.label if len(bar.label) <= 23 else bar.label[:22] + "…"
    chart.height = top + len(chart.bars) * ROW + 4


def _layout_columns(chart: Chart, scale_max: int) -> None:
    chart.width = COL_WIDTH
    n = max(len(chart.bars), 1)
    left, right, top = 8, 8, 20
    area = chart.width - left - right
    step = area / n
    width = max(3.0, min(44.0, step * 0.7))
    label_every = 1 if step >= 34 else (2 if step >= 18 else 5)
    chart.axis_y = top + COL_AREA
    for i, bar in enumerate(chart.bars):
        height = max(2.0, round(COL_AREA * bar.count / scale_max, 1)) if bar.count else 0.0
        bar.width = round(width, 1)
        bar.x = round(left + i * step + (step - width) / 2, 1)
        bar.y = round(chart.axis_y - height, 1)
        bar.height = height
        bar.short_label = bar.label
        bar.label_x = round(bar.x + width / 2, 1)
        bar.label_y = chart.axis_y + 16
        bar.count_x = bar.label_x
        bar.count_y = bar.y - 4
        year = int(bar.value) if bar.value.isdigit() else 0
        bar.show_count = step >= 22 and bar.count > 0
        bar.show_label = i == 0 or i == n - 1 or (year % label_every == 0 if label_every > 1 else True)
    chart.height = int(chart.axis_y + 26)


def landscape_context(filters: TrialFilters) -> dict[str, Any]:
    total, charts = build_charts(filters)
    return {"total": total, "charts": charts}
