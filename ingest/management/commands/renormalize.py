"""python manage.py renormalize"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ingest.pipeline import renormalize


class Command(BaseCommand):
    help = (
        "Re-apply normalization to all trials from their stored source documents (no download), "
        "with the current antigen and disease vocabularies. Curated fields are respected."
    )

    def handle(self, *args, **options) -> None:
        report = renormalize()
        for problem in report.problems:
            self.stderr.write(f"error: {problem}")
        self.stdout.write(report.summary())
        if not report.ok:
            raise CommandError(f"{report.failed} failed", returncode=1)
