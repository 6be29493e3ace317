"""The landscape page: SVG charts over the filtered catalogue, each bar a link to
the matching list, every chart with a table alternative."""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from catalogue.landscape import CHARTS as SPECS
from catalogue.landscape import build_charts, landscape_counts
from catalogue.selectors import parse_filters, trial_list
from tests.factories import make_trial

pytestmark = pytest.mark.django_db
LANDSCAPE = reverse("catalogue:landscape")
LIST = reverse("catalogue:trial_list")
CHARTS = [spec.key for spec in SPECS]
# Charts whose bars are filters of the list (sponsor type and enrollment size are not).
LINKED = ["antigen", "disease", "disease_category", "phase", "status", "modality", "start_year", "country"]
COUNT_KEYS = {
    "antigen", "phase", "status", "sponsor_type", "enrollment", "start_year", "disease_category", "disease",
    "disease_name", "country", "modality", "antigen_disease", "year_modality", "year_registry", "year_antigen",
}  # fmt: skip


def landscape(client, params=None):
    response = client.get(LANDSCAPE, params or {})
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def bars(doc, chart) -> dict[str, tuple[int, str | None]]:
    """label → (count, href or None) from the wide SVG's marks (full labels)."""
    svg = doc.select_one(f'svg[data-chart="{chart}"]')
    assert svg is not None, chart
    result = {}
    for mark in svg.select(".bar"):
        label, count = mark["aria-label"].rsplit(": ", 1)
        result[label] = (int(count.split()[0]), mark.get("href"))
    return result


def expected_counts(seed_trials, key) -> Counter:
    counter: Counter = Counter()
    for t in seed_trials.values():
        if key == "antigen":
            counter.update(t.antigen_names)
        elif key == "country":
            counter.update(t.countries)
        elif key == "phase":
            counter[t.get_phase_display()] += 1
    return counter


def test_every_chart_is_accessible_svg_with_a_table(client, seed_trials):
    doc = landscape(client)
    for chart in CHARTS:
        section = doc.select_one(f"section#chart-{chart}")
        assert section is not None, chart
        svgs = section.select("svg.chart")
        assert [s["data-chart"] for s in svgs] == [chart, chart], "one SVG per layout"
        assert {"chart--wide", "chart--narrow"} == {
            c for s in svgs for c in s["class"] if c.endswith(("wide", "narrow"))
        }
        for svg in svgs:
            title, desc = svg.find("title"), svg.find("desc")
            assert title and title.get_text() and desc and desc.get_text()
            assert svg["aria-labelledby"].split() == [title["id"], desc["id"]]
            marks = svg.select("a, g[role=img]")
            assert marks, f"{chart} draws nothing"
            for mark in marks:
                assert mark.get("aria-label") and mark.find("title"), chart
        ids = [e["id"] for s in svgs for e in s.select("[id]")]
        assert len(ids) == len(set(ids)), "ids are unique on the page"
        table = section.select("details table tbody tr")
        assert table, chart
        assert section.select_one("caption").get_text() == section.select_one("h2").get_text()


def test_bar_counts_match_the_trials(client, seed_trials):
    doc = landscape(client)
    assert {k: v[0] for k, v in bars(doc, "antigen").items()} == dict(expected_counts(seed_trials, "antigen"))
    assert {k: v[0] for k, v in bars(doc, "phase").items()} == dict(expected_counts(seed_trials, "phase"))
    assert {k: v[0] for k, v in bars(doc, "country").items()} == dict(expected_counts(seed_trials, "country"))
    years = Counter(str(t.start_date.year) for t in seed_trials.values() if t.start_date)
    charted = {k: v[0] for k, v in bars(doc, "start_year").items()}
    assert {k: n for k, n in charted.items() if n} == dict(years)
    # a timeline: the years in between are there, empty
    assert list(charted) == [str(y) for y in range(int(min(years)), int(max(years)) + 1)]


def test_each_bar_links_to_the_list_filtered_to_it(client, seed_trials):
    doc = landscape(client, {"age": "12"})
    count, href = bars(doc, "antigen")["B7-H3"]
    parts = urlsplit(href)
    assert parts.path == LIST
    assert parse_qs(parts.query) == {"age": ["12"], "antigen": ["B7-H3"]}
    listed = trial_list(filters=parse_qs(parts.query))
    assert listed.count() == count
    for chart in LINKED:
        linked = {label: (n, href) for label, (n, href) in bars(doc, chart).items() if href}
        assert linked, chart
        for label, (n, href) in linked.items():
            assert trial_list(filters=parse_qs(urlsplit(href).query)).count() == n, (chart, label)
    assert all(href is None for _, href in bars(doc, "sponsor_type").values())  # not a filter: no links


def test_the_charts_apply_the_list_filters(client, seed_trials):
    doc = landscape(client, {"antigen": "GD2"})
    gd2 = [t for t in seed_trials.values() if "GD2" in t.antigen_names]
    phases = Counter(t.get_phase_display() for t in gd2)
    assert {k: v[0] for k, v in bars(doc, "phase").items()} == dict(phases)
    antigen_bars = bars(doc, "antigen")
    assert antigen_bars["GD2"][0] == len(gd2)
    assert "HER2" not in antigen_bars
    assert f"{len(gd2)} trials" in doc.select_one(".lede").get_text()
    summary = doc.select_one(".summary__text").get_text()
    assert "GD2" in summary
    remove = doc.select_one("a.summary__remove")["href"]
    assert remove == LANDSCAPE  # removing a filter stays on the landscape


def test_selected_bars_are_marked(client, seed_trials):
    doc = landscape(client, {"phase": "phase1_phase2"})
    selected = [a["aria-label"] for a in doc.select('svg[data-chart="phase"] a.bar.is-selected')]
    assert selected and all(s.startswith("Phase 1/2") for s in selected)


def test_top_values_only_with_the_rest_in_the_table(client, db):
    for i in range(23):
        make_trial(antigens=[f"AG{i:02d}"], countries=["China"])
    doc = landscape(client)
    assert len(bars(doc, "antigen")) == 20
    section = doc.select_one('svg[data-chart="antigen"]').find_parent("section")
    assert len(section.select("details table tbody tr")) == 23
    assert "3 more" in section.select_one(".chart-card__note").get_text()


def test_trials_without_a_start_date_are_noted_not_charted(db):
    make_trial(start_date=None)
    make_trial(start_date="2021-05-01")
    total, charts = build_charts(parse_filters({}))
    years = next(c for c in charts if c.key == "start_year")
    assert total == 2
    assert [(row[0].text, row[1].number) for row in years.table.rows] == [("2021", 1)]
    assert "1 trial state no start date." in years.notes


def test_all_charts_come_from_one_query(seed_trials, settings, django_assert_num_queries):
    settings.CATALOGUE_FACET_INDEX = False  # the reference path (and the fallback): SQL
    # the data state (the cache key), the concepts the search's words may name, the charts
    with django_assert_num_queries(3):
        total, counts = landscape_counts(parse_filters({"age": "12", "q": "CAR"}))
    assert set(counts) == COUNT_KEYS
    with django_assert_num_queries(2):  # the data state, the charts
        build_charts(parse_filters({"phase": "phase1"}))


def test_all_charts_count_from_the_facet_index(seed_trials, django_assert_num_queries):
    # the data state; the concepts the search's words may name; the facet index's build
    # (once per process); the disease vocabulary's categories (once per data state); the
    # ids the free-text search keeps (SET enable_seqscan = off, the ids, RESET)
    with django_assert_num_queries(7):
        total, counts = landscape_counts(parse_filters({"age": "12", "q": "CAR"}))
    assert set(counts) == COUNT_KEYS
    with django_assert_num_queries(1):  # the data state: the index and the disease groups are held
        build_charts(parse_filters({"phase": "phase1"}))


def test_the_landscape_page_uses_few_queries(client, seed_trials, settings, django_assert_num_queries):
    # the data state, the antigen synonym lookup, the facet index's build (once per process)
    # and the disease vocabulary's categories (once per data state); the counts, the charts
    # and the map all come from the index
    with django_assert_num_queries(4):
        response = client.get(LANDSCAPE, {"antigen": "B7-H3"})
    assert response.status_code == 200
    with django_assert_num_queries(2):  # then only the data state and the antigen synonym lookup
        assert client.get(LANDSCAPE, {"antigen": "CD19"}).status_code == 200
    settings.CATALOGUE_FACET_INDEX = False
    with django_assert_num_queries(3):  # without the index: the data state, the antigen synonyms, the chart query
        assert client.get(LANDSCAPE, {"antigen": "GD2"}).status_code == 200


def test_invalid_filters_show_notices_on_the_landscape(client, seed_trials):
    doc = landscape(client, {"age": "abc"})
    assert "abc" in doc.select_one(".notices").get_text()
    assert sum(v[0] for v in bars(doc, "phase").values()) == len(seed_trials)


def test_the_landscape_has_no_sort_control(client, seed_trials):
    doc = landscape(client, {"sort": "updated"})
    assert doc.select_one("form.filter-form") is not None
    assert doc.select_one("#f-sort") is None
    assert not doc.select('form.filter-form input[name="sort"]')
    listing = BeautifulSoup(client.get(LIST).content.decode(), "html.parser")
    assert listing.select_one("#f-sort") is not None  # the list keeps it


def test_the_drawn_charts_are_cached_per_filter_trend_and_data(client, seed_trials, django_assert_num_queries):
    landscape(client, {"age": "40"})
    with django_assert_num_queries(1):  # the data state: the counts and the drawn charts come from the cache
        doc = landscape(client, {"age": "40"})
    assert bars(doc, "antigen")
    offered = [i["value"] for i in doc.select('form.trend-form input[name="trend"]')]
    assert len(offered) > 1
    other = landscape(client, {"age": "40", "trend": offered[-1]})
    assert [th.get_text() for th in other.select("#chart-antigen_trend thead th")] == ["Start year", offered[-1]]
    make_trial(antigens=["NEWAG"], start_date="2024-01-01")
    assert "NEWAG" in bars(landscape(client, {"age": "40"}), "antigen")
