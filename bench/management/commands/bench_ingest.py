"""python manage.py bench_ingest [--pages N] [PATH ...]"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from bench.ingest import bench_ingest, default_pages


class Command(BaseCommand):
    help = "Measure ingest throughput (pages per second, end to end into PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help="pages to ingest (default: samples/ and the v2 corpus)")
        parser.add_argument("--pages", type=int, default=500, help="ingest at least this many pages")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="worker processes parsing ahead (default: INGEST_WORKERS or one per CPU; 0: none)",
        )
        parser.add_argument("--json", action="store_true", help="print a JSON object as the last line")

    def handle(self, *args, paths: list[str], pages: int, workers: int | None, json: bool, **options) -> None:
        files = [Path(p) for p in paths] or default_pages()
        result = bench_ingest(files, min_pages=pages, workers=workers)
        self.stdout.write(
            f"ingested {result.pages} pages in {result.seconds:.2f} s: {result.pages_per_s:.0f} pages/s "
            f"({result.report.summary()})"
        )
        if json:
            self.stdout.write(_json({"ingest_pages": result.pages, "ingest_pages_per_s": round(result.pages_per_s, 1)}))


def _json(data: dict) -> str:
    return json.dumps(data)
