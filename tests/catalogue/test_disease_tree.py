"""The disease tree: category → disease group → disease, filtering on a node
includes everything under it, the facet shows the tree, curators edit it."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalogue import facets
from catalogue.choices import DiseaseCategory, DiseaseKind
from catalogue.disease_tree import DiseaseTree, refresh_trial_disease_names, shipped_nodes
from catalogue.models import Disease, Trial
from catalogue.selectors import catalogue_counts, facet_counts, parse_filters, trial_list
from ingest.normalize.diseases import BUILTIN_DISEASES
from tests.factories import make_trial
from tests.search_data import builtin_vocabulary, realistic_catalogue

pytestmark = pytest.mark.django_db
LIST = reverse("catalogue:trial_list")
HEME = "hematologic_malignancy"


def ids(params) -> set[str]:
    return set(trial_list(filters=params).values_list("registry_id", flat=True))


def disease_trial(*names: str, **fields) -> Trial:
    categories = {d.name: d.category for d in Disease.objects.filter(name__in=names)}
    return make_trial(diseases=[(n, categories.get(n, HEME)) for n in names], **fields)


# --- the shipped tree -------------------------------------------------------------------------------


def test_every_disease_the_normalizer_knows_has_a_place_a_chinese_name_and_a_category_root():
    nodes = {n.name: n for n in shipped_nodes()}
    assert {s.name for s in BUILTIN_DISEASES} <= set(nodes)
    roots = [n for n in nodes.values() if n.parent is None]
    assert {n.kind for n in roots} == {DiseaseKind.CATEGORY}
    assert sorted(n.category for n in roots) == sorted(DiseaseCategory.values)
    for node in nodes.values():
        assert node.name_zh, node.name
        chain, seen = node, {node.name}
        while chain.parent is not None:
            chain = nodes[chain.parent]
            assert chain.name not in seen, f"cycle at {node.name}"
            seen.add(chain.name)
        assert chain.kind == DiseaseKind.CATEGORY
        assert all(code.startswith(("MeSH:D", "ICD-10:")) for code in node.codes), node.codes
    assert len({n.name_zh for n in nodes.values()}) == len(nodes)


def test_the_tree_goes_four_levels_deep_where_medicine_does():
    builtin_vocabulary()
    tree = DiseaseTree.load()
    assert tree.ancestors("Diffuse large B-cell lymphoma") == [
        "B-cell non-Hodgkin lymphoma", "Lymphoma", "Hematologic malignancy",
    ]  # fmt: skip
    assert tree.ancestors("Lupus nephritis")[-1] == "Autoimmune disease"
    assert "Systemic lupus erythematosus" in tree.ancestors("Lupus nephritis")
    assert tree.ancestors("Glioma (incl. glioblastoma)") == ["CNS tumor", "Solid tumor"]
    assert {"B-cell acute lymphoblastic leukemia", "T-cell acute lymphoblastic leukemia/lymphoma"} <= set(
        tree.descendants("Leukemia")
    )
    lymphoma = Disease.objects.get(name="Lymphoma")
    assert (lymphoma.kind, lymphoma.name_zh, lymphoma.parent.name) == ("group", "淋巴瘤", "Hematologic malignancy")
    assert "MeSH:D008223" in lymphoma.codes


def test_the_importer_seeds_the_tree_once_and_never_alters_a_curated_node():
    builtin_vocabulary()
    node = Disease.objects.get(name="Follicular lymphoma")
    node.parent = Disease.objects.get(name="Lymphoma")
    node.name_zh = "滤泡淋巴瘤（策展）"
    node.save()
    builtin_vocabulary()
    node.refresh_from_db()
    assert node.parent.name == "Lymphoma" and node.name_zh == "滤泡淋巴瘤（策展）"
    assert Disease.objects.filter(name="Lymphoma").count() == 1


# --- filtering on a node --------------------------------------------------------------------------------


def test_a_trials_disease_names_hold_each_disease_and_all_its_ancestors():
    builtin_vocabulary()
    trial = disease_trial("Follicular lymphoma", "Lupus nephritis")
    assert trial.disease_names == sorted([
        "Follicular lymphoma", "B-cell non-Hodgkin lymphoma", "Lymphoma", "Hematologic malignancy",
        "Lupus nephritis", "Systemic lupus erythematosus", "Rheumatic disease", "Autoimmune disease",
    ])  # fmt: skip
    assert sorted(trial.disease_categories) == ["autoimmune", HEME]


def test_a_group_includes_every_disease_under_it_and_nothing_else():
    builtin_vocabulary()
    dlbcl = disease_trial("Diffuse large B-cell lymphoma")
    follicular = disease_trial("Follicular lymphoma")
    mantle = disease_trial("Mantle cell lymphoma")
    hodgkin = disease_trial("Hodgkin lymphoma")
    myeloma = disease_trial("Multiple myeloma")
    lymphomas = {t.registry_id for t in (dlbcl, follicular, mantle, hodgkin)}
    for value in ("lymphoma", "Lymphoma", "淋巴瘤", "lymphomas"):
        assert ids({"disease": value}) == lymphomas, value
    assert ids({"disease": "B-cell non-Hodgkin lymphoma"}) == lymphomas - {hodgkin.registry_id}
    assert ids({"disease": "Hematologic malignancy"}) == lymphomas | {myeloma.registry_id}
    assert ids({"disease": "Follicular lymphoma"}) == {follicular.registry_id}


def test_a_name_beats_a_synonym_so_lymphoma_is_the_group_not_b_cell_nhl():
    # The normalizer reads a bare "lymphoma" as B-cell NHL (what CAR-T trials mean);
    # as a filter value it names the group, which includes B-cell NHL.
    builtin_vocabulary()
    assert "lymphoma" in Disease.objects.get(name="B-cell non-Hodgkin lymphoma").synonyms
    filterset = parse_filters({}).filterset
    disease = facets.BY_NAME["disease"]
    assert filterset.canonical(disease, ["lymphoma"]) == ["Lymphoma"]
    assert filterset.canonical(disease, ["淋巴瘤"]) == ["Lymphoma"]
    assert filterset.canonical(disease, ["ALL"]) == ["B-cell acute lymphoblastic leukemia"]
    assert filterset.canonical(disease, ["leukemia"]) == ["Leukemia"]
    assert filterset.canonical(disease, ["肉瘤"]) == ["Sarcoma"]


def test_a_disease_a_curator_adds_without_a_parent_counts_under_its_category():
    builtin_vocabulary()
    Disease.objects.create(name="Chordoma", category="solid_tumor")
    trial = disease_trial("Chordoma")
    assert trial.disease_names == ["Chordoma", "Solid tumor"]
    assert ids({"disease": "solid tumor"}) == {trial.registry_id}


@pytest.mark.corpus
def test_lymphoma_includes_every_dlbcl_follicular_and_mantle_cell_trial_of_real_records(tmp_path):
    realistic_catalogue(tmp_path)
    lymphoma = ids({"disease": "lymphoma"})
    for name in ("Diffuse large B-cell lymphoma", "Follicular lymphoma", "Mantle cell lymphoma"):
        tagged = set(Trial.objects.filter(in_scope=True, merged_into=None, diseases__name=name)
                     .values_list("registry_id", flat=True))  # fmt: skip
        assert tagged, name
        assert tagged <= lymphoma, name
    # ...and it is more than the B-cell NHL tag alone gave before the tree (Hodgkin, T-cell...).
    assert len(lymphoma) > len(
        set(Trial.objects.filter(in_scope=True, merged_into=None, diseases__name="B-cell non-Hodgkin lymphoma"))
    )
    assert ids({"disease": "leukemia"}) >= ids({"disease": "B-ALL"})


# --- curation ---------------------------------------------------------------------------------------------


def test_a_node_cannot_sit_under_itself_or_a_descendant():
    builtin_vocabulary()
    lymphoma = Disease.objects.get(name="Lymphoma")
    lymphoma.parent = Disease.objects.get(name="Follicular lymphoma")
    with pytest.raises(ValidationError):
        lymphoma.full_clean()
    category = Disease.objects.get(name="Solid tumor")
    category.parent = lymphoma
    with pytest.raises(ValidationError):
        category.full_clean()


def test_moving_a_node_in_the_admin_moves_its_trials_at_once(admin_client):
    builtin_vocabulary()
    trial = disease_trial("Mantle cell lymphoma")
    node = Disease.objects.get(name="Mantle cell lymphoma")
    leukemia = Disease.objects.get(name="Leukemia")
    url = reverse("admin:catalogue_disease_change", args=[node.pk])
    response = admin_client.post(url, {
        "name": node.name, "name_zh": node.name_zh, "kind": node.kind, "category": node.category,
        "parent": leukemia.pk, "synonyms": ",".join(node.synonyms), "codes": ",".join(node.codes),
    })  # fmt: skip
    assert response.status_code == 302, response.content[:500]
    trial.refresh_from_db()
    assert "Leukemia" in trial.disease_names and "Lymphoma" not in trial.disease_names
    assert trial.registry_id in ids({"disease": "leukemia"}) and trial.registry_id not in ids({"disease": "lymphoma"})
    assert not trial.changes.exists()  # the tree moved, not the trial's own values


def test_renormalize_re_applies_an_edited_tree(tmp_path):
    from ingest.pipeline import ingest_paths, renormalize
    from tests.conftest import SAMPLES

    assert ingest_paths([str(SAMPLES)]).failed == 0
    lupus = Trial.objects.get(registry_id="ChiCTR2500105227")
    assert "Systemic lupus erythematosus" in lupus.disease_names
    # An edit made behind the admin's back (a fixture load, raw SQL): renormalize puts it right.
    Disease.objects.filter(name="Systemic lupus erythematosus").update(
        parent=Disease.objects.get(name="Autoimmune disease")
    )
    assert "Rheumatic disease" in Trial.objects.get(pk=lupus.pk).disease_names
    renormalize()
    lupus.refresh_from_db()
    assert "Rheumatic disease" not in lupus.disease_names and "Autoimmune disease" in lupus.disease_names
    assert refresh_trial_disease_names() == 0  # nothing left to do


# --- the facet as a tree ---------------------------------------------------------------------------------


def page(client, params=None) -> BeautifulSoup:
    """The list page for GET parameters, or for a link's href."""
    if isinstance(params, str):
        response = client.get(params.split("#")[0])
    else:
        response = client.get(LIST, params or {})
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def tree_rows(doc: BeautifulSoup) -> list[tuple[int, str, int, str | None]]:
    """(depth, label, count, the +/− link) of each node the disease facet shows."""
    rows = []
    for li in doc.select("#facet-disease-section li.facet-node"):
        depth = int(next(c for c in li["class"] if c.startswith("facet-node--depth-")).rsplit("-", 1)[1])
        toggle = li.select_one("a.facet-node__toggle")
        rows.append((depth, li.select_one(".facet-value__label").get_text(), int(li.select_one(".facet-value__count").get_text()),
                     toggle["href"] if toggle else None))  # fmt: skip
    return rows


def test_the_facet_shows_the_top_levels_first_and_expands_through_links(client):
    builtin_vocabulary()
    for name in ("Diffuse large B-cell lymphoma", "Diffuse large B-cell lymphoma", "Follicular lymphoma",
                 "Multiple myeloma", "Osteosarcoma"):  # fmt: skip
        disease_trial(name)
    rows = tree_rows(page(client))
    assert [(d, label, n) for d, label, n, _ in rows] == [(0, "Hematologic malignancy", 4), (0, "Solid tumor", 1)]
    heme_link = rows[0][3]
    assert "open=Hematologic+malignancy" in heme_link and heme_link.endswith("#facet-disease")

    rows = tree_rows(page(client, heme_link))
    assert [(d, label, n) for d, label, n, _ in rows] == [
        (0, "Hematologic malignancy", 4), (1, "Lymphoma", 3), (1, "Plasma cell neoplasm", 1), (0, "Solid tumor", 1),
    ]  # fmt: skip
    lymphoma_link = rows[1][3]
    rows = tree_rows(page(client, lymphoma_link))
    labels = [(d, label, n) for d, label, n, _ in rows]
    assert (2, "B-cell non-Hodgkin lymphoma", 3) in labels
    nhl_link = next(link for _, label, _, link in rows if label == "B-cell non-Hodgkin lymphoma")
    rows = tree_rows(page(client, nhl_link))
    assert [(d, label, n) for d, label, n, _ in rows][3:5] == [
        (3, "Diffuse large B-cell lymphoma", 2), (3, "Follicular lymphoma", 1),
    ]  # fmt: skip
    # Hiding a node hides the nodes opened under it.
    hide = rows[0][3]
    assert "open=" not in hide.split("#")[0]


def test_a_selected_node_is_shown_in_its_place_with_its_ancestors_open(client):
    builtin_vocabulary()
    disease_trial("Follicular lymphoma")
    disease_trial("Osteosarcoma")
    doc = page(client, {"disease": "Follicular lymphoma"})
    rows = [(d, label) for d, label, _, _ in tree_rows(doc)]
    assert rows[:4] == [(0, "Hematologic malignancy"), (1, "Lymphoma"), (2, "B-cell non-Hodgkin lymphoma"),
                        (3, "Follicular lymphoma")]  # fmt: skip
    selected = doc.select_one("#facet-disease-section a.facet-value.is-selected .facet-value__label").get_text()
    assert selected == "Follicular lymphoma"


def test_show_all_lists_the_whole_tree(client):
    builtin_vocabulary()
    for name in ("Follicular lymphoma", "Osteosarcoma", "Multiple myeloma", "Lupus nephritis"):
        disease_trial(name)
    doc = page(client)
    link = doc.select_one("#facet-disease-section .facet__more a")
    assert link.get_text().startswith("Show all") and "show=disease" in link["href"]
    rows = tree_rows(page(client, {"show": "disease"}))
    labels = {label for _, label, _, _ in rows}
    assert {"Follicular lymphoma", "Osteosarcoma", "Lupus nephritis", "Multiple myeloma", "Sarcoma"} <= labels
    assert all(toggle is None for *_, toggle in rows)  # all open already


def test_tree_counts_include_descendants_and_come_from_the_one_counts_query(django_assert_num_queries):
    builtin_vocabulary()
    disease_trial("Diffuse large B-cell lymphoma")
    disease_trial("Hodgkin lymphoma")
    disease_trial("Diffuse large B-cell lymphoma", "Hodgkin lymphoma")
    filters = parse_filters({"open": "Lymphoma"})
    # the data state, the facet index's build, the disease tree (read once per data version)
    with django_assert_num_queries(3):
        total, counts = catalogue_counts(filters)
    assert counts["disease"]["Lymphoma"] == 3 and counts["disease"]["Hematologic malignancy"] == 3
    assert counts["disease"]["B-cell non-Hodgkin lymphoma"] == 2 and counts["disease"]["Hodgkin lymphoma"] == 2
    assert counts["_tree"]["Hodgkin lymphoma"] == ("Lymphoma", False)
    assert counts["_tree"]["Lymphoma"] == ("Hematologic malignancy", True)
    values = {v.value: v for v in facet_counts(filters)["disease"]}
    assert values["B-cell non-Hodgkin lymphoma"].parent == "Lymphoma" and values["Lymphoma"].has_children


def test_the_tree_data_file_is_valid_json_with_an_about():
    from catalogue.disease_tree import DATA_PATH

    data = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    assert data["_about"] and len(data["nodes"]) == len(shipped_nodes())


def test_the_normalizer_still_assigns_the_most_specific_disease_never_a_group():
    from ingest.importer import Vocabularies
    from ingest.records import TrialRecord

    vocab = Vocabularies()  # seeds the tree too
    assert Disease.objects.filter(kind=DiseaseKind.GROUP).exists()

    def diseases(*conditions: str) -> list[str]:
        record = TrialRecord(registry="ctgov", registry_id="NCT00000001", source_format="test",
                             title="A CAR-T trial", conditions=list(conditions))  # fmt: skip
        return [d.name for d in vocab.normalize(record).diseases]

    assert diseases("Lymphoma") == ["B-cell non-Hodgkin lymphoma"]
    assert diseases("Diffuse Large B-Cell Lymphoma") == ["Diffuse large B-cell lymphoma"]
    assert diseases("Sarcoma") == ["Sarcoma (soft tissue and bone)"]
    assert diseases("淋巴瘤") == ["B-cell non-Hodgkin lymphoma"]
    assert diseases("Leukemia") == ["Leukemia (unspecified)"]
    groups = set(Disease.objects.exclude(kind=DiseaseKind.DISEASE).values_list("name", flat=True))
    for name in groups:
        assert not set(diseases(name)) & groups, name
