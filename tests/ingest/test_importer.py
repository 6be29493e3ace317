"""The importer keeps every copy of a trial and makes the trial their merge:
registry freshness, no erasure by a sparser copy, one outcome per record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from catalogue.models import SourceDocument, Trial, TrialChange, TrialSource
from ingest.pipeline import ingest_paths
from tests.conftest import corpus_path

pytestmark = [pytest.mark.django_db, pytest.mark.corpus]

BULK = ("bulk", "ctgov-cart-snapshot-2026-08-22.json")


def bulk_slice(tmp_path: Path, ids: list[str], name: str = "bulk-slice.json") -> Path:
    """A page of the 2026-08-22 bulk snapshot holding only these studies (made at test time)."""
    data = json.loads(corpus_path(*BULK).read_bytes())
    studies = [s for s in data["studies"] if s["protocolSection"]["identificationModule"]["nctId"] in ids]
    assert len(studies) == len(ids)
    path = tmp_path / name
    path.write_text(json.dumps({"studies": studies}))
    return path


def full_record(nct_id: str) -> Path:
    return corpus_path("ctgov-v2", f"{nct_id}.ctgov-v2.json")


def test_an_older_full_record_never_turns_a_completed_trial_back_to_recruiting(tmp_path: Path) -> None:
    ingest_paths([str(bulk_slice(tmp_path, ["NCT04835519"]))])
    report = ingest_paths([str(full_record("NCT04835519"))])
    trial = Trial.objects.get(registry_id="NCT04835519")
    assert trial.status == "completed"
    assert str(trial.registry_updated) == "2024-06-21"
    assert report.older == 1
    assert "NCT04835519" in report.older_records[0]
    assert "older 1" in report.summary()
    # Its document is kept as a source document of the trial.
    assert trial.sources.count() == 2
    assert SourceDocument.objects.count() == 2


def test_the_older_record_fills_only_the_sections_the_newer_copy_lacks(tmp_path: Path) -> None:
    ingest_paths([str(bulk_slice(tmp_path, ["NCT04835519"]))])
    bulk_only = Trial.objects.get(registry_id="NCT04835519")
    assert bulk_only.inclusion_criteria == "" and "inclusion_criteria" in bulk_only.missing_fields
    assert bulk_only.sex is None and bulk_only.study_type is None
    ingest_paths([str(full_record("NCT04835519"))])
    trial = Trial.objects.get(registry_id="NCT04835519")
    assert "CD33" in trial.inclusion_criteria or len(trial.inclusion_criteria) > 200
    assert trial.sex == "all" and trial.study_type == "interventional"
    assert "inclusion_criteria" not in trial.missing_fields
    # Provenance: the status came from the 2024 snapshot copy, the criteria from the 2023 record.
    sources = trial.field_sources["sources"]
    assert sources[trial.field_sources["fields"]["status"]]["date"] == "2024-06-21"
    assert sources[trial.field_sources["fields"]["inclusion_criteria"]]["date"] == "2023-02-08"


def test_a_sparser_newer_copy_never_erases_criteria_sites_study_type_or_dates(tmp_path: Path) -> None:
    ingest_paths([str(full_record("NCT04835519"))])
    before = Trial.objects.get(registry_id="NCT04835519")
    sites_before = list(before.sites.values_list("institution", flat=True))
    assert before.inclusion_criteria and sites_before and before.completion_date
    report = ingest_paths([str(bulk_slice(tmp_path, ["NCT04835519"]))])
    after = Trial.objects.get(registry_id="NCT04835519")
    assert report.updated == 1
    assert after.status == "completed"
    assert after.inclusion_criteria == before.inclusion_criteria
    assert after.exclusion_criteria == before.exclusion_criteria
    assert list(after.sites.values_list("institution", flat=True)) == sites_before
    assert after.study_type == before.study_type == "interventional"
    assert after.completion_date == before.completion_date
    assert after.sex == "all"


def test_the_same_copy_again_changes_nothing(tmp_path: Path) -> None:
    path = bulk_slice(tmp_path, ["NCT04835519", "NCT02349698"])
    ingest_paths([str(path), str(full_record("NCT04835519"))])
    stamps = dict(Trial.objects.values_list("registry_id", "updated_at"))
    changes = TrialChange.objects.count()
    report = ingest_paths([str(path), str(full_record("NCT04835519"))])
    assert (report.created, report.updated, report.failed) == (0, 0, 0)
    assert dict(Trial.objects.values_list("registry_id", "updated_at")) == stamps
    assert TrialChange.objects.count() == changes


def test_a_copy_with_the_same_date_and_fewer_fields_loses_to_the_full_record(tmp_path: Path) -> None:
    # NCT04100187: the snapshot and the full record were both last updated on 2022-12-01.
    ingest_paths([str(full_record("NCT04100187")), str(bulk_slice(tmp_path, ["NCT04100187"]))])
    trial = Trial.objects.get(registry_id="NCT04100187")
    assert trial.source_format == "ctgov_v2_json"
    assert trial.sources.filter(dominated=True).count() == 1


def test_a_newer_copy_covering_everything_makes_the_older_one_dominated(tmp_path: Path) -> None:
    original = full_record("NCT04835519").read_text()
    newer = json.loads(original)
    status = newer["protocolSection"]["statusModule"]
    status["lastUpdatePostDateStruct"]["date"] = "2025-01-15"
    status["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    newer_path = tmp_path / "newer.json"
    newer_path.write_text(json.dumps(newer))
    ingest_paths([str(full_record("NCT04835519")), str(newer_path)])
    trial = Trial.objects.get(registry_id="NCT04835519")
    assert trial.status == "active_not_recruiting"
    assert list(
        TrialSource.objects.filter(trial=trial).order_by("registry_updated").values_list("dominated", flat=True)
    ) == [True, False]
    # Ingesting the dominated copy again changes nothing.
    report = ingest_paths([str(full_record("NCT04835519"))])
    assert (report.older, report.updated) == (1, 0)
    assert Trial.objects.get(pk=trial.pk).status == "active_not_recruiting"


def test_ingest_names_older_records_at_verbosity_2(tmp_path: Path, capsys) -> None:
    ingest_paths([str(bulk_slice(tmp_path, ["NCT04835519"]))])
    call_command("ingest", str(full_record("NCT04835519")), verbosity=2)
    out = capsys.readouterr()
    assert "older 1" in out.out
    assert "NCT04835519" in out.out + out.err and "newer copy" in out.out + out.err


def test_registry_updated_is_exported(tmp_path: Path, capsys) -> None:
    ingest_paths([str(bulk_slice(tmp_path, ["NCT04835519", "NCT02349698"]))])
    call_command("export", "--format", "json")
    rows = {row["registry_id"]: row for row in json.loads(capsys.readouterr().out)["trials"]}
    assert rows["NCT04835519"]["registry_updated"] == "2024-06-21"
    assert rows["NCT02349698"]["registry_updated"] == "2019-06-25"
