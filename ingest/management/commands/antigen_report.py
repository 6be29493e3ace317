"""python manage.py antigen_report [PATH ...] [--benchmark CSV] [--json PATH]"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.parsers import ParseError, parse_document
from ingest.reports import antigen_coverage, classification_distributions, peer_benchmark

CORPUS = Path(settings.BASE_DIR).parent / "shared" / "corpus"


class Command(BaseCommand):
    help = (
        "Report how well target antigens are found: the share of CAR-T trials whose target we miss, "
        "per-antigen counts, the score on the peer project's hand-curated benchmark, and the distributions "
        "of modality, cell source, trial type and scope."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help="registry documents (default: the bulk corpus snapshot)")
        parser.add_argument("--benchmark", help="peer benchmark CSV (default: the corpus one, when present)")
        parser.add_argument("--misses", type=int, default=50, help="how many misses to list")
        parser.add_argument("--json", dest="json_path", help="also write the classification distributions as JSON here")

    def handle(
        self, *args, paths: list[str], benchmark: str | None, misses: int, json_path: str | None = None, **options
    ) -> None:
        files = [Path(p) for p in paths] or [CORPUS / "bulk" / "ctgov-cart-snapshot-2026-08-22.json"]
        records = []
        for path in files:
            try:
                records.extend(parse_document(path.read_bytes()).records)
            except (OSError, ParseError) as exc:
                raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(antigen_coverage(records).format(misses=misses))
        csv_path = Path(benchmark) if benchmark else CORPUS / "peer-benchmark" / "benchmark_set.csv"
        if csv_path.exists():
            self.stdout.write("")
            self.stdout.write(str(peer_benchmark(records, csv_path)))
        distributions = classification_distributions(records)
        self.stdout.write("")
        self.stdout.write(distributions.format())
        if json_path:
            Path(json_path).write_text(json.dumps(distributions.to_dict(), indent=2), encoding="utf-8")
