"""python manage.py build_exports [--force]

Writes the full, unfiltered export (CSV and JSON) for the current data to
EXPORT_ROOT, so /trials.csv and /trials.json are served from a file with a
Content-Length instead of being produced by a web worker (catalogue.exports).
Run it after every ingest or curation batch (cron); it does nothing when the
files for the current data exist already.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalogue import exports


class Command(BaseCommand):
    help = "Pre-build the full CSV and JSON downloads for the current data (EXPORT_ROOT)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="rebuild even when the files for this data exist")

    def handle(self, *args, force: bool, **options) -> None:
        try:
            token, written = exports.build(force=force)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        if written:
            for path in written:
                self.stdout.write(f"wrote {path} ({path.stat().st_size:,} bytes)")
        else:
            self.stdout.write(f"up to date: the files for data {token} exist in {exports.export_root()}")
