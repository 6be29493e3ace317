"""parse → normalize → upsert, for files, directories and stdin.

`ingest_paths()` is what the `ingest` command runs. A bad file gets one line
naming it and the reason; every other file of the run is still stored.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.db import DatabaseError, connection, transaction

from ingest.importer import Vocabularies, store_document, upsert
from ingest.normalize import normalize
from ingest.parsers.base import MAX_DOCUMENT_BYTES, ParseError, parse_document

Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    """Counts and one line per problem."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    linked: int = 0
    suggested: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def fail(self, message: str) -> None:
        self.failed += 1
        self.problems.append(" ".join(message.split()))

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        line = f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, failed {self.failed}"
        if self.linked or self.suggested:
            line += f" (linked {self.linked} cross-registry pair(s), {self.suggested} suggested duplicate(s) for curators)"
        return line


class _DryRun(Exception):
    pass


def iter_inputs(paths: list[str], stdin: BinaryIO | None = None) -> Iterator[tuple[str, bytes | ParseError]]:
    """(name, content) for each input; directories are walked recursively in name order.

    A file that cannot be read yields a ParseError instead of content.
    """
    for raw in paths:
        if raw == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            content = stream.read(MAX_DOCUMENT_BYTES + 1)
            yield "<stdin>", content if len(content) <= MAX_DOCUMENT_BYTES else ParseError(_too_large(len(content)))
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        elif path.exists():
            files = [path]
        else:
            yield raw, ParseError("no such file or directory")
            continue
        for file in files:
            yield str(file), _read(file)


def _read(path: Path) -> bytes | ParseError:
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            return ParseError(_too_large(size))
        return path.read_bytes()
    except OSError as exc:
        return ParseError(f"cannot read: {exc.strerror or exc}")


def _too_large(size: int) -> str:
    return f"file too large ({size / 1_048_576:.1f} MB, limit {MAX_DOCUMENT_BYTES // 1_048_576} MB)"


def ingest_paths(
    paths: list[str],
    *,
    format: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    stdin: BinaryIO | None = None,
) -> IngestReport:
    """Ingest every document under `paths`. Never raises for bad input."""
    report = IngestReport()
    inputs = list(iter_inputs(paths, stdin))
    relax_commit_durability()
    try:
        # A dry run does all the work in one transaction and rolls it back.
        with transaction.atomic(durable=False) if dry_run else _no_transaction(), data_version_batches() as tick:
            vocab = Vocabularies()
            for index, (name, content) in enumerate(inputs, start=1):
                if isinstance(content, ParseError):
                    report.fail(f"{name}: {content}")
                else:
                    ingest_document(content, name=name, format=format, report=report, vocab=vocab)
                if progress:
                    progress(index, len(inputs))
                tick()
            link_registrations(report)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


DATA_VERSION_INTERVAL = 10.0  # seconds


@contextmanager
def data_version_batches(interval: float = DATA_VERSION_INTERVAL) -> Iterator[Callable[[], None]]:
    """Move the catalogue's data version (which keys cached counts) every `interval`
    seconds and at the end, instead of at each record's commit.

    Yields `tick()`, to call between records. So cached counts are at most
    `interval` seconds behind a running ingest, instead of being recomputed
    several times a second. If the process dies, the counts of its last
    records show once the cache entries expire (CATALOGUE_CACHE_SECONDS) or the
    next write lands.
    """
    last = time.monotonic()

    def touch() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT catalogue_touch_data_version()")

    def tick() -> None:
        nonlocal last
        if time.monotonic() - last >= interval:
            touch()
            last = time.monotonic()

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('catalogue.data_version_deferred', 'on', false)")
    try:
        yield tick
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('catalogue.data_version_deferred', 'off', false)")
            touch()
        except DatabaseError:
            pass  # the connection is gone: the session setting went with it


def relax_commit_durability() -> None:
    """Don't wait for the WAL flush on each record's commit.

    Every record is still atomic; a crash can lose only the last moments of
    commits, and re-running the (idempotent) ingest restores them. This makes
    bulk ingest several times faster.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")


@contextmanager
def _no_transaction() -> Iterator[None]:
    yield


def ingest_document(
    content: bytes,
    *,
    name: str,
    report: IngestReport,
    vocab: Vocabularies,
    format: str | None = None,
) -> None:
    """Parse one document and upsert each of its records in its own transaction."""
    try:
        parser, records = parse_document(content, format=format)
    except ParseError as exc:
        report.fail(f"{name}: {exc}")
        return
    for problem in getattr(parser, "problems", []):
        report.fail(f"{name}: {problem}")
    document = None
    for record in records:
        try:
            normalized = normalize(record, vocabulary=vocab.antigen_vocabulary, disease_vocabulary=vocab.disease_vocabulary)
        except Exception as exc:  # a normalizer bug must cost one record, not the run
            report.fail(f"{name}: {record.registry_id}: cannot normalize: {type(exc).__name__}: {exc}")
            continue
        try:
            with transaction.atomic():
                if document is None:
                    document = store_document(
                        content, format=normalized.source_format, parser_version=parser.version, filename=_display(name)
                    )
                outcome = upsert(normalized, vocab=vocab, document=document, parser_version=parser.version)
        except DatabaseError as exc:
            document = None
            vocab.reload()  # terms created in the rolled-back transaction are gone
            report.fail(f"{name}: {record.registry_id}: not stored: {str(exc).splitlines()[0]}")
            continue
        report.add(outcome)
        if outcome == "created":
            report.created_ids.append(normalized.registry_id)


def link_registrations(report: IngestReport) -> None:
    """After a run: link new trials with registrations that name them, and
    offer very similar titles from the other registry to curators."""
    from catalogue import linking
    from catalogue.models import Trial

    if not report.created_ids:
        return
    for trial in Trial.objects.filter(registry_id__in=report.created_ids, merged_into__isnull=True):
        try:
            with transaction.atomic():
                report.linked += len(linking.auto_link(trial))
                report.suggested += len(linking.suggest_duplicates(trial))
        except DatabaseError as exc:
            report.problems.append(f"{trial.registry_id}: linking skipped: {str(exc).splitlines()[0]}")


def _display(name: str) -> str:
    try:
        return os.path.relpath(name) if not name.startswith("<") else name
    except ValueError:
        return name


def renormalize(*, progress: Progress | None = None) -> IngestReport:
    """Re-apply normalization to every trial from its stored source document.

    Uses the current vocabularies from the database (after a curator edits an
    antigen's synonyms, say), needs no download, and respects curated fields:
    it goes through the same upsert as ingest. Documents are parsed with the
    format they were detected as.
    """
    report = IngestReport()
    relax_commit_durability()
    with data_version_batches() as tick:
        _renormalize(report, progress, tick)
    return report


def _renormalize(report: IngestReport, progress: Progress | None, tick: Callable[[], None]) -> None:
    from catalogue.models import SourceDocument

    vocab = Vocabularies()
    documents = SourceDocument.objects.filter(trials__isnull=False).distinct().order_by("id")
    total = documents.count()
    for index, document in enumerate(documents.iterator(chunk_size=50), start=1):
        wanted = set(document.trials.values_list("registry", "registry_id"))
        try:
            parser, records = parse_document(bytes(document.content), format=_parser_for(document.format))
        except ParseError as exc:
            report.fail(f"source document {document.id} ({document.filename}): {exc}")
            continue
        for record in records:
            if (record.registry, record.registry_id) not in wanted:
                continue  # a newer document now feeds this trial
            try:
                normalized = normalize(
                    record, vocabulary=vocab.antigen_vocabulary, disease_vocabulary=vocab.disease_vocabulary
                )
                with transaction.atomic():
                    outcome = upsert(normalized, vocab=vocab, document=document, parser_version=parser.version, actor="renormalize")
            except (DatabaseError, ValueError) as exc:
                vocab.reload()
                report.fail(f"{record.registry_id}: not renormalized: {str(exc).splitlines()[0]}")
                continue
            report.add(outcome)
        if progress:
            progress(index, total)
        tick()


def _parser_for(source_format: str) -> str | None:
    """The parser name for a stored `source_format` such as 'chictr_text' or 'ctgov_v2_json'."""
    from ingest.parsers import parser_names

    for name in sorted(parser_names(), key=len, reverse=True):
        if source_format == name or source_format.startswith(name + "_"):
            return name
    return None
