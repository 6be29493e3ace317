"""The maps' data and their plain lists, the trial page's contacts, and the favicon,
through Django's test client on real PostgreSQL (the drawing itself: tests/browser)."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from catalogue.world_map import bands, outline_name
from tests.factories import make_trial

pytestmark = pytest.mark.django_db

HOUSTON = {"latitude": 29.7079, "longitude": -95.3977}  # Texas Medical Center
DALLAS = {"latitude": 32.7767, "longitude": -96.797}


def get(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status, response.content[:300]
    return response, BeautifulSoup(response.content.decode(), "html.parser")


def detail(client, registry_id):
    return get(client, reverse("catalogue:trial_detail", args=[registry_id]))


def json_block(doc, element_id):
    node = doc.find("script", id=element_id)
    assert node is not None and node.get("type") == "application/json"
    return json.loads(node.get_text())


@pytest.fixture
def houston_trial(db):
    return make_trial(
        registry_id="NCT90000101",
        sites=[
            {"institution": "MD Anderson Cancer Center", "city": "Houston", "state": "Texas",
             "country": "United States", "status": "recruiting", **HOUSTON, "geo_source": "registry"},
            {"institution": "UT Southwestern", "city": "Dallas", "state": "Texas", "country": "United States",
             "status": "completed", **DALLAS, "geo_source": "gazetteer"},
            {"institution": "A hospital the registry places nowhere", "country": "United States"},
        ],
        contacts=[
            {"role": "central", "name": "Trial Office", "phone": "+1 713-792-2121 ext. 5", "email": "trials@example.org"},
            {"role": "principal_investigator", "name": "Dr. Principal", "affiliation": "MD Anderson"},
            {"role": "site", "name": "Site Nurse", "site": 0},
            {"role": "site", "name": "Front Desk", "email": "call the office", "site": 1},
        ],
    )  # fmt: skip


# --- the trial page ---------------------------------------------------------------------------


def test_the_trial_page_maps_its_located_sites_and_lists_every_site(client, houston_trial):
    _, doc = detail(client, houston_trial.registry_id)
    data = json_block(doc, "trial-sites-data")
    located = [s for s in houston_trial.sites.order_by("position") if s.latitude is not None]
    assert [(row[0], row[1], row[2], row[4]) for row in data["sites"]] == [
        (s.latitude, s.longitude, s.status, s.institution) for s in located
    ]
    assert data["statuses"]["recruiting"] == "Recruiting"
    container = doc.select("[data-map=sites]")[0]
    assert container.get("data-data") == "trial-sites-data"
    assert container.get("data-outlines", "").endswith("maps/countries.geojson")
    assert container.get("data-tile-url") is None  # no tile server unless configured
    # The plain list: every site, located or not, its status in words.
    rows = doc.select(".sites-table tbody tr")
    assert [r.select(".site__name")[0].get_text() for r in rows] == [
        s.institution for s in houston_trial.sites.order_by("position")
    ]
    assert [r.select(".site-status")[0].get_text().strip() for r in rows] == ["Recruiting", "Completed", "not stated"]
    # The legend names the statuses on this map only.
    assert [li.get_text().strip() for li in doc.select(".map-legend li")] == ["Recruiting", "Completed"]


def test_a_trial_without_located_sites_has_no_map_but_its_list(client, db):
    make_trial(registry_id="NCT90000102", sites=[{"institution": "Somewhere Hospital", "city": "Nowhere"}])
    _, doc = detail(client, "NCT90000102")
    assert not doc.select("[data-map]") and doc.find("script", id="trial-sites-data") is None
    assert "leaflet" not in str(doc.head)  # no map, no map scripts
    assert doc.select(".sites-table .site__name")[0].get_text() == "Somewhere Hospital"


def test_contacts_are_links_and_show_only_what_the_registry_publishes(client, houston_trial):
    _, doc = detail(client, houston_trial.registry_id)
    central = doc.select(".contacts .contact")
    assert [c.select(".contact__name")[0].get_text() for c in central] == ["Trial Office", "Dr. Principal"]
    office, investigator = central
    assert office.select('a[href^="tel:"]')[0].get("href") == "tel:+17137922121;ext=5"
    assert office.select('a[href^="tel:"]')[0].get_text() == "+1 713-792-2121 ext. 5"
    assert office.select('a[href^="mailto:"]')[0].get("href") == "mailto:trials@example.org"
    assert investigator.select(".contact__role")[0].get_text() == "Principal investigator"
    assert investigator.select(".contact__affiliation")[0].get_text() == "MD Anderson"
    assert not investigator.select("a") and not investigator.select(".contact__ways")  # no phone, no e-mail: none shown
    # Site contacts sit with their site; text that is no address is shown as written, unlinked.
    rows = doc.select(".sites-table tbody tr")
    assert [c.get_text() for c in rows[0].select(".contact__name")] == ["Site Nurse"]
    front_desk = rows[1].select(".contact")[0]
    assert "call the office" in front_desk.get_text() and not front_desk.select("a")
    assert not rows[2].select(".contact")


def test_chictr_roles_are_named_as_the_registry_names_them(client, db):
    make_trial(
        registry="chictr", registry_id="ChiCTR2600000001",
        contacts=[{"role": "study_leader", "name": "Li Lei", "phone": "+86 21 6511 5006", "email": "li@example.cn"},
                  {"role": "applicant", "name": "Wang Fang", "email": "wang@example.cn"}],
    )  # fmt: skip
    _, doc = detail(client, "ChiCTR2600000001")
    roles = [c.select(".contact__role")[0].get_text() for c in doc.select(".contacts .contact")]
    assert roles == ["Study leader", "Applicant"]
    assert doc.select('.contacts a[href="tel:+862165115006"]')


def test_a_trial_without_contacts_invents_none(client, db):
    make_trial(registry_id="NCT90000103")
    _, doc = detail(client, "NCT90000103")
    assert not doc.select(".contact") and not doc.select('a[href^="tel:"], a[href^="mailto:"]')
    assert "holds no contact details" in doc.select("#where-panel")[0].get_text()


def test_the_trial_page_query_count_does_not_grow_with_sites_and_contacts(client, db, django_assert_num_queries):
    small = make_trial(registry_id="NCT90000104", sites=[{"institution": "One", **HOUSTON}], contacts=[{"name": "A"}])
    many_sites = [{"institution": f"Site {i}", **HOUSTON, "status": "recruiting"} for i in range(40)]
    large = make_trial(
        registry_id="NCT90000105", sites=many_sites, contacts=[{"name": f"C{i}", "site": i} for i in range(40)]
    )
    counts = []
    for trial in (small, large):
        with django_assert_num_queries(11) as captured:  # the same pin as the trial page's own test
            assert client.get(reverse("catalogue:trial_detail", args=[trial.registry_id])).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_distances_from_a_near_place_order_the_sites(client, houston_trial):
    _, doc = get(client, reverse("catalogue:trial_detail", args=[houston_trial.registry_id]), {"near": "Dallas"})
    rows = doc.select(".sites-table tbody tr")
    assert [r.select(".site__name")[0].get_text() for r in rows] == [
        "UT Southwestern", "MD Anderson Cancer Center", "A hospital the registry places nowhere",
    ]  # fmt: skip
    assert [r.select("td.num")[0].get_text().strip() for r in rows][-1] == "place unknown"
    assert json_block(doc, "trial-sites-data")["near"]["label"].startswith("Dallas")


@pytest.mark.parametrize("tiles", ["https://{s}.tile.example.org/{z}/{x}/{y}.png"])
def test_a_configured_tile_server_is_handed_to_the_map(client, houston_trial, settings, tiles):
    settings.MAP_TILE_URL = tiles
    settings.MAP_TILE_ATTRIBUTION = "© Example <contributors>"
    response, doc = detail(client, houston_trial.registry_id)
    container = doc.select("[data-map=sites]")[0]
    assert container.get("data-tile-url") == tiles
    assert container.get("data-tile-attribution") == "© Example <contributors>"
    assert "&lt;contributors&gt;" in response.content.decode()  # an attribute, escaped


# --- the list's map view ------------------------------------------------------------------------


def test_the_map_view_reads_the_filters_sites_and_lists_this_pages(client, houston_trial):
    other = make_trial(registry_id="NCT90000106", antigens=["BCMA"], sites=[{"institution": "Elsewhere", **DALLAS}])
    _, doc = get(client, reverse("catalogue:trial_list"), {"view": "map", "registry": "ctgov"})
    container = doc.select("[data-map=results]")[0]
    assert container.get("data-url") == reverse("catalogue:results_map") + "?registry=ctgov"
    trials = [th.select("a")[0].get_text() for th in doc.select(".results-sites__trial th")]
    assert set(trials) == {houston_trial.registry_id, other.registry_id}
    assert not doc.select(".trial-list")  # the map view replaces the cards
    assert doc.select('.view-switch a[aria-current="page"]')[0].get_text() == "Map"
    # Every link that changes the filters keeps the map view, and lands on the results.
    for link in doc.select("a.facet-value"):
        assert "view=map" in link.get("href") and link.get("href").endswith("#results")
    assert doc.select("form.filter-form input[type=hidden][name=view][value=map]")


def test_the_results_map_data_hold_the_located_sites_of_the_filtered_trials(client, houston_trial):
    make_trial(registry_id="NCT90000107", antigens=["BCMA"], sites=[{"institution": "Elsewhere", **DALLAS}])
    response = client.get(reverse("catalogue:results_map"), {"registry": "ctgov", "antigen": "BCMA"})
    data = response.json()
    assert data["trials"] == [["NCT90000107", "Synthetic CAR-T trial number " + data["trials"][0][1].split()[-1]]]
    assert [(s[0], s[1], s[3], s[4]) for s in data["sites"]] == [
        (DALLAS["latitude"], DALLAS["longitude"], 0, "Elsewhere")
    ]
    everything = client.get(reverse("catalogue:results_map")).json()
    located = {s[4] for s in everything["sites"]}
    assert {"MD Anderson Cancer Center", "UT Southwestern", "Elsewhere"} <= located
    assert "A hospital the registry places nowhere" not in located
    assert not everything["truncated"]


def test_the_results_map_data_draw_a_near_place_and_its_radius(client, houston_trial):
    data = client.get(reverse("catalogue:results_map"), {"near": "29.76,-95.37", "within_km": "50"}).json()
    assert data["near"] == {"lat": 29.76, "lon": -95.37, "label": data["near"]["label"], "km": 50.0}
    assert {s[4] for s in data["sites"]} == {"MD Anderson Cancer Center", "UT Southwestern"}  # all of its sites


def test_the_results_map_data_take_a_fixed_number_of_queries(client, db, django_assert_num_queries):
    make_trial(sites=[{"institution": "One", **HOUSTON}])
    with django_assert_num_queries(2) as small:  # the data state, the sites
        client.get(reverse("catalogue:results_map"), {"phase": "phase1"})
    for i in range(30):
        make_trial(sites=[{"institution": f"Site {i}-{j}", **DALLAS} for j in range(3)])
    with django_assert_num_queries(len(small)):
        data = client.get(reverse("catalogue:results_map"), {"phase": "phase1", "country": "United States"}).json()
    assert len(data["sites"]) == 91


# --- the landscape's world map --------------------------------------------------------------------


def test_the_world_map_counts_trials_per_country_on_the_shipped_outlines(client, db):
    for countries in (["United States"], ["United States", "China"], ["Singapore"], ["Atlantis"]):
        make_trial(countries=countries)
    _, doc = get(client, reverse("catalogue:landscape"))
    drawn = json_block(doc, "world-map-data")["countries"]
    assert {name: entry[0] for name, entry in drawn.items()} == {
        "United States of America": 2, "China": 1, "Singapore": 1,
    }  # fmt: skip
    assert drawn["United States of America"][2].endswith("country=United+States")
    listed = {li.select("a")[0].get_text(): li.get_text() for li in doc.select(".world-map .country-counts li")}
    assert set(listed) == {"United States", "China", "Singapore", "Atlantis"}
    assert "not drawn on the map" in listed["Atlantis"] and "not drawn" not in listed["China"]
    legend = [li.get_text() for li in doc.select(".choropleth-legend li")]
    assert legend[0].startswith("1") and legend[-1].endswith("2")


def test_colour_bands_cover_every_count_once():
    for counts in ([1], [1, 2], [1, 5, 80, 1351], list(range(1, 40))):
        ranges = bands(counts)
        assert ranges[0][0] == 1 and ranges[-1][1] == max(counts)
        assert all(high >= low for low, high in ranges)
        assert all(ranges[i + 1][0] == ranges[i][1] + 1 for i in range(len(ranges) - 1))
        for n in counts:
            assert sum(low <= n <= high for low, high in ranges) == 1
    assert bands([]) == []


@pytest.mark.parametrize(
    "name, outline",
    [
        ("United States", "United States of America"),
        ("Turkey (Türkiye)", "Turkey"),
        ("Korea, Republic of", "South Korea"),
        ("Congo, The Democratic Republic of the", "Dem. Rep. Congo"),
        ("Hong Kong", "Hong Kong"),
        ("Atlantis", None),
    ],
)
def test_catalogue_countries_find_their_natural_earth_outline(name, outline):
    assert outline_name(name) == outline


def test_the_favicon_is_served_at_the_root(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])[:4] == b"\x00\x00\x01\x00"
