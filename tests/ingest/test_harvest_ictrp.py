"""WHO ICTRP drops (`manage.py harvest ictrp PATH…` and the watched folder), and the
scheduled `manage.py harvest` that runs everything a day needs."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from catalogue.models import HarvestRun, SourceDocument, Trial
from tests.conftest import corpus_path
from tests.ingest.harvest_support import harvest

pytestmark = [pytest.mark.django_db, pytest.mark.corpus]


@pytest.fixture
def one_trial_export() -> Path:
    return corpus_path("other-formats", "ChiCTR2000034346.ictrp.xml")


@pytest.fixture
def export_2024() -> Path:
    return corpus_path("ictrp", "ictrp_results_hattr_2024-09-06.xml")


def settled(path: Path) -> Path:
    """As if copied in a while ago (the watched folder leaves files that may still be being written)."""
    old = time.time() - 600
    os.utime(path, (old, old))
    return path


def test_an_ictrp_drop_is_ingested_once_and_then_skipped_by_its_hash(tmp_path, one_trial_export, export_2024) -> None:
    drops = tmp_path / "drops"
    drops.mkdir()
    first = drops / "export-1.xml"
    shutil.copy(one_trial_export, first)

    outcome = harvest("ictrp", str(drops))

    assert outcome.code == 0, outcome.stderr
    run = HarvestRun.objects.get()
    assert (run.source, run.mode, run.status) == ("ictrp", "files", "ok")
    assert run.details["ingested"] == [str(first)] and run.created == 1
    assert Trial.objects.filter(registry_id="ChiCTR2000034346").exists()
    documents = SourceDocument.objects.count()

    # The same bytes again, under its own name and under another: nothing is read twice.
    shutil.copy(one_trial_export, drops / "export-1-again.xml")
    outcome = harvest("ictrp", str(drops))

    assert outcome.code == 0 and "already ingested" in outcome.stdout
    again = HarvestRun.objects.order_by("-id").first()
    assert again.status == "up_to_date" and again.details["ingested"] == []
    assert sorted(again.details["skipped"]) == sorted([str(first), str(drops / "export-1-again.xml")])
    assert SourceDocument.objects.count() == documents and again.created == again.updated == again.unchanged == 0

    # A new export beside them: only it is ingested.
    shutil.copy(export_2024, drops / "export-2.xml")
    outcome = harvest("ictrp", str(drops / "export-1.xml"), str(drops / "export-2.xml"))

    assert outcome.code == 0, outcome.stderr
    third = HarvestRun.objects.order_by("-id").first()
    assert third.details["ingested"] == [str(drops / "export-2.xml")] and third.details["skipped"] == [str(first)]
    assert third.created > 50 and third.status == "ok"


def test_the_scheduled_harvest_runs_ctgov_the_weekly_reconcile_and_the_watched_folder(
    registry, settings, tmp_path, one_trial_export, export_2024
) -> None:
    folder = tmp_path / "ictrp"
    folder.mkdir()
    settled(Path(shutil.copy(one_trial_export, folder / "a.xml")))
    fresh = Path(shutil.copy(export_2024, folder / "b.xml"))  # just arrived: may still be being copied
    settings.HARVEST_ICTRP_DIR = folder

    outcome = harvest("--quiet")

    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout == ""
    runs = {(r.source, r.mode): r for r in HarvestRun.objects.all()}
    assert set(runs) == {("ctgov", "full"), ("ctgov", "reconcile"), ("ictrp", "files")}
    assert all(r.status == "ok" for r in runs.values())
    assert runs["ictrp", "files"].details["ingested"] == [str(folder / "a.xml")]
    assert runs["ictrp", "files"].details["settling"] == [str(fresh)]

    settled(fresh)
    outcome = harvest("--scheduled")

    assert outcome.code == 0, outcome.stderr
    latest = HarvestRun.objects.filter(id__gt=max(r.id for r in runs.values())).order_by("id")
    assert [(r.source, r.mode, r.status) for r in latest] == [
        ("ctgov", "incremental", "up_to_date"),
        ("ictrp", "files", "ok"),
    ]
    assert latest[1].details["ingested"] == [str(fresh)] and latest[1].details["skipped"] == [str(folder / "a.xml")]


def test_a_watched_folder_that_is_not_there_is_a_loud_error(registry, settings, tmp_path) -> None:
    settings.HARVEST_ICTRP_DIR = tmp_path / "nowhere"
    outcome = harvest()
    assert outcome.code == 1 and "HARVEST_ICTRP_DIR" in outcome.stderr and "is not a folder" in outcome.stderr
    assert HarvestRun.objects.filter(source="ctgov", status="ok").exists()  # the other parts still ran
