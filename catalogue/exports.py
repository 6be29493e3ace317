"""Pre-built files of the full, unfiltered export (`manage.py build_exports`).

At 100,000 trials the full CSV is over 100 MB and takes 20 s to produce, so
`/trials.csv` and `/trials.json` without filters are served from files built
ahead, with a Content-Length, when one exists for the current data token
(`catalogue.cache.DataState.token`: it changes whenever the data does, a restore
included). A stale file is never served: the request then streams as any
filtered download does.

Files are `EXPORT_ROOT/trials-<token>-<limit>.<csv|json>`, written under a
temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from catalogue.cache import data_state
from catalogue.selectors import parse_filters, trial_list
from catalogue.serializers import iter_csv, iter_json, serialize_trials

FORMATS = ("csv", "json")
_NAME = re.compile(r"trials-(?P<token>[0-9.]+)-(?P<limit>\d+)\.(?P<fmt>csv|json)")


def export_root() -> Path:
    return Path(settings.EXPORT_ROOT)


def prebuilt_path(fmt: str, token: str) -> Path:
    return export_root() / f"trials-{token}-{settings.CATALOGUE_EXPORT_LIMIT}.{fmt}"


def current_file(fmt: str, token: str | None) -> Path | None:
    """The pre-built full export in `fmt` for data token `token`, if there is one."""
    if token is None:
        return None
    path = prebuilt_path(fmt, token)
    return path if path.is_file() else None


def chunks(fmt: str) -> Iterable[str]:
    """The full export, exactly as the unfiltered download streams it."""
    items = serialize_trials(trial_list(filters=parse_filters({})), limit=settings.CATALOGUE_EXPORT_LIMIT)
    return iter_csv(items) if fmt == "csv" else iter_json(items)


def build(*, force: bool = False) -> tuple[str, list[Path]]:
    """Write the full export in every format for the current data, unless files for
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
        token = data_state().token
        if token is None:
            raise RuntimeError("the database has no data version (run migrate first)")
        for fmt in FORMATS:
            target = prebuilt_path(fmt, token)
            if target.is_file() and not force:
                continue
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by `with handle` below; the except needs its name
                "w", encoding="utf-8", newline="", dir=root, prefix=f".{target.name}.", suffix=".partial", delete=False
            )  # fmt: skip
            try:
                with handle:
                    for chunk in chunks(fmt):
                        handle.write(chunk)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(handle.name, 0o644)
                os.replace(handle.name, target)
            except BaseException:
                Path(handle.name).unlink(missing_ok=True)
                raise
            written.append(target)
    for path in root.iterdir():
        match = _NAME.fullmatch(path.name)
        if match and (match["token"] != token or int(match["limit"]) != settings.CATALOGUE_EXPORT_LIMIT):
            path.unlink(missing_ok=True)  # a download already reading it keeps its open file
    return token, written
