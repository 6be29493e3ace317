"""WHO ICTRP drops: export files (XML or CSV) put in a folder or named on the command line.

Each file goes through the ingest pipeline (the format is detected, as with
`manage.py ingest`). A file whose exact bytes were ingested before (its SHA-256
is a stored source document) is skipped, so the watched folder
(`HARVEST_ICTRP_DIR`) can keep its files. In the watched folder, a file changed
in the last `SETTLE_SECONDS` is left for the next run: it may still be being
copied in.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from catalogue.cache import deferred_version, mark_ingested
from catalogue.models import HarvestRun, SourceDocument
from ingest.harvest.runs import finish, record_counts, source_lock, start_run
from ingest.importer import Vocabularies
from ingest.parsers import ParseError
from ingest.pipeline import IngestReport, ingest_document, iter_inputs, link_registrations, relax_commit_durability

SETTLE_SECONDS = 60.0


def harvest_ictrp(
    paths: list[str], *, watched: bool = False, say: Callable[[str], None] = lambda _: None
) -> HarvestRun:
    """Ingest the ICTRP exports under `paths` that were not ingested before.
    The run is `up to date` when there was nothing new."""
    with source_lock("ictrp"):
        run = start_run("ictrp", "files", query=" ".join(paths)[:2000])
        report = IngestReport()
        files: dict[str, list[str]] = {"ingested": [], "skipped": [], "unreadable": [], "settling": []}
        try:
            relax_commit_durability()
            with deferred_version() as tick:
                vocab = Vocabularies()
                for name, content in iter_inputs(paths):
                    if isinstance(content, ParseError):
                        report.fail(f"{name}: {content}")
                        files["unreadable"].append(name)
                        continue
                    if watched and _settling(name):
                        files["settling"].append(name)
                        continue
                    if SourceDocument.objects.filter(sha256=hashlib.sha256(content).hexdigest()).exists():
                        files["skipped"].append(name)
                        say(f"{name}: already ingested, skipped")
                        continue
                    before = report.failed
                    ingest_document(content, name=name, report=report, vocab=vocab, tick=tick)
                    files["ingested"].append(name)
                    run.studies = report.created + report.updated + report.unchanged + report.older
                    say(
                        f"{name}: {report.summary()}"
                        + (f" ({report.failed - before} failed)" if report.failed > before else "")
                    )
                    tick()
                link_registrations(report, tick=tick)
        except BaseException as exc:
            record_counts(run, report)
            run.details = files
            finish(run, "failed", error=f"{type(exc).__name__}: {exc}"[:2000])
            raise
        record_counts(run, report)
        run.pages = len(files["ingested"])
        run.details = files
        run.warnings = "\n".join(report.problems[:50])
        if files["ingested"]:
            mark_ingested()
        say(
            f"done: {len(files['ingested'])} file(s) ingested, {len(files['skipped'])} already ingested; {report.summary()}"
        )
        return finish(run, "ok" if files["ingested"] or report.failed else "up_to_date")


def _settling(name: str) -> bool:
    try:
        return time.time() - os.stat(name).st_mtime < SETTLE_SECONDS
    except OSError:
        return False


def watched_folder(path: Path | None) -> Path:
    """The watched folder, checked: a loud error rather than a silent no-op."""
    if path is None:
        raise ValueError("HARVEST_ICTRP_DIR is not set")
    if not path.is_dir():
        raise ValueError(f"HARVEST_ICTRP_DIR={str(path)!r} is not a folder")
    return path
