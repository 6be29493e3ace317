"""A full ClinicalTrials.gov harvest from a local registry: `python manage.py bench_harvest`.

The local API (bench/ctgov_server.py) serves the real study objects of
../shared/corpus (the 2,587 of the bulk snapshot, the API samples and the
one-study files), repeated under ids of a benchmark-only range (NCT7xxxxxxx) up to
the number asked for, in pages of 1000. The harvest is the product's own
(`ingest.harvest.ctgov.harvest_ctgov(full=True)`) with HARVEST_REQUEST_INTERVAL=0;
what it created is removed afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.test import override_settings

from bench.ctgov_server import FakeRegistry, corpus_studies, renumbered
from catalogue.models import HarvestRun, SourceDocument, Trial
from ingest.harvest.ctgov import harvest_ctgov

ID_PREFIX = "NCT7"


@dataclass
class HarvestBench:
    studies: int
    pages: int
    requests: int
    seconds: float
    link_seconds: float  # of which: linking the new trials (after the last page)
    summary: str

    @property
    def studies_per_s(self) -> float:
        return self.studies / self.seconds if self.seconds else 0.0


def bench_studies(count: int, corpus: Path | None = None) -> list[dict]:
    real = corpus_studies(corpus or Path(settings.BASE_DIR).parent / "shared" / "corpus")
    if not real:
        raise ValueError("no study objects under ../shared/corpus (bulk/, ctgov-api/, ctgov-v2/)")
    return [renumbered(real[i % len(real)], f"{ID_PREFIX}{i:07d}") for i in range(count)]


def bench_harvest(count: int = 3000) -> HarvestBench:
    registry = FakeRegistry(bench_studies(count), page_cap=1000)
    url = registry.serve()
    try:
        with override_settings(CTGOV_API_URL=url, HARVEST_REQUEST_INTERVAL=0.0, HARVEST_CONTACT="bench@example.org"):
            marks: list[tuple[str, float]] = []
            started = time.perf_counter()
            run = harvest_ctgov(full=True, say=lambda line: marks.append((line, time.perf_counter())))
            seconds = time.perf_counter() - started
    finally:
        registry.stop()
    try:
        if run.status != "ok" or run.studies != count:
            raise RuntimeError(
                f"the benchmark harvest did not complete: {run.status} {run.error} ({run.studies} studies)"
            )
        summary = (f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}, "
                   f"older {run.older}, failed {run.failed}")  # fmt: skip
        last_page = max(at for line, at in marks if line.startswith("page "))
        done = next(at for line, at in marks if line.startswith("done:"))
        return HarvestBench(count, run.pages, len(registry.log), seconds, done - last_page, summary)
    finally:
        Trial.objects.filter(registry="ctgov", registry_id__startswith=ID_PREFIX).delete()
        SourceDocument.objects.filter(filename__startswith=f"<ClinicalTrials.gov API harvest {run.pk} ").delete()
        HarvestRun.objects.filter(pk=run.pk).delete()
