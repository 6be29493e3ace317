"""The landscape's charts: a clamped start-year axis, labels that never overlap at a
desktop's or a phone's width, cross counts equal to counts made independently from
`trial_list`, a selectable antigen trend, and every chart downloadable as SVG, PNG
(rendered on the server) and CSV, each stamped with the filter and the data date."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
import struct
from collections import Counter
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from PIL import Image

from catalogue import disease_groups
from catalogue.charts import Text, place_labels
from catalogue.landscape import (
    CHARTS,
    ENROLLMENT_BUCKETS,
    LABELS,
    LAYOUTS,
    SEP,
    build_charts,
    charts_from_counts,
    layout_for_viewport,
    year_bins,
)
from catalogue.models import DataVersion, Disease
from catalogue.selectors import parse_filters, trial_list
from catalogue.summary import build_summary
from tests.factories import make_trial

TODAY = dt.date(2026, 12, 6)
VIEWPORTS = (1366, 390)
LANDSCAPE = reverse("catalogue:landscape")
SVG_NS = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chart(charts, key):
    return next(c for c in charts if c.key == key)


def assert_no_label_overlaps(figure, where):
    boxes = figure.text_boxes()
    texts = figure.texts()
    for box, text in zip(boxes, texts):
        assert box.inside(figure.width, figure.height), (where, text.lines, box, figure.width, figure.height)
    for (a, ta), (b, tb) in itertools.combinations(zip(boxes, texts), 2):
        assert not a.overlaps(b), (where, ta.lines, tb.lines, a, b)


# --- the start-year axis ------------------------------------------------------------------------


def test_an_outlier_start_year_is_clamped_into_a_before_bin():
    counts = {1985: 1, **dict.fromkeys(range(2012, 2026), 10)}
    bins = year_bins(counts, today=TODAY)
    assert bins[0].key == "<2012" and bins[0].label == "before 2012" and bins[0].holds(1985)
    assert [b.key for b in bins[1:]] == [str(y) for y in range(2012, 2026)]


def test_starts_after_next_year_are_clamped_into_an_after_bin():
    bins = year_bins({2020: 5, 2021: 5, 2031: 1, 2040: 1}, today=TODAY)
    assert [b.label for b in bins] == ["2020", "2021", "after 2027"]
    assert bins[-1].holds(2031) and bins[-1].holds(2040) and bins[-1].year is None


def test_years_before_2010_are_always_gathered():
    bins = year_bins({2005: 30, 2008: 30, 2012: 40}, today=TODAY)
    assert [b.label for b in bins] == ["before 2010", "2012"]


def test_the_years_between_are_charted_empty_not_skipped():
    bins = year_bins({2015: 3, 2019: 2}, today=TODAY)
    assert [b.label for b in bins] == ["2015", "2016", "2017", "2018", "2019"]


def test_every_start_year_falls_in_exactly_one_bin():
    rng = random.Random(7)
    for _ in range(200):
        years = {rng.randint(1980, 2045): rng.randint(1, 50) for _ in range(rng.randint(1, 25))}
        bins = year_bins(years, today=TODAY)
        for year in years:
            assert sum(b.holds(year) for b in bins) == 1, (years, year)
        assert bins[0].first is None or bins[0].first >= 2010 or bins[0].first == min(years)
        assert all(b.last is None or b.last <= TODAY.year + 1 for b in bins)


def test_the_start_year_chart_names_its_clamped_bins(db):
    for year in (1985, 2031):
        make_trial(start_date=dt.date(year, 1, 1))
    for year in range(2015, 2025):
        make_trial(start_date=dt.date(year, 6, 1))
    _, charts = build_charts(parse_filters({}), today=TODAY)
    years = chart(charts, "start_year")
    rows = [(row[0].text, row[1].number, row[0].href) for row in years.table.rows]
    assert rows[0][:2] == ("before 2010", 1) and rows[0][2] == ""  # no single year to filter the list to
    assert rows[-1][:2] == ("after 2027", 1)
    assert "“Before 2010” gathers the start years 1985." in years.notes
    assert "“After 2027” gathers the start years 2031." in years.notes
    axis = [t.lines for t in years.figures["wide"].texts() if t.cls == "axis__label"]
    assert axis[0] == ["before", "2010"] and axis[-1] == ["after", "2027"]


# --- labels never overlap -----------------------------------------------------------------------


def test_the_layouts_follow_the_viewport():
    assert layout_for_viewport(1366) == "wide"
    assert layout_for_viewport(390) == "narrow"
    assert LAYOUTS["narrow"][0] < 360 < LAYOUTS["wide"][0]  # a phone's card, a desktop's card


def test_axis_labels_are_thinned_until_none_overlap():
    labels = [Text(10 + i * 9, 100, [str(1990 + i)], size=12, anchor="middle") for i in range(40)]
    shown = place_labels(labels, 400)
    assert shown[0].lines == ["1990"] and shown[-1].lines == ["2029"]
    assert len(shown) < len(labels)
    for a, b in itertools.combinations(shown, 2):
        assert not a.box().overlaps(b.box())


def crowded_counts() -> dict[str, dict[str, int]]:
    """Counts at their most awkward: long and non-Latin names, four- and five-digit counts,
    an axis from 1985 to 2040, every series and group."""
    rng = random.Random(3)
    antigens = [f"Antigen with a very long name {i}" for i in range(30)] + ["CD19", "BCMA", "Claudin 18.2", "抗原"]
    groups = [g for g, _, _ in disease_groups.GROUPS] + list(disease_groups.FALLBACK.values())
    years = [1985, 1999, *range(2008, 2027), 2031, 2040]
    counts: dict[str, dict[str, int]] = {
        "antigen": {a: rng.randint(1, 40000) for a in antigens},
        "disease": {g: rng.randint(1, 20000) for g in groups},
        "disease_name": {f"{g}{SEP}{g} member": 1 for g in groups},
        "disease_category": {"hematologic_malignancy": 60000, "solid_tumor": 30000, "autoimmune": 9000, "other": 7},
        "phase": {p: rng.randint(1, 50000) for p in LABELS["phase"]},
        "status": {s: rng.randint(1, 50000) for s in LABELS["status"]},
        "modality": {m: rng.randint(1, 90000) for m in LABELS["modality"]},
        "sponsor_type": {"industry": 40000, "academic": 55000, "government": 3000, "other": 2000},
        "enrollment": {str(i): rng.randint(1, 30000) for i in range(len(ENROLLMENT_BUCKETS))},
        "country": {f"Country number {i} of a long list": rng.randint(1, 70000) for i in range(40)},
        "start_year": {str(y): rng.randint(1, 9000) for y in years},
        "antigen_disease": {f"{a}{SEP}{g}": rng.randint(1, 12000) for a in antigens for g in groups},
        "year_modality": {f"{y}{SEP}{m}": rng.randint(1, 9000) for y in years for m in [*LABELS["modality"], ""]},
        "year_registry": {f"{y}{SEP}{r}": rng.randint(1, 9000) for y in years for r in LABELS["registry"]},
        "year_antigen": {f"{y}{SEP}{a}": rng.randint(1, 9000) for y in years for a in antigens},
    }
    return counts


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_label_overlaps_another_at_desktop_and_phone_widths(db, viewport):
    layout = layout_for_viewport(viewport)
    charts = charts_from_counts(
        parse_filters({}), crowded_counts(), trend=["抗原", "Claudin 18.2", "CD19", "BCMA", "cd19"], today=TODAY
    )
    assert {c.key for c in charts} == {spec.key for spec in CHARTS}
    for c in charts:
        figure = c.figures[layout]
        assert figure.width == (LAYOUTS[layout][1] if c.spec.full else LAYOUTS[layout][0])
        assert figure.texts(), c.key
        assert_no_label_overlaps(figure, (c.key, viewport))


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_label_overlaps_another_on_the_sample_trials(client, seed_trials, viewport):
    _, charts = build_charts(parse_filters({}))
    for c in charts:
        if not c.empty:
            assert_no_label_overlaps(c.figures[layout_for_viewport(viewport)], (c.key, viewport))


# --- cross counts equal independent counts ------------------------------------------------------

DISEASES = [
    ("Diffuse large B-cell lymphoma", "hematologic_malignancy"),
    ("Multiple myeloma", "hematologic_malignancy"),
    ("B-cell acute lymphoblastic leukemia", "hematologic_malignancy"),
    ("Glioma (incl. glioblastoma)", "solid_tumor"),
    ("A solid tumour no mapping names", "solid_tumor"),
    ("Systemic lupus erythematosus", "autoimmune"),
    ("Follicular lymphoma", "hematologic_malignancy"),  # a second disease of a group: the trial counts once
    ("Lupus nephritis", "autoimmune"),
]


@pytest.fixture
def varied_trials(db):
    """Trials over every combination that a cross count can get wrong."""
    rng = random.Random(11)
    antigens = ["CD19", "BCMA", "CD22", "GD2", "B7-H3"]
    modalities = [["car_t"], ["car_nk"], ["car_t", "car_nk"], [], ["tcr_t"], ["in_vivo_car"]]
    trials = []
    for i in range(40):
        year = rng.choice([1991, 2012, 2015, 2016, 2019, 2023, 2024, 2030, None])
        trials.append(
            make_trial(
                registry="chictr" if i % 3 == 0 else "ctgov",
                registry_id=f"ChiCTR26{i:08d}" if i % 3 == 0 else f"NCT7{i:07d}",
                antigens=rng.sample(antigens, rng.randint(0, 2)),
                diseases=rng.sample(DISEASES, rng.randint(0, 3)),
                modalities=rng.choice(modalities),
                start_date=dt.date(year, 3, 1) if year else None,
                enrollment=rng.choice([None, 0, 9, 10, 11, 45, 120, 600]),
                sponsor_type=rng.choice([None, "industry", "academic", "government", "other"]),
                status=rng.choice(["recruiting", "completed", None]),
            )
        )
    return trials


def independent(filters_params):
    """The rows of trial_list, and each trial's disease groups, read without the landscape's SQL."""
    rows = list(trial_list(filters=filters_params))
    categories = dict(Disease.objects.values_list("name", "category"))
    groups = {t.pk: {disease_groups.group_of(n, categories.get(n)) for n in t.disease_names} for t in rows}
    return rows, groups


@pytest.mark.parametrize("params", [{}, {"status": ["recruiting"]}, {"antigen": ["CD19"]}])
def test_the_heatmap_counts_equal_counts_made_from_the_trial_list(varied_trials, params):
    rows, groups = independent(params)
    expected = Counter()
    for t in rows:
        for antigen in t.antigen_names:
            for group in groups[t.pk]:
                expected[(antigen, group)] += 1
    _, charts = build_charts(parse_filters(params), today=TODAY)
    heat = chart(charts, "antigen_disease")
    assert heat.data.headers == ["Antigen", "Disease group", "Trials"]
    charted = {(r[0].text, r[1].text): r[2].number for r in heat.data.rows}
    assert charted == dict(expected)
    assert "Other solid tumors" in {g for _, g in charted} or params  # the unmapped disease's fallback group
    # the drawn grid says the same, and each cell links to exactly its trials
    for row in heat.table.rows:
        for antigen, cell in zip(heat.table.headers[1:], row[1:]):
            assert cell.number == expected[(antigen, row[0].text)]
            if cell.href and not params:
                listed = trial_list(filters=parse_qs(urlsplit(cell.href).query)).count()
                assert listed == cell.number, (antigen, row[0].text)


@pytest.mark.parametrize("params", [{}, {"registry": ["chictr"]}])
def test_the_stacked_year_charts_equal_counts_made_from_the_trial_list(varied_trials, params):
    rows, _ = independent(params)
    dated = [t for t in rows if t.start_date]
    bins = year_bins(Counter(t.start_date.year for t in dated), today=TODAY)

    def bin_of(t):
        return next(b.label for b in bins if b.holds(t.start_date.year))

    by_modality = Counter((bin_of(t), m) for t in dated for m in (t.modalities or [""]))
    by_registry = Counter((bin_of(t), t.registry) for t in dated)
    per_bin = Counter(bin_of(t) for t in dated)
    _, charts = build_charts(parse_filters(params), today=TODAY)
    for key, expected, values in (
        ("year_modality", by_modality, LABELS["year_modality"]),
        ("year_registry", by_registry, LABELS["year_registry"]),
    ):
        table = chart(charts, key).table
        value_of = {label: value for value, label in values.items()}
        assert [r[0].text for r in table.rows] == [b.label for b in bins]
        for row in table.rows:
            for header, cell in zip(table.headers[1:-1], row[1:-1]):
                assert cell.number == expected[(row[0].text, value_of[header])], (key, row[0].text, header)
                if cell.href:
                    assert trial_list(filters=parse_qs(urlsplit(cell.href).query)).count() == cell.number
            assert row[-1].number == per_bin[row[0].text]


def test_the_simple_charts_equal_counts_made_from_the_trial_list(varied_trials):
    rows, groups = independent({})
    _, charts = build_charts(parse_filters({}), today=TODAY)

    def table(key):
        return {r[0].text: r[1].number for r in chart(charts, key).table.rows}

    assert table("sponsor_type") == {
        LABELS["sponsor_type"][k]: n for k, n in Counter(t.sponsor_type for t in rows if t.sponsor_type).items()
    }
    buckets = Counter()
    for t in rows:
        if t.enrollment is not None:
            label = next(lb for low, high, lb in ENROLLMENT_BUCKETS if low <= t.enrollment <= (high or 10**9))
            buckets[label] += 1
    assert table("enrollment") == dict(buckets)
    assert table("disease") == dict(Counter(g for t in rows for g in groups[t.pk]))
    assert table("status") == {LABELS["status"][k]: n for k, n in Counter(t.status for t in rows if t.status).items()}
    unstated = sum(1 for t in rows if not groups[t.pk])
    assert (
        f"{unstated} trial{'s' if unstated != 1 else ''} name no disease the catalogue recognises."
        in chart(charts, "disease").notes
    )


def test_each_disease_group_bar_opens_exactly_its_trials(client, varied_trials):
    doc = BeautifulSoup(client.get(LANDSCAPE).content.decode(), "html.parser")
    marks = doc.select('svg.chart--wide[data-chart="disease"] a.bar')
    assert marks
    for mark in marks:
        count = int(mark["aria-label"].rsplit(": ", 1)[1].split()[0])
        assert trial_list(filters=parse_qs(urlsplit(mark["href"]).query)).count() == count, mark["aria-label"]


# --- the antigen trend --------------------------------------------------------------------------


def test_the_trend_draws_the_chosen_antigens_in_any_spelling(client, varied_trials):
    response = client.get(LANDSCAPE, {"trend": ["cd19", "b7h3", "NOPE"], "status": "recruiting"})
    doc = BeautifulSoup(response.content.decode(), "html.parser")
    section = doc.select_one("section#chart-antigen_trend")
    assert [th.get_text() for th in section.select("thead th")] == ["Start year", "CD19", "B7-H3"]
    assert "“NOPE”" in section.select_one(".chart-card__note").get_text()
    checked = [i["value"] for i in section.select('form.trend-form input[name="trend"][checked]')]
    assert sorted(checked) == ["B7-H3", "CD19"]
    hidden = {(i["name"], i["value"]) for i in section.select('form.trend-form input[type="hidden"]')}
    assert hidden == {("status", "recruiting")}  # the filters ride along, the trend is the form's own
    csv_link = section.select_one('.chart-card__downloads a[href*=".csv"]')["href"]
    assert parse_qs(urlsplit(csv_link).query) == {"status": ["recruiting"], "trend": ["CD19", "B7-H3"]}
    # the filter form keeps the chosen trend when the filters change
    form_hidden = {(i["name"], i["value"]) for i in doc.select('form.filter-form input[type="hidden"]')}
    assert {("trend", "cd19"), ("trend", "b7h3")} <= form_hidden
    # the trend is no filter: the other charts are unchanged
    assert f"{trial_list(filters={'status': ['recruiting']}).count()} trials" in doc.select_one(".lede").get_text()


def test_the_trend_lines_equal_counts_made_from_the_trial_list(varied_trials):
    rows, _ = independent({})
    dated = [t for t in rows if t.start_date]
    bins = year_bins(Counter(t.start_date.year for t in dated), today=TODAY)
    _, charts = build_charts(parse_filters({}), trend=["GD2", "CD22"], today=TODAY)
    trend = chart(charts, "antigen_trend")
    assert trend.table.headers == ["Start year", "GD2", "CD22"]
    for b, row in zip(bins, trend.table.rows):
        for antigen, cell in zip(("GD2", "CD22"), row[1:]):
            expected = sum(1 for t in dated if b.holds(t.start_date.year) and antigen in t.antigen_names)
            assert cell.number == expected


def test_without_a_choice_the_trend_draws_the_most_frequent_antigens(varied_trials):
    rows, _ = independent({})
    frequency = Counter(a for t in rows if t.start_date for a in t.antigen_names)
    _, charts = build_charts(parse_filters({}), today=TODAY)
    top = sorted(frequency, key=lambda a: (-frequency[a], a))[:3]
    assert chart(charts, "antigen_trend").table.headers[1:] == top


# --- downloads ----------------------------------------------------------------------------------


@pytest.fixture
def data_date(db):
    DataVersion.objects.filter(pk=1).update(
        registry_updated_max=dt.date(2026, 8, 21), last_ingest_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    )
    return "2026-08-21"


def download(client, key, fmt, params):
    response = client.get(reverse("catalogue:landscape_chart", args=[key, fmt]), params)
    assert response.status_code == 200, (key, fmt, response.content[:300])
    return response


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == PNG_SIGNATURE
    assert body[12:16] == b"IHDR"
    return struct.unpack(">II", body[16:24])


@pytest.mark.parametrize("spec", CHARTS, ids=lambda s: s.key)
def test_every_chart_downloads_as_svg_png_and_csv_with_the_stamp(client, seed_trials, data_date, spec):
    params = {"age": "12"}
    filter_text = build_summary(parse_filters(params)).text
    assert filter_text != "All trials"

    svg = download(client, spec.key, "svg", params)
    assert svg["Content-Type"] == "image/svg+xml; charset=utf-8"
    disposition = svg["Content-Disposition"]
    assert disposition == f'attachment; filename="car-t-landscape_{spec.key}_age-12_{data_date}.svg"'
    root = ElementTree.fromstring(svg.content)  # a well-formed XML document
    assert root.tag == f"{SVG_NS}svg"
    words = " ".join(t.strip() for t in root.itertext())
    assert f"Filter: {filter_text}." in words
    assert f"Data as of {data_date}" in words and "last ingest 2026-12-01 09:30 UTC" in words
    assert "/landscape/?age=12" in words
    assert not root.findall(f".//{SVG_NS}a")  # a figure to cite: no links back into the site
    width, height = float(root.get("width")), float(root.get("height"))

    png = download(client, spec.key, "png", params)
    assert png["Content-Type"] == "image/png"
    assert png["Content-Disposition"].endswith(f'_{data_date}.png"')
    w, h = png_size(png.content)
    assert abs(w - 2 * width) <= 1 and abs(h - 2 * height) <= 1  # rendered at twice the size
    image = Image.open(io.BytesIO(png.content)).convert("L")
    dark = sum(image.histogram()[:100])
    assert dark > 500, "the labels and the stamp are drawn"

    body = download(client, spec.key, "csv", params)
    assert body["Content-Type"] == "text/csv; charset=utf-8"
    assert body.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: spreadsheets read it right
    text = body.content.decode("utf-8-sig")
    comments = [line for line in text.splitlines() if line.startswith("# ")]
    assert comments[1:3] == [
        f"# Filter: {filter_text}.",
        f"# Data as of {data_date} (the newest registry update held); last ingest 2026-12-01 09:30 UTC.",
    ]
    table = list(csv.reader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("# ")))))
    _, charts = build_charts(parse_filters(params), only=spec.key)
    assert table[0] == charts[0].data.headers
    assert table[1:] == [[c.text for c in row] for row in charts[0].data.rows]


def test_a_download_without_data_dates_says_so(client, seed_trials):
    DataVersion.objects.filter(pk=1).update(registry_updated_max=None, last_ingest_at=None)
    text = download(client, "phase", "csv", {}).content.decode("utf-8-sig")
    assert "# Filter: All trials." in text
    assert "# Data as of: no registry update dates held." in text


def test_a_download_costs_a_bounded_number_of_queries(client, seed_trials, settings, django_assert_num_queries):
    # the data state, the antigen synonyms (the summary reuses the names), the facet index's
    # build (once per process) and the disease vocabulary's categories (once per data state)
    with django_assert_num_queries(4):
        download(client, "antigen_disease", "svg", {"antigen": "B7-H3"})
    with django_assert_num_queries(2):  # then the data state and the antigen synonyms
        download(client, "antigen_disease", "svg", {"antigen": "CD19"})
    settings.CATALOGUE_FACET_INDEX = False
    with django_assert_num_queries(3):  # without the index: the data state, the antigen synonyms, the charts
        download(client, "antigen_disease", "svg", {"antigen": "GD2"})


def test_invalid_filters_make_a_download_answer_400_and_unknown_charts_404(client, seed_trials):
    response = client.get(reverse("catalogue:landscape_chart", args=["phase", "png"]), {"age": "abc"})
    assert response.status_code == 400 and b"abc" in response.content
    assert client.get("/landscape/nothing.svg").status_code == 404
    assert client.get("/landscape/phase.gif").status_code == 404


def test_registry_text_is_escaped_in_the_page_and_the_downloads(client, db, data_date):
    hostile = '<script>alert("x")</script> & \x07CAR'
    make_trial(antigens=[hostile], countries=['Utopia "</svg><b>bold</b>'], start_date=dt.date(2020, 1, 1))
    page = client.get(LANDSCAPE).content.decode()
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    doc = BeautifulSoup(page, "html.parser")
    assert not doc.select("svg script, svg b")
    labels = [m["aria-label"] for m in doc.select('svg.chart--wide[data-chart="antigen"] .bar')]
    assert labels == ['<script>alert("x")</script> & CAR: 1 trial']  # the control character is dropped
    for key in ("antigen", "country", "antigen_trend", "antigen_disease"):
        root = ElementTree.fromstring(download(client, key, "svg", {}).content)
        assert not root.findall(f".//{SVG_NS}script")
        assert png_size(download(client, key, "png", {}).content)[0] > 0
    rows = download(client, "antigen", "csv", {}).content.decode("utf-8-sig")
    assert '<script>alert(""x"")</script> & \x07CAR' in rows  # the CSV keeps the registry's text


def test_a_spreadsheet_formula_in_a_name_is_neutralised_in_the_csv(client, db):
    make_trial(antigens=["=HYPERLINK(1)"])
    text = download(client, "antigen", "csv", {}).content.decode("utf-8-sig")
    assert "'=HYPERLINK(1),1" in text.splitlines()


def test_each_chart_card_offers_its_three_downloads_with_the_filters(client, seed_trials):
    doc = BeautifulSoup(client.get(LANDSCAPE, {"phase": "phase1", "page": "3"}).content.decode(), "html.parser")
    for spec in CHARTS:
        links = doc.select(f"section#chart-{spec.key} .chart-card__downloads a")
        hrefs = [urlsplit(a["href"]) for a in links]
        assert [h.path for h in hrefs] == [f"/landscape/{spec.key}.{fmt}" for fmt in ("svg", "png", "csv")], spec.key
        assert all(parse_qs(h.query) == {"phase": ["phase1"]} for h in hrefs if spec.key != "antigen_trend")


@pytest.mark.corpus
@pytest.mark.slow
def test_the_real_bulk_snapshot_charts_without_overlaps_and_with_exact_cross_counts(db):
    from ingest.pipeline import ingest_paths
    from tests.conftest import corpus_path

    report = ingest_paths([str(corpus_path("bulk", "ctgov-cart-snapshot-2026-08-22.json"))])
    assert report.failed == 0
    _, charts = build_charts(parse_filters({}), today=TODAY)
    for c in charts:
        assert not c.empty, c.key
        for viewport in VIEWPORTS:
            assert_no_label_overlaps(c.figures[layout_for_viewport(viewport)], (c.key, viewport))
    rows, groups = independent({})
    expected = Counter((a, g) for t in rows for a in t.antigen_names for g in groups[t.pk])
    assert {(r[0].text, r[1].text): r[2].number for r in chart(charts, "antigen_disease").data.rows} == dict(expected)
    dated = [t for t in rows if t.start_date]
    bins = year_bins(Counter(t.start_date.year for t in dated), today=TODAY)
    assert bins[0].label.startswith("before")  # the snapshot's earliest starts are gathered
    table = chart(charts, "year_registry").table
    assert [r[-1].number for r in table.rows] == [sum(1 for t in dated if b.holds(t.start_date.year)) for b in bins]


@pytest.mark.django_db(transaction=True)
def test_a_cached_landscape_and_its_downloads_cost_no_search_allowance(settings):
    from django.core.cache import caches
    from django.test import Client

    settings.CATALOGUE_CACHE_SECONDS = 600
    settings.SEARCH_RATE = "2/m"
    caches["counts"].clear()
    caches["ratelimit"].clear()
    try:
        make_trial(antigens=["CD19"], start_date=dt.date(2020, 1, 1))
        a = Client(REMOTE_ADDR="198.51.100.7")
        assert a.get(LANDSCAPE, {"antigen": "CD19"}).status_code == 200  # a new search: counts once
        for _ in range(4):  # the same filters again, and their downloads: answered from the cache
            assert a.get(LANDSCAPE, {"antigen": "CD19", "trend": "CD19"}).status_code == 200
            assert (
                a.get(reverse("catalogue:landscape_chart", args=["phase", "csv"]), {"antigen": "CD19"}).status_code
                == 200
            )
        assert a.get(LANDSCAPE, {"phase": "phase1"}).status_code == 200
        over = a.get(reverse("catalogue:landscape_chart", args=["phase", "png"]), {"status": "recruiting"})
        assert over.status_code == 429 and over["Retry-After"]
        assert over["Content-Type"] == "text/plain; charset=utf-8"
    finally:
        caches["counts"].clear()
        caches["ratelimit"].clear()
