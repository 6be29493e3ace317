"""The result never depends on ingest order, and `rebuild` heals a database that
was written wrongly: a property over real documents of every format."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.models import SourceDocument, Trial, TrialPair
from catalogue.selectors import trial_list
from catalogue.serializers import serialize_trials
from ingest.pipeline import ingest_paths
from tests.conftest import CORPUS, SAMPLES

pytestmark = [pytest.mark.django_db, pytest.mark.corpus]

# Studies of the bulk snapshot that other documents also hold (ctgov-v2, the seeds),
# and a few that only it holds.
BULK_IDS = [
    "NCT02349698", "NCT02650414", "NCT03937544", "NCT04100187", "NCT04265963", "NCT04272125",
    "NCT04571138", "NCT04835519", "NCT05164042", "NCT05309213", "NCT05480501", "NCT05507827",
    "NCT05942599", "NCT05993949", "NCT06101082", "NCT03356782", "NCT06836505", "NCT04780529",
]  # fmt: skip


def documents(tmp: Path) -> list[Path]:
    """The seeds, the ctgov-v2 records, a slice of the bulk snapshot (written at test
    time) and the legacy formats: every trial of the slice has another copy somewhere."""
    if not CORPUS.exists():
        pytest.skip("corpus not available")
    bulk = json.loads((CORPUS / "bulk" / "ctgov-cart-snapshot-2026-08-22.json").read_bytes())
    wanted = set(BULK_IDS)
    studies = [s for s in bulk["studies"] if s["protocolSection"]["identificationModule"]["nctId"] in wanted]
    # Two pages, so copies of one trial also meet inside the bulk source.
    for number, part in enumerate((studies[::2], studies[1::2])):
        (tmp / f"bulk-{number}.json").write_text(json.dumps({"studies": part}))
    paths = sorted(SAMPLES.glob("*.txt"))
    paths += sorted((CORPUS / "ctgov-v2").glob("*.json"))
    paths += sorted(tmp.glob("bulk-*.json"))
    paths += sorted((CORPUS / "other-formats").iterdir())
    return paths


def catalogue_snapshot() -> list[dict]:
    """Every trial as the export gives it, plus what the export leaves out and a
    merge decides (sites, gaps, pairing), without timestamps."""
    rows = []
    trials = {t.registry_id: t for t in Trial.objects.prefetch_related("sites")}
    for row in serialize_trials(trial_list().model.objects.order_by("registry_id")):
        row.pop("updated_at")
        trial = trials[row["registry_id"]]
        row["sites"] = [(s.institution, s.city, s.country) for s in trial.sites.all()]
        row["missing_fields"] = sorted(trial.missing_fields)
        row["merged_into"] = trial.merged_into.registry_id if trial.merged_into_id else None
        rows.append(row)
    return rows


def wipe() -> None:
    TrialPair.objects.all().delete()
    Trial.objects.all().delete()
    SourceDocument.objects.all().delete()


def ingest_in(order: list[Path]) -> None:
    for path in order:
        ingest_paths([str(path)])


@pytest.fixture
def docs(tmp_path: Path) -> list[Path]:
    return documents(tmp_path)


@pytest.fixture
def reference(docs: list[Path]) -> list[dict]:
    ingest_in(docs)
    snapshot = catalogue_snapshot()
    wipe()
    return snapshot


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False))
def test_any_ingest_order_gives_the_same_catalogue(docs: list[Path], reference: list[dict], rng: random.Random) -> None:
    order = list(docs)
    rng.shuffle(order)
    wipe()
    ingest_in(order)
    assert catalogue_snapshot() == reference


def test_ingesting_everything_in_one_run_gives_the_same_catalogue(docs: list[Path], reference: list[dict]) -> None:
    ingest_paths([str(p) for p in reversed(docs)])
    assert catalogue_snapshot() == reference


def test_rebuild_heals_a_database_written_in_a_bad_order(docs: list[Path], reference: list[dict]) -> None:
    ingest_in(docs)
    # What the old importer left behind: the last copy ingested won every field and
    # no copies were kept. Here: the older full records' values over the newer ones,
    # sections erased, and the copies table empty.
    Trial.objects.filter(registry_id="NCT04835519").update(
        status="recruiting", inclusion_criteria="", registry_updated=None
    )
    Trial.objects.filter(registry_id="NCT06101082").update(study_type=None, completion_date=None, exclusion_criteria="")
    from catalogue.models import Site, TrialSource

    Site.objects.filter(trial__registry_id="NCT06101082").delete()
    TrialSource.objects.all().delete()
    assert catalogue_snapshot() != reference
    call_command("rebuild")
    assert catalogue_snapshot() == reference
