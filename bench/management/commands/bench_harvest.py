"""python manage.py bench_harvest [--studies N]"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser

from bench.harvest import bench_harvest


class Command(BaseCommand):
    help = "Time a full ClinicalTrials.gov harvest of N real study objects from a local registry (no request interval)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--studies", type=int, default=3000, help="studies the local registry serves (default 3000)"
        )
        parser.add_argument("--json", action="store_true", help="print a JSON object as the last line")

    def handle(self, *args, studies: int, json: bool, **options) -> None:
        result = bench_harvest(studies)
        self.stdout.write(
            f"harvested {result.studies:,} studies ({result.pages} pages, {result.requests} requests) in "
            f"{result.seconds:.1f} s: {result.studies_per_s:.0f} studies/s; linking the new trials took "
            f"{result.link_seconds:.1f} s of it ({result.summary})"
        )
        if json:
            self.stdout.write(
                _json(
                    {
                        "harvest_studies": result.studies,
                        "harvest_seconds": round(result.seconds, 2),
                        "harvest_link_seconds": round(result.link_seconds, 2),
                    }
                )
            )


def _json(data: dict) -> str:
    return json.dumps(data)
