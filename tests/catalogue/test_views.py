"""The list page and the trial page, through Django's test client on real
PostgreSQL, with the five sample pages ingested by the real pipeline."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from catalogue.models import Antigen
from tests.factories import make_many, make_trial

B7H3_SARCOMA = "ChiCTR2500108722"
HER2 = "NCT06101082"
QUAD = "NCT03356782"
GD2_B7H3 = "NCT06836505"
LUPUS = "ChiCTR2500105227"

pytestmark = pytest.mark.django_db
LIST = reverse("catalogue:trial_list")


def page(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status, response.content[:500]
    return response, BeautifulSoup(response.content.decode(), "html.parser")


def listed_ids(doc) -> list[str]:
    return [el.get_text().strip() for el in doc.select(".trial-list .trial__id")]


def card(doc, registry_id):
    for article in doc.select(".trial-list article"):
        if article.select(".trial__id")[0].get_text().strip() == registry_id:
            return article
    raise AssertionError(f"{registry_id} is not listed")


def fact(article, label) -> str:
    for item in article.select(".facts__item"):
        if item.select("dt")[0].get_text().strip() == label:
            return item.select("dd")[0].get_text().strip()
    raise AssertionError(f"no {label} fact")


def assert_csp_clean(content: str) -> None:
    """No inline script or style: the CSP (script-src 'self'; style-src 'self') would block them."""
    doc = BeautifulSoup(content, "html.parser")
    assert not doc.find_all("style"), "a <style> element"
    for script in doc.find_all("script"):
        if script.get("type") == "application/json":  # data for a script, never run (json_script escapes <>&)
            assert not script.get("src") and "<" not in script.get_text(), "a data block that is not JSON"
            continue
        assert script.get("src") and not script.get_text().strip(), "an inline script"
    for tag in doc.find_all(True):
        for attribute in tag.attrs:
            assert attribute != "style", f"inline style on <{tag.name}>"
            assert not attribute.startswith("on"), f"inline handler {attribute} on <{tag.name}>"
        if tag.name == "a":
            assert not (tag.get("href") or "").strip().lower().startswith("javascript:")


# --- the list page ---------------------------------------------------------------------------------


def test_the_list_page_shows_every_trial_with_its_facts(client, seed_trials):
    response, doc = page(client, LIST)
    assert set(listed_ids(doc)) == set(seed_trials)
    assert doc.select("#results-heading")[0].get_text().strip() == f"{len(seed_trials)} trials"
    sarcoma = card(doc, B7H3_SARCOMA)
    assert [c.get_text() for c in sarcoma.select(".chip")] == ["B7-H3"]
    assert fact(sarcoma, "Ages") == "10–65 years"
    assert fact(sarcoma, "Dose") == "1×10⁶–5×10⁶ cells/kg"
    assert fact(sarcoma, "Countries") == "China"
    title_link = sarcoma.select(".trial__title a")[0]
    assert title_link.get("href") == reverse("catalogue:trial_detail", args=[B7H3_SARCOMA])
    assert title_link.get_text() == seed_trials[B7H3_SARCOMA].title
    assert sarcoma.select(".trial__title-zh")[0].get("lang") == "zh"
    quad = card(doc, QUAD)
    assert sorted(c.get_text() for c in quad.select(".chip")) == sorted(seed_trials[QUAD].antigen_names)
    assert fact(quad, "Dose") == "1×10⁶–1×10⁷ cells/kg"
    assert fact(quad, "Start") == seed_trials[QUAD].start_date.strftime("%b %Y")
    assert "Recruiting" in quad.select(".badge--status")[0].get_text()
    assert quad.select(".badge--phase")[0].get_text() == "Phase 1/2"


def test_a_trial_without_age_limits_says_so(client, seed_trials):
    _, doc = page(client, LIST)
    lupus = card(doc, LUPUS)
    assert fact(lupus, "Ages") == "age limits not stated"
    assert fact(lupus, "Dose") == "no per-kg dose stated"


def test_open_age_bounds_and_a_single_dose_are_written_plainly(client, db):
    make_trial(registry_id="NCT90000001", min_age_years=18, max_age_years=None,
               dose_levels=[{"low": 2e6, "high": 2e6, "raw": "2x10^6/kg"}])  # fmt: skip
    make_trial(registry_id="NCT90000002", min_age_years=None, max_age_years=17,
               dose_levels=[{"low": 2.5e5, "high": 3e7}])  # fmt: skip
    make_trial(registry_id="NCT90000003", min_age_years="0.5", max_age_years=21)
    _, doc = page(client, LIST)
    assert fact(card(doc, "NCT90000001"), "Ages") == "≥18 years"
    assert fact(card(doc, "NCT90000001"), "Dose") == "2×10⁶ cells/kg"
    assert fact(card(doc, "NCT90000002"), "Ages") == "≤17 years"
    assert fact(card(doc, "NCT90000002"), "Dose") == "2.5×10⁵–3×10⁷ cells/kg"
    assert fact(card(doc, "NCT90000003"), "Ages") == "0.5–21 years"


def test_the_age_filter_keeps_the_trial_without_limits_and_drops_adult_only_trials(client, seed_trials):
    _, doc = page(client, LIST, {"age": "12"})
    ids = set(listed_ids(doc))
    assert LUPUS in ids and HER2 not in ids and B7H3_SARCOMA in ids


def test_facets_show_counts_selection_and_toggle_links(client, seed_trials):
    _, doc = page(client, LIST, {"antigen": "B7-H3"})
    assert set(listed_ids(doc)) == {B7H3_SARCOMA, GD2_B7H3}
    antigen_facet = doc.select('section.facet[aria-labelledby="facet-antigen"]')[0]
    links = {a.select(".facet-value__label")[0].get_text(): a for a in antigen_facet.select("a.facet-value")}
    selected = links["B7-H3"]
    assert selected.get("aria-current") == "true"
    assert "selected" in selected.get_text()  # said in words, not by colour alone
    assert selected.select(".facet-value__count")[0].get_text() == "2"
    assert selected.get("href") == LIST + "#results"  # toggling the only filter off, back at the results
    gd2 = links["GD2"]
    assert gd2.get("aria-current") is None
    assert "antigen=B7-H3" in gd2.get("href") and "antigen=GD2" in gd2.get("href")
    phase_facet = doc.select('section.facet[aria-labelledby="facet-phase"]')[0]
    phase_counts = {
        a.select(".facet-value__label")[0].get_text(): int(a.select(".facet-value__count")[0].get_text())
        for a in phase_facet.select("a.facet-value")
    }
    assert sum(phase_counts.values()) == 2  # only the B7-H3 trials


def test_long_facets_show_the_top_values_and_a_link_to_show_all(client, db):
    for i in range(12):
        make_trial(antigens=[f"ANTIGEN{i:02d}"] * (1 if i else 2), countries=["China"])
    make_trial(antigens=["ANTIGEN00"])
    _, doc = page(client, LIST)
    facet = doc.select('section.facet[aria-labelledby="facet-antigen"]')[0]
    shown = [a.get_text() for a in facet.select("ul.facet__list .facet-value__label")]
    assert len(shown) == 10 and shown[0] == "ANTIGEN00"  # the most trials first
    link = facet.select_one(".facet__more a")
    assert link.get_text() == "Show all 12" and "show=antigen" in link["href"]
    _, doc = page(client, LIST + "?" + link["href"].split("?", 1)[1].split("#")[0])
    facet = doc.select('section.facet[aria-labelledby="facet-antigen"]')[0]
    assert len(facet.select("ul.facet__list li")) == 12
    assert facet.select_one(".facet__more a").get_text() == "Show fewer"
    # A selected value beyond the top ten is always shown.
    _, doc = page(client, LIST, {"antigen": "ANTIGEN11"})
    facet = doc.select('section.facet[aria-labelledby="facet-antigen"]')[0]
    labels = [a.get_text() for a in facet.select("ul.facet__list .facet-value__label")]
    assert "ANTIGEN11" in labels and len(labels) == 11


def test_the_summary_reads_as_a_sentence_with_remove_links(client, seed_trials):
    _, doc = page(client, LIST, {"antigen": "cd276", "age": "12", "phase": "phase1_phase2"})
    summary = doc.select(".summary__text")[0]
    text = " ".join(summary.get_text().replace("✕", "").split())
    assert text.startswith("B7-H3 trials accepting a 12-year-old, phase 1/2")
    removes = {a.get("aria-label"): a.get("href") for a in summary.select("a.summary__remove")}
    assert set(removes) == {
        "Remove filter: B7-H3",
        "Remove filter: accepting a 12-year-old",
        "Remove filter: phase 1/2",
    }
    assert "antigen" not in removes["Remove filter: B7-H3"]
    assert "age=12" in removes["Remove filter: B7-H3"] and "phase=phase1_phase2" in removes["Remove filter: B7-H3"]
    assert summary.select("a.summary__clear")[0].get("href") == LIST


def test_invalid_values_show_a_notice_and_the_other_filters_still_apply(client, seed_trials):
    _, doc = page(client, LIST, {"age": "abc", "antigen": "B7-H3", "phase": "bogus"})
    notices = [n.get_text() for n in doc.select(".notices .notice")]
    assert any("abc" in n for n in notices) and any("bogus" in n for n in notices)
    assert set(listed_ids(doc)) == {B7H3_SARCOMA, GD2_B7H3}
    age_box = doc.select("#f-age")[0]
    assert age_box.get("value") == "abc" and age_box.get("aria-invalid") == "true"


@pytest.mark.parametrize(
    "params",
    [
        {"page": "-1"}, {"page": "abc"}, {"page_size": "0"}, {"page_size": "zzz"}, {"dose_min": "1e999"},
        {"dose_max": "NaN"}, {"age": "1e5"}, {"q": "x" * 5000}, {"q": "'; DROP TABLE catalogue_trial; --"},
        {"sort": "<script>"}, {"start_year": "-5"}, {"country": "%%%"}, {"q": "()&|!:*"},
    ],
)  # fmt: skip
def test_junk_parameters_answer_200_not_500(client, seed_trials, params):
    response, doc = page(client, LIST, params)
    assert doc.select(".trial-list, .empty-state")


def test_pagination_keeps_the_state_and_a_page_past_the_end_shows_the_last(client, seed_trials):
    _, doc = page(client, LIST, {"page_size": "2", "page": "999", "country": "China"})
    status = doc.select(".pagination__status")[0].get_text()
    assert status == "Page 3 of 3"
    assert len(listed_ids(doc)) == 1
    assert "no page 999" in doc.select(".notice--info")[0].get_text()
    first = doc.select('.pagination a[aria-label="Page 1"]')[0].get("href")
    assert "country=China" in first and "page_size=2" in first and "page=1" in first
    assert doc.select('.pagination a[rel="prev"]')


def test_every_form_input_has_a_label(client, seed_trials):
    _, doc = page(client, LIST)
    form = doc.select("form.filter-form")[0]
    labels = {label.get("for") for label in form.select("label")}
    for element in form.select("input, select"):
        if element.get("type") == "hidden":
            continue
        assert element.get("id") in labels, element.get("name")


def test_the_form_carries_the_other_filters_as_hidden_inputs(client, seed_trials):
    _, doc = page(client, LIST, {"antigen": "GD2", "status": ["recruiting", "completed"], "age": "12"})
    hidden = {(i.get("name"), i.get("value")) for i in doc.select("form.filter-form input[type=hidden]")}
    assert ("antigen", "GD2") in hidden and ("status", "completed") in hidden
    assert ("status", "recruiting") not in hidden  # that one is the checkbox
    assert doc.select("#f-recruiting")[0].get("checked") is not None
    assert not any(name == "age" for name, _ in hidden)  # the age box holds it


def test_download_links_carry_the_filters(client, seed_trials):
    _, doc = page(client, LIST, {"antigen": "B7-H3", "page_size": "2"})
    hrefs = [a.get("href") for a in doc.select(".downloads a")]
    assert any(h.startswith(reverse("catalogue:export_csv") + "?antigen=B7-H3") for h in hrefs)
    assert any(h.startswith(reverse("catalogue:export_json") + "?antigen=B7-H3") for h in hrefs)


def test_the_list_page_has_no_inline_script_or_style(client, seed_trials):
    response, _ = page(client, LIST, {"antigen": "B7-H3", "age": "abc"})
    assert_csp_clean(response.content.decode())
    assert "script-src 'self'" in response["Content-Security-Policy"]


# --- query counts: fixed, whatever the result size -------------------------------------------------


def list_queries(client, django_assert_num_queries, params, expected):
    with django_assert_num_queries(expected):
        response = client.get(LIST, params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    "params, expected",
    [
        # the data state ("data as of", the cache key), the facet index's refresh (the rows
        # changed since it was read), the disease tree the disease facet nests in (read once per
        # data version), the rows
        ({}, 4),
        # + the concepts the search's words may name (cached per data version afterwards), the ids
        # the search keeps (read with sequential scans off: a SET and a RESET around it); the other
        # filters keep under a third of the catalogue, so SQL ranks the page among the trials the
        # index kept, read by id (`selectors.ranks_by_pass`; test_concept_search pins the one-pass
        # ranking)
        ({"age": "12", "dose_min": "1e6", "q": "CAR-T", "phase": "phase1_phase2"}, 8),
        ({"antigen": "B7-H3"}, 5),  # + the antigen synonym lookup
        ({"antigen": "B7-H3", "disease": "Neuroblastoma", "sort": "updated"}, 6),  # + the disease one
    ],
)
def test_the_list_page_query_count_does_not_grow_with_the_result_size(
    client, seed_trials, django_assert_num_queries, params, expected
):
    small = list_queries(client, django_assert_num_queries, params, expected)
    make_many(60)
    large = list_queries(client, django_assert_num_queries, params, expected)
    assert small.status_code == large.status_code == 200


def test_a_full_page_of_many_trials_uses_the_same_queries(client, seed_trials, django_assert_num_queries):
    make_many(60)
    response = list_queries(client, django_assert_num_queries, {"page_size": "100"}, 4)
    doc = BeautifulSoup(response.content.decode(), "html.parser")
    assert len(listed_ids(doc)) == 65


# --- the trial page -----------------------------------------------------------------------------------


def detail(client, registry_id, status=200):
    return page(client, reverse("catalogue:trial_detail", args=[registry_id]), status=status)


def compare_row(doc, label):
    for row in doc.select("table.compare tbody tr"):
        if row.select("th")[0].get_text().split("curated")[0].strip() == label:
            cells = row.select("td")
            return cells[0].get_text().strip(), cells[1].get_text()
    raise AssertionError(f"no row {label}")


def test_the_trial_page_shows_each_value_beside_the_registry_text(client, seed_trials):
    trial = seed_trials[B7H3_SARCOMA]
    response, doc = detail(client, B7H3_SARCOMA)
    assert doc.select("h1")[0].get_text() == trial.title
    zh = doc.select(".trial-page__title-zh")[0]
    assert zh.get("lang") == "zh" and zh.get_text() == trial.title_zh
    value, raw = compare_row(doc, "Phase")
    assert value == "Not applicable" and trial.raw["phase"] in raw
    assert "New Treatment Measure Clinical Study" in raw
    value, raw = compare_row(doc, "Ages")
    assert value == "10–65 years" and trial.raw["min_age"] in raw and trial.raw["max_age"] in raw
    value, raw = compare_row(doc, "Status")
    assert value == trial.get_status_display() and trial.raw["status"] in raw
    value, raw = compare_row(doc, "Dose (per kg)")
    assert value.startswith("1×10⁶–5×10⁶ cells/kg")
    for dose in trial.raw["doses"]:
        assert dose in raw
    for key in ("sex", "sponsor", "study_type"):
        assert trial.raw[key] in response.content.decode()


def test_the_trial_page_lists_dose_levels_sites_and_provenance(client, seed_trials):
    trial = seed_trials[B7H3_SARCOMA]
    _, doc = detail(client, B7H3_SARCOMA)
    rows = doc.select("#doses ~ .table-scroll table tbody tr, section[aria-labelledby=doses] tbody tr")
    texts = [r.get_text() for r in rows]
    assert len(texts) == trial.dose_levels.count()
    for level, text in zip(trial.dose_levels.all(), texts):
        assert level.raw in text and level.arm in text
    sites = doc.select(".sites-table tbody th .site__name")
    assert [s.get_text() for s in sites] == [s.institution for s in trial.sites.all()]
    chinese = [el.get_text() for el in doc.select(".sites-table tbody th [lang=zh]")]
    assert chinese == [s.institution_zh for s in trial.sites.all() if s.institution_zh]
    provenance = doc.select("section[aria-labelledby=prov-h]")[0].get_text()
    assert trial.source_format in provenance and trial.parser_version in provenance
    link = doc.select("a.button--secondary")[0]
    assert link.get("href") == trial.source_url
    assert set(link.get("rel")) == {"noopener", "noreferrer"}


def test_eligibility_criteria_are_numbered_lists_with_the_registry_text_behind_a_click(client, db):
    make_trial(
        registry_id="NCT90000010",
        inclusion_criteria="1. Age 18-70\n2. CD19 <positive> & measurable",
        exclusion_criteria="Active infection\nPregnancy",
    )
    response, doc = detail(client, "NCT90000010")
    panel = doc.select("section[aria-labelledby=eligibility]")[0]
    inclusion = panel.select("ol.criteria")[0]
    assert [(li.get("value"), li.get_text()) for li in inclusion.select(":scope > li")] == [
        ("1", "Age 18-70"),
        ("2", "CD19 <positive> & measurable"),
    ]
    raw = panel.select("details.criteria__raw .pre-line")[0]
    assert raw.get_text() == "1. Age 18-70\n2. CD19 <positive> & measurable"
    assert "CD19 &lt;positive&gt; &amp; measurable" in response.content.decode()
    # Criteria with no numbering or bullets are shown as written, once.
    assert len(panel.select("ol.criteria")) == 1
    assert "Active infection\nPregnancy" in [p.get_text() for p in panel.select("p.criteria__intro")]


def test_curated_fields_are_marked(client, seed_trials):
    trial = seed_trials[HER2]
    trial.curated_fields = ["phase", "min_age_years"]
    trial.save(update_fields=["curated_fields"])
    _, doc = detail(client, HER2)
    curated_rows = [r.select("th")[0].get_text() for r in doc.select("table.compare tr.is-curated")]
    assert len(curated_rows) == 2
    assert all("curated" in r for r in curated_rows)
    assert {r.replace("curated", "").strip() for r in curated_rows} == {"Phase", "Ages"}


def test_an_unknown_trial_is_a_404(client, seed_trials):
    detail(client, "NCT00000000", status=404)


def test_a_registry_id_in_another_case_redirects_to_the_canonical_page(client, seed_trials):
    response = client.get(reverse("catalogue:trial_detail", args=[HER2.lower()]))
    assert response.status_code == 302
    assert response["Location"] == reverse("catalogue:trial_detail", args=[HER2])


def test_a_merged_record_redirects_to_its_primary_which_lists_both_ids(client, seed_trials):
    primary = seed_trials[GD2_B7H3]
    make_trial(registry="chictr", registry_id="ChiCTR2400000003", merged_into=primary)
    response = client.get(reverse("catalogue:trial_detail", args=["ChiCTR2400000003"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("catalogue:trial_detail", args=[GD2_B7H3])
    _, doc = detail(client, GD2_B7H3)
    shown = [el.get_text() for el in doc.select(".trial-page__head .trial__id")]
    assert shown == [GD2_B7H3, "ChiCTR2400000003"]


def test_the_trial_page_query_count_is_bounded(client, seed_trials, django_assert_num_queries):
    # the trial, its dose levels, sites, references, contacts, antigens, diseases, merged records; the
    # data state; its history (registry changes and corrections, then the copies of the record)
    with django_assert_num_queries(11):
        response = client.get(reverse("catalogue:trial_detail", args=[QUAD]))
    assert response.status_code == 200


# --- registry text is never trusted ----------------------------------------------------------------------

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'


@pytest.fixture
def hostile_trial(db):
    antigen = Antigen.objects.create(name="<b>EVIL</b>")
    trial = make_trial(
        registry_id="NCT90000666",
        title=f"Trial {SCRIPT} title",
        title_zh=IMG,
        sponsor=IMG,
        countries=[IMG],
        brief_summary=SCRIPT,
        inclusion_criteria=IMG,
        dose_levels=[{"arm": SCRIPT, "low": 1e6, "high": 1e6, "raw": IMG}],
        sites=[{"institution": SCRIPT, "city": IMG, "country": "China"}],
        raw={"status": SCRIPT, "phase": IMG, "sponsor": SCRIPT, "doses": [IMG]},
        diseases=[(IMG, "other")],
    )
    trial.antigens.add(antigen)
    from catalogue.trials import refresh_denormalized

    refresh_denormalized(trial)
    return trial


def assert_escaped(content: str) -> None:
    assert "<script>alert" not in content
    assert "<img src=x" not in content
    assert "<b>EVIL" not in content
    assert "&lt;script&gt;" in content or "&lt;img" in content


@pytest.mark.parametrize(
    "url",
    [
        reverse("catalogue:trial_list"),
        reverse("catalogue:trial_list") + "?q=Trial",
        reverse("catalogue:trial_detail", args=["NCT90000666"]),
        reverse("catalogue:landscape"),
    ],
)
def test_registry_text_with_markup_is_escaped_everywhere(client, hostile_trial, url):
    response = client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert_escaped(content)
    assert_csp_clean(content)


def test_hostile_text_in_the_query_is_escaped(client, seed_trials):
    response = client.get(LIST, {"q": SCRIPT, "antigen": IMG})
    content = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in content and "<img src=x" not in content
