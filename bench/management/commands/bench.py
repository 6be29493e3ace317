"""python manage.py bench [--json] [--repetitions R] [--ingest-pages N] [--explain N]"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser
from django.test.utils import override_settings

from bench import benchmark


class Command(BaseCommand):
    help = (
        "Measure the catalogue on the data already in the database: list page, API, trial page and "
        "landscape latencies (p50/p95), queries per list page, ingest pages/s."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
        parser.add_argument("--repetitions", type=int, default=5, help="timed requests per combination (default 5)")
        parser.add_argument("--detail-sample", type=int, default=50, help="trial pages to time (default 50)")
        parser.add_argument(
            "--ingest-pages", type=int, default=500, help="ingest at least this many pages (0 skips; default 500)"
        )
        parser.add_argument(
            "--explain", type=int, default=0, metavar="N",
            help="also print EXPLAIN (ANALYZE, BUFFERS) of the slowest queries of the N slowest list combinations",
        )  # fmt: skip
        parser.add_argument("--skip-web", action="store_true", help="measure ingest only")
        parser.add_argument(
            "--session-sql", action="append", default=[], metavar="SQL",
            help="run this statement on the connection first, e.g. 'SET jit = off' (repeatable)",
        )  # fmt: skip

    def handle(self, *args, json: bool, repetitions: int, detail_sample: int, ingest_pages: int, explain: int,
               session_sql: list[str], skip_web: bool, **options) -> None:  # fmt: skip
        progress = (lambda m: self.stderr.write(m)) if options.get("verbosity", 1) >= 2 else None
        result = benchmark.run_benchmark(
            repetitions=max(1, repetitions),
            detail_sample=max(0, detail_sample),
            ingest_pages=ingest_pages,
            progress=progress,
            session_sql=session_sql,
            web=not skip_web,
        )
        self.stdout.write(benchmark.format_table(result))
        if explain and result.get("list_by_combo"):
            self._explain(result, explain)
        if json:
            self.stdout.write(_dumps(result))

    def _explain(self, result: dict, n: int) -> None:
        slowest = sorted(result["list_by_combo"].items(), key=lambda kv: -(kv[1]["p95_ms"] or 0))[:n]
        queries = dict(benchmark.LIST_COMBOS)
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
            for label, row in slowest:
                url = benchmark.LIST_URL + (f"?{queries[label]}" if queries[label] else "")
                self.stdout.write(f"\n=== {label} ({url}): p95 {row['p95_ms']} ms")
                for plan in benchmark.explain_queries(url):
                    self.stdout.write(f"--- {plan['ms']:.1f} ms\n{plan['sql']}\n{plan['plan']}")


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)
