"""Data for the search and disease-tree tests, made at test time from the real
registry records: a slice of the 2026-08-22 bulk snapshot (every sixth study,
432 of 2,587) and the five seed pages, ingested through the real pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CORPUS, corpus_path

SEEDS = CORPUS.parent / "seeds"
EVERY = 6


def realistic_catalogue(tmp_path: Path) -> int:
    """Ingest the slice and the seeds; returns how many trials the catalogue lists."""
    from catalogue.selectors import catalogue_counts, parse_filters
    from ingest.pipeline import ingest_paths

    bulk = json.loads(corpus_path("bulk", "ctgov-cart-snapshot-2026-08-22.json").read_bytes())
    page = tmp_path / "bulk-slice.json"
    page.write_text(json.dumps({"studies": bulk["studies"][::EVERY]}))
    seeds = sorted(SEEDS.glob("*.txt"))
    if not seeds:
        pytest.skip(f"seed pages not available: {SEEDS}")
    report = ingest_paths([str(page), *(str(s) for s in seeds)])
    assert report.failed == 0, report.problems
    return catalogue_counts(parse_filters({}))[0]


def builtin_vocabulary() -> None:
    """The vocabularies' built-in terms and the disease tree, as an ingest inserts them."""
    from ingest.importer import ensure_builtin_vocabulary

    ensure_builtin_vocabulary()
