"""Shared reading of the real data the classification tests use: the bulk snapshot and the labelled sample.

The bulk corpus is not part of the project: `bulk_records()` skips the calling
test when it is absent. The sample (tests/ingest/data/classification_sample.csv)
holds NCT ids and hand labels only, never the records' text.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.parsers import parse_document
from ingest.records import TrialRecord
from tests.conftest import corpus_path

SAMPLE = Path(__file__).resolve().parent / "data" / "classification_sample.csv"
BULK = ("bulk", "ctgov-cart-snapshot-2026-08-22.json")


@dataclass(frozen=True)
class Label:
    nct_id: str
    modalities: tuple[str, ...]
    cell_source: str
    reason: str


def sample_labels() -> list[Label]:
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return [
        Label(
            row["nct_id"],
            tuple(sorted(m for m in row["modalities"].split(",") if m)),
            row["cell_source"],
            row["reason"],
        )
        for row in csv.DictReader(lines)
    ]


@lru_cache(maxsize=1)
def _bulk(path: str) -> dict[str, TrialRecord]:
    return {r.registry_id: r for r in parse_document(Path(path).read_bytes()).records}


def bulk_records() -> dict[str, TrialRecord]:
    """The bulk snapshot's records by NCT id (parsed once per session)."""
    return _bulk(str(corpus_path(*BULK)))
