"""The search box: concepts in English and Chinese, relevance, the -word, "phrase"
and `or` syntax, multi-target queries, unknown terms, type-ahead and facet size."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from catalogue import search
from catalogue.selectors import catalogue_counts, facet_counts, parse_filters, trial_list
from catalogue.summary import build_summary
from tests.factories import make_trial
from tests.search_data import builtin_vocabulary, realistic_catalogue

pytestmark = pytest.mark.django_db
LIST = reverse("catalogue:trial_list")
API = reverse("catalogue:api_trial_list")
SUGGEST = reverse("catalogue:api_suggest")
HEME = "hematologic_malignancy"


def ids(params) -> set[str]:
    return set(trial_list(filters=params).values_list("registry_id", flat=True))


def ordered(params) -> list[str]:
    return list(trial_list(filters=params).values_list("registry_id", flat=True))


# --- the syntax ------------------------------------------------------------------------------------------


def test_a_search_parses_into_required_terms_alternatives_exclusions_and_phrases():
    groups = search.parse('CD19 "large B-cell" -myeloma GPRC5D or FCRH5 -"bone marrow"')
    assert groups == [
        [search.Term("CD19")],
        [search.Term("large B-cell", phrase=True)],
        [search.Term("myeloma", negated=True)],
        [search.Term("GPRC5D"), search.Term("FCRH5")],
        [search.Term("bone marrow", negated=True, phrase=True)],
    ]
    assert search.parse("or CD19 or") == [[search.Term("CD19")]]
    assert search.parse("()&|!: -") == []
    assert search.only_negations('-BCMA -"bone marrow"') and not search.only_negations("CD19 -BCMA")


def test_minus_excludes_a_word_also_when_the_other_words_match_as_prefixes(db):
    # The bug: the prefix part of the query ignored "-" terms, so "CD19 -myeloma" still found myeloma trials.
    lymphoma = make_trial(title="CD19 CAR-T for lymphoma", antigens=["CD19"])
    myeloma = make_trial(title="CD19 CAR-T for multiple myeloma", antigens=["CD19"])
    assert ids({"q": "CD19"}) == {lymphoma.registry_id, myeloma.registry_id}
    assert ids({"q": "CD19 -myeloma"}) == {lymphoma.registry_id}
    assert ids({"q": "CD1 -myeloma"}) == {lymphoma.registry_id}  # a prefix beside an exclusion
    assert ids({"q": "-myeloma CD19"}) == {lymphoma.registry_id}


def test_a_quoted_phrase_matches_the_words_in_order_only(db):
    together = make_trial(title="Relapsed large B-cell lymphoma")
    apart = make_trial(title="Large cell study in B-cell leukemia")
    assert ids({"q": "large B-cell"}) == {together.registry_id, apart.registry_id}
    assert ids({"q": '"large B-cell"'}) == {together.registry_id}
    assert ids({"q": '-"large B-cell" B-cell'}) == {apart.registry_id}


def test_or_matches_either_term_and_binds_tighter_than_and(db):
    gprc5d = make_trial(title="GPRC5D CAR-T in myeloma")
    fcrh5 = make_trial(title="FCRH5 CAR-T in myeloma")
    lymphoma = make_trial(title="GPRC5D CAR-T in lymphoma")
    assert ids({"q": "GPRC5D or FCRH5"}) == {gprc5d.registry_id, fcrh5.registry_id, lymphoma.registry_id}
    assert ids({"q": "GPRC5D OR FCRH5 myeloma"}) == {gprc5d.registry_id, fcrh5.registry_id}
    assert ids({"q": "GPRC5D or FCRH5 -lymphoma"}) == {gprc5d.registry_id, fcrh5.registry_id}


def test_the_syntax_works_the_same_in_the_api(client, db):
    make_trial(registry_id="NCT90000801", title="CD19 CAR-T for lymphoma", antigens=["CD19"])
    make_trial(registry_id="NCT90000802", title="CD19 CAR-T for multiple myeloma", antigens=["CD19"])
    make_trial(registry_id="NCT90000803", title="BCMA CAR-T for multiple myeloma", antigens=["BCMA"])
    for q, expected in (
        ("CD19 -myeloma", {"NCT90000801"}),
        ('"multiple myeloma"', {"NCT90000802", "NCT90000803"}),
        ("lymphoma or BCMA", {"NCT90000801", "NCT90000803"}),
    ):
        body = client.get(API, {"q": q}).json()
        assert {r["registry_id"] for r in body["results"]} == expected, q


# --- concepts --------------------------------------------------------------------------------------------------


def test_myeloma_minus_bcma_excludes_trials_whose_only_bcma_mention_is_the_antigen_tag(db):
    builtin_vocabulary()
    named = make_trial(title="BCMA CAR-T for myeloma", antigens=["BCMA"], diseases=[("Multiple myeloma", HEME)])
    tagged = make_trial(title="Anti-TNFRSF17 cells for relapsed myeloma", antigens=["BCMA"],
                        diseases=[("Multiple myeloma", HEME)])  # fmt: skip
    other = make_trial(title="GPRC5D CAR-T for relapsed myeloma", antigens=["GPRC5D"],
                       diseases=[("Multiple myeloma", HEME)])  # fmt: skip
    assert "BCMA" not in tagged.title and "BCMA" in tagged.antigen_names
    assert ids({"q": "myeloma"}) == {named.registry_id, tagged.registry_id, other.registry_id}
    for q in ("myeloma -BCMA", "myeloma -bcma", "myeloma -TNFRSF17", "多发性骨髓瘤 -BCMA"):
        assert ids({"q": q}) == {other.registry_id}, q


def test_a_chinese_disease_name_finds_the_english_records_of_the_whole_group(db):
    builtin_vocabulary()
    dlbcl = make_trial(title="CD19 CAR-T in relapsed DLBCL", diseases=[("Diffuse large B-cell lymphoma", HEME)])
    follicular = make_trial(title="CAR-T in indolent disease", diseases=[("Follicular lymphoma", HEME)])
    text_only = make_trial(title="A trial", title_zh="复发淋巴瘤的细胞治疗")  # no disease tag, the word in its text
    make_trial(title="CD19 CAR-T in B-ALL", diseases=[("B-cell acute lymphoblastic leukemia", HEME)])
    tagged = {dlbcl.registry_id, follicular.registry_id}
    # The concept's trials, and the texts that name it in either language.
    assert ids({"q": "淋巴瘤"}) == ids({"q": "lymphoma"}) == tagged | {text_only.registry_id}
    assert ids({"disease": "淋巴瘤"}) == ids({"disease": "lymphoma"}) == tagged


def test_several_words_are_read_as_one_concept_when_they_name_one(db):
    builtin_vocabulary()
    myeloma = make_trial(title="BCMA cells", diseases=[("Multiple myeloma", HEME)])  # neither word in its text
    plan = search.plan("relapsed multiple myeloma")
    assert [(t, [c.name for c in cs]) for t, cs, _ in plan.understood_terms] == [
        ("multiple myeloma", ["Multiple myeloma"])
    ]
    assert ids({"q": "multiple myeloma"}) == {myeloma.registry_id} == ids({"q": "多发性骨髓瘤"})


def test_a_short_disease_acronym_is_a_concept_only_in_capitals(db):
    builtin_vocabulary()
    plan = search.plan("ALL")
    assert [c.name for _, cs, _ in plan.understood_terms for c in cs] == ["B-cell acute lymphoblastic leukemia"]
    assert search.plan("all").understood_terms == []
    assert [c.name for _, cs, _ in search.plan("cd19").understood_terms for c in cs] == ["CD19"]


def test_a_product_name_finds_its_trials_and_ranks_them_first(db):
    builtin_vocabulary()
    kymriah = make_trial(title="Long-term follow-up of CAR-T recipients", product_names=["tisagenlecleucel"])
    other = make_trial(title="CTL019 mentioned in passing; Kymriah comparison arm excluded")
    order = ordered({"q": "Kymriah"})
    assert order[0] == kymriah.registry_id and other.registry_id in order


def test_the_summary_says_what_the_search_was_understood_as(client, db):
    builtin_vocabulary()
    for _ in range(2):
        make_trial(title="CAR-T cells", diseases=[("Diffuse large B-cell lymphoma", HEME)])
    make_trial(title="CAR-T", title_zh="淋巴瘤患者的随访")
    filters = parse_filters({"q": "淋巴瘤"})
    catalogue_counts(filters)
    assert build_summary(filters).understood == "淋巴瘤 = Lymphoma: 2 trials; also matched as text in 1"
    doc = BeautifulSoup(client.get(LIST, {"q": "淋巴瘤"}).content.decode(), "html.parser")
    assert doc.select_one(".summary__understood").get_text() == (
        "Understood: 淋巴瘤 = Lymphoma: 2 trials; also matched as text in 1."
    )
    body = client.get(API, {"q": "淋巴瘤 -CD19"}).json()
    assert body["search"]["concepts"] == [
        {"term": "淋巴瘤", "kind": "disease", "value": "Lymphoma", "excluded": False},
        {"term": "CD19", "kind": "antigen", "value": "CD19", "excluded": True},
    ]
    assert body["search"]["concept_count"] == 2 and body["search"]["text_only_count"] == 1


@pytest.mark.corpus
def test_chinese_names_find_the_same_trials_as_english_ones_and_as_the_tree_filters(tmp_path):
    realistic_catalogue(tmp_path)
    assert "ChiCTR2500108722" in ids({"q": "肉瘤"})  # a seed page that names it in Chinese
    for chinese, english, node in (("淋巴瘤", "lymphoma", "Lymphoma"), ("肉瘤", "sarcoma", "Sarcoma"),
                                   ("多发性骨髓瘤", "multiple myeloma", "Multiple myeloma")):  # fmt: skip
        tagged = ids({"disease": node})
        assert tagged, node
        found = ids({"q": chinese})
        assert found == ids({"q": english}), chinese
        assert tagged <= found, chinese
        # The English records (ClinicalTrials.gov) are found through the concept and its English name.
        assert {t for t in found if t.startswith("NCT")} >= {t for t in tagged if t.startswith("NCT")}


# --- relevance -----------------------------------------------------------------------------------------------------


def test_a_search_without_a_sort_is_ordered_by_relevance_and_the_form_sends_no_sort(client, db):
    builtin_vocabulary()
    newest_unrelated = make_trial(title="B-ALL study with a lymphoma arm", start_date="2027-01-01",
                                  diseases=[("B-cell acute lymphoblastic leukemia", HEME)])  # fmt: skip
    best = make_trial(title="CD19 CAR-T for relapsed lymphoma: diffuse large B-cell lymphoma", start_date="2019-01-01",
                      diseases=[("Diffuse large B-cell lymphoma", HEME)])  # fmt: skip
    order = ordered({"q": "lymphoma"})
    assert order.index(best.registry_id) < order.index(newest_unrelated.registry_id)
    assert ordered({"q": "lymphoma", "sort": "newest"})[0] == newest_unrelated.registry_id
    doc = BeautifulSoup(client.get(LIST).content.decode(), "html.parser")
    selected = doc.select_one("#f-sort option[selected]")
    assert selected["value"] == ""  # the default sort submits nothing: relevance once there is a search
    doc = BeautifulSoup(client.get(LIST, {"q": "lymphoma", "sort": ""}).content.decode(), "html.parser")
    assert [li.get_text() for li in doc.select(".trial__id")][0] == best.registry_id


# --- multi-target -------------------------------------------------------------------------------------------------------


def test_antigen_mode_all_returns_only_trials_naming_every_chosen_target(client, db):
    dual = make_trial(antigens=["CD19", "CD22"])
    triple = make_trial(antigens=["CD19", "CD20", "CD22"])
    cd19 = make_trial(antigens=["CD19"])
    cd22 = make_trial(antigens=["CD22"])
    params = {"antigen": ["CD19", "CD22"]}
    assert ids(params) == {dual.registry_id, triple.registry_id, cd19.registry_id, cd22.registry_id}
    assert ids({**params, "antigen_mode": "all"}) == {dual.registry_id, triple.registry_id}
    assert ids({"antigen": ["cd19", "Cd-22"], "antigen_mode": "all"}) == {dual.registry_id, triple.registry_id}
    # In "all" mode the antigen facet counts what adding one more target would give.
    counts = {v.value: v.count for v in facet_counts({**params, "antigen_mode": "all"})["antigen"]}
    assert counts == {"CD19": 2, "CD22": 2, "CD20": 1}
    body = client.get(API, {"antigen": ["CD19", "CD22"], "antigen_mode": "all"}).json()
    assert {r["registry_id"] for r in body["results"]} == {dual.registry_id, triple.registry_id}
    doc = BeautifulSoup(client.get(LIST, {**params, "antigen_mode": "all"}).content.decode(), "html.parser")
    assert " ".join(doc.select_one(".summary__text").get_text().replace("✕", "").split()).startswith(
        "CD19 and CD22 trials"
    )
    switch = {a.get_text(): a for a in doc.select("#facet-antigen-section .facet__mode a")}
    assert switch["all chosen"].get("aria-current") == "true" and "antigen_mode" not in switch["any chosen"]["href"]
    assert client.get(API, {"antigen": "CD19", "antigen_mode": "both"}).status_code == 400


def test_the_target_combination_facet_lists_the_combinations_with_counts(client, db):
    for antigens in (["CD19", "CD22"], ["CD22", "CD19"], ["BCMA", "GPRC5D"], ["CD19"], ["CD19", "CD20", "CD22"]):
        make_trial(antigens=antigens)
    counts = {v.value: v.count for v in facet_counts({})["target_combination"]}
    assert counts == {"CD19 + CD22": 2, "BCMA + GPRC5D": 1, "CD19 + CD20 + CD22": 1}
    assert len(ids({"target_combination": "CD19 + CD22"})) == 2
    assert ids({"target_combination": "cd22+cd19"}) == ids({"target_combination": "CD19 + CD22"})
    doc = BeautifulSoup(client.get(LIST).content.decode(), "html.parser")
    labels = [a.get_text() for a in doc.select("#facet-target_combination-section .facet-value__label")]
    assert labels[0] == "CD19 + CD22"


def test_an_unknown_antigen_or_disease_gets_a_notice_with_close_suggestions(client, db):
    builtin_vocabulary()
    make_trial(antigens=["GPRC5D"])
    body = client.get(API, {"antigen": "GPRC5"}).json()
    assert "did you mean GPRC5D" in body["errors"]["antigen"][0]
    assert client.get(API, {"antigen": "GPRC5"}).status_code == 400
    doc = BeautifulSoup(client.get(LIST, {"antigen": "GPRC5"}).content.decode(), "html.parser")
    assert "No target antigen is called 'GPRC5'" in doc.select_one(".notices").get_text()
    link = doc.select_one(".notice__suggestions a")
    assert link.get_text() == "GPRC5D" and "antigen=GPRC5D" in link["href"] and "GPRC5&" not in link["href"]
    assert doc.select_one("#results-heading").get_text() == "0 trials"  # it matches nothing, as before
    assert "did you mean Lymphoma" in client.get(API, {"disease": "lymphom"}).json()["errors"]["disease"][0]
    assert client.get(API, {"antigen": "NOTREAL"}).status_code == 400


# --- type-ahead --------------------------------------------------------------------------------------------------------


def test_suggestions_cover_diseases_antigens_and_products_in_both_languages(client, db):
    builtin_vocabulary()
    make_trial(antigens=["GPRC5D"], diseases=[("Multiple myeloma", HEME)])
    make_trial(
        antigens=["CD19"], diseases=[("Diffuse large B-cell lymphoma", HEME)], product_names=["axicabtagene ciloleucel"]
    )
    suggestions = client.get(SUGGEST, {"q": "淋巴"}).json()["suggestions"]
    assert suggestions[0] == {"label": "Lymphoma · 淋巴瘤", "kind": "disease", "value": "Lymphoma", "count": 1,
                              "param": "disease"}  # fmt: skip
    assert client.get(SUGGEST, {"q": "gprc"}).json()["suggestions"][0]["value"] == "GPRC5D"
    values = {s["value"] for s in client.get(SUGGEST, {"q": "myelo"}).json()["suggestions"]}
    assert "Multiple myeloma" in values
    assert client.get(SUGGEST, {"q": "yescarta"}).json()["suggestions"][0]["kind"] == "product"
    assert client.get(SUGGEST, {"q": "x"}).json()["suggestions"] == []  # one letter: too many
    assert client.get(SUGGEST, {"q": "zzzz"}).json()["suggestions"] == []


# --- facet size -----------------------------------------------------------------------------------------------------


def test_the_counts_query_returns_only_the_top_values_unless_all_are_asked_for(db):
    for i in range(15):
        make_trial(antigens=[f"AG{i:02d}", "CD19"], countries=["China"])
    total, counts = catalogue_counts(parse_filters({}))
    assert len(counts["antigen"]) == 10 and counts["_sizes"]["antigen"] == 16
    assert counts["antigen"]["CD19"] == 15
    _, counts = catalogue_counts(parse_filters({"antigen": "AG14"}))
    assert "AG14" in counts["antigen"] and len(counts["antigen"]) == 11
    _, counts = catalogue_counts(parse_filters({"show": "antigen"}))
    assert len(counts["antigen"]) == 16
    assert catalogue_counts(parse_filters({"show": "bogus"}))[1]["_sizes"]["antigen"] == 16


def test_a_search_costs_one_lookup_of_its_concepts_then_nothing_more_when_cached(client, db, django_assert_num_queries):
    builtin_vocabulary()
    make_trial(title="CD19 CAR-T", diseases=[("Follicular lymphoma", HEME)])
    # the data state, the concepts its words may name, the facet index's build, the ids the
    # search keeps in relevance order (with sequential scans off: a SET and a RESET around
    # it), the disease tree (once per data version), the page's rows by id; how many are
    # tagged with the concepts comes from the index
    with django_assert_num_queries(8):
        assert client.get(LIST, {"q": "淋巴瘤 CD19"}).status_code == 200
    with django_assert_num_queries(1):  # the data state: the counts, the sidebar and the cards are cached
        assert client.get(LIST, {"q": "淋巴瘤 CD19"}).status_code == 200
    # The same words under other filters: the concepts are not looked up again (the search's
    # ranked ids with their SET and RESET, and the rows, besides the data state).
    with django_assert_num_queries(5):
        assert client.get(LIST, {"q": "淋巴瘤 CD19", "phase": "phase1"}).status_code == 200
    # Opening a tree node or showing a facet in full: no more queries than any other filter.
    with django_assert_num_queries(3):  # the data state, the disease lookup, the rows (counted from the index)
        assert client.get(LIST, {"disease": "lymphoma", "open": "Lymphoma", "show": "antigen"}).status_code == 200


def test_a_target_list_too_long_for_one_value_is_no_combination():
    from catalogue.trials import target_combination

    assert target_combination(["CD22", "CD19", "CD19"]) == "CD19 + CD22"
    assert target_combination(["CD19"]) is None
    assert target_combination([f"ANTIGEN-{i:03d}-{'x' * 30}" for i in range(20)]) is None
