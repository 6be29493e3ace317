"""Ingest throughput, end to end into PostgreSQL (parse → normalize → upsert):
`python manage.py bench_ingest`, and the ingest part of `manage.py bench`."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from catalogue.cache import deferred_version
from catalogue.models import SourceDocument, Trial
from ingest.importer import Vocabularies
from ingest.pipeline import IngestReport, ingest_inputs, relax_commit_durability

_IDS = re.compile(rb"NCT\d{8}|ChiCTR\d{10}")


def default_pages() -> list[Path]:
    """The bundled sample pages, plus the real API v2 records of ../shared/corpus when present."""
    root = Path(settings.BASE_DIR)
    pages = sorted((root / "samples").glob("*"))
    corpus = root.parent / "shared" / "corpus" / "ctgov-v2"
    if corpus.is_dir():
        pages += sorted(corpus.glob("*.json"))
    return pages


@dataclass
class IngestBench:
    pages: int
    seconds: float
    report: IngestReport

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def _fresh_copy(content: bytes, ids: dict[bytes, bytes], counter: list[int]) -> bytes:
    """The page with its trial ids moved to a benchmark-only range (NCT9…, ChiCTR9999…),
    so each round creates new trials."""

    def swap(match: re.Match) -> bytes:
        original = match.group()
        if original not in ids:
            counter[0] += 1
            prefix = b"NCT9%07d" if original.startswith(b"NCT") else b"ChiCTR9999%06d"
            ids[original] = prefix % counter[0]
        return ids[original]

    return _IDS.sub(swap, content)


def bench_ingest(paths: list[Path], *, min_pages: int = 500, workers: int | None = None) -> IngestBench:
    """Ingest `paths` repeatedly, as new trials each round, until `min_pages` pages
    have gone through; then remove what the benchmark created. The pages go through
    `ingest_inputs`, as those of `manage.py ingest` do (batches across pages, worker
    processes parsing ahead: `workers`, default `ingest.pipeline.ingest_workers()`)."""
    sources = [p.read_bytes() for p in paths]
    if not sources:
        raise ValueError("no pages to benchmark")
    relax_commit_durability()
    # Prepared once per run, before the clock starts, as `manage.py ingest` does before its first page.
    vocab = Vocabularies()
    vocab.prepare()
    report = IngestReport()
    counter = [0]
    pages = [0]

    def fresh_pages() -> Iterator[tuple[str, bytes]]:
        round_no = 0
        while pages[0] < min_pages:
            ids: dict[bytes, bytes] = {}
            for index, content in enumerate(sources):
                pages[0] += 1
                yield f"bench-{round_no}-{index}", _fresh_copy(content, ids, counter)
            round_no += 1

    started = time.perf_counter()
    with deferred_version() as tick:
        ingest_inputs(fresh_pages(), report=report, vocab=vocab, tick=tick, workers=workers)
    seconds = time.perf_counter() - started
    Trial.objects.filter(source_document__filename__startswith="bench-").delete()
    SourceDocument.objects.filter(filename__startswith="bench-").delete()
    return IngestBench(pages=pages[0], seconds=seconds, report=report)
