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

Each facet's branch returns only what the sidebar shows (datasette's facet
size): its top `size` values by count, the selected ones, and the number of
values it has ("show all N"); the facet named in `show` returns every value.
The disease facet is a tree: its branch also returns the tree's roots and the
children of the expanded nodes (`focus` and their ancestors), each with the
node above it and whether it has nodes under it, read from the disease table in
the same statement.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator
from typing import Any

from django.db import DatabaseError, connections, router
from django.db.models import QuerySet

from catalogue import facets
from catalogue.choices import DiseaseKind
from catalogue.models import Disease, FacetRow, Trial

Counts = tuple[int, dict[str, Any]]
FACET_SIZE = 10
ALL = 2**31 - 1


def read_connection():  # type: ignore[no-untyped-def]
    """The connection the catalogue's raw-SQL reads use (the router's choice for trials)."""
    return connections[router.db_for_read(Trial)]


def count_facets(
    filters: Any,
    apply: Any,
    base: QuerySet,
    extra: dict[str, QuerySet] | None = None,
    *,
    keep: dict[str, list[str]] | None = None,
    focus: Collection[str] = (),
    show: str = "",
    every: Collection[str] = (),
    size: int = FACET_SIZE,
) -> Counts:
    """(total, {facet: {value: count}}) for `filters` (a `TrialFilters`).

    `apply(filters, queryset, exclude=...)` applies the active filters but those
    excluded; `base` is the catalogue's entries (linked records left out);
    `extra`: more querysets to count in the same query, reported under
    counts["_extra"][name]. Each facet gives its top `size` values and those in
    `keep` (the selected ones); the `show` facet all of them. counts["_sizes"]:
    each facet's number of values; counts["_tree"]: {node: (node above, has nodes
    under it)} of the tree facet's values. `every`: facets matching all their
    chosen values, counted under their own selection (what adding one more gives).
    `focus`: the tree nodes shown expanded, with their ancestors.
    """
    keep = keep or {}
    modes = {f.match_all for f in facets.FACETS if f.match_all}
    scalar = tuple(name for name in filters.values if name not in facets.BY_NAME and name not in modes)
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
        sql, sql_params = branch(() if facet.name in every else (facet.name,))
        if facet.array:
            value = "v"
            source = f"({sql}) s, unnest(s.{facet.column}) v"
        else:
            value = facet.sql_value(f"s.{facet.column}")
            source = f"({sql}) s"
        counted = (
            f"SELECT {value}::text AS value, COUNT(*) AS n, COUNT(*) OVER () AS total, "
            f"row_number() OVER (ORDER BY COUNT(*) DESC, lower({value}::text)) AS rank FROM {source} "
            f"WHERE {value} IS NOT NULL AND {value}::text <> '' GROUP BY 1"
        )
        limit = ALL if show == facet.name else size
        if facet.tree:
            parts.append(_tree_branch(counted))
            params.extend([*sql_params, list(focus), facet.name, limit, keep.get(facet.name, [])])
        else:
            parts.append(
                f"(SELECT %s, value, n, total, NULL::text, NULL::boolean FROM ({counted}) c WHERE rank <= %s OR value = ANY(%s))"
            )
            params.extend([facet.name, *sql_params, limit, keep.get(facet.name, [])])
    sql, sql_params = branch(())
    parts.append(f"(SELECT '', NULL, COUNT(*), NULL::bigint, NULL::text, NULL::boolean FROM ({sql}) s)")
    params.extend(sql_params)
    for name, queryset in (extra or {}).items():
        sql, sql_params = queryset.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT '_extra', %s, COUNT(*), NULL::bigint, NULL::text, NULL::boolean FROM ({sql}) s)")
        params.extend([name, *sql_params])
    with read_connection().cursor() as cursor:
        cursor.execute(prefix + " UNION ALL ".join(parts), params)
        rows = cursor.fetchall()

    counts: dict[str, Any] = {facet.name: {} for facet in facets.FACETS}
    counts["_extra"] = {}
    counts["_sizes"] = {facet.name: 0 for facet in facets.FACETS}
    counts["_tree"] = {}
    total = 0
    for name, value, n, values, above, has_children in rows:
        if not name:
            total = n
            continue
        if n or name == "_extra" or has_children is not None or value in keep.get(name, ()):
            counts[name][value] = n
        if values is not None:
            counts["_sizes"][name] = max(counts["_sizes"][name], values)
        if has_children is not None and name != "_extra":
            counts["_tree"][value] = (above, has_children)
    return total, counts


def shape(
    total: int,
    full: dict[str, dict[str, int]],
    extra: dict[str, int],
    *,
    token: str | None,
    keep: dict[str, list[str]] | None = None,
    focus: Collection[str] = (),
    show: str = "",
    size: int = FACET_SIZE,
) -> Counts:
    """What `count_facets` returns, from every value's count (`full`, as the facet
    index counts them): each facet's top `size` values and the `keep` ones (all for
    `show`), `_sizes`, and the tree facet's nodes as `_tree_branch` picks them."""
    keep = keep or {}
    counts: dict[str, Any] = {facet.name: {} for facet in facets.FACETS}
    counts["_extra"] = dict(extra)
    counts["_sizes"] = {facet.name: len(full.get(facet.name, {})) for facet in facets.FACETS}
    counts["_tree"] = {}
    for facet in facets.FACETS:
        values = full.get(facet.name, {})
        limit = ALL if show == facet.name else size
        ranked = sorted(values.items(), key=lambda item: (-item[1], item[0].lower()))
        shown = {value for value, _ in ranked[:limit]} | set(keep.get(facet.name, ()))
        if facet.tree:
            _shape_tree(counts, facet.name, values, shown, focus, _disease_links(token))
        else:
            counts[facet.name] = {value: n for value, n in ranked if value in shown}
    return total, counts


Links = tuple[dict[int, tuple[str, int | None]], dict[str, int], set[int]]
_links_held: dict[str, Any] = {"token": None, "links": None}


def _disease_links(token: str | None) -> Links:
    """The disease tree as `_tree_branch` reads it: {id: (name, id of the node above)}
    (a parentless node hangs under its category's root), {name: id}, and the ids with
    nodes under them. Read once per data version (disease edits move it)."""
    if token is not None and _links_held["token"] == token:
        return _links_held["links"]
    rows = list(
        Disease.objects.using(router.db_for_read(Disease)).values_list("id", "name", "parent_id", "category", "kind")
    )
    roots: dict[str, int] = {}
    for id_, _, parent_id, category, kind in sorted(rows):
        if kind == DiseaseKind.CATEGORY and parent_id is None:
            roots.setdefault(category, id_)
    links: dict[int, tuple[str, int | None]] = {}
    for id_, name, parent_id, category, _ in rows:
        root = roots.get(category)
        links[id_] = (name, parent_id if parent_id is not None else (root if root != id_ else None))
    by_name = {name: id_ for id_, (name, _) in links.items()}
    parents = {up for _, up in links.values() if up is not None}
    _links_held.update(token=token, links=(links, by_name, parents))
    return links, by_name, parents


def _shape_tree(
    counts: dict[str, Any], name: str, values: dict[str, int], shown: set[str], focus: Collection[str], tree: Links
) -> None:
    links, by_name, parents = tree
    expanded: set[int] = set()
    pending = [by_name[node] for node in focus if node in by_name]
    while pending:
        node = pending.pop()
        if node not in expanded:
            expanded.add(node)
            if links[node][1] is not None:
                pending.append(links[node][1])
    picked: dict[str, tuple[int, str | None, bool]] = {}
    for id_, (node, up) in links.items():
        n = values.get(node, 0)
        if node in shown or id_ in expanded or (n > 0 and (up is None or up in expanded)):
            picked[node] = (n, links[up][0] if up is not None else None, id_ in parents)
    for value, n in values.items():
        if value not in by_name and value in shown:
            picked[value] = (n, None, False)
    counts[name] = {node: n for node, (n, _, _) in picked.items()}
    counts["_tree"].update({node: (above, has_children) for node, (_, above, has_children) in picked.items()})


@contextlib.contextmanager
def index_scans() -> Iterator[None]:
    """Queries on the read connection inside this block use the indexes, not sequential scans.

    The planner does not cost reading the search vector out of TOAST: for a word in
    half the trials it picks a sequential scan that detoasts every vector (1.7 s at
    100,000 trials) over the GIN index's bitmap scan (0.13 s). For a search's queries
    it is told not to (a SET before, a RESET after)."""
    with read_connection().cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError), read_connection().cursor() as cursor:
            cursor.execute("RESET enable_seqscan")  # an aborted transaction rolls the SET back itself


def ids_of(queryset: QuerySet, *, ordered: bool = False) -> list[int]:
    """The ids of `queryset`'s trials (in its order when `ordered`), read through the
    indexes (`index_scans`)."""
    queryset = queryset if ordered else queryset.order_by()
    sql, params = queryset.values_list("id", flat=True).query.sql_with_params()
    with index_scans(), read_connection().cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _tree_branch(counted: str) -> str:
    """The tree facet's branch: its top values and kept ones, the tree's roots, the
    nodes under the expanded ones, and the expanded ones themselves, each with the
    node above it (a parentless node hangs under its category's root) and whether
    it has nodes under it. Parameters: the branch's, the focus nodes, the facet's
    name, the limit, the kept values."""
    table = Disease._meta.db_table
    return f"""(
        WITH RECURSIVE counted AS ({counted}),
        roots AS (
            SELECT DISTINCT ON (category) id, name, category FROM {table}
            WHERE kind = '{DiseaseKind.CATEGORY}' AND parent_id IS NULL ORDER BY category, id
        ),
        links AS (
            SELECT d.id, d.name, COALESCE(d.parent_id, r.id) AS up_id FROM {table} d
            LEFT JOIN roots r ON d.parent_id IS NULL AND r.category = d.category AND r.id <> d.id
        ),
        expanded AS (
            SELECT id, up_id FROM links WHERE name = ANY(%s)
            UNION SELECT l.id, l.up_id FROM links l JOIN expanded e ON l.id = e.up_id
        ),
        nodes AS (
            SELECT l.id, l.name, l.up_id, u.name AS above,
                   EXISTS (SELECT 1 FROM links c WHERE c.up_id = l.id) AS has_children
            FROM links l LEFT JOIN links u ON u.id = l.up_id
        )
        SELECT %s, COALESCE(c.value, nd.name), COALESCE(c.n, 0), c.total, nd.above, COALESCE(nd.has_children, false)
        FROM counted c FULL JOIN nodes nd ON nd.name = c.value
        WHERE c.rank <= %s OR COALESCE(c.value, nd.name) = ANY(%s)
           OR nd.id IN (SELECT id FROM expanded)
           OR (c.n > 0 AND (nd.up_id IS NULL OR nd.up_id IN (SELECT id FROM expanded)))
    )"""


def _sql(queryset: QuerySet, extra: tuple[str, ...] = ()) -> tuple[str, tuple[Any, ...]]:
    """The facet columns of `queryset` (and `extra` ones: `TrialFilterSet.row_columns`),
    as SQL and parameters."""
    return queryset.order_by().values(*facets.COLUMNS, *extra).query.sql_with_params()
