"""Facet counts: each facet's values counted under all the *other* active
filters, every facet and the total in one query.

The filters are the FilterSet's own (`catalogue.filters`), compiled by the ORM:
- with a free-text, age, dose or year filter (which no facet excludes), or no
  filter at all, those are evaluated once, into a materialized common table
  expression of just the facet columns (`FacetRow`), and each facet's branch
  applies the other facets' filters to it: a search runs once and the wide trial
  table is read once, not nine times;
- with only facet filters, each branch reads the trial table through the facet
  indexes instead, 2-3x faster for them (BENCHMARKS.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from typing import Any

from django.db import DatabaseError, connections, router
from django.db.models import QuerySet

from catalogue import facets
from catalogue.models import FacetRow, Trial

Counts = tuple[int, dict[str, dict[str, int]]]


def read_connection():  # type: ignore[no-untyped-def]
    """The connection the catalogue's raw-SQL reads use (the router's choice for trials)."""
    return connections[router.db_for_read(Trial)]


def count_facets(filters: Any, apply: Any, base: QuerySet, extra: dict[str, QuerySet] | None = None) -> Counts:
    """(total, {facet: {value: count}}) for `filters` (a `TrialFilters`).

    `apply(filters, queryset, exclude=...)` applies the active filters but those
    excluded; `base` is the catalogue's entries (linked records left out);
    `extra`: more querysets to count in the same query, reported under
    counts["_extra"][name].
    """
    scalar = tuple(name for name in filters.values if name not in facets.BY_NAME)
    params: list[Any] = []
    prefix = ""
    if scalar or not filters.values:
        columns = filters.filterset.row_columns() if filters.filterset is not None else {}
        base_sql, base_params = _sql(apply(filters, base, exclude=facets.NAMES).annotate(**columns), tuple(columns))
        prefix = f"WITH {FacetRow._meta.db_table} AS MATERIALIZED ({base_sql}) "
        params.extend(base_params)

    def branch(exclude: Collection[str]) -> tuple[str, tuple[Any, ...]]:
        if prefix:
            return _sql(apply(filters, FacetRow.objects.all(), exclude=(*scalar, *exclude)))
        return _sql(apply(filters, base, exclude=exclude))

    parts: list[str] = []
    for facet in facets.FACETS:
        sql, sql_params = branch((facet.name,))
        if facet.array:
            value = "v"
            source = f"({sql}) s, unnest(s.{facet.column}) v"
        else:
            value = facet.sql_value(f"s.{facet.column}")
            source = f"({sql}) s"
        parts.append(
            f"(SELECT %s AS facet, {value}::text AS value, COUNT(*) AS n FROM {source} "
            f"WHERE {value} IS NOT NULL AND {value}::text <> '' GROUP BY 2)"
        )
        params.extend([facet.name, *sql_params])
    sql, sql_params = branch(())
    parts.append(f"(SELECT '', NULL, COUNT(*) FROM ({sql}) s)")
    params.extend(sql_params)
    for name, queryset in (extra or {}).items():
        sql, sql_params = queryset.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT '_extra', %s, COUNT(*) FROM ({sql}) s)")
        params.extend([name, *sql_params])
    with read_connection().cursor() as cursor:
        cursor.execute(prefix + " UNION ALL ".join(parts), params)
        rows = cursor.fetchall()

    counts: dict[str, dict[str, int]] = {facet.name: {} for facet in facets.FACETS}
    counts["_extra"] = {}
    total = 0
    for name, value, n in rows:
        if name:
            counts[name][value] = n
        else:
            total = n
    return total, counts


def ids_of(queryset: QuerySet) -> list[int]:
    """The ids of `queryset`'s trials, read through the indexes.

    The planner does not cost reading the search vector out of TOAST: for a word in
    half the trials it picks a sequential scan that detoasts every vector (1.7 s at
    100,000 trials) over the GIN index's bitmap scan (0.13 s). For this one query it
    is told not to."""
    sql, params = queryset.order_by().values_list("id", flat=True).query.sql_with_params()
    with read_connection().cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]
        finally:
            with contextlib.suppress(DatabaseError):  # an aborted transaction rolls the SET back itself
                cursor.execute("RESET enable_seqscan")


def _sql(queryset: QuerySet, extra: tuple[str, ...] = ()) -> tuple[str, tuple[Any, ...]]:
    """The facet columns of `queryset` (and `extra` ones: `TrialFilterSet.row_columns`),
    as SQL and parameters."""
    return queryset.order_by().values(*facets.COLUMNS, *extra).query.sql_with_params()
