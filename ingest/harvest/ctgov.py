"""Harvest ClinicalTrials.gov (API v2) into the catalogue.

`harvest_ctgov()`:

1. `GET /version`; when its `dataTimestamp` equals the one of the last
   successful harvest, the run ends "up to date" without any `/studies` request.
2. `GET /studies?query.term=…&pageSize=1000&countTotal=true&format=json`, then
   each `nextPageToken` with exactly the same parameters. After the first
   complete harvest, runs are incremental: `filter.advanced=AREA[LastUpdatePostDate]
   RANGE[<day the last successful harvest started, minus 2 days>,MAX]`.
   `full=True` asks for everything; `since` sets the window by hand.
3. Each page goes through the ingest pipeline as it arrives (one page in memory
   at a time), under the data-version batching of `ingest`. After each page the
   run stores the token of the next one: a run that fails, or is killed, is
   resumed by the next run from its last good page.
4. At the end: the number received is checked against `totalCount`, new trials
   are linked with registrations that name them, and the run is recorded.

`reconcile_ctgov()` (weekly) looks at the ClinicalTrials.gov trials the catalogue
holds that the query no longer returns. It never deletes or hides anything:

- each is fetched by id (`filter.ids`, which also matches aliases) and its
  current record ingested, so it stays current although incremental runs no
  longer bring it;
- an id the registry now redirects to another (an alias: its record lists the
  old id in `nctIdAliases`, `/studies/{id}` answers 301) is linked into the
  trial of the new id as one catalogue entry (reason "alias"), unless a curator
  rejected that pair;
- an id that left the query (a harvest brought it before), or that the registry
  no longer knows, gets a note in the trial's history (once) and is listed on the
  run for curators; ids held from other sources (an ICTRP export, a file given to
  `ingest`) that were never in the query are only refreshed and listed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalogue import linking
from catalogue.cache import deferred_version, mark_ingested
from catalogue.models import HarvestRun, Trial, TrialChange, TrialPair, TrialSource
from ingest.harvest.client import Client, HarvestError, HarvestHTTPError, Response
from ingest.harvest.query import harvest_query
from ingest.harvest.runs import add_warning, finish, record_counts, source_lock, start_run
from ingest.importer import Vocabularies
from ingest.pipeline import IngestReport, ingest_document, link_registrations, relax_commit_durability

PAGE_SIZE = 1000
WINDOW_OVERLAP = dt.timedelta(days=2)
IDS_PER_REQUEST = 100
RECONCILE_EVERY = dt.timedelta(days=7)
HARVESTING = ("full", "incremental")
LEFT_QUERY_NOTE = "no longer returned by the ClinicalTrials.gov harvest query (weekly reconcile); kept as it was"
MISSING_NOTE = "ClinicalTrials.gov no longer knows this id (weekly reconcile); kept as it was"
NCT = re.compile(r"NCT\d{8}")
HARVEST_PAGE = "<ClinicalTrials.gov API harvest "  # source documents of harvest pages are named so

Say = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def window_filter(start: dt.date) -> str:
    return f"AREA[LastUpdatePostDate]RANGE[{start:%Y-%m-%d},MAX]"


def last_success(mode_in: tuple[str, ...] = HARVESTING) -> HarvestRun | None:
    return (
        HarvestRun.objects.filter(source="ctgov", mode__in=mode_in, status="ok").order_by("-started_at", "-id").first()
    )


def resumable(query: str) -> HarvestRun | None:
    """The latest harvest when it failed part-way through the same query (it has a next page)."""
    latest = HarvestRun.objects.filter(source="ctgov", mode__in=HARVESTING).order_by("-started_at", "-id").first()
    if latest and latest.status == "failed" and latest.next_page_token and latest.query == query:
        return latest
    return None


def harvest_ctgov(
    *, full: bool = False, since: dt.date | None = None, say: Say = _quiet, client: Client | None = None
) -> HarvestRun:
    """One harvest run (see the module docstring). Raises HarvestBusy when another
    ctgov harvest runs; returns the run, `failed` with its error when the registry
    kept failing (everything before the failure is stored)."""
    client = client or Client.for_ctgov()  # a missing setting fails here, before any run is recorded
    with source_lock("ctgov"):
        query = harvest_query()
        previous = last_success()
        resume = None if (full or since) else resumable(query)
        if resume is not None:
            run = start_run(
                "ctgov", resume.mode, query=query, window_start=resume.window_start, params=resume.params,
                next_page_token=resume.next_page_token, total_count=resume.total_count, pages=resume.pages,
                studies=resume.studies, anchor_at=resume.anchor_at, resumed_from=resume,
            )  # fmt: skip
            say(f"resuming run {resume.pk} at page {resume.pages + 1} (its last good page was {resume.pages})")
        else:
            anchor = previous and (previous.anchor_at or previous.started_at)
            window = since or (None if full or previous is None else anchor.date() - WINDOW_OVERLAP)
            run = start_run("ctgov", "full" if window is None else "incremental", query=query, window_start=window)
        try:
            version = client.get("/version").data
            stamp = version.get("dataTimestamp") if isinstance(version, dict) else None
            if not isinstance(stamp, str) or not stamp.strip():
                raise HarvestError(f"GET /version: no dataTimestamp in {str(version)[:200]!r}")
            run.data_timestamp = stamp.strip()[:40]
            if resume is None and not full and not since and previous and previous.data_timestamp == run.data_timestamp:
                say(f"up to date: the registry's data ({run.data_timestamp}) is what run {previous.pk} harvested")
                return finish(run, "up_to_date")
            if resume is None:
                run.anchor_at = timezone.now()
                run.params = {"query.term": query, "pageSize": PAGE_SIZE, "countTotal": "true", "format": "json"}
                if run.window_start:
                    run.params["filter.advanced"] = window_filter(run.window_start)
            run.save()
            say(f"{run.get_mode_display()} harvest (run {run.pk}), registry data of {run.data_timestamp}"
                + (f", studies updated since {run.window_start:%Y-%m-%d}" if run.window_start else ""))  # fmt: skip
            _harvest_pages(run, client, say)
        except HarvestError as exc:
            return finish(run, "failed", error=str(exc))
        except BaseException as exc:  # a bug or Ctrl-C: still leave a record
            finish(run, "failed", error=f"{type(exc).__name__}: {exc}"[:2000])
            raise
        finally:
            client.close()
        return run


def _harvest_pages(run: HarvestRun, client: Client, say: Say) -> None:
    report = IngestReport()
    relax_commit_durability()
    try:
        with deferred_version() as tick:
            vocab = Vocabularies()
            try:
                _pages(run, client, report, vocab, tick, say)
            finally:
                _link(run, report, tick)
    finally:
        record_counts(run, report)
        for problem in report.problems[:50]:
            add_warning(run, problem)
        run.save()
    if run.total_count is not None and run.studies != run.total_count:
        message = f"received {run.studies:,} studies but the registry counted {run.total_count:,}"
        add_warning(run, message)
        say(f"warning: {message}")
    run.next_page_token = ""
    mark_ingested()
    finish(run, "ok")
    say(f"done: {run.pages} page(s), {run.studies:,} studies; {report.summary()}")


def _pages(
    run: HarvestRun, client: Client, report: IngestReport, vocab: Vocabularies, tick: Callable[[], None], say: Say
) -> None:
    token = run.next_page_token or None
    resumed_token = token
    while True:
        params = dict(run.params, **({"pageToken": token} if token else {}))
        try:
            page = client.get("/studies", params)
        except HarvestHTTPError as exc:
            if token is None or token != resumed_token or exc.status != 400:
                raise
            message = f"the registry refused the stored page token ({exc}); asking for the whole window again"
            add_warning(run, message)
            say(f"warning: {message}")
            token = resumed_token = None
            run.pages = run.studies = 0
            run.total_count = None
            continue
        resumed_token = None
        studies = _studies(page)
        if isinstance(page.data.get("totalCount"), int):
            run.total_count = page.data["totalCount"]
        if studies:
            ingest_document(
                page.content, name=f"{HARVEST_PAGE}{run.pk} page {run.pages + 1}>",
                report=report, vocab=vocab, tick=tick,
            )  # fmt: skip
        following = page.data.get("nextPageToken") or ""
        if following and following == token:
            raise HarvestError(f"the registry sent page token {token!r} again: paging would never end")
        run.pages += 1
        run.studies += len(studies)
        run.next_page_token = following
        record_counts(run, report)
        run.save(update_fields=[
            "pages", "studies", "total_count", "next_page_token", "created", "updated", "unchanged", "older", "failed",
        ])  # fmt: skip
        total = f"/{run.total_count:,}" if run.total_count is not None else ""
        say(f"page {run.pages}: {len(studies):,} studies ({run.studies:,}{total}); {report.summary()}")
        if not following:
            return
        token = following


def _studies(page: Response) -> list[Any]:
    data = page.data
    if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
        raise HarvestError(f"GET /studies: not a page of studies ({str(data)[:200]!r})")
    return data["studies"]


def _link(run: HarvestRun, report: IngestReport, tick: Callable[[], None]) -> None:
    """Link new trials; a resumed run also links those its earlier runs created."""
    if run.resumed_from_id and run.anchor_at:
        earlier = Trial.objects.filter(registry="ctgov", created_at__gte=run.anchor_at).values_list(
            "registry_id", flat=True
        )
        known = set(report.created_ids)
        report.created_ids.extend(i for i in earlier if i not in known)
    link_registrations(report, tick=tick)


# --- weekly reconcile ---------------------------------------------------------------------------


def reconcile_due(now: dt.datetime | None = None) -> bool:
    latest = last_success(("reconcile",))
    return latest is None or (now or timezone.now()) - latest.started_at >= RECONCILE_EVERY


def reconcile_ctgov(*, say: Say = _quiet, client: Client | None = None) -> HarvestRun:
    """The weekly reconcile (see the module docstring)."""
    client = client or Client.for_ctgov()
    with source_lock("ctgov"):
        query = harvest_query()
        run = start_run("ctgov", "reconcile", query=query)
        report = IngestReport()
        try:
            version = client.get("/version").data
            run.data_timestamp = str((version or {}).get("dataTimestamp") or "")[:40]
            run.params = {
                "query.term": query,
                "fields": "NCTId",
                "pageSize": PAGE_SIZE,
                "countTotal": "true",
                "format": "json",
            }
            run.save()
            in_query = _ids_in_query(run, client)
            held = set(Trial.objects.filter(registry="ctgov").values_list("registry_id", flat=True))
            outside = sorted(held - in_query)
            say(
                f"reconcile (run {run.pk}): {len(in_query):,} ids in the query, {len(held):,} held, {len(outside):,} held outside it"
            )
            relax_commit_durability()
            with deferred_version() as tick:
                vocab = Vocabularies()
                returned, aliases = _fetch_by_ids(run, client, outside, report, vocab, tick)
                missing = []
                for registry_id in outside:
                    if registry_id in returned or registry_id in aliases:
                        continue
                    found, new_id = _look_up(client, registry_id, run, report, vocab, tick)
                    if found == "alias":
                        aliases[registry_id] = new_id
                    elif found == "live":
                        returned.add(registry_id)
                    else:
                        missing.append(registry_id)
                live = [i for i in outside if i in returned and i not in aliases]
                # "Left the query" only for trials a harvest brought; the others came from elsewhere
                # (an ICTRP export, a file given to `ingest`) and were never in it.
                harvested = _harvested(live)
                left = [i for i in live if i in harvested]
                elsewhere = [i for i in live if i not in harvested]
                linked = _link_aliases(aliases, run)
                _note(left, LEFT_QUERY_NOTE)
                _note(missing, MISSING_NOTE)
                link_registrations(report, tick=tick)
            run.details = {
                "in_query": len(in_query), "held": len(held), "left_query": left, "aliases": aliases,
                "aliases_linked": linked, "missing": missing, "not_from_harvest": elsewhere,
            }  # fmt: skip
            record_counts(run, report)
            mark_ingested()
            say(f"done: {len(left)} left the query, {len(aliases)} alias(es) ({linked} newly linked), "
                f"{len(missing)} unknown to the registry; {report.summary()}")  # fmt: skip
            return finish(run, "ok")
        except HarvestError as exc:
            record_counts(run, report)
            return finish(run, "failed", error=str(exc))
        except BaseException as exc:
            finish(run, "failed", error=f"{type(exc).__name__}: {exc}"[:2000])
            raise
        finally:
            client.close()


def _ids_in_query(run: HarvestRun, client: Client) -> set[str]:
    ids: set[str] = set()
    token = None
    while True:
        page = client.get("/studies", dict(run.params, **({"pageToken": token} if token else {})))
        for study in _studies(page):
            nct = _nct_id(study)
            if nct:
                ids.add(nct)
        run.pages += 1
        if isinstance(page.data.get("totalCount"), int):
            run.total_count = page.data["totalCount"]
        following = page.data.get("nextPageToken") or ""
        if not following or following == token:
            break
        token = following
    run.studies = len(ids)
    if run.total_count is not None and len(ids) != run.total_count:
        add_warning(run, f"the query listed {len(ids):,} ids but the registry counted {run.total_count:,}")
    return ids


def _nct_id(study: Any) -> str:
    try:
        value = study["protocolSection"]["identificationModule"]["nctId"]
    except (KeyError, TypeError):
        return ""
    return value.strip() if isinstance(value, str) else ""


def _aliases_of(study: Any) -> list[str]:
    try:
        values = study["protocolSection"]["identificationModule"].get("nctIdAliases") or []
    except (KeyError, TypeError, AttributeError):
        return []
    return [v.strip() for v in values if isinstance(v, str)]


def _fetch_by_ids(
    run: HarvestRun, client: Client, ids: list[str], report: IngestReport, vocab: Vocabularies, tick: Callable[[], None]
) -> tuple[set[str], dict[str, str]]:
    """Ingest the current records of `ids`; (ids returned as themselves, {alias: new id})."""
    returned: set[str] = set()
    aliases: dict[str, str] = {}
    for start in range(0, len(ids), IDS_PER_REQUEST):
        batch = ids[start : start + IDS_PER_REQUEST]
        wanted = set(batch)
        params = {"filter.ids": ",".join(batch), "pageSize": PAGE_SIZE, "format": "json"}
        token = None
        while True:
            page = client.get("/studies", dict(params, **({"pageToken": token} if token else {})))
            studies = _studies(page)
            for study in studies:
                nct = _nct_id(study)
                if nct in wanted:
                    returned.add(nct)
                for alias in _aliases_of(study):
                    if alias in wanted and alias != nct:
                        aliases[alias] = nct
            if studies:
                ingest_document(
                    page.content,
                    name=f"<ClinicalTrials.gov API reconcile {run.pk}>",
                    report=report,
                    vocab=vocab,
                    tick=tick,
                )
            following = page.data.get("nextPageToken") or ""
            if not following or following == token:
                break
            token = following
    return returned, aliases


def _look_up(
    client: Client,
    registry_id: str,
    run: HarvestRun,
    report: IngestReport,
    vocab: Vocabularies,
    tick: Callable[[], None],
) -> tuple[str, str]:
    """`/studies/{id}`: ("alias", the id it redirects to), ("live", id) or ("missing", "").
    The current record of a live or redirected id is ingested."""
    name = f"<ClinicalTrials.gov API reconcile {run.pk}>"
    try:
        answer = client.get(f"/studies/{registry_id}", {"format": "json"}, follow=False)
    except HarvestHTTPError as exc:
        if exc.status == 404:
            return "missing", ""
        raise
    if answer.status in (301, 302, 303, 307, 308):
        match = NCT.search(answer.headers.get("Location", ""))
        if not match or match.group() == registry_id:
            raise HarvestError(f"GET /studies/{registry_id}: a redirect to {answer.headers.get('Location')!r}")
        record = client.get(f"/studies/{match.group()}", {"format": "json"})
        ingest_document(record.content, name=name, report=report, vocab=vocab, tick=tick)
        return "alias", match.group()
    ingest_document(answer.content, name=name, report=report, vocab=vocab, tick=tick)
    return "live", registry_id


def _harvested(registry_ids: list[str]) -> set[str]:
    """Those of `registry_ids` with a copy from a ClinicalTrials.gov harvest page."""
    return set(
        TrialSource.objects.filter(
            trial__registry="ctgov", trial__registry_id__in=registry_ids, document__filename__startswith=HARVEST_PAGE,
        ).values_list("trial__registry_id", flat=True)
    )  # fmt: skip


def _link_aliases(aliases: dict[str, str], run: HarvestRun) -> int:
    """Show each alias through the trial of its current id; returns how many were newly linked."""
    linked = 0
    for old_id, new_id in aliases.items():
        old = Trial.objects.filter(registry="ctgov", registry_id=old_id).first()
        new = Trial.objects.filter(registry="ctgov", registry_id=new_id).first()
        if old is None or new is None or old.pk == new.pk:
            continue
        pair = TrialPair.objects.filter(Q(primary=old, secondary=new) | Q(primary=new, secondary=old)).first()
        if pair is not None and pair.status in ("linked", "rejected"):
            if pair.status == "rejected":
                add_warning(
                    run, f"{old_id} redirects to {new_id}, but a curator marked them as different studies: not linked"
                )
            continue
        with transaction.atomic():
            linking.link(new, old, reason="alias", existing=pair)
        linked += 1
    return linked


def _note(registry_ids: list[str], reason: str) -> None:
    """A line in each trial's history, once (not again while it is the latest system note)."""
    for trial in Trial.objects.filter(registry="ctgov", registry_id__in=registry_ids):
        latest = TrialChange.objects.filter(trial=trial, actor="system").order_by("-changed_at", "-id").first()
        if latest is None or latest.reason != reason:
            TrialChange.objects.create(trial=trial, actor="system", changes={}, reason=reason)
