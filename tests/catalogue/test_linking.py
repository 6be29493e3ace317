"""One study, several registries: auto-linking by secondary id, suggestions, curator decisions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from catalogue import linking
from catalogue.models import Trial, TrialChange
from catalogue.selectors import facet_counts, trial_list

pytestmark = pytest.mark.django_db


def _name_each_other(seed_trials) -> tuple[Trial, Trial]:
    chictr = seed_trials["ChiCTR2500108722"]
    ctgov = seed_trials["NCT06836505"]
    chictr.secondary_ids = ["NCT06836505"]
    chictr.save(update_fields=["secondary_ids"])
    return chictr, ctgov


def test_registry_ids_are_found_inside_secondary_id_strings() -> None:
    assert linking.registry_ids_in(["ChiCTR2000034346", "NCT01234567 (ClinicalTrials.gov)", "GIMI-IRB-17016"]) == {
        "ChiCTR2000034346",
        "NCT01234567",
    }


def test_a_secondary_id_naming_the_other_registry_links_the_two_automatically(seed_trials) -> None:
    chictr, ctgov = _name_each_other(seed_trials)
    pairs = linking.auto_link(chictr)
    assert len(pairs) == 1
    chictr.refresh_from_db()
    assert chictr.merged_into == ctgov  # the ClinicalTrials.gov record is the entry
    assert pairs[0].status == "linked" and pairs[0].reason == "secondary_id"
    assert TrialChange.objects.filter(trial=ctgov, changes__linked_with=[None, "ChiCTR2500108722"]).exists()


def test_a_linked_pair_is_one_entry_and_counted_once_in_the_facets(seed_trials) -> None:
    chictr, ctgov = _name_each_other(seed_trials)
    before = facet_counts({})["country"]
    linking.auto_link(chictr)
    ids = list(trial_list(filters={}).values_list("registry_id", flat=True))
    assert "ChiCTR2500108722" not in ids and "NCT06836505" in ids and len(ids) == 4
    china = {f.value: f.count for f in facet_counts({})["country"]}["China"]
    assert china == {f.value: f.count for f in before}["China"] - 1


def test_the_merged_entry_is_found_by_the_other_registrations_id(seed_trials) -> None:
    chictr, ctgov = _name_each_other(seed_trials)
    linking.auto_link(chictr)
    ids = list(trial_list(filters={"q": "ChiCTR2500108722"}).values_list("registry_id", flat=True))
    assert ids == ["NCT06836505"]


def test_a_pair_a_curator_rejected_is_never_linked_again_automatically(seed_trials) -> None:
    chictr, _ = _name_each_other(seed_trials)
    pair = linking.auto_link(chictr)[0]
    linking.unlink(pair)
    chictr.refresh_from_db()
    assert chictr.merged_into is None
    assert linking.auto_link(chictr) == []
    chictr.refresh_from_db()
    assert chictr.merged_into is None


def test_similar_titles_are_only_suggested_never_merged(seed_trials) -> None:
    chictr = seed_trials["ChiCTR2500108722"]
    twin = Trial.objects.create(
        registry="ctgov", registry_id="NCT09999999", title=chictr.title + " (phase 1)", updated_at=chictr.updated_at
    )
    pairs = linking.suggest_duplicates(chictr)
    assert [(p.primary, p.secondary, p.status) for p in pairs] == [(twin, chictr, "suggested")]
    assert pairs[0].similarity >= linking.SUGGEST_SIMILARITY
    chictr.refresh_from_db()
    assert chictr.merged_into is None
    unrelated = seed_trials["NCT06101082"]
    assert linking.suggest_duplicates(unrelated) == []


def test_curators_link_a_suggested_pair_from_the_admin_after_confirming(seed_trials) -> None:
    chictr = seed_trials["ChiCTR2500108722"]
    twin = Trial.objects.create(
        registry="ctgov", registry_id="NCT09999999", title=chictr.title, updated_at=chictr.updated_at
    )
    pair = linking.suggest_duplicates(chictr)[0]
    user = User.objects.create_superuser("boss", "b@example.org", "a-long-test-password")
    client = Client()
    client.force_login(user)
    data = {"action": "link_pairs", "_selected_action": [pair.pk]}
    page = client.post("/admin/catalogue/trialpair/", data)
    assert page.status_code == 200 and b"Yes, I" in page.content
    chictr.refresh_from_db()
    assert chictr.merged_into is None  # nothing happens before confirmation
    done = client.post("/admin/catalogue/trialpair/", {**data, "confirmed": "yes"})
    assert done.status_code == 302
    chictr.refresh_from_db()
    assert chictr.merged_into == twin
    pair.refresh_from_db()
    assert pair.status == "linked" and pair.decided_by == user


def test_admin_actions_refuse_get_requests(seed_trials) -> None:
    user = User.objects.create_superuser("boss", "b@example.org", "a-long-test-password")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/admin/catalogue/trialpair/", {"action": "link_pairs", "_selected_action": [1]})
    assert response.status_code == 403  # no CSRF token


def test_ingest_links_a_new_registration_that_names_an_existing_one(tmp_path) -> None:
    from ingest.pipeline import ingest_paths
    from tests.conftest import SAMPLES

    ingest_paths([str(SAMPLES / "003_8a70a621ca2e797d.txt")])
    page = (SAMPLES / "000_dda02b667f938841.txt").read_text()
    label = "The registration number of the Partner Registry or other register:"
    assert label in page
    twin = tmp_path / "chictr_naming_nct.txt"
    twin.write_text(page.replace(label, label + "\n\nNCT06836505\n", 1))
    report = ingest_paths([str(twin)])
    assert report.created == 1 and report.linked == 1
    assert "linked 1 cross-registry pair" in report.summary()
    assert Trial.objects.get(registry_id="ChiCTR2500108722").merged_into.registry_id == "NCT06836505"
