"""Finding trials by concept, as a person does it in Chromium: Chinese and English
disease names typed in the search box, relevance from the form, type-ahead, the
disease tree without JavaScript, and trials that target every chosen antigen.
Realistic data: a slice of the real bulk snapshot and the seed pages, ingested
through the real pipeline at test time."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import SAMPLES
from tests.search_data import realistic_catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GD2_B7H3 = "NCT06836505"
B7H3_SARCOMA = "ChiCTR2500108722"


def listed(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".trial-list .trial__id").all_inner_texts()]


def heading_count(page: Page) -> int:
    return int(page.locator("#results-heading").inner_text().split()[0])


def search_box(page: Page, text: str) -> None:
    page.fill("#f-q", text)
    page.press("#f-q", "Enter")
    page.wait_for_url(lambda url: parse_qs(urlparse(url).query).get("q") == [text])


def ids(params) -> set[str]:
    from catalogue.selectors import trial_list

    return set(trial_list(filters=params).values_list("registry_id", flat=True))


def shot(page: Page, artifacts_dir, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=False)


@pytest.mark.corpus
def test_chinese_disease_names_typed_in_the_search_box_find_what_the_english_ones_find(
    page: Page, live_server, artifacts_dir, tmp_path
):
    realistic_catalogue(tmp_path)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/")

    for chinese, english, node in (("淋巴瘤", "lymphoma", "Lymphoma"), ("肉瘤", "sarcoma", "Sarcoma"),
                                   ("多发性骨髓瘤", "multiple myeloma", "Multiple myeloma")):  # fmt: skip
        search_box(page, chinese)
        in_chinese = heading_count(page)
        assert "sort" not in page.url  # the form no longer forces an order
        understood = page.locator(".summary__understood").inner_text()
        assert understood.startswith(f"Understood: {chinese} = {node}: "), understood
        shot(page, artifacts_dir, f"search-{english.replace(' ', '-')}-zh")

        search_box(page, english)
        assert heading_count(page) == in_chinese, (chinese, english)
        expected = ids({"q": chinese})
        assert expected == ids({"q": english}) and len(expected) == in_chinese
        assert ids({"disease": node}) <= expected  # tree-inclusive: every trial under the node
        assert set(listed(page)) <= expected

    # "myeloma -BCMA": no BCMA trial is left, by tag or by text.
    search_box(page, "myeloma -BCMA")
    assert heading_count(page) > 0
    for chips in page.locator(".trial-list .chips").all_inner_texts():
        assert "BCMA" not in chips
    assert heading_count(page) < len(ids({"q": "myeloma"}))


@pytest.mark.corpus
def test_a_search_from_the_form_is_ordered_by_relevance_and_the_box_suggests_terms(
    page: Page, live_server, artifacts_dir, tmp_path
):
    from catalogue.selectors import trial_list

    realistic_catalogue(tmp_path)
    page.goto(live_server.url + "/?sort=")
    expect(page.locator("#f-sort")).to_have_value("")
    search_box(page, "lymphoma")
    assert "sort=" not in page.url
    expect(page.locator("#f-sort")).to_have_value("")
    by_relevance = list(trial_list(filters={"q": "lymphoma"}).values_list("registry_id", flat=True)[:20])
    by_date = list(trial_list(filters={"q": "lymphoma", "sort": "newest"}).values_list("registry_id", flat=True)[:20])
    assert by_relevance != by_date
    assert listed(page) == by_relevance
    first_title = page.locator(".trial__title").first.inner_text().lower()
    assert "lymphoma" in first_title

    # Type-ahead: the box offers the disease tree's nodes, in both languages.
    page.fill("#f-q", "")
    page.locator("#f-q").press_sequentially("淋巴", delay=50)
    options = page.locator("#f-q-suggestions option")
    expect(options.first).to_have_attribute("value", "Lymphoma")
    assert page.locator("#f-q").get_attribute("list") == "f-q-suggestions"
    shot(page, artifacts_dir, "search-suggestions")


def test_the_disease_tree_opens_without_javascript_and_filters_on_a_node(browser, live_server, artifacts_dir):
    from ingest.pipeline import ingest_paths

    assert ingest_paths([str(SAMPLES)]).failed == 0
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    tree = page.locator("#facet-disease-section")
    nodes = tree.locator("li.facet-node")
    top = [n.strip() for n in nodes.locator(".facet-value__label").all_inner_texts()]
    assert "Solid tumor" in top and "Sarcoma" not in top  # top levels first
    solid = tree.locator("li.facet-node", has=page.locator(".facet-value__label", has_text=re.compile("^Solid tumor$")))
    solid_count = int(solid.locator(".facet-value__count").inner_text())
    solid.locator("a.facet-node__toggle").click()
    page.wait_for_url(re.compile(r"open=Solid\+tumor#facet-disease$"))
    sarcoma = tree.locator(
        "li.facet-node--depth-1", has=page.locator(".facet-value__label", has_text=re.compile("^Sarcoma$"))
    )
    expect(sarcoma).to_have_count(1)
    sarcoma_count = int(sarcoma.locator(".facet-value__count").inner_text())
    assert 0 < sarcoma_count <= solid_count
    sarcoma.locator("a.facet-node__toggle").click()
    page.wait_for_url(re.compile(r"open=Sarcoma"))
    children = tree.locator("li.facet-node--depth-2 .facet-value__label").all_inner_texts()
    assert children, "the diseases under Sarcoma are shown"
    shot(page, artifacts_dir, "tree-no-js")
    # Filtering on the group: every trial under it (its count includes its descendants).
    tree.locator("li.facet-node--depth-1 a.facet-value", has_text="Sarcoma").click()
    page.wait_for_url(re.compile(r"disease=Sarcoma"))
    assert heading_count(page) == sarcoma_count == len(ids({"disease": "Sarcoma"}))
    assert B7H3_SARCOMA in listed(page)
    context.close()


def test_trials_naming_every_chosen_target(page: Page, live_server, artifacts_dir):
    from ingest.pipeline import ingest_paths

    assert ingest_paths([str(SAMPLES)]).failed == 0
    page.goto(live_server.url + "/?antigen=B7-H3&antigen=GD2")
    any_of = set(listed(page))
    assert GD2_B7H3 in any_of and len(any_of) > 1
    page.locator("#facet-antigen-section .facet__mode a", has_text="all chosen").click()
    page.wait_for_url(re.compile(r"antigen_mode=all"))
    assert listed(page) == [GD2_B7H3]
    assert page.locator(".summary__text").inner_text().startswith("B7-H3 and GD2")
    combination = page.locator("#facet-target_combination-section .facet-value__label").all_inner_texts()
    assert "B7-H3 + GD2" in combination
    shot(page, artifacts_dir, "antigen-mode-all")
    page.goto(live_server.url + "/?antigen=GPRC5")
    expect(page.locator(".notices")).to_contain_text("No target antigen is called 'GPRC5'")
