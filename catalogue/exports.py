"""Pre-built files of the full, unfiltered export (`manage.py build_exports`).

At 100,000 trials the full CSV is over 100 MB and takes 20 s to produce, so
`/trials.csv` and `/trials.json` without filters are served from files built
ahead, with a Content-Length, when one exists for the current data token
(`catalogue.cache.DataState.token`: it changes whenever the data does, a restore
included). A stale file is never served: the request then streams as any
filtered download does.

Each file carries the same header as a streamed download (`catalogue.about`):
the JSON its `about`, the CSV its `#` comment lines in the `csv-about` variant
(`/trials.csv?about=1`); the plain CSV has none. Links in the header use
CATALOGUE_BASE_URL (relative without it): there is no request to take a host from.

Files are `EXPORT_ROOT/trials-<token>-<limit>.<csv|about.csv|json>`, written under
a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection, transaction

from catalogue.about import about, about_lines
from catalogue.cache import data_state
from catalogue.selectors import parse_filters, trial_list
from catalogue.serializers import BOM, csv_comments, iter_csv, iter_json, serialize_trials

# Variant -> file suffix. The two CSV variants are written in one pass.
SUFFIXES = {"csv": "csv", "csv-about": "about.csv", "json": "json"}
FORMATS = tuple(SUFFIXES)
_NAME = re.compile(r"trials-(?P<token>[0-9.]+?)-(?P<limit>\d+)\.(?P<suffix>csv|about\.csv|json)")


def export_root() -> Path:
    return Path(settings.EXPORT_ROOT)


def prebuilt_path(variant: str, token: str) -> Path:
    return export_root() / f"trials-{token}-{settings.CATALOGUE_EXPORT_LIMIT}.{SUFFIXES[variant]}"


def current_file(variant: str, token: str | None) -> Path | None:
    """The pre-built full export `variant` ("csv", "csv-about", "json") for data token
    `token`, if there is one."""
    if token is None:
        return None
    path = prebuilt_path(variant, token)
    return path if path.is_file() else None


def _csv_pair(header_lines: list[str]) -> Iterator[tuple[str, str]]:
    """The full CSV as (plain, with the about lines) chunk pairs, from one read of the data."""
    limit = settings.CATALOGUE_EXPORT_LIMIT
    chunks = iter_csv(serialize_trials(trial_list(filters=parse_filters({})), limit=limit))
    first = next(chunks)
    yield first, BOM + csv_comments(header_lines) + first[len(BOM) :]
    for chunk in chunks:
        yield chunk, chunk


def _json(header: dict) -> Iterator[str]:
    limit = settings.CATALOGUE_EXPORT_LIMIT
    return iter_json(serialize_trials(trial_list(filters=parse_filters({})), limit=limit, detail=True), header)


def _open(target: Path) -> IO[str]:
    return tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", dir=target.parent, prefix=f".{target.name}.", suffix=".partial", delete=False
    )  # fmt: skip


def _write(targets: list[Path], chunks: Iterator[tuple[str, ...]]) -> None:
    """Write each chunk tuple's parts to `targets` (same order), then rename them into place."""
    handles: list[IO[str]] = []
    try:
        with ExitStack() as stack:
            for target in targets:
                handles.append(stack.enter_context(_open(target)))
            for parts in chunks:
                for handle, part in zip(handles, parts, strict=True):
                    handle.write(part)
            for handle in handles:
                handle.flush()
                os.fsync(handle.fileno())
        for handle, target in zip(handles, targets, strict=True):
            os.chmod(handle.name, 0o644)
            os.replace(handle.name, target)
    except BaseException:
        for handle in handles:
            Path(handle.name).unlink(missing_ok=True)
        raise


def build(*, force: bool = False) -> tuple[str, list[Path]]:
    """Write the full export in every variant for the current data, unless files for
    its token exist already (or `force`). Returns (token, files written).

    Runs in one REPEATABLE READ transaction, so the files hold exactly the data
    the token stands for, however long they take. Files of older tokens are removed.
    """
    root = export_root()
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        state = data_state()
        token = state.token
        if token is None:
            raise RuntimeError("the database has no data version (run migrate first)")
        filters = parse_filters({})
        matching = trial_list(filters=filters).count()
        header = about(
            filters, count=min(matching, settings.CATALOGUE_EXPORT_LIMIT), matching=matching,
            base_url=settings.CATALOGUE_BASE_URL, state=state,
        )  # fmt: skip
        csv_targets = [prebuilt_path("csv", token), prebuilt_path("csv-about", token)]
        if force or not all(t.is_file() for t in csv_targets):
            _write(csv_targets, _csv_pair(about_lines(header)))
            written += csv_targets
        json_target = prebuilt_path("json", token)
        if force or not json_target.is_file():
            _write([json_target], ((chunk,) for chunk in _json(header)))
            written.append(json_target)
    for path in root.iterdir():
        match = _NAME.fullmatch(path.name)
        if match and (match["token"] != token or int(match["limit"]) != settings.CATALOGUE_EXPORT_LIMIT):
            path.unlink(missing_ok=True)  # a download already reading it keeps its open file
    return token, written
