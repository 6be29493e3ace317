"""Rows written with COPY: many rows of one table in one statement, with no SQL to
build or parse per value (the importer writes the rows of new trials this way).

Values are given as the database's text input: `array()` and `json()` format the
two kinds psycopg would otherwise dump slowly; psycopg formats the rest (str,
numbers, dates, booleans, None) and escapes them for COPY. Row ids come from the
tables' own sequences (`next_ids`), so rows can point at each other before they
are written. COPY fires the tables' triggers like INSERT does.
"""

from __future__ import annotations

import json as _json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

import psycopg
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models


def array(values: Iterable[Any] | None) -> str | None:
    """A one-dimensional array literal ('{"a","b"}') of text elements."""
    if values is None:
        return None
    return "{" + ",".join("NULL" if v is None else '"' + _escape(str(v)) + '"' for v in values) + "}"


def _escape(text: str) -> str:
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if '"' in text:
        text = text.replace('"', '\\"')
    return text


def json(value: Any) -> str | None:
    """A JSON column's value as Django writes it (`json.dumps`); None stays SQL NULL."""
    return None if value is None else _json.dumps(value)


@cache
def columns(model: type[models.Model], *, exclude: tuple[str, ...] = ()) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """(column names, one formatter per column) of `model`'s concrete fields but `exclude`
    (attribute names). A formatter turns the attribute's value into its COPY value."""
    names, formatters = [], []
    for field in model._meta.concrete_fields:
        if field.attname in exclude:
            continue
        names.append(field.column)
        if isinstance(field, ArrayField):
            formatters.append(array)
        elif isinstance(field, models.JSONField):
            formatters.append(json)
        else:
            formatters.append(None)
    return tuple(names), tuple(formatters)


def row(obj: models.Model, formatters: Sequence[Any], attnames: Sequence[str]) -> tuple[Any, ...]:
    """`obj`'s values for COPY, in the order of `attnames`."""
    return tuple(
        value if fmt is None else fmt(value)
        for fmt, value in zip(formatters, (getattr(obj, a) for a in attnames))
    )  # fmt: skip


@cache
def attnames(model: type[models.Model], *, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname not in exclude)


def copy_rows(table: str, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY `rows` (tuples in the order of `names`) into `table`, in the current transaction."""
    statement = (
        f"COPY {connection.ops.quote_name(table)} ({', '.join(map(connection.ops.quote_name, names))}) FROM STDIN"
    )
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
        for values in rows:
            copy.write_row(values)


@contextmanager
def bound_cursor() -> Iterator[psycopg.Cursor]:
    """A cursor of Django's connection that sends parameters apart from the statement
    (server-side binding; Django's own cursors merge them into the SQL text)."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


@cache
def _sequence(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (name,) = cursor.fetchone()
    return name


def next_ids(counts: dict[str, int]) -> dict[str, list[int]]:
    """Fresh ids from each table's id sequence ({table: how many}), in one query."""
    tables = [t for t, n in counts.items() if n]
    if not tables:
        return {t: [] for t in counts}
    sql = "SELECT " + ", ".join("ARRAY(SELECT nextval(%s::regclass) FROM generate_series(1, %s))" for _ in tables)
    params: list[Any] = []
    for table in tables:
        params += [_sequence(table), counts[table]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        arrays = cursor.fetchone()
    found = {t: sorted(ids) for t, ids in zip(tables, arrays)}
    return {t: found.get(t, []) for t in counts}
