"""python manage.py rebuild"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalogue.jobs import Reporter
from catalogue.warm import warm_after_changes
from ingest.pipeline import rebuild


class Command(BaseCommand):
    help = (
        "Heal what is stored: parse every stored source document again and re-derive every trial from its "
        "copies with the freshness and merge rules. Equals a fresh ingest of the same documents in any order. "
        "Curated fields are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--job", type=int, default=None, help="report progress on this admin job (set by the admin)"
        )

    def handle(self, *args, job: int | None = None, **options) -> None:
        reporter = Reporter(job)
        tty = self.stderr._out.isatty()

        def progress(done: int, total: int) -> None:
            reporter.progress(done, total)
            if tty:
                filled = 30 * done // max(total, 1)
                self.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", ending="")
                self.stderr.flush()

        try:
            with warm_after_changes(self.stdout.write):
                report = rebuild(progress=progress)
        except Exception as exc:
            reporter.finish(False, f"{type(exc).__name__}: {exc}")
            raise
        if tty:
            self.stderr.write("\r" + " " * 60 + "\r", ending="")
        reporter.finish(report.ok, "\n".join([report.summary(), *report.problems[:50]]))
        for problem in report.problems:
            self.stderr.write(f"error: {problem}")
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"rebuilt: {report.summary()}")
        if not report.ok:
            raise CommandError(f"{report.failed} failed", returncode=1)
