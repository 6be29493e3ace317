"""parse → upsert (merge, normalize, write), for files, directories and stdin.

`ingest_paths()` is what the `ingest` command runs. Files are read and
processed one at a time. A bad file gets one line naming it and the reason;
every other file of the run is still stored.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, reset_queries, transaction
from django.db import connections as db_connections
from django.utils import timezone

from catalogue import linking
from catalogue.cache import deferred_version, mark_ingested
from catalogue.disease_tree import refresh_trial_disease_names
from catalogue.models import SourceDocument, Trial, TrialSource
from ingest.importer import (
    Item,
    Prepared,
    Vocabularies,
    fill_source,
    refresh,
    sha256,
    store_documents,
    upsert,
    upsert_many,
)
from ingest.parsers import MAX_DOCUMENT_BYTES, ParseError, Problems, parse_document, parser_names
from ingest.records import TrialRecord

Progress = Callable[[int, int], None]
MAX_PROBLEMS_PER_FILE = 100
MAX_UNPLACED_EXAMPLES = 20


@dataclass
class IngestReport:
    """Counts and one line per problem."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    older_records: list[str] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    linked: int = 0
    suggested: int = 0
    # Sites written without coordinates (their place could not be told), and the first few.
    unplaced_sites: int = 0
    unplaced_examples: list[str] = field(default_factory=list)

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def fail(self, message: str) -> None:
        self.failed += 1
        self.problems.append(" ".join(message.split()))

    def unplaced(self, sites: list[str]) -> None:
        """Count sites written without coordinates (`importer.unplaced_sites`)."""
        self.unplaced_sites += len(sites)
        self.unplaced_examples.extend(sites[: max(0, MAX_UNPLACED_EXAMPLES - len(self.unplaced_examples))])

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        line = (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"older {self.older}, failed {self.failed}"
        )
        if self.linked or self.suggested:
            line += (
                f" (linked {self.linked} cross-registry pair(s), {self.suggested} suggested duplicate(s) for curators)"
            )
        if self.unplaced_sites:
            line += f"; sites without coordinates: {self.unplaced_sites}"
        return line


class _FileProblems:
    """One line per problem of a file, up to `MAX_PROBLEMS_PER_FILE`, then a count."""

    def __init__(self, report: IngestReport, name: str) -> None:
        self.report, self.name, self.count = report, name, 0

    def fail(self, message: str) -> None:
        self.count += 1
        if self.count <= MAX_PROBLEMS_PER_FILE:
            self.report.fail(f"{self.name}: {message}")
        else:
            self.report.failed += 1

    def note(self, message: str) -> None:
        """A problem that loses nothing (a skipped part, a value cut to fit)."""
        self.count += 1
        if self.count <= MAX_PROBLEMS_PER_FILE:
            self.report.problems.append(" ".join(f"{self.name}: {message}".split()))

    def omitted(self, count: int) -> None:
        """Problems the parser only counted."""
        self.count += count
        self.report.failed += count

    def close(self) -> None:
        if self.count > MAX_PROBLEMS_PER_FILE:
            self.report.problems.append(f"{self.name}: … and {self.count - MAX_PROBLEMS_PER_FILE:,} more")


class _DryRun(Exception):
    pass


def iter_inputs(paths: list[str], stdin: BinaryIO | None = None) -> Iterator[tuple[str, bytes | ParseError]]:
    """(name, content) for each input, read one at a time; directories are walked
    recursively in name order. Symbolic links inside a directory that lead out of
    it are not followed. A file that cannot be read yields a ParseError instead."""
    for raw in paths:
        if raw == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            content = stream.read(MAX_DOCUMENT_BYTES + 1)
            yield "<stdin>", content if len(content) <= MAX_DOCUMENT_BYTES else ParseError(_too_large(len(content)))
            continue
        path = Path(raw)
        if path.is_dir():
            root = path.resolve()
            for file in sorted(p for p in path.rglob("*") if not p.name.startswith(".")):
                if file.is_symlink() and not _inside(file, root):
                    yield str(file), ParseError("symbolic link out of the given directory: not followed")
                elif file.is_file():
                    yield str(file), _read(file)
        elif path.exists():
            yield str(path), _read(path)
        else:
            yield raw, ParseError("no such file or directory")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


def _count_inputs(paths: list[str]) -> int:
    total = 0
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            total += sum(1 for p in path.rglob("*") if not p.name.startswith(".") and (p.is_file() or p.is_symlink()))
        else:
            total += 1
    return total


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
    total = _count_inputs(paths) if progress else 0
    relax_commit_durability()
    try:
        # A dry run does all the work in one transaction and rolls it back.
        with transaction.atomic(durable=False) if dry_run else _no_transaction(), deferred_version() as tick:
            vocab = Vocabularies()
            ingest_inputs(iter_inputs(paths, stdin), report=report, vocab=vocab, format=format, tick=tick,
                          progress=progress, total=total)  # fmt: skip
            link_registrations(report, tick=tick)
            mark_ingested()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def ingest_inputs(
    inputs: Iterable[tuple[str, bytes | ParseError]],
    *,
    report: IngestReport,
    vocab: Vocabularies,
    format: str | None = None,
    tick: Callable[[], None] = lambda: None,
    progress: Progress | None = None,
    total: int = 0,
    workers: int | None = None,
) -> None:
    """Parse, normalize and write each (name, content) of `inputs`, in order: what
    `manage.py ingest` does, and what `manage.py bench_ingest` measures. Records are
    written in batches across documents (`Batch`). Past the first few inputs, worker
    processes parse and normalize the documents ahead while this process writes
    (`workers`: how many; default `ingest_workers()`); the outcome is the same as
    without them, record by record (see `_Ahead`)."""
    batch = Batch(report, vocab, tick=tick)
    with _frozen_heap(), _Ahead(vocab, format, ingest_workers() if workers is None else workers) as ahead:
        for index, (name, content, parsed) in enumerate(ahead.run(inputs), start=1):
            if isinstance(content, ParseError):
                report.fail(f"{name}: {content}")
            else:
                ingest_document(content, name=name, format=format, report=report, vocab=vocab, tick=tick, batch=batch,
                                parsed=parsed)  # fmt: skip
            if progress:
                progress(index, max(total, index))
            tick()
        batch.flush()


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep the cyclic garbage collector off what exists when a run starts (the vocabularies'
    compiled patterns, the gazetteer: ~300,000 objects, walked again at every full
    collection) and, in worker processes, off what they inherit (a
    collection would touch, and so copy, every inherited page). What the run allocates
    is collected as usual; the frozen objects are handed back at the end."""
    if gc.get_freeze_count():  # the caller froze its own: leave it be
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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


BATCH_SIZE = 100  # records written per transaction on the fast path


class Batch:
    """Records waiting to be written, across documents: flushed every `size` records
    (one transaction, multi-row inserts for new trials), or when a record names a
    trial already waiting, and at the end (`flush`). When the fast path fails, its
    records are written one by one, each in its own transaction, so one bad record
    still costs only itself."""

    def __init__(self, report: IngestReport, vocab: Vocabularies, *, size: int | None = None,
                 tick: Callable[[], None] = lambda: None) -> None:  # fmt: skip
        self.report, self.vocab, self.size, self.tick = report, vocab, size or BATCH_SIZE, tick
        self.pending: list[_Pending] = []
        self.keys: set[tuple[str, str]] = set()
        self.documents: dict[str, SourceDocument] = {}  # stored (committed) documents by digest

    def add(
        self, record: TrialRecord, content: bytes, digest: str, version: str, name: str, problems: _FileProblems,
        prepared: Prepared | None = None,
    ) -> None:  # fmt: skip
        key = (record.registry, record.registry_id.strip())
        if key in self.keys:
            self.flush()
        self.pending.append(_Pending(record, content, digest, version, name, problems, prepared))
        self.keys.add(key)
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        pending, self.pending, self.keys = self.pending, [], set()
        if not pending:
            return
        try:
            with transaction.atomic():
                documents = self._documents(pending)
                items = [Item(p.record, documents[p.digest], p.version, prepared=p.prepared) for p in pending]
                upsert_many(items, vocab=self.vocab)
            self.documents.update(documents)
        except DatabaseError:
            self.vocab.reload()  # terms created in the rolled-back transaction are gone
            for p in pending:
                self._one(p)
        else:
            for p, item in zip(pending, items):
                if item.error is not None:
                    _failed(p.problems, p.record.registry_id, item.error, self.vocab)
                else:
                    self._done(p, item.outcome, item.warnings, item.unplaced)
        # With DEBUG on, Django logs every statement of a connection (up to 9,000): in a
        # long ingest that is hundreds of MB of SQL text nobody reads.
        reset_queries()
        self.tick()

    def _documents(self, pending: list[_Pending]) -> dict[str, SourceDocument]:
        """The pending records' documents, each stored once per run (a 2,587-study page
        is one document: it must not travel to the database with every batch)."""
        known = {p.digest: self.documents[p.digest] for p in pending if p.digest in self.documents}
        new = {p.digest: p for p in pending if p.digest not in known}
        if new:
            stored = store_documents(
                [(p.content, p.record.source_format, p.version, _display(p.name)) for p in new.values()],
                digests=list(new),
            )
            known.update(zip(new, stored))
        return known

    def _one(self, p: _Pending) -> None:
        warnings: list[str] = []
        unplaced: list[str] = []
        outcome = None
        for attempt in (1, 2):
            unplaced.clear()
            try:
                with transaction.atomic():
                    (document,) = store_documents(
                        [(p.content, p.record.source_format, p.version, _display(p.name))], digests=[p.digest]
                    )
                    outcome = upsert(p.record, vocab=self.vocab, document=document, parser_version=p.version,
                                     warnings=warnings, unplaced=unplaced, prepared=p.prepared)  # fmt: skip
                break
            except IntegrityError as exc:
                # Another ingest created the same trial first: this record is then an update.
                if attempt == 1 and "trial_registry_id_unique" in str(exc):
                    self.vocab.reload()
                    continue
                _failed(p.problems, p.record.registry_id, exc, self.vocab)
                return
            except DatabaseError as exc:
                _failed(p.problems, p.record.registry_id, exc, self.vocab)
                return
            except Exception as exc:  # a normalizer bug must cost one record, not the run
                p.problems.fail(f"{p.record.registry_id}: cannot normalize: {type(exc).__name__}: {exc}")
                return
        self._done(p, outcome, warnings, unplaced)

    def _done(self, p: _Pending, outcome: str | None, warnings: list[str], unplaced: list[str]) -> None:
        for warning in warnings:
            p.problems.note(warning)
        if outcome is None:
            return
        self.report.add(outcome)
        self.report.unplaced(unplaced)
        if outcome == "created":
            self.report.created_ids.append(p.record.registry_id)
        elif outcome == "older":
            self.report.older_records.append(
                f"{p.name}: {p.record.registry_id}: record of {p.record.last_update_date}; a newer copy is held"
            )


@dataclass
class _Pending:
    record: TrialRecord
    content: bytes
    digest: str
    version: str
    name: str
    problems: _FileProblems
    prepared: Prepared | None = None


def ingest_document(
    content: bytes,
    *,
    name: str,
    report: IngestReport,
    vocab: Vocabularies,
    format: str | None = None,
    tick: Callable[[], None] = lambda: None,
    batch: Batch | None = None,
    parsed: _Parsed | None = None,
) -> None:
    """Parse one document and write its records: through `batch` when given (the
    caller flushes it), else in batches of its own, written before returning.
    `parsed`: the document already parsed and its records normalized (`_Ahead`)."""
    problems = _FileProblems(report, name)
    if parsed is None:
        try:
            result = parse_document(content, format=format)
        except ParseError as exc:
            report.fail(f"{name}: {exc}")
            return
        version, listed, stream_problems = result.version, None, result.problems
    elif parsed.error is not None:
        report.fail(f"{name}: {parsed.error}")
        return
    else:
        version, listed, stream_problems = parsed.version, parsed, parsed.problems
    own = batch is None
    writer = Batch(report, vocab, tick=tick) if batch is None else batch
    digest = sha256(content)
    if listed is None:
        records = iter(result.records)
        while True:
            try:
                record = next(records, None)
            except ParseError as exc:  # a streamed document can turn out unreadable part-way
                problems.fail(str(exc))
                break
            if record is None:
                break
            writer.add(record, content, digest, version, name, problems)
    else:
        for record, prepared in zip(listed.records, listed.prepared):
            writer.add(record, content, digest, version, name, problems, prepared)
        if listed.stream_error is not None:
            problems.fail(listed.stream_error)
    if own:
        writer.flush()
    for problem in stream_problems:
        problems.fail(problem)
    problems.omitted(stream_problems.omitted)
    problems.close()


# --- Parsing and normalizing ahead, in worker processes -------------------------------------
#
# Parsing a page takes ~0.6 ms and normalizing its record ~2.5 ms of CPU, more than
# writing it (~1 ms here and ~1 ms in PostgreSQL): worker processes parse the documents
# ahead and normalize their records (`Prepared`), while this process writes, in input
# order, exactly as without them. The importer uses a record's `Prepared` form only
# where it computes the same (a new trial, or an update whose merge is that very
# record; the vocabularies unchanged since: see `Prepared.usable`), so the outcome of
# each record does not depend on it. Anything unexpected in a worker (an exception, a
# worker that died) makes this process do that document itself.

POOL_AFTER = 8  # inputs read before worker processes start: a small run needs none
# A worker returns a document's records all at once: a bigger document (an export or a
# page of many studies) is parsed here, record by record, in bounded memory.
POOL_DOCUMENT_LIMIT = 512 * 1024
# Documents handed out ahead, per worker: more than a batch's worth in all, so that the
# workers keep parsing while the writer flushes a batch (~0.2 s for 100 records)...
AHEAD_PER_WORKER = 64
AHEAD_BYTES = 4 * 1024 * 1024  # ...and at most this much of them in all
CHUNK = 4  # documents per task: a task costs ~0.4 ms of handing over, whatever its size


def ingest_workers() -> int:
    """Worker processes for an ingest: settings.INGEST_WORKERS, else one per CPU this process may use."""
    configured = getattr(settings, "INGEST_WORKERS", -1)
    if configured >= 0:
        return configured
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class _Parsed:
    """A document parsed in a worker: its records, each with its `Prepared` form (None where
    normalizing it failed there), or the reason it could not be read (`error`)."""

    error: str | None = None
    version: str = ""
    records: list[TrialRecord] = field(default_factory=list)
    prepared: list[Prepared | None] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)
    stream_error: str | None = None


_forked_vocab: list[Vocabularies] = []  # the vocabularies worker processes inherit (fork)


def _parse_ahead(content: bytes, format: str | None) -> _Parsed | None:
    """In a worker: parse `content` and prepare its records. None: let the writer do it."""
    vocab = _forked_vocab[0]
    try:
        result = parse_document(content, format=format)
    except ParseError as exc:
        return _Parsed(error=str(exc))
    except Exception:
        return None
    parsed = _Parsed(version=result.version, problems=result.problems)
    records = iter(result.records)
    while True:
        try:
            record = next(records, None)
        except ParseError as exc:
            parsed.stream_error = str(exc)
            break
        except Exception:
            return None
        if record is None:
            break
        parsed.records.append(record)
        try:
            parsed.prepared.append(vocab.prepared(record))
        except Exception:
            parsed.prepared.append(None)  # the writer normalizes it again, and reports what fails
    return parsed


def _size(content: bytes | ParseError) -> int:
    return len(content) if isinstance(content, bytes) else 0


def _database_sockets() -> list[int]:
    """The file descriptors of this process's open database connections."""
    sockets = []
    for conn in db_connections.all(initialized_only=True):
        try:
            if conn.connection is not None:
                sockets.append(conn.connection.fileno())
        except Exception:  # a closed or broken connection has no socket to hand down
            continue
    return sockets


def _worker_start(parent: int, sockets: list[int]) -> None:
    """In a worker, first: die with the writer (a killed ingest leaves no worker behind),
    and let go of its database sockets, so that the server sees the writer's session
    end when the writer does (a worker never touches the database)."""
    try:
        import ctypes  # noqa: PLC0415 (Linux only, and only here)

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C is the writer's to handle: it stops the workers
    null = os.open(os.devnull, os.O_RDWR)
    for fd in sockets:
        try:
            os.dup2(null, fd)  # the number stays taken, by /dev/null: nothing else can reuse it
        except OSError:
            continue
    os.close(null)


def _parse_ahead_many(contents: list[bytes], format: str | None) -> list[_Parsed | None]:
    """In a worker: `_parse_ahead` for each of a few documents (one task: less handing over)."""
    return [_parse_ahead(content, format) for content in contents]


class _Ahead:
    """Inputs with their documents parsed ahead by `workers` processes, in input order."""

    def __init__(self, vocab: Vocabularies, format: str | None, workers: int) -> None:
        self.vocab, self.format, self.workers = vocab, format, workers
        self.pool: ProcessPoolExecutor | None = None
        self.broken = False

    def __enter__(self) -> _Ahead:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
            _forked_vocab.clear()

    def run(
        self, inputs: Iterable[tuple[str, bytes | ParseError]]
    ) -> Iterator[tuple[str, bytes | ParseError, _Parsed | None]]:
        source = iter(inputs)
        head = list(islice(source, POOL_AFTER))
        if self.workers < 1 or len(head) < POOL_AFTER:
            for name, content in chain(head, source):
                yield name, content, None
            return
        self._start()
        slots = self._slots(chain(head, source))
        # Consecutive inputs in order, each slot one task of a worker (or None: done here).
        window: deque[tuple[list[tuple[str, bytes | ParseError]], Future | None]] = deque()
        ahead = [0, 0]  # documents and bytes in the window

        def fill() -> None:
            while ahead[0] < self.workers * AHEAD_PER_WORKER and (ahead[1] < AHEAD_BYTES or not window):
                slot = next(slots, None)
                if slot is None:
                    return
                items, poolable = slot
                window.append((items, self._submit([c for _, c in items]) if poolable else None))
                ahead[0] += len(items)
                ahead[1] += sum(_size(c) for _, c in items)

        fill()
        while window:
            items, future = window.popleft()
            ahead[0] -= len(items)
            ahead[1] -= sum(_size(c) for _, c in items)
            fill()  # the window topped up before waiting
            for (name, content), parsed in zip(items, self._results(future, len(items))):
                yield name, content, parsed

    def _slots(
        self, inputs: Iterator[tuple[str, bytes | ParseError]]
    ) -> Iterator[tuple[list[tuple[str, bytes | ParseError]], bool]]:
        """Consecutive inputs grouped into tasks of up to `CHUNK` documents a worker may
        take; any other input (unreadable, too big) alone, for the writer."""
        chunk: list[tuple[str, bytes | ParseError]] = []
        for name, content in inputs:
            if self._poolable(content):
                chunk.append((name, content))
                if len(chunk) == CHUNK:
                    yield chunk, True
                    chunk = []
                continue
            if chunk:
                yield chunk, True
                chunk = []
            yield [(name, content)], False
        if chunk:
            yield chunk, True

    def _start(self) -> None:
        self.vocab.prepare()  # once, here: the workers inherit it
        if gc.get_freeze_count():
            gc.freeze()  # the gazetteer too, when it was read only now (see `_frozen_heap`)
        _forked_vocab[:] = [self.vocab]
        self.pool = ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start,
            initargs=(os.getpid(), _database_sockets()),
        )  # fmt: skip

    @staticmethod
    def _poolable(content: bytes | ParseError) -> bool:
        return isinstance(content, bytes) and len(content) <= POOL_DOCUMENT_LIMIT

    def _submit(self, contents: list[bytes]) -> Future | None:
        if self.pool is None or self.broken:
            return None
        try:
            return self.pool.submit(_parse_ahead_many, contents, self.format)
        except Exception:  # the pool broke (a worker died) or cannot start: the writer does the rest itself
            self.broken = True
            return None

    def _results(self, future: Future | None, count: int) -> list[_Parsed | None]:
        if future is not None:
            try:
                results = future.result()
                if len(results) == count:
                    return results
            except Exception:  # BrokenProcessPool, or a result that could not travel back
                pass
        return [None] * count


def _failed(problems: _FileProblems, registry_id: str, exc: Exception, vocab: Vocabularies) -> None:
    vocab.reload()  # terms created in the rolled-back transaction are gone
    problems.fail(f"{registry_id}: not stored: {str(exc).splitlines()[0]}")
    return None


def link_registrations(report: IngestReport, *, tick: Callable[[], None] = lambda: None) -> None:
    """After a run: link new trials with registrations that name them, and
    offer very similar titles from other registries to curators."""
    if not report.created_ids:
        return
    ids = list(Trial.objects.filter(registry_id__in=report.created_ids).values_list("pk", flat=True))
    try:
        report.linked, report.suggested = linking.link_new(ids)
    except DatabaseError as exc:
        report.problems.append(f"linking skipped: {str(exc).splitlines()[0]}")
    tick()


def _display(name: str) -> str:
    try:
        return os.path.relpath(name) if not name.startswith("<") else name
    except ValueError:
        return name


def renormalize(*, progress: Progress | None = None) -> IngestReport:
    """Re-derive every trial from its stored copies with the current vocabularies.

    Needs no download and respects curated fields: it goes through the same
    merge and normalization as ingest.
    """
    report = IngestReport()
    relax_commit_durability()
    with deferred_version() as tick:
        _refresh_all(report, progress, tick)
    return report


def rebuild(*, progress: Progress | None = None) -> IngestReport:
    """Heal what is stored: parse every stored source document again, refresh each
    trial's copies from it, and re-derive every trial from its copies (freshness and
    merge rules applied). The result equals a fresh ingest of the same documents in
    any order. Curated fields are kept."""
    report = IngestReport()
    relax_commit_durability()
    with deferred_version() as tick:
        vocab = Vocabularies()
        documents = SourceDocument.objects.order_by("id")
        total = documents.count()
        for index, document in enumerate(documents.iterator(chunk_size=20), start=1):
            _reparse(document, report, vocab)
            if progress:
                progress(index, total * 2)
            tick()
        _refresh_all(
            report, (lambda done, n: progress(total + done * total // max(n, 1), total * 2)) if progress else None,
            tick, thorough=True, actor="rebuild",
        )  # fmt: skip
    return report


def _reparse(document: SourceDocument, report: IngestReport, vocab: Vocabularies) -> None:
    """Refresh (or create) the copies `document` gives of its trials."""
    label = f"source document {document.id} ({document.filename or document.sha256[:12]})"
    try:
        result = parse_document(bytes(document.content), format=_parser_for(document.format))
    except ParseError as exc:
        report.fail(f"{label}: {exc}")
        return
    now = timezone.now()
    records = iter(result.records)
    while True:
        try:
            record = next(records, None)
        except ParseError as exc:  # a streamed document can turn out unreadable part-way
            report.fail(f"{label}: {exc}")
            return
        if record is None:
            return
        try:
            with transaction.atomic():
                trial = Trial.objects.filter(registry=record.registry, registry_id=record.registry_id.strip()).first()
                if trial is None:
                    upsert(record, vocab=vocab, document=document, parser_version=result.version, actor="rebuild")
                    continue
                source = TrialSource.objects.filter(trial=trial, document=document).first() or TrialSource(
                    trial=trial, document=document
                )
                fill_source(source, record, record.to_compact_dict(), result.version, now)
                source.dominated = False
                source.save()
        except DatabaseError as exc:
            vocab.reload()
            report.fail(f"{label}: {record.registry_id}: not stored: {str(exc).splitlines()[0]}")


def _refresh_all(
    report: IngestReport,
    progress: Progress | None,
    tick: Callable[[], None],
    *,
    thorough: bool = False,
    actor: str = "renormalize",
) -> None:
    vocab = Vocabularies()
    trials = Trial.objects.filter(sources__isnull=False).distinct().order_by("id").only("id", "registry", "registry_id")
    total = trials.count()
    for index, trial in enumerate(trials.iterator(chunk_size=500), start=1):
        warnings: list[str] = []
        unplaced: list[str] = []
        try:
            outcome = refresh(trial, vocab=vocab, warnings=warnings, thorough=thorough, actor=actor, unplaced=unplaced)
        except (DatabaseError, ValueError) as exc:
            vocab.reload()
            report.fail(f"{trial.registry_id}: not renormalized: {str(exc).splitlines()[0]}")
            continue
        report.warnings.extend(warnings)
        report.add(outcome)
        report.unplaced(unplaced)
        if progress:
            progress(index, total)
        tick()
    # The disease tree as it is now, for every trial (an edit of the tree changes no trial's diseases).
    refresh_trial_disease_names()


def _parser_for(source_format: str) -> str | None:
    """The parser name for a stored `source_format` such as 'chictr_text' or 'ctgov_v2_json'."""
    for name in sorted(parser_names(), key=len, reverse=True):
        if source_format == name or source_format.startswith(name + "_"):
            return name
    return None
