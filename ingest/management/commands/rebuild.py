"""python manage.py rebuild"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ingest.pipeline import rebuild


class Command(BaseCommand):
    help = (
        "Heal what is stored: parse every stored source document again and re-derive every trial from its "
        "copies with the freshness and merge rules. Equals a fresh ingest of the same documents in any order. "
        "Curated fields are kept."
    )

    def handle(self, *args, **options) -> None:
        progress = self._progress if self.stderr._out.isatty() else None
        report = rebuild(progress=progress)
        if progress:
            self.stderr.write("\r" + " " * 60 + "\r", ending="")
        for problem in report.problems:
            self.stderr.write(f"error: {problem}")
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"rebuilt: {report.summary()}")
        if not report.ok:
            raise CommandError(f"{report.failed} failed", returncode=1)

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
        self.stderr.flush()
