"""python manage.py ingest PATH [PATH ...]"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalogue.warm import warm_after_changes
from ingest.parsers import parser_names
from ingest.pipeline import ingest_paths


class Command(BaseCommand):
    help = "Parse registry pages (files, directories, or - for stdin) and upsert the trials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="files, directories (recursive) or - for stdin")
        parser.add_argument("--format", choices=parser_names(), help="force a format instead of detecting it")
        parser.add_argument("--dry-run", action="store_true", help="report what would change without writing")

    def handle(self, *args, paths: list[str], format: str | None, dry_run: bool, **options) -> None:
        progress = self._progress if self.stderr._out.isatty() else None
        with warm_after_changes(self.stdout.write):
            report = ingest_paths(paths, format=format, dry_run=dry_run, progress=progress, stdin=sys.stdin.buffer)
        if progress:
            self.stderr.write("\r" + " " * 60 + "\r", ending="")
        for problem in report.problems:
            self.stderr.write(f"error: {problem}")
        if options.get("verbosity", 1) >= 2:
            for line in report.older_records:
                self.stdout.write(f"older: {line}")
            for line in report.unplaced_examples:
                self.stdout.write(f"no coordinates: {line}")
        prefix = "dry run: would have " if dry_run else ""
        self.stdout.write(prefix + report.summary())
        if not report.ok:
            raise CommandError(f"{report.failed} failed", returncode=1)

    def _progress(self, done: int, total: int) -> None:
        if total < 20:
            return
        width = 30
        filled = width * done // total
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files", ending="")
        self.stderr.flush()
