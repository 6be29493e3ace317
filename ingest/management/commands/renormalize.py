"""python manage.py renormalize"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalogue.jobs import Reporter
from catalogue.warm import warm_after_changes
from ingest.pipeline import renormalize


class Command(BaseCommand):
    help = (
        "Re-derive every trial from its stored copies (no download) with the current antigen and "
        "disease vocabularies. Curated fields are respected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--job", type=int, default=None, help="report progress on this admin job (set by the admin)"
        )

    def handle(self, *args, job: int | None = None, **options) -> None:
        reporter = Reporter(job)
        try:
            with warm_after_changes(self.stdout.write):
                report = renormalize(progress=reporter.progress)
        except Exception as exc:
            reporter.finish(False, f"{type(exc).__name__}: {exc}")
            raise
        reporter.finish(report.ok, "\n".join([report.summary(), *report.problems[:50]]))
        for problem in report.problems:
            self.stderr.write(f"error: {problem}")
        self.stdout.write(report.summary())
        if not report.ok:
            raise CommandError(f"{report.failed} failed", returncode=1)
