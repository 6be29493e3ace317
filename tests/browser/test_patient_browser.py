"""What a patient or a referring doctor does, in real Chromium at a desktop size (1366×900)
and a phone size (390×844): maps of sites (drawn on the shipped country outlines: no tile
server is reached), contacts, numbered criteria, the filters drawer, a facet tap that keeps
the reader's place, the keyboard's path through the list, and axe-core on every page.
Each step leaves a screenshot in tests/artifacts/. Any console error fails a test
(tests/browser/conftest.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, watch_console
from tests.conftest import SAMPLES, corpus_path

pytestmark = [pytest.mark.browser, pytest.mark.corpus, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]

CHILDREN_CD22 = "NCT04571138"  # five US sites with the registry's coordinates, contacts with phone and e-mail
NESTED_CRITERIA = "NCT02650414"  # numbered criteria with indented sub-lists
MIXED_STATUSES = "NCT05288205"  # 27 sites: most not yet recruiting, some recruiting
CHICTR = "ChiCTR2600132949"  # study leader and applicant; sites placed from their city names


@pytest.fixture
def catalogue(transactional_db):
    """The sample pages, the ClinicalTrials.gov v2 records, a real API page with varied site
    statuses and a real ChiCTR page, through the real pipeline."""
    from ingest.pipeline import ingest_paths

    paths = [
        SAMPLES,
        corpus_path("ctgov-v2"),
        corpus_path("ctgov-api", "ctgov_v2_studies_page_kras_pancreatic_10studies.json"),
        corpus_path("chictr-real", "ChiCTR2600132949.chictr.html"),
    ]
    report = ingest_paths([str(p) for p in paths])
    assert report.failed == 0, report.problems


def name(size: dict) -> str:
    return "desktop" if size["width"] > 900 else "phone"


def shot(page: Page, artifacts_dir, title: str, size: dict, full_page: bool = False) -> None:
    page.screenshot(path=str(artifacts_dir / f"patient-{title}-{name(size)}.png"), full_page=full_page)


def only_local_requests(page: Page, origin: str) -> list[str]:
    """Every request the page makes; a test asserts none left the live server (no tile server)."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def assert_all_local(requests: list[str], origin: str) -> None:
    outside = [url for url in requests if not url.startswith((origin, "data:"))]
    assert not outside, f"requests left the site: {outside[:5]}"


def wait_for_map(page: Page, selector: str) -> None:
    page.locator(f"{selector}[data-ready='true']").wait_for(timeout=15000)


def popup_shown(page: Page, selector: str):
    """The open popup of a map, once it has faded in (axe measures colours as drawn)."""
    page.wait_for_function(
        "(s) => { const p = document.querySelector(s + ' .leaflet-popup'); return p && getComputedStyle(p).opacity === '1'; }",
        arg=selector,
    )
    return page.locator(f"{selector} .leaflet-popup-content")


MARKERS_IN_VIEW = """(selector) => {
    const map = document.querySelector(selector).getBoundingClientRect();
    return [...document.querySelectorAll(selector + ' .site-marker, ' + selector + ' .site-cluster')]
      .map(m => m.getBoundingClientRect())
      .filter(r => r.width > 0 && r.left >= map.left && r.right <= map.right
                   && r.top >= map.top && r.bottom <= map.bottom).length;
}"""


def markers_in_view(page: Page, selector: str) -> int:
    """Markers (sites or clusters) drawn inside the map's visible box, once some are (a
    clustered map adds them when its zoom has settled)."""
    page.wait_for_function(f"(s) => ({MARKERS_IN_VIEW})(s) > 0", arg=selector, timeout=10000)
    return page.evaluate(MARKERS_IN_VIEW, selector)


# --- the trial page: its map, whom to call, the criteria --------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_trials_sites_are_mapped_by_status_without_a_tile_server(
    page: Page, live_server, artifacts_dir, catalogue, size
):
    from catalogue.models import Site

    page.set_viewport_size(size)
    requests = only_local_requests(page, live_server.url)
    page.goto(f"{live_server.url}/trials/{MIXED_STATUSES}/")
    wait_for_map(page, "#trial-map")
    located = Site.objects.filter(trial__registry_id=MIXED_STATUSES, latitude__isnull=False)
    statuses = {s.status or "none" for s in located}
    assert len(statuses) > 1, "the test needs sites of several statuses"
    # The country outlines are the base layer, drawn from the app's own file.
    assert page.locator("#trial-map path.map-land").count() > 100
    expect(page.locator("#trial-map .leaflet-control-attribution")).to_contain_text("Natural Earth")
    markers = page.locator("#trial-map .site-marker")
    expect(markers).to_have_count(located.count())
    drawn = {cls.split("site-marker--")[1].split()[0] for cls in markers.evaluate_all("ms => ms.map(m => m.className)")}
    assert drawn == statuses
    assert markers_in_view(page, "#trial-map") > 0
    # The same sites as a table, each with its status in words.
    rows = page.locator(".sites-table tbody tr")
    expect(rows).to_have_count(Site.objects.filter(trial__registry_id=MIXED_STATUSES).count())
    first = located.order_by("position").first()
    expect(rows.filter(has_text=first.institution).first).to_contain_text(first.get_status_display())
    page.locator("#sites-h").evaluate("el => el.scrollIntoView({block: 'start'})")
    shot(page, artifacts_dir, "trial-map", size)
    # A marker opens its site's name and status, by keyboard too.
    markers.first.focus()
    page.keyboard.press("Enter")
    expect(popup_shown(page, "#trial-map")).to_contain_text(re.compile(r"Recruiting|Not yet recruiting"))
    assert_all_local(requests, live_server.url)
    assert_accessible(page)


@pytest.mark.parametrize("size", SIZES)
def test_contacts_are_links_with_only_what_the_registry_publishes(
    page: Page, live_server, artifacts_dir, catalogue, size
):
    from catalogue.models import TrialContact

    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/trials/{CHILDREN_CD22}/")
    central = TrialContact.objects.filter(trial__registry_id=CHILDREN_CD22, site__isnull=True).exclude(phone="")
    contact = central.first()
    assert contact is not None and contact.email
    box = page.locator(".contacts .contact", has_text=contact.name).first
    expect(box.locator(f'a[href="mailto:{contact.email}"]')).to_have_text(contact.email)
    phone = box.locator('a[href^="tel:"]')
    expect(phone).to_have_text(contact.phone)
    assert re.fullmatch(r"tel:\+?\d+", phone.get_attribute("href"))
    # A site contact without phone or e-mail shows its name only: no empty link, no placeholder.
    bare = TrialContact.objects.filter(trial__registry_id=CHILDREN_CD22, site__isnull=False, phone="", email="").first()
    assert bare is not None
    row = page.locator(".sites-table tbody tr", has_text=bare.site.institution)
    bare_box = row.locator(".contact", has_text=bare.name).first
    expect(bare_box.locator("a")).to_have_count(0)
    expect(bare_box).not_to_contain_text("Phone")
    page.locator("#where").scroll_into_view_if_needed()
    shot(page, artifacts_dir, "contacts", size)

    # ChiCTR: the study leader and the applicant, as the registry lists them.
    page.goto(f"{live_server.url}/trials/{CHICTR}/")
    roles = page.locator(".contacts .contact__role").all_inner_texts()
    assert {"STUDY LEADER", "APPLICANT"} <= {r.strip().upper() for r in roles}
    for leader in TrialContact.objects.filter(trial__registry_id=CHICTR, site__isnull=True):
        expect(page.locator(f'.contacts a[href="mailto:{leader.email}"]').first).to_be_visible()
    wait_for_map(page, "#trial-map")  # the ChiCTR sites are placed from their city names
    assert page.locator("#trial-map .site-marker").count() > 0
    page.locator("#where").scroll_into_view_if_needed()
    shot(page, artifacts_dir, "contacts-chictr", size)
    assert_accessible(page)


@pytest.mark.parametrize("size", SIZES)
def test_criteria_are_numbered_lists_with_the_registrys_text_one_click_away(
    page: Page, live_server, artifacts_dir, catalogue, size
):
    from catalogue.models import Trial

    trial = Trial.objects.get(registry_id=NESTED_CRITERIA)
    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/trials/{NESTED_CRITERIA}/")
    inclusion = page.locator("#eligibility-panel ol.criteria").first
    top = inclusion.locator(":scope > li")
    written = re.findall(r"^(\d{1,2})\.", trial.inclusion_criteria, re.MULTILINE)
    expect(top).to_have_count(len(written))
    assert top.evaluate_all("items => items.map(li => li.value)") == [int(n) for n in written]
    nested = inclusion.locator(":scope > li > ol.criteria--sub").first
    expect(nested).to_be_visible()
    raw = page.locator("#eligibility-panel details.criteria__raw").first
    expect(raw.locator(".pre-line")).to_be_hidden()
    page.locator("#eligibility").scroll_into_view_if_needed()
    shot(page, artifacts_dir, "criteria", size)
    raw.locator("summary").click()
    expect(raw.locator(".pre-line")).to_be_visible()
    assert raw.locator(".pre-line").inner_text().split() == trial.inclusion_criteria.split()
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    assert_accessible(page)


# --- the list's map view and the landscape's world map ---------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_the_list_has_a_map_view_of_the_current_filter(page: Page, live_server, artifacts_dir, catalogue, size):
    from catalogue.models import Site, Trial

    page.set_viewport_size(size)
    requests = only_local_requests(page, live_server.url)
    page.goto(f"{live_server.url}/?country=United+States")
    page.locator(".view-switch a", has_text="Map").click()
    page.wait_for_url(re.compile(r"view=map"))
    assert "country=United+States" in page.url
    wait_for_map(page, "#results-map")
    assert markers_in_view(page, "#results-map") > 0
    # Clusters count every located site of the filtered trials.
    us_trials = Trial.objects.filter(countries__contains=["United States"], in_scope=True)
    located = Site.objects.filter(trial__in=us_trials, latitude__isnull=False).count()
    counted = page.evaluate(
        """() => [...document.querySelectorAll('#results-map .site-cluster span')].reduce((n, s) => n + +s.textContent, 0)
                 + document.querySelectorAll('#results-map .site-marker').length"""
    )
    assert counted == located
    # The plain list beside it: the sites of this page's trials.
    expect(page.locator("table.results-sites .results-sites__trial").first).to_be_visible()
    shot(page, artifacts_dir, "list-map", size)
    # A facet keeps the map view.
    href = page.locator('section.facet[aria-labelledby="facet-phase"] a.facet-value').first.get_attribute("href")
    assert "view=map" in href and href.endswith("#results")
    # Zoom into a cluster (by keyboard), then a site opens with a link to its trial.
    while page.locator("#results-map .site-marker").count() == 0:
        page.locator("#results-map .site-cluster").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(400)
    page.locator("#results-map .site-marker").first.click(force=True)
    link = popup_shown(page, "#results-map").locator("a.map-popup__trial")
    expect(link).to_have_attribute("href", re.compile(r"^/trials/[^/]+/$"))
    assert_all_local(requests, live_server.url)
    assert_accessible(page)


def distances(page: Page, rows) -> list[float]:
    """The km of each row's distance cell ("under 1 km" is 0)."""
    texts = rows.locator("td.num").all_inner_texts()
    return [0.0 if t.startswith("under") else float(t.replace(",", "").split()[0]) for t in texts]


@pytest.mark.parametrize("size", SIZES)
def test_a_near_me_search_maps_the_place_its_radius_and_each_sites_distance(
    page: Page, live_server, artifacts_dir, catalogue, size
):
    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/?near=Houston&within_km=100&view=map#results")
    wait_for_map(page, "#results-map")
    expect(page.locator("#results-map path.map-near-radius")).to_have_count(1)
    expect(page.locator("#results-map path.map-near-point")).to_have_count(1)
    assert markers_in_view(page, "#results-map") > 0
    for group in page.locator("table.results-sites tbody").all():
        found = distances(page, group.locator("tr:not(.results-sites__trial)"))
        assert found == sorted(found) and found[0] <= 100  # nearest first, the nearest within reach
    shot(page, artifacts_dir, "near-houston-map", size)

    # The trial opened from the list keeps the place: its sites by distance from Houston.
    page.goto(f"{live_server.url}/?near=Houston&within_km=100")
    link = page.locator(".trial__title a", has_text=re.compile("CD22", re.IGNORECASE)).first
    expect(link).to_have_attribute("href", re.compile(r"\?near=Houston&within_km=100$"))
    link.click()
    wait_for_map(page, "#trial-map")
    expect(page.locator("#where-panel")).to_contain_text("Distances from Houston")
    rows = page.locator(".sites-table tbody tr")
    found = distances(page, rows)
    assert found == sorted(found) and found[0] < 1
    expect(rows.first).to_contain_text("Houston")
    page.locator("#where").scroll_into_view_if_needed()
    shot(page, artifacts_dir, "near-houston-trial", size)
    assert_accessible(page)


@pytest.mark.parametrize("size", SIZES)
def test_the_landscape_has_a_world_map_of_trials_per_country(page: Page, live_server, artifacts_dir, catalogue, size):
    page.set_viewport_size(size)
    requests = only_local_requests(page, live_server.url)
    page.goto(f"{live_server.url}/landscape/")
    wait_for_map(page, "#world-map")
    shaded = page.locator("#world-map path.choropleth:not(.choropleth--none)")
    assert shaded.count() > 0
    first = page.locator(".country-counts li a").first
    expect(first).to_have_attribute("href", re.compile(r"country="))
    page.locator(".world-map").scroll_into_view_if_needed()
    shot(page, artifacts_dir, "world-map", size)
    # Chart text stays legible on a phone: no SVG text shown is drawn smaller than 10 px.
    smallest = page.evaluate(
        "() => Math.min(...[...document.querySelectorAll('svg.chart text')].filter(t => t.getClientRects().length)"
        "  .map(t => t.getBoundingClientRect().height))"
    )
    assert smallest >= 10, f"chart text is {smallest:.1f} px high"
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    shaded.first.dispatch_event("click")  # a country opens the list of its trials
    page.wait_for_url(re.compile(r"/\?.*country="))
    assert_all_local(requests, live_server.url)
    assert_accessible(page)


# --- phone and keyboard ---------------------------------------------------------------------------


def test_on_a_phone_the_filters_open_in_a_drawer(page: Page, live_server, artifacts_dir, catalogue):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/?phase=phase1&country=China")
    toggle = page.locator("[data-drawer-toggle]")
    expect(toggle).to_have_text("Filters (2 active)")
    # The form's boxes below the search are folded (none is set): the results start on the first screen.
    expect(page.locator("details[data-more-filters]")).not_to_have_attribute("open", "")
    shot(page, artifacts_dir, "drawer-closed", PHONE)
    assert page.locator("#results").bounding_box()["y"] < PHONE["height"] * 0.75
    toggle_box = toggle.bounding_box()
    heading_box = page.locator("#results-heading").bounding_box()
    assert toggle_box["y"] < heading_box["y"], "the button is at the top of the results"
    facets = page.locator("#facets")
    expect(facets).to_be_hidden()
    toggle.click()
    expect(facets).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert page.evaluate("document.activeElement.id") == "facets"
    box = facets.bounding_box()
    assert box["x"] == 0 and box["width"] == PHONE["width"]
    expect(page.locator("#results")).to_have_attribute("inert", "")
    shot(page, artifacts_dir, "drawer-open", PHONE)
    page.keyboard.press("Escape")
    expect(facets).to_be_hidden()
    assert page.evaluate("document.activeElement.hasAttribute('data-drawer-toggle')")
    assert_accessible(page)


def test_without_javascript_the_drawer_opens_by_its_anchor(browser, live_server, artifacts_dir, catalogue):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    console = watch_console(page)
    page.goto(f"{live_server.url}/?country=China")
    expect(page.locator("#facets")).to_be_hidden()
    page.locator("[data-drawer-toggle]").click()
    page.wait_for_url(re.compile(r"#facets$"))
    expect(page.locator("#facets")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "patient-drawer-nojs-phone.png"))
    page.locator("#facets [data-drawer-close]").click()
    expect(page.locator("#facets")).to_be_hidden()
    console.assert_clean()
    context.close()


def scroll_to_facet(page: Page, facet: str) -> None:
    page.locator(f"#facet-{facet}").evaluate("el => el.scrollIntoView({block: 'center'})")


@pytest.mark.parametrize("size", SIZES)
def test_a_facet_tap_keeps_the_readers_place(page: Page, live_server, artifacts_dir, catalogue, size):
    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/")
    if size is PHONE:
        page.locator("[data-drawer-toggle]").click()
    scroll_to_facet(page, "phase")
    link = page.locator('section.facet[aria-labelledby="facet-phase"] a.facet-value').nth(1)
    anchor = link.get_attribute("data-anchor")
    before = link.bounding_box()["y"]
    link.click()
    page.wait_for_url(re.compile(r"phase="))
    page.wait_for_load_state("load")
    after_link = page.locator(f'a[data-anchor="{anchor}"]')
    expect(after_link).to_have_attribute("aria-current", "true")
    if size is PHONE:
        expect(page.locator("#facets")).to_be_visible()  # the drawer stays open where the reader was
    after = after_link.bounding_box()["y"]
    assert abs(after - before) <= 2, f"the tapped facet moved from {before} to {after}"
    assert page.evaluate("window.scrollY") > 0 or size is PHONE
    shot(page, artifacts_dir, "facet-tap-kept-place", size)


def test_without_javascript_a_facet_tap_lands_on_the_results(browser, live_server, artifacts_dir, catalogue):
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    page = context.new_page()
    console = watch_console(page)
    page.goto(f"{live_server.url}/")
    scroll_to_facet(page, "country")
    page.locator('section.facet[aria-labelledby="facet-country"] a.facet-value').first.click()
    page.wait_for_url(re.compile(r"country=.*#results$"))
    results_top = page.locator("#results").bounding_box()["y"]
    assert page.evaluate("window.scrollY") > 0, "the page opened at its top"
    assert 0 <= results_top <= 20, f"the results start {results_top}px down the window"
    page.screenshot(path=str(artifacts_dir / "patient-facet-tap-nojs-desktop.png"))
    console.assert_clean()
    context.close()


def focus_path(page: Page, stop: str, limit: int = 120) -> list[str]:
    """Tab from the top of the page until an element matching `stop` has the focus."""
    path = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        described = page.evaluate(
            """(stop) => {
                const el = document.activeElement;
                const tag = el.id ? '#' + el.id : el.className ? el.tagName.toLowerCase() + '.' + String(el.className).split(' ')[0] : el.tagName.toLowerCase();
                return [tag, el.matches(stop)];
            }""",
            stop,
        )
        path.append(described[0])
        if described[1]:
            return path
    raise AssertionError(f"{stop} never had the focus: {path}")


def test_the_keyboard_reaches_the_search_box_then_the_facets_then_the_results(
    page: Page, live_server, artifacts_dir, catalogue
):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/")
    path = focus_path(page, ".trial__title a")
    search = path.index("#f-q")
    first_facet = next(i for i, step in enumerate(path) if step.startswith("a.facet-value"))
    first_result = len(path) - 1
    assert search < first_facet < first_result, path
    assert not any(step.startswith("a.facet-value") for step in path[:search])
    page.screenshot(path=str(artifacts_dir / "patient-tab-order-desktop.png"))


@pytest.mark.parametrize("size", SIZES)
def test_skip_links_show_when_focused_at_every_width(page: Page, live_server, artifacts_dir, catalogue, size):
    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/")
    labels = []
    for _ in range(3):
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        expect(focused).to_have_class(re.compile(r"skip-link"))
        box = focused.bounding_box()
        assert box and box["y"] >= 0 and box["x"] >= 0 and box["x"] + box["width"] <= size["width"]
        labels.append(focused.inner_text())
    assert any("filters" in label for label in labels) and any("results" in label for label in labels)
    shot(page, artifacts_dir, "skip-link", size)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#results$"))


def test_the_favicon_is_served(page: Page, live_server, catalogue):
    response = page.request.get(f"{live_server.url}/favicon.ico")
    assert response.status == 200 and response.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    page.goto(f"{live_server.url}/")
    icon = page.locator('link[rel="icon"][type="image/svg+xml"]').get_attribute("href")
    assert page.request.get(live_server.url + icon).status == 200


@pytest.mark.parametrize("size", SIZES)
def test_the_list_page_has_no_serious_accessibility_violation(page: Page, live_server, artifacts_dir, catalogue, size):
    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/?antigen=CD19")
    assert_accessible(page)
    shot(page, artifacts_dir, "list", size)


def test_registry_text_on_the_maps_is_text_never_markup(page: Page, live_server, transactional_db):
    from tests.factories import make_trial

    hostile = '<img src=x onerror="document.title=1"> China'
    make_trial(
        countries=[hostile],
        sites=[{"institution": "<b>Bold</b> Hospital", "city": "<i>City</i>", "latitude": 31.2, "longitude": 121.5}],
    )
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/landscape/")
    wait_for_map(page, "#world-map")
    china = page.locator("#world-map path.choropleth:not(.choropleth--none)").first
    china.dispatch_event("mouseover")
    tooltip = page.locator("#world-map .leaflet-tooltip")
    expect(tooltip).to_contain_text(hostile)
    expect(tooltip.locator("img")).to_have_count(0)
    page.goto(f"{live_server.url}/?view=map")
    wait_for_map(page, "#results-map")
    page.locator("#results-map .site-marker").first.click(force=True)
    popup = popup_shown(page, "#results-map")
    expect(popup).to_contain_text("<b>Bold</b> Hospital")
    expect(popup.locator("b, i")).to_have_count(0)
