"""The fast ingest path (records batched across documents, new trials written with
COPY, documents parsed and normalized ahead in worker processes) stores exactly
what writing one record at a time stores, and a bad record in a batch still
costs only itself."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import F

from catalogue.models import DoseLevel, Reference, Site, SourceDocument, Trial, TrialChange, TrialContact, TrialSource
from catalogue.trials import search_vector
from ingest import pipeline
from ingest.importer import Vocabularies, refresh, upsert
from ingest.parsers import parse_document
from ingest.pipeline import Batch, IngestReport, ingest_document, ingest_inputs, ingest_paths
from ingest.records import TrialRecord
from tests.conftest import SAMPLES, corpus_path

pytestmark = pytest.mark.django_db

_VOLATILE = {"id", "created_at", "updated_at", "ingested_at", "row_version", "search_vector"}


def _rows(model, trial_id: int, *, drop=("id", "trial")) -> list[dict]:
    fields = [f.attname for f in model._meta.concrete_fields if f.name not in drop]
    return list(model.objects.filter(trial_id=trial_id).order_by("position").values(*fields))


def stored() -> dict[str, dict]:
    """Everything stored about every trial, by registry id, with database ids replaced by
    what they stand for (a document's hash, a site's position) and timestamps left out."""
    sha = dict(SourceDocument.objects.values_list("id", "sha256"))
    out = {}
    for trial in Trial.objects.order_by("registry_id"):
        row = {f.attname: getattr(trial, f.attname) for f in Trial._meta.concrete_fields if f.attname not in _VOLATILE}
        row["source_document_id"] = sha.get(row["source_document_id"])
        row["merged_into_id"] = (
            Trial.objects.get(pk=row["merged_into_id"]).registry_id if row["merged_into_id"] else None
        )
        sources = row["field_sources"] or {}
        row["field_sources"] = {
            "sources": {sha[int(k)]: v for k, v in sources.get("sources", {}).items()},
            "fields": {k: sha[int(v)] for k, v in sources.get("fields", {}).items()},
        }
        with connection.cursor() as cursor:
            cursor.execute("SELECT search_vector::text FROM catalogue_trial WHERE id = %s", [trial.pk])
            row["search_vector"] = cursor.fetchone()[0]
        row["antigens"] = sorted(trial.antigens.values_list("name", flat=True))
        row["diseases"] = sorted(trial.diseases.values_list("name", flat=True))
        row["dose_levels"] = _rows(DoseLevel, trial.pk)
        row["sites"] = _rows(Site, trial.pk)
        positions = dict(Site.objects.filter(trial=trial).values_list("id", "position"))
        contacts = _rows(TrialContact, trial.pk)
        for contact in contacts:
            contact["site_id"] = positions.get(contact["site_id"])
        row["contacts"] = contacts
        row["references"] = _rows(Reference, trial.pk)
        row["sources"] = sorted(
            (
                sha[s.document_id], json.dumps(s.record, sort_keys=True), s.source_format, s.parser_version,
                s.third_party, s.registry_updated, s.dominated,
            )
            for s in TrialSource.objects.filter(trial=trial)
        )  # fmt: skip
        row["changes"] = sorted(
            (c.actor, sha.get(c.source_document_id), json.dumps(c.changes, sort_keys=True), c.reason)
            for c in TrialChange.objects.filter(trial=trial)
        )
        out[trial.registry_id] = row
    return out


def wipe() -> None:
    Trial.objects.all().delete()
    SourceDocument.objects.all().delete()


def inputs(paths: list[Path]) -> list[tuple[str, bytes]]:
    return [(str(p), p.read_bytes()) for p in paths]


def one_at_a_time(paths: list[Path]) -> IngestReport:
    """The reference: no workers, and every record written in a batch of its own."""
    report = IngestReport()
    vocab = Vocabularies()
    batch = Batch(report, vocab, size=1)
    for name, content in inputs(paths):
        ingest_document(content, name=name, report=report, vocab=vocab, batch=batch)
    batch.flush()
    return report


def fast(paths: list[Path], *, workers: int = 2) -> IngestReport:
    report = IngestReport()
    ingest_inputs(inputs(paths), report=report, vocab=Vocabularies(), workers=workers)
    return report


@pytest.fixture
def pages() -> list[Path]:
    """The sample pages and the ClinicalTrials.gov API v2 records: more than enough
    documents for worker processes to start."""
    paths = sorted(SAMPLES.glob("*.txt")) + sorted(corpus_path("ctgov-v2").glob("*.json"))
    assert len(paths) > pipeline.POOL_AFTER
    return paths


def _summary(report: IngestReport) -> tuple:
    return (report.created, report.updated, report.unchanged, report.older, report.failed, sorted(report.problems))


def test_the_fast_path_stores_exactly_what_one_record_at_a_time_stores(pages: list[Path]) -> None:
    reference = one_at_a_time(pages)
    expected = stored()
    assert reference.created == len(expected) == 19 and reference.failed == 0
    wipe()

    report = fast(pages)

    assert _summary(report) == _summary(reference)
    assert stored() == expected


def test_the_outcome_does_not_depend_on_worker_processes(pages: list[Path]) -> None:
    without = fast(pages, workers=0)
    expected = stored()
    wipe()
    with_workers = fast(pages, workers=2)
    assert _summary(with_workers) == _summary(without)
    assert stored() == expected


def test_rows_written_by_copy_are_those_the_orm_path_derives(pages: list[Path]) -> None:
    """A thorough re-derivation (rebuild's) compares every value and related row with
    what the ORM path computes: nothing to change. The search vector is the ORM's."""
    fast(pages)
    before = stored()
    vocab = Vocabularies()
    for trial in Trial.objects.all():
        assert refresh(trial, vocab=vocab, thorough=True, actor="rebuild") == "unchanged", trial.registry_id
    Trial.objects.update(search_vector=search_vector(F("title"), F("search_document")))
    assert stored() == before
    assert not TrialChange.objects.filter(actor="rebuild").exists()


def test_reingesting_through_the_fast_path_is_unchanged(pages: list[Path]) -> None:
    fast(pages)
    expected = stored()
    again = fast(pages)
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 19, 0)
    assert stored() == expected


def _amended(pages: list[Path], folder: Path, *, drop_sponsor: bool) -> list[Path]:
    """Newer copies of the API v2 records: another title, a later date, and (`drop_sponsor`)
    no sponsor, which the older copy then still supplies."""
    out = []
    for path in pages:
        if path.suffix != ".json":
            continue
        data = json.loads(path.read_text())
        data["protocolSection"]["identificationModule"]["briefTitle"] += " (amended)"
        data["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2026-11-30"
        if drop_sponsor:
            data["protocolSection"].get("sponsorCollaboratorsModule", {}).pop("leadSponsor", None)
        target = folder / path.name
        target.write_text(json.dumps(data))
        out.append(target)
    return out


@pytest.mark.parametrize("drop_sponsor", [False, True], ids=["newer-copy-covers-all", "older-copy-still-supplies"])
def test_updates_through_the_fast_path_store_what_one_record_at_a_time_stores(
    pages: list[Path], tmp_path, drop_sponsor: bool
) -> None:
    """Updated trials (a second copy each: the merge decides, and the normalization done
    ahead is used only where it stands for the merge's) end up as written one by one."""
    amended = _amended(pages, tmp_path, drop_sponsor=drop_sponsor)
    one_at_a_time(pages)
    reference = one_at_a_time(amended)
    expected = stored()
    assert reference.updated == len(amended) == 14
    wipe()

    fast(pages)
    report = fast(amended)

    assert _summary(report) == _summary(reference)
    assert stored() == expected


def _fail_sites_of(registry_id: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE FUNCTION fail_sites_of_one() RETURNS trigger AS $$
            BEGIN
                IF (SELECT registry_id FROM catalogue_trial WHERE id = NEW.trial_id) = '{registry_id}' THEN
                    RAISE EXCEPTION 'simulated failure while writing sites';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER fail_sites BEFORE INSERT ON catalogue_site
                FOR EACH ROW EXECUTE FUNCTION fail_sites_of_one();
            """
        )


def test_a_bad_record_inside_a_batch_costs_only_itself(pages: list[Path]) -> None:
    one_at_a_time(pages)
    expected = stored()
    bad = "NCT04571138"  # has sites; in the middle of the batch
    assert expected[bad]["sites"]
    wipe()
    _fail_sites_of(bad)

    report = fast(pages)

    assert report.failed == 1 and report.created == 18
    assert len(report.problems) == 1
    assert bad in report.problems[0] and "NCT04571138.ctgov-v2.json" in report.problems[0]
    assert "simulated failure" in report.problems[0] and "\n" not in report.problems[0]
    assert not Trial.objects.filter(registry_id=bad).exists()
    assert not TrialSource.objects.filter(record__registry_id=bad).exists()
    del expected[bad]
    assert stored() == expected


def test_a_bad_record_among_updates_and_new_trials_costs_only_itself(pages: list[Path], tmp_path: Path) -> None:
    """A batch that updates some trials and creates others: the bad new trial fails
    alone, the updates and the other new trials are kept."""
    half = pages[::2]
    fast(half)
    updated = []
    for path in half:
        text = path.read_text()
        if path.suffix == ".json":
            data = json.loads(text)
            data["protocolSection"]["identificationModule"]["briefTitle"] += " (amended)"
            data["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2026-11-30"
            target = tmp_path / path.name
            target.write_text(json.dumps(data))
            updated.append(target)
    rest = [p for p in pages if p not in half]
    bad = next(p for p in rest if p.suffix == ".json" and json.loads(p.read_text())["protocolSection"].get(
        "contactsLocationsModule", {}).get("locations"))  # fmt: skip
    bad_id = json.loads(bad.read_text())["protocolSection"]["identificationModule"]["nctId"]
    _fail_sites_of(bad_id)

    report = fast(sorted(updated) + rest)

    assert report.failed == 1 and bad_id in report.problems[0]
    assert report.updated == len(updated) and report.created == len(rest) - 1
    assert not Trial.objects.filter(registry_id=bad_id).exists()
    assert Trial.objects.filter(title__endswith="(amended)").count() == len(updated)


def test_a_broken_file_among_many_gets_one_line_and_the_others_are_stored(pages: list[Path], tmp_path: Path) -> None:
    broken = {"cut.json": b'{"studies": [{"protocolSection": {"identificationModule": {"nctId": "NCT0',
              "empty.txt": b"", "shop.html": b"<html><body><h1>Buy shoes</h1></body></html>"}  # fmt: skip
    for name, content in broken.items():
        (tmp_path / name).write_bytes(content)
    for page in pages:
        (tmp_path / page.name).write_bytes(page.read_bytes())

    report = ingest_paths([str(tmp_path)])

    assert report.created == 19 and report.failed == len(broken)
    for name in broken:
        lines = [p for p in report.problems if p.startswith(str(tmp_path / name) + ":")]
        assert len(lines) == 1, (name, report.problems)


def test_a_page_cut_part_way_keeps_its_readable_studies_the_same_with_workers(
    pages: list[Path], tmp_path: Path
) -> None:
    studies = [json.loads(p.read_text()) for p in pages if p.suffix == ".json"]
    page = json.dumps({"studies": studies[:3]})
    cut = page[: page.index(studies[2]["protocolSection"]["identificationModule"]["nctId"]) + 5]
    (tmp_path / "cut-page.json").write_text(cut)
    paths = [*pages, tmp_path / "cut-page.json"]

    without = fast(paths, workers=0)
    expected = stored()
    wipe()
    with_workers = fast(paths, workers=2)

    assert _summary(with_workers) == _summary(without)
    assert with_workers.failed >= 1 and any("cut-page.json" in p for p in with_workers.problems)
    assert stored() == expected


def test_a_worker_that_dies_costs_nothing(pages: list[Path], monkeypatch) -> None:
    """The writer does itself whatever a dead worker had in hand, and the rest."""
    real = pipeline._parse_ahead

    def dies_on_one(content: bytes, format: str | None):
        if b"NCT05164042" in content:
            os._exit(1)
        return real(content, format)

    monkeypatch.setattr(pipeline, "_parse_ahead", dies_on_one)  # the workers fork with it
    report = fast(pages)
    assert report.created == 19 and report.failed == 0


def test_a_record_prepared_with_other_vocabularies_is_normalized_again() -> None:
    """A record normalized ahead counts only at the vocabularies' generation it was made with."""
    content = (SAMPLES / "001_951ea498f128be5c.txt").read_bytes()
    (record,) = list(parse_document(content).records)
    vocab = Vocabularies()
    document = SourceDocument.objects.create(content=content, sha256="x" * 64, format="f", parser_version="1")

    stale = vocab.prepared(record)
    stale.nt.title = "a title the record does not have"
    stale.generation = vocab.generation + 1
    upsert(record, vocab=vocab, document=document, prepared=stale)
    assert Trial.objects.get(registry_id=record.registry_id).title != stale.nt.title

    Trial.objects.all().delete()
    current = vocab.prepared(record)
    current.nt.title = current.new["title"] = "normalized ahead"
    upsert(record, vocab=vocab, document=document, prepared=current)
    assert Trial.objects.get(registry_id=record.registry_id).title == "normalized ahead"


def test_reloaded_vocabularies_that_changed_move_the_generation() -> None:
    from catalogue.models import Antigen

    vocab = Vocabularies()
    generation = vocab.generation
    vocab.reload()
    assert vocab.generation == generation  # nothing changed: the same compiled vocabularies
    Antigen.objects.create(name="ZZTESTANTIGEN1", synonyms=["ZZT1"])
    vocab.reload()
    assert vocab.generation == generation + 1


def test_the_snapshot_of_value_objects_is_what_asdict_gives(pages: list[Path]) -> None:
    """`snapshot` reads the value objects' fields directly: only right while they hold plain values."""
    from dataclasses import asdict

    from ingest.importer import _as_dict

    vocab = Vocabularies()
    seen = 0
    for page in pages:
        for record in parse_document(page.read_bytes()).records:
            nt = vocab.normalize(record)
            for value in (*nt.dose_levels, *nt.sites, *nt.references, *nt.contacts):
                assert _as_dict(value) == asdict(value)
                assert all(v is None or type(v) in (str, int, float, bool) for v in _as_dict(value).values())
                seen += 1
            assert TrialRecord.from_dict(record.to_compact_dict()) == record
    assert seen > 50
