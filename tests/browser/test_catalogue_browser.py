"""The catalogue as a person uses it: real Chromium (Playwright) against
Django's live server, with the sample pages ingested through the real
pipeline. A screenshot of each step goes to tests/artifacts/."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from catalogue.landscape import CHARTS as LANDSCAPE_CHARTS
from tests.conftest import SAMPLES, corpus_path

B7H3_SARCOMA = "ChiCTR2500108722"
HER2 = "NCT06101082"
QUAD = "NCT03356782"
GD2_B7H3 = "NCT06836505"
LUPUS = "ChiCTR2500105227"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ingest(*paths: str) -> None:
    from ingest.pipeline import ingest_paths

    report = ingest_paths([str(p) for p in paths])
    assert report.failed == 0, report.problems


def listed(page: Page) -> set[str]:
    return {t.strip() for t in page.locator(".trial-list .trial__id").all_inner_texts()}


def facet_link(page: Page, facet: str, label: str):
    return page.locator(f'section.facet[aria-labelledby="facet-{facet}"] a.facet-value').filter(
        has=page.locator(".facet-value__label", has_text=re.compile(rf"^{re.escape(label)}$"))
    )


def summary(page: Page) -> str:
    """The filter summary as a sentence (without the remove buttons' ×)."""
    return " ".join(page.locator(".summary__text").inner_text().replace("✕", "").split()).replace(" ,", ",")


def shot(page: Page, artifacts_dir, name: str, full_page: bool = True) -> None:
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=full_page)


def test_a_person_narrows_the_catalogue_down_to_a_trial(page: Page, live_server, artifacts_dir):
    ingest(SAMPLES)
    page.set_viewport_size({"width": 1280, "height": 900})

    # 1. The list: every trial, the stylesheet applied.
    page.goto(live_server.url + "/")
    expect(page.locator("#results-heading")).to_have_text("5 trials")
    assert listed(page) == {B7H3_SARCOMA, HER2, QUAD, GD2_B7H3, LUPUS}
    header_colour = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    assert header_colour == "rgb(15, 42, 92)", "catalogue.css did not load"
    expect(page.locator(".trial", has_text=LUPUS).locator(".facts")).to_contain_text("age limits not stated")
    shot(page, artifacts_dir, "01-list")

    # 2. The B7-H3 facet: exactly the B7-H3 trials.
    facet_link(page, "antigen", "B7-H3").click()
    page.wait_for_url(re.compile(r"antigen=B7-H3"))
    assert listed(page) == {B7H3_SARCOMA, GD2_B7H3}
    expect(facet_link(page, "antigen", "B7-H3")).to_have_attribute("aria-current", "true")
    assert summary(page).startswith("B7-H3 trials")
    shot(page, artifacts_dir, "02-antigen-b7h3")

    # 3. Back to all antigens, then age 12: the adult-only trial goes, the one without limits stays.
    facet_link(page, "antigen", "B7-H3").click()
    page.wait_for_url(lambda url: "antigen" not in url)
    page.fill("#f-age", "12")
    page.locator("form.filter-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"age=12"))
    ids = listed(page)
    assert HER2 not in ids
    assert {LUPUS, B7H3_SARCOMA, QUAD, GD2_B7H3} <= ids
    assert summary(page).startswith("Trials accepting a 12-year-old")
    shot(page, artifacts_dir, "03-age-12")

    # 4. A dose range: trials without a per-kg dose leave, the age filter stays.
    page.fill("#f-dose-min", "2e6")
    page.fill("#f-dose-max", "5e6")
    page.locator("form.filter-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"dose_min=2e6"))
    assert listed(page) == {B7H3_SARCOMA, QUAD, GD2_B7H3}
    assert summary(page) == "Trials accepting a 12-year-old, dosing within 2×10⁶–5×10⁶ cells/kg Clear all"
    expect(page.locator("#f-age")).to_have_value("12")
    shot(page, artifacts_dir, "04-dose-range")

    # The "recruiting only" box submits itself (progressive enhancement).
    page.check("#f-recruiting")
    page.wait_for_url(re.compile(r"status=recruiting"))
    assert B7H3_SARCOMA not in listed(page)  # not yet recruiting
    assert "dose_min=2e6" in page.url and "age=12" in page.url

    # 5. A trial page, and its link to the registry.
    page.goto(live_server.url + "/?age=12")
    page.locator(".trial__title a", has_text="universal CAR-T cells targeting B7-H3").click()
    page.wait_for_url(re.compile(rf"/trials/{B7H3_SARCOMA}/$"))
    expect(page.locator("h1")).to_contain_text("B7-H3")
    expect(page.locator(".trial-page__title-zh")).to_have_attribute("lang", "zh")
    registry_link = page.locator(".trial-page__source a.button--secondary")
    expect(registry_link).to_have_attribute("href", re.compile(rf"^https://www\.chictr\.org\.cn/.*{B7H3_SARCOMA}"))
    expect(registry_link).to_have_attribute("rel", "noopener noreferrer")
    phase_row = page.locator("table.compare tr", has=page.locator("th", has_text="Phase"))
    expect(phase_row).to_contain_text("Not applicable")
    expect(phase_row).to_contain_text("New Treatment Measure Clinical Study")
    shot(page, artifacts_dir, "05-trial-page")

    # 6. The landscape: charts whose bars link back to the list.
    page.locator(".site-nav a", has_text="Landscape").click()
    page.wait_for_url(re.compile(r"/landscape/$"))
    charts = page.locator("svg.chart--wide")
    expect(charts).to_have_count(len(LANDSCAPE_CHARTS))
    for key in ("antigen", "phase", "start_year", "disease_category", "country"):
        assert page.locator(f'svg.chart--wide[data-chart="{key}"] a.bar').count() > 0, key
    box = page.locator('svg.chart--wide[data-chart="antigen"] .bar__rect').first.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 10, "bars are not drawn"
    shot(page, artifacts_dir, "06-landscape")
    page.locator('svg.chart--wide[data-chart="antigen"] a.bar[aria-label^="GD2:"]').click()
    page.wait_for_url(re.compile(r"/\?antigen=GD2$"))
    assert listed(page) == {QUAD, GD2_B7H3}


def test_the_pages_work_on_a_phone(page: Page, live_server, artifacts_dir):
    ingest(SAMPLES)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/?antigen=B7-H3&age=12")
    assert listed(page) == {B7H3_SARCOMA, GD2_B7H3}
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"
    shot(page, artifacts_dir, "07-phone-list")
    page.goto(live_server.url + f"/trials/{B7H3_SARCOMA}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, artifacts_dir, "08-phone-trial")


def test_the_catalogue_works_without_javascript(browser, live_server, artifacts_dir):
    ingest(SAMPLES)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.fill("#f-age", "12")
    page.check("#f-recruiting")  # no auto-submit without JS: the Apply button does it
    page.locator("form.filter-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"age=12"))
    assert "status=recruiting" in page.url
    assert HER2 not in listed(page) and LUPUS in listed(page)
    page.locator("details.field--more summary").click()
    expect(page.locator("#f-age-min")).to_be_visible()
    context.close()


@pytest.mark.corpus
def test_the_real_corpus_lists_filters_and_charts(page: Page, live_server, artifacts_dir):
    path = corpus_path("bulk", "ctgov-cart-snapshot-2026-08-22.json")
    started = time.monotonic()
    ingest(path)
    from catalogue.models import Trial

    # The list shows the catalogue's scope: trials classified as out of scope are counted apart.
    total = Trial.objects.filter(in_scope=True, merged_into__isnull=True).count()
    assert total > 2000, total
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(live_server.url + "/")
    expect(page.locator("#results-heading")).to_have_text(re.compile(rf"^{total} trials$"))
    expect(page.locator(".pagination__status")).to_contain_text("Page 1 of")
    shot(page, artifacts_dir, "corpus-01-list", full_page=False)

    page.goto(live_server.url + "/?antigen=CD19&age=12&status=recruiting")
    heading = page.locator("#results-heading").inner_text()
    filtered = int(heading.split()[0])
    assert 0 < filtered < total
    for chips in page.locator(".trial-list .chips").all_inner_texts():
        assert "CD19" in chips
    shot(page, artifacts_dir, "corpus-02-cd19-children-recruiting", full_page=False)

    page.goto(live_server.url + "/landscape/")
    expect(page.locator("svg.chart--wide")).to_have_count(len(LANDSCAPE_CHARTS))
    assert page.locator('svg.chart--wide[data-chart="antigen"] a.bar').count() == 20
    shot(page, artifacts_dir, "corpus-03-landscape")
    assert time.monotonic() - started < 600
