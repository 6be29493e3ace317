"""python manage.py harvest [ctgov [--full | --since YYYY-MM-DD | --reconcile] | ictrp PATH ...] [--quiet]

Without a source (or with --scheduled): what a daily scheduler runs — the
ClinicalTrials.gov harvest, the weekly reconcile when it is due, and the WHO
ICTRP folder (HARVEST_ICTRP_DIR) when one is set. Exit status: 0 when every part
succeeded, 1 when one failed (the others still ran), 75 when another harvest of
a source was running (that source was left alone).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalogue.models import HarvestRun
from catalogue.warm import warm_after_changes
from ingest.harvest.client import HarvestError
from ingest.harvest.ctgov import harvest_ctgov, reconcile_ctgov, reconcile_due
from ingest.harvest.ictrp import harvest_ictrp, watched_folder
from ingest.harvest.runs import HarvestBusy

EX_TEMPFAIL = 75


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Harvest ClinicalTrials.gov (API v2) and WHO ICTRP drops into the catalogue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quiet", action="store_true", help="no progress: only warnings and errors (for schedulers)"
        )
        parser.add_argument("--scheduled", action="store_true", help="the daily job (the default without a source)")
        sources = parser.add_subparsers(dest="source", metavar="{ctgov,ictrp}")
        ctgov = sources.add_parser("ctgov", help="harvest ClinicalTrials.gov")
        mode = ctgov.add_mutually_exclusive_group()
        mode.add_argument("--full", action="store_true", help="every study of the query, not only recent updates")
        mode.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="studies updated since this day")
        mode.add_argument(
            "--reconcile", action="store_true", help="the weekly check for ids that left the query or became aliases"
        )
        ctgov.add_argument("--quiet", action="store_true", dest="quiet_sub", help="no progress")
        ictrp = sources.add_parser("ictrp", help="ingest WHO ICTRP export files not ingested before")
        ictrp.add_argument("paths", nargs="+", help="export files or folders")
        ictrp.add_argument("--quiet", action="store_true", dest="quiet_sub", help="no progress")

    def handle(self, *args, **options) -> None:
        self.quiet = options["quiet"] or options.get("quiet_sub", False)
        source = options.get("source")
        with warm_after_changes(self.say):
            if source == "ctgov":
                code = self._ctgov(full=options["full"], since=options["since"], reconcile=options["reconcile"])
            elif source == "ictrp":
                code = self._ictrp(options["paths"], watched=False)
            else:
                code = self._scheduled()
        if code:
            raise CommandError("harvest did not complete (see above)", returncode=code)

    def say(self, line: str) -> None:
        if line.startswith(("warning:", "failed:")):
            self.stderr.write(line)
        elif not self.quiet:
            self.stdout.write(line)

    def _ctgov(self, *, full: bool = False, since: dt.date | None = None, reconcile: bool = False) -> int:
        try:
            run = reconcile_ctgov(say=self.say) if reconcile else harvest_ctgov(full=full, since=since, say=self.say)
        except HarvestBusy as exc:
            self.stderr.write(f"ClinicalTrials.gov: {exc}")
            return EX_TEMPFAIL
        except HarvestError as exc:  # raised before a run could start (a missing setting)
            self.stderr.write(f"ClinicalTrials.gov: {exc}")
            return 1
        return self._outcome(run)

    def _ictrp(self, paths: list[str], *, watched: bool) -> int:
        try:
            run = harvest_ictrp(paths, watched=watched, say=self.say)
        except HarvestBusy as exc:
            self.stderr.write(f"WHO ICTRP: {exc}")
            return EX_TEMPFAIL
        return self._outcome(run)

    def _outcome(self, run: HarvestRun) -> int:
        label = f"{run.get_source_display()}: run {run.pk} {run.get_status_display()}"
        if run.status == "failed":
            self.stderr.write(f"{label}: {run.error}")
            return 1
        for line in run.warnings.splitlines()[:20] if run.failed else []:
            self.stderr.write(f"error: {line}")
        if run.failed:
            self.stderr.write(f"{label}, but {run.failed} record(s) failed")
            return 1
        self.say(label)
        return 0

    def _scheduled(self) -> int:
        codes = [self._ctgov()]
        if codes[0] != EX_TEMPFAIL and reconcile_due():
            codes.append(self._ctgov(reconcile=True))
        if settings.HARVEST_ICTRP_DIR is not None:
            try:
                folder = watched_folder(settings.HARVEST_ICTRP_DIR)
            except ValueError as exc:
                self.stderr.write(f"WHO ICTRP: {exc}")
                codes.append(1)
            else:
                codes.append(self._ictrp([str(folder)], watched=True))
        failed = [c for c in codes if c == 1]
        return 1 if failed else max(codes)
