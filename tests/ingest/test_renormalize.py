"""renormalize re-applies the (curated) vocabularies from stored source documents."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from catalogue.models import Disease, Trial, TrialChange
from ingest.pipeline import renormalize

pytestmark = pytest.mark.django_db


def test_renormalize_without_vocabulary_changes_changes_nothing(seed_trials) -> None:
    before = dict(Trial.objects.values_list("registry_id", "updated_at"))
    report = renormalize()
    assert (report.created, report.updated, report.unchanged, report.failed) == (0, 0, 5, 0)
    assert dict(Trial.objects.values_list("registry_id", "updated_at")) == before


def test_a_new_disease_synonym_reaches_trials_after_renormalize(seed_trials) -> None:
    Disease.objects.create(
        name="Bone and soft tissue sarcoma", category="solid_tumor", synonyms=["bone and soft tissue sarcomas"]
    )
    report = renormalize()
    assert report.updated >= 1 and report.failed == 0
    trial = Trial.objects.get(registry_id="ChiCTR2500108722")
    assert "Bone and soft tissue sarcoma" in trial.disease_names
    change = TrialChange.objects.filter(trial=trial, actor="renormalize").get()
    assert "diseases" in change.changes


def test_renormalize_respects_curated_fields(seed_trials) -> None:
    trial = Trial.objects.get(registry_id="ChiCTR2500108722")
    trial.diseases.clear()
    trial.curated_fields = ["diseases"]
    trial.save()
    Disease.objects.create(
        name="Bone and soft tissue sarcoma", category="solid_tumor", synonyms=["bone and soft tissue sarcomas"]
    )
    renormalize()
    trial.refresh_from_db()
    assert list(trial.diseases.all()) == []
    assert "diseases" in trial.curation_conflicts


def test_the_command_reports_what_changed(seed_trials, capsys) -> None:
    call_command("renormalize")
    assert "created 0, updated 0, unchanged 5, older 0, failed 0" in capsys.readouterr().out
