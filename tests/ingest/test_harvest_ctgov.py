"""`manage.py harvest ctgov` against a real HTTP server on 127.0.0.1 serving real
ClinicalTrials.gov study objects (bench/ctgov_server.py); the harvester is not mocked."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from django.utils import timezone

from bench.ctgov_server import last_update, nct_id
from catalogue.models import DataVersion, HarvestRun, Trial, TrialChange, TrialPair
from ingest.harvest.query import default_query, harvest_query
from ingest.importer import Vocabularies
from ingest.pipeline import IngestReport, ingest_document
from tests.ingest.harvest_support import (
    CONTACT,
    PAGE_CAP,
    STUDIES,
    harvest,
    serve,
    studies_requests,
)

pytestmark = [pytest.mark.django_db, pytest.mark.corpus]


def held(registry) -> set[str]:
    ids = {nct_id(s) for s in registry.studies}
    return set(Trial.objects.filter(registry="ctgov", registry_id__in=ids).values_list("registry_id", flat=True))


def test_a_full_run_stores_every_study_of_a_four_page_result(registry) -> None:
    outcome = harvest("ctgov")

    assert outcome.code == 0, outcome.stderr
    assert held(registry) == {nct_id(s) for s in registry.studies} and len(registry.studies) == STUDIES
    pages = studies_requests(registry)
    assert len(pages) == -(-STUDIES // PAGE_CAP) == 4
    first = pages[0]
    assert first == {"query.term": default_query(), "pageSize": "1000", "countTotal": "true", "format": "json"}
    assert "pageToken" not in first and all("pageToken" in p for p in pages[1:])
    # Each next page repeats exactly the same parameters.
    assert all({k: v for k, v in p.items() if k != "pageToken"} == first for p in pages[1:])
    run = HarvestRun.objects.get()
    assert (run.source, run.mode, run.status) == ("ctgov", "full", "ok")
    assert (run.pages, run.studies, run.total_count, run.created, run.failed) == (4, STUDIES, STUDIES, STUDIES, 0)
    assert run.data_timestamp == registry.data_timestamp and run.next_page_token == "" and run.finished_at
    assert run.window_start is None and run.warnings == ""
    assert all(
        CONTACT in entry.headers["User-Agent"] and "catalogue" in entry.headers["User-Agent"] for entry in registry.log
    )
    assert DataVersion.objects.get().last_ingest_at >= run.started_at
    assert "page 4" in outcome.stdout


def test_quiet_prints_nothing_when_all_is_well(registry) -> None:
    outcome = harvest("--quiet", "ctgov")
    assert outcome.code == 0 and outcome.stdout == "" and outcome.stderr == ""
    assert HarvestRun.objects.get().status == "ok"


def test_an_unchanged_data_timestamp_ends_up_to_date_without_a_studies_request(registry) -> None:
    assert harvest("ctgov").code == 0
    before = len(registry.log)

    outcome = harvest("ctgov")

    assert outcome.code == 0 and "up to date" in outcome.stdout
    assert [entry.path for entry in registry.log[before:]] == ["/version"]
    latest = HarvestRun.objects.order_by("-id").first()
    assert latest.status == "up_to_date" and latest.data_timestamp == registry.data_timestamp and latest.pages == 0


def test_a_changed_data_timestamp_asks_only_for_the_window_and_applies_the_changes(registry, real_studies) -> None:
    assert harvest("ctgov").code == 0
    first = HarvestRun.objects.get()
    window = first.anchor_at.date() - dt.timedelta(days=2)
    # The registry's next day: three studies change status, one new study appears.
    today = timezone.now().date().isoformat()
    changed = {}
    for study in registry.studies[40:43]:
        status = study["protocolSection"]["statusModule"]
        status["overallStatus"] = "SUSPENDED" if status.get("overallStatus") != "SUSPENDED" else "WITHDRAWN"
        status["lastUpdatePostDateStruct"] = {"date": today}
        changed[nct_id(study)] = status["overallStatus"].lower()
    new = copy.deepcopy(real_studies[STUDIES + 5])
    new["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": today}
    registry.studies.append(new)
    registry.data_timestamp = "2026-09-05T09:00:07"
    in_window = {nct_id(s) for s in registry.studies if last_update(s) >= window.isoformat()}
    assert in_window == {*changed, nct_id(new)}, "the corpus has records updated inside the window"
    before = len(registry.log)

    outcome = harvest("ctgov")

    assert outcome.code == 0, outcome.stderr
    asked = studies_requests(registry, before)
    assert len(asked) == 1
    assert asked[0]["filter.advanced"] == f"AREA[LastUpdatePostDate]RANGE[{window:%Y-%m-%d},MAX]"
    run = HarvestRun.objects.order_by("-id").first()
    assert (run.mode, run.status, run.window_start, run.studies) == ("incremental", "ok", window, 4)
    assert (run.created, run.updated) == (1, 3)
    for registry_id, status in changed.items():
        assert Trial.objects.get(registry_id=registry_id).status == status
    assert Trial.objects.filter(registry_id=nct_id(new)).exists()


def test_since_sets_the_window_by_hand_and_full_forces_a_complete_run(registry) -> None:
    assert harvest("ctgov", "--since", "2026-01-01").code == 0
    since = HarvestRun.objects.get()
    assert since.mode == "incremental" and since.window_start == dt.date(2026, 1, 1)
    assert studies_requests(registry)[0]["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2026-01-01,MAX]"
    expected = {nct_id(s) for s in registry.studies if last_update(s) >= "2026-01-01"}
    assert held(registry) == expected and 0 < len(expected) < STUDIES
    before = len(registry.log)

    assert harvest("ctgov", "--full").code == 0  # same dataTimestamp: --full still harvests

    assert all("filter.advanced" not in p for p in studies_requests(registry, before))
    assert held(registry) == {nct_id(s) for s in registry.studies}


def test_a_bad_since_date_is_refused_naming_the_value(registry) -> None:
    outcome = harvest("ctgov", "--since", "2026-13-01")
    assert outcome.code != 0 and "2026-13-01" in outcome.stderr
    assert registry.log == [] and not HarvestRun.objects.exists()


def test_retries_carry_a_run_through_a_503_a_429_a_dropped_connection_and_a_cut_body(registry) -> None:
    registry.fail("status", status=503, page=2)
    registry.fail("status", status=429, retry_after="1", page=3)
    registry.fail("drop", page=4)
    registry.fail("truncate", page=4)

    outcome = harvest("ctgov")

    assert outcome.code == 0, outcome.stderr
    assert held(registry) == {nct_id(s) for s in registry.studies}
    answers = [entry.status for entry in registry.requests_to("/studies")]
    assert answers == [200, 503, 200, 429, 200, "dropped", "truncated", 200]
    pages = registry.requests_to("/studies")
    assert pages[4].at - pages[3].at >= 0.95, "Retry-After: 1 is honoured"
    run = HarvestRun.objects.get()
    assert (run.status, run.pages, run.studies, run.created) == ("ok", 4, STUDIES, STUDIES)


def test_a_registry_that_keeps_failing_leaves_a_failed_run_with_everything_before_it_stored(registry, settings) -> None:
    settings.HARVEST_RETRIES = 2
    fault = registry.fail("status", status=503, page=3, times=-1)

    outcome = harvest("ctgov")

    assert outcome.code == 1
    run = HarvestRun.objects.get()
    assert run.status == "failed" and "503" in run.error and "2 retries" in run.error and run.finished_at
    assert "503" in outcome.stderr
    page3 = [e.params for e in registry.requests_to("/studies") if e.status == 503]
    assert len(page3) == 3  # the request and its 2 retries
    assert held(registry) == {nct_id(s) for s in registry.studies[: 2 * PAGE_CAP]}
    assert (run.pages, run.studies, run.created) == (2, 2 * PAGE_CAP, 2 * PAGE_CAP)
    assert run.next_page_token == page3[0]["pageToken"]

    # The registry recovers: the next run resumes from the stored page, not from scratch.
    fault.times = 0
    before = len(registry.log)
    outcome = harvest("ctgov")

    assert outcome.code == 0, outcome.stderr
    resumed = HarvestRun.objects.order_by("-id").first()
    assert resumed.resumed_from_id == run.pk and resumed.status == "ok"
    asked = studies_requests(registry, before)
    assert [p.get("pageToken") for p in asked][0] == run.next_page_token
    assert len(asked) == 2 and all("pageToken" in p for p in asked)
    assert held(registry) == {nct_id(s) for s in registry.studies}
    assert (resumed.pages, resumed.studies, resumed.total_count, resumed.warnings) == (4, STUDIES, STUDIES, "")


def test_a_refused_stored_token_starts_the_window_again(registry) -> None:
    registry.fail("status", status=503, page=3, times=-1)
    harvest("ctgov")
    failed = HarvestRun.objects.get()
    registry.faults.clear()
    registry.token_epoch += 1  # the tokens of the failed run have expired: the server answers 400

    outcome = harvest("ctgov")

    assert outcome.code == 0, outcome.stderr
    run = HarvestRun.objects.order_by("-id").first()
    assert run.resumed_from_id == failed.pk and run.status == "ok" and "refused the stored page token" in run.warnings
    assert held(registry) == {nct_id(s) for s in registry.studies} and run.studies == STUDIES


def test_a_trailing_empty_page_is_the_end_and_a_count_mismatch_is_a_warning(real_studies, settings) -> None:
    registry = serve(real_studies[:60], settings, page_cap=30)
    registry.trailing_empty_page = True
    registry.total_count_offset = 5
    try:
        outcome = harvest("ctgov")
    finally:
        registry.stop()
    assert outcome.code == 0, outcome.stderr
    assert [e.status for e in registry.requests_to("/studies")] == [200, 200, 200]
    run = HarvestRun.objects.get()
    assert (run.pages, run.studies, run.total_count, run.failed) == (3, 60, 65, 0)
    assert "received 60 studies but the registry counted 65" in run.warnings
    assert "received 60 studies but the registry counted 65" in outcome.stderr


def test_another_harvest_holding_the_lock_refuses_a_second_run_with_a_clear_message(registry) -> None:
    import psycopg
    from django.db import connection

    from ingest.harvest.runs import LOCK_CLASS, LOCK_IDS

    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")}, autocommit=True
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_CLASS, LOCK_IDS["ctgov"]))
        outcome = harvest("ctgov")
    assert outcome.code == 75
    assert "another harvest of ClinicalTrials.gov API is running" in outcome.stderr
    assert registry.log == [] and not HarvestRun.objects.exists()


def test_the_weekly_reconcile_reports_trials_that_left_the_query_and_links_aliases(registry, real_studies) -> None:
    assert harvest("ctgov").code == 0
    # A trial held from elsewhere (a file given to `ingest`), registered but never in the query.
    other = real_studies[STUDIES + 1]
    registry.outside.append(copy.deepcopy(other))
    report = IngestReport()
    ingest_document(json.dumps(other).encode(), name="elsewhere.json", report=report, vocab=Vocabularies())
    assert report.created == 1
    ids = [nct_id(s) for s in registry.studies]
    left, alias, current, missing, unlisted_alias, unlisted_current = (
        ids[10],
        ids[20],
        ids[21],
        ids[30],
        ids[50],
        ids[51],
    )
    study = registry.find(left)
    study["protocolSection"]["statusModule"]["overallStatus"] = "TERMINATED"
    registry.studies.remove(study)
    registry.outside.append(study)  # still registered, no longer in the query
    registry.make_alias(alias, current)  # filter.ids finds it, the record lists the alias
    registry.make_alias(unlisted_alias, unlisted_current, listed=False)  # found through the 301 only
    registry.studies = [s for s in registry.studies if nct_id(s) != missing]  # the registry no longer has it
    before = len(registry.log)

    outcome = harvest("ctgov", "--reconcile")

    assert outcome.code == 0, outcome.stderr
    run = HarvestRun.objects.get(mode="reconcile")
    assert run.status == "ok"
    assert run.details["left_query"] == [left]
    assert run.details["aliases"] == {alias: current, unlisted_alias: unlisted_current}
    assert run.details["missing"] == [missing] and run.details["aliases_linked"] == 2
    assert run.details["not_from_harvest"] == [nct_id(other)]
    assert {e.path for e in registry.log[before:]} >= {f"/studies/{unlisted_alias}", f"/studies/{missing}"}
    assert f"/studies/{alias}" not in {e.path for e in registry.log[before:]}
    assert any(e.params.get("fields") == "NCTId" for e in registry.log[before:])
    # Nothing is deleted; the one that left the query is current; aliases show through their current id.
    assert Trial.objects.filter(registry_id__in=[left, alias, missing, unlisted_alias]).count() == 4
    assert Trial.objects.get(registry_id=left).status == "terminated"
    for old, new in ((alias, current), (unlisted_alias, unlisted_current)):
        assert Trial.objects.get(registry_id=old).merged_into.registry_id == new
        assert TrialPair.objects.get(secondary__registry_id=old).reason == "alias"
    notes = TrialChange.objects.filter(actor="system", changes={})
    assert {n.trial.registry_id for n in notes} == {left, missing}

    assert harvest("ctgov", "--reconcile").code == 0  # a second reconcile notes nothing twice
    assert TrialChange.objects.filter(actor="system", changes={}).count() == 2


def test_ctgov_query_replaces_the_default(registry, settings) -> None:
    settings.CTGOV_QUERY = '"chimeric antigen receptor"'
    assert harvest_query() == '"chimeric antigen receptor"'
    assert harvest("ctgov").code == 0
    assert {p["query.term"] for p in studies_requests(registry)} == {'"chimeric antigen receptor"'}
    assert HarvestRun.objects.get().query == '"chimeric antigen receptor"'
