"""The ingest pipeline and command: bad input loses nothing, re-ingest is idempotent."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue.models import DoseLevel, SourceDocument, Trial, TrialChange
from ingest.parsers.base import MAX_DOCUMENT_BYTES
from ingest.pipeline import ingest_paths
from tests.conftest import ROOT, SAMPLES, corpus_path

pytestmark = pytest.mark.django_db

SEED_000 = SAMPLES / "000_dda02b667f938841.txt"
SEED_003 = SAMPLES / "003_8a70a621ca2e797d.txt"


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    files = {
        "empty": b"",
        "binary": bytes(range(256)) * 40,
        "cut_json": b'{"studies": [{"protocolSection": {"identificationModule": {"nctId": "NCT0',
        "wrong_json": b'{"hello": [1, 2, 3]}',
        "not_a_trial": b"<html><head><title>Shop</title></head><body><h1>Buy shoes</h1></body></html>",
        "unknown_format": b"Name,Age\nAlice,30\nBob,40\n",
    }
    paths = {}
    for name, content in files.items():
        path = tmp / f"{name}.dat"
        path.write_bytes(content)
        paths[name] = path
    return paths


def test_each_bad_file_gets_one_line_naming_it_and_the_good_files_are_still_stored(tmp_path: Path) -> None:
    bad = _bad_inputs(tmp_path)
    report = ingest_paths([*map(str, bad.values()), str(SEED_000)])
    assert report.created == 1
    assert report.failed == len(bad)
    assert Trial.objects.filter(registry_id="ChiCTR2500108722").exists()
    for name, path in bad.items():
        lines = [p for p in report.problems if p.startswith(str(path) + ":")]
        assert len(lines) == 1, f"{name}: {report.problems}"
        assert "\n" not in lines[0] and "Traceback" not in lines[0]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty", "empty"),
        ("binary", "binary"),
        ("cut_json", "json"),
        ("wrong_json", "not a clinicaltrials.gov study"),
        ("not_a_trial", "unknown format"),
        ("unknown_format", "unknown format"),
    ],
)
def test_the_error_line_says_what_is_wrong(tmp_path: Path, name: str, reason: str) -> None:
    path = _bad_inputs(tmp_path)[name]
    report = ingest_paths([str(path)])
    assert report.failed == 1
    assert reason in report.problems[0].lower(), report.problems[0]
    assert Trial.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as fh:
        fh.truncate(30 * 1024 * 1024)
    assert huge.stat().st_size > MAX_DOCUMENT_BYTES
    report = ingest_paths([str(huge), str(SEED_000)])
    assert report.failed == 1 and report.created == 1
    assert "too large" in report.problems[0]


def test_a_missing_path_is_reported_and_the_rest_still_ingested(tmp_path: Path) -> None:
    report = ingest_paths([str(tmp_path / "nope.html"), str(SEED_000)])
    assert report.failed == 1 and report.created == 1
    assert "no such file" in report.problems[0]


def test_directories_are_walked_recursively(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (nested / "page.txt").write_bytes(SEED_000.read_bytes())
    (tmp_path / "other.txt").write_bytes(SEED_003.read_bytes())
    report = ingest_paths([str(tmp_path)])
    assert report.created == 2


def test_the_format_is_detected_from_content_not_the_file_name(tmp_path: Path) -> None:
    disguised = tmp_path / "looks_like.json"
    disguised.write_bytes(SEED_000.read_bytes())
    report = ingest_paths([str(disguised)])
    assert report.created == 1
    assert Trial.objects.get().source_format.startswith("chictr")


def test_a_forced_format_that_does_not_fit_fails_cleanly() -> None:
    report = ingest_paths([str(SEED_000)], format="ctgov_v2")
    assert report.failed == 1 and Trial.objects.count() == 0
    assert "json" in report.problems[0].lower()


def test_reingesting_the_same_bytes_is_unchanged_and_does_not_move_updated_at() -> None:
    first = ingest_paths([str(SAMPLES)])
    assert first.created == 5
    before = dict(Trial.objects.values_list("registry_id", "updated_at"))
    changes_before = TrialChange.objects.count()
    second = ingest_paths([str(SAMPLES)])
    assert (second.created, second.updated, second.unchanged, second.failed) == (0, 0, 5, 0)
    assert dict(Trial.objects.values_list("registry_id", "updated_at")) == before
    assert TrialChange.objects.count() == changes_before
    assert SourceDocument.objects.count() == 5


def test_a_changed_page_updates_only_the_fields_that_changed(tmp_path: Path) -> None:
    ingest_paths([str(SEED_003)])
    trial = Trial.objects.get(registry_id="NCT06836505")
    assert trial.enrollment == 10
    changed = tmp_path / "003_changed.txt"
    changed.write_text(SEED_003.read_text().replace("10 participants", "24 participants"))
    report = ingest_paths([str(changed)])
    assert (report.updated, report.failed) == (1, 0)
    trial.refresh_from_db()
    assert trial.enrollment == 24
    last = TrialChange.objects.filter(trial=trial).first()
    assert set(last.changes) == {"enrollment"}
    assert last.changes["enrollment"] == [10, 24]
    assert last.source_document.sha256 != TrialChange.objects.filter(trial=trial).last().source_document.sha256


def test_the_exact_input_bytes_are_kept_as_the_source_document() -> None:
    ingest_paths([str(SEED_000)])
    trial = Trial.objects.select_related("source_document").get()
    doc = trial.source_document
    assert bytes(doc.content) == SEED_000.read_bytes()
    assert doc.format == "chictr_text" and doc.parser_version
    import hashlib

    assert doc.sha256 == hashlib.sha256(SEED_000.read_bytes()).hexdigest()


def test_dry_run_reports_without_writing() -> None:
    report = ingest_paths([str(SAMPLES)], dry_run=True)
    assert report.created == 5
    assert Trial.objects.count() == 0 and SourceDocument.objects.count() == 0


def test_a_record_that_cannot_be_stored_is_rolled_back_whole() -> None:
    """A failure in the middle of a record's writes (here: its sites, written after
    the trial row and its dose levels) leaves no partial trial behind."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION fail_for_nct06836505() RETURNS trigger AS $$
            BEGIN
                IF (SELECT registry_id FROM catalogue_trial WHERE id = NEW.trial_id) = 'NCT06836505' THEN
                    RAISE EXCEPTION 'simulated failure while writing sites';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER fail_sites BEFORE INSERT ON catalogue_site
                FOR EACH ROW EXECUTE FUNCTION fail_for_nct06836505();
            """
        )
    report = ingest_paths([str(SAMPLES)])
    assert report.failed == 1 and report.created == 4
    assert "NCT06836505" in report.problems[0] and "simulated failure" in report.problems[0]
    assert not Trial.objects.filter(registry_id="NCT06836505").exists()
    assert not DoseLevel.objects.filter(trial__registry_id="NCT06836505").exists()
    assert not TrialChange.objects.filter(trial__registry_id="NCT06836505").exists()


def test_the_command_prints_a_summary_and_exits_non_zero_when_anything_failed(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "empty.html"
    bad.write_bytes(b"")
    with pytest.raises(CommandError) as excinfo:
        call_command("ingest", str(bad), str(SEED_000))
    assert excinfo.value.returncode == 1
    captured = capsys.readouterr()
    assert "created 1, updated 0, unchanged 0, older 0, failed 1" in captured.out
    assert f"error: {bad}: empty file" in captured.err


def test_the_command_reads_stdin(monkeypatch, capsys) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(SEED_000.read_bytes()))
    monkeypatch.setattr(sys, "stdin", stdin)
    call_command("ingest", "-")
    assert "created 1" in capsys.readouterr().out
    assert Trial.objects.filter(registry_id="ChiCTR2500108722").exists()


@pytest.mark.corpus
def test_all_fourteen_api_v2_corpus_records_ingest_without_failure() -> None:
    folder = corpus_path("ctgov-v2")
    report = ingest_paths([str(folder)])
    assert report.failed == 0, report.problems
    assert report.created == 14


@pytest.mark.corpus
def test_the_bulk_snapshot_of_2587_trials_ingests_in_one_run_without_failure() -> None:
    import time

    path = corpus_path("bulk", "ctgov-cart-snapshot-2026-08-22.json")
    started = time.perf_counter()
    report = ingest_paths([str(path)])
    elapsed = time.perf_counter() - started
    print(f"\nbulk ingest: {report.summary()} in {elapsed:.1f} s ({report.created / elapsed:.0f} trials/s)")
    assert report.failed == 0, report.problems[:5]
    assert report.created == len(json.loads(path.read_bytes())["studies"]) == 2587
    assert SourceDocument.objects.count() == 1


def test_the_command_runs_as_a_real_process_and_stays_quiet_in_a_pipe(tmp_path: Path) -> None:
    """End to end through manage.py: no progress bar or escape codes in a pipe."""
    from django.db import connection

    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict)}
    proc = subprocess.run(
        [sys.executable, "manage.py", "ingest", "--dry-run", str(SAMPLES)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "dry run: would have created 5, updated 0, unchanged 0, older 0, failed 0"
    assert "\r" not in proc.stderr and "[" not in proc.stderr


def _database_url(settings_dict: dict) -> str:
    from urllib.parse import quote

    host = settings_dict["HOST"]
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    if host.startswith("/"):
        return f"postgres://{auth}/{settings_dict['NAME']}?host={host}"
    return f"postgres://{auth}{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


def _catalogue_entries() -> dict[str, dict]:
    """What the catalogue shows of each trial: its normalized values and facet columns."""
    entries = {}
    for trial in Trial.objects.prefetch_related("antigens", "diseases"):
        parsed = dict(trial.parsed)
        entries[trial.registry_id] = {
            **parsed,
            "antigens": sorted(a.name for a in trial.antigens.all()),
            "diseases": sorted(d.name for d in trial.diseases.all()),
            "countries": trial.countries,
            "modalities": trial.modalities,
            "in_scope": trial.in_scope,
            "status": trial.status,
            "phase": trial.phase,
        }
    return entries


@pytest.mark.corpus
def test_a_csv_and_an_xml_export_of_the_same_trials_give_the_same_catalogue_entries(tmp_path) -> None:
    from tests.ingest.test_parser_ictrp_csv import XML_2024, _xml_rows, write

    xml = corpus_path(*XML_2024)
    trials = _xml_rows(XML_2024)
    header = list(dict.fromkeys(tag for trial in trials for tag, _ in trial))
    csv_file = tmp_path / "same-trials.csv"
    csv_file.write_text(
        write([tag.replace("_", " ") for tag in header], [[dict(t).get(tag, "") for tag in header] for t in trials])
    )
    from_xml = ingest_paths([str(xml)])
    assert from_xml.failed == 0 and from_xml.created == len(trials) == 95
    xml_entries = _catalogue_entries()
    Trial.objects.all().delete()
    SourceDocument.objects.all().delete()
    from_csv = ingest_paths([str(csv_file)])
    assert from_csv.failed == 0 and from_csv.created == 95
    csv_entries = _catalogue_entries()
    assert csv_entries.keys() == xml_entries.keys()
    for registry_id, entry in xml_entries.items():
        assert csv_entries[registry_id] == entry, registry_id
