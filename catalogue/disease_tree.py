"""The disease tree: category → disease group → disease, in English and Chinese.

A node is a `catalogue.models.Disease` row with a `parent`: a chain of any depth
with a category node at the root (Hematologic malignancy → Lymphoma → B-cell
non-Hodgkin lymphoma → Diffuse large B-cell lymphoma). One parent per node: a
disease that medicine files under two families sits under the one people search
for (CLL/SLL under Leukemia, not under B-cell NHL). A node with no parent that is
not itself a category hangs under its category's root, so a term a curator adds
is in the tree at once.

A trial's `disease_names` hold its diseases and every ancestor of each
(`DiseaseTree.closure`), so filtering on a node is an array overlap that includes
everything under it, and each node's facet count includes its descendants.

The shipped tree is data, `catalogue/data/disease_tree.json` (groups and
categories with their names and synonyms; the normalizer's diseases with their
place, Chinese name and codes); migration 0016 and the importer seed it
(`seed`); curators edit it in the admin.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import connection

from catalogue.choices import DiseaseKind
from catalogue.models import Disease, Trial, lookup_key

DATA_PATH = Path(__file__).resolve().parent / "data" / "disease_tree.json"


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    category: str
    parent: str | None
    name_zh: str = ""
    codes: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def shipped_nodes() -> tuple[Node, ...]:
    """The nodes of `disease_tree.json`, parents before children."""
    data = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    nodes = [
        Node(
            n["name"],
            n["kind"],
            n["category"],
            n.get("parent"),
            n.get("name_zh", ""),
            tuple(n.get("codes", ())),
            tuple(n.get("synonyms", ())),
        )  # fmt: skip
        for n in data["nodes"]
    ]
    by_name = {n.name: n for n in nodes}

    def depth(node: Node) -> int:
        d, seen = 0, {node.name}
        while node.parent and node.parent in by_name and node.parent not in seen:
            seen.add(node.parent)
            node = by_name[node.parent]
            d += 1
        return d

    return tuple(sorted(nodes, key=depth))


def seed(model: Any = Disease, builtin: Iterable[tuple[str, str, Iterable[str]]] = (), *, place: bool = False) -> None:
    """Create the shipped tree's missing nodes; never alters an existing one unless `place`.

    `model`: the Disease model (the historical one in a migration). `builtin`: the
    normalizer's diseases as (name, category, synonyms): a missing one is created
    with its place in the tree; diseases the tree does not list are created as
    roots of their category. `place` (the migration): existing nodes the tree lists
    get its parent, kind, Chinese name and codes. One query when nothing is missing.
    """
    nodes = shipped_nodes()
    specs = {name: (category, tuple(synonyms)) for name, category, synonyms in builtin}
    existing: dict[str, Any] = {d.name: d for d in model.objects.all()}
    wanted = [n for n in nodes if n.kind != DiseaseKind.DISEASE or n.name in specs]
    wanted_names = {n.name for n in wanted}
    extra = [Node(name, DiseaseKind.DISEASE, category, None, synonyms=synonyms)
             for name, (category, synonyms) in specs.items() if name not in {n.name for n in nodes}]  # fmt: skip
    if place:
        wanted += [n for n in nodes if n.name in existing and n.name not in wanted_names]
    elif all(n.name in existing for n in [*wanted, *extra]):
        return
    for node in [*wanted, *extra]:
        synonyms = list(specs[node.name][1]) if node.name in specs else list(node.synonyms)
        parent = existing.get(node.parent) if node.parent else None
        row = existing.get(node.name)
        if row is None:
            row = model(name=node.name, category=node.category, synonyms=synonyms)
        elif not place:
            continue
        row.kind, row.parent, row.name_zh, row.codes = node.kind, parent, node.name_zh, list(node.codes)
        row.lookup_keys = sorted({lookup_key(t) for t in [row.name, row.name_zh, *row.synonyms] if lookup_key(t)})
        if row.pk is None:
            model.objects.bulk_create([row], ignore_conflicts=True)
            row = model.objects.get(name=node.name)
        else:
            row.save(update_fields=["kind", "parent", "name_zh", "codes", "lookup_keys"])
        existing[node.name] = row


@dataclass
class DiseaseTree:
    """The tree in memory: names, Chinese names, kinds, parents and children.

    `roots` are the category nodes (and, under no category node, any top node).
    """

    parent: dict[str, str | None] = field(default_factory=dict)
    kind: dict[str, str] = field(default_factory=dict)
    category: dict[str, str] = field(default_factory=dict)
    name_zh: dict[str, str] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    category_root: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, str, int | None, str, str, str]]) -> DiseaseTree:
        """From (id, name, parent_id, kind, category, name_zh) rows."""
        rows = list(rows)
        names = {pk: name for pk, name, *_ in rows}
        tree = cls()
        for _, name, parent_id, kind, category, name_zh in rows:
            tree.parent[name] = names.get(parent_id) if parent_id is not None else None
            tree.kind[name] = kind
            tree.category[name] = category
            tree.name_zh[name] = name_zh
            if kind == DiseaseKind.CATEGORY and tree.parent[name] is None:
                tree.category_root.setdefault(category, name)
        for name in sorted(tree.parent, key=str.casefold):
            up = tree.up(name)
            if up is not None:
                tree.children.setdefault(up, []).append(name)
        return tree

    @classmethod
    def from_diseases(cls, diseases: Iterable[Disease]) -> DiseaseTree:
        return cls.from_rows((d.pk, d.name, d.parent_id, d.kind, d.category, d.name_zh) for d in diseases)

    @classmethod
    def load(cls) -> DiseaseTree:
        """The tree as stored (one query)."""
        return cls.from_rows(Disease.objects.values_list("id", "name", "parent_id", "kind", "category", "name_zh"))

    def up(self, name: str) -> str | None:
        """The node above `name`: its parent, else its category's root (None for a root)."""
        parent = self.parent.get(name)
        if parent is not None:
            return parent
        root = self.category_root.get(self.category.get(name, ""))
        return None if root in (None, name) else root

    def ancestors(self, name: str) -> list[str]:
        """From the parent up to the root (a cycle, which the admin refuses, stops it)."""
        chain, seen, node = [], {name}, self.up(name)
        while node is not None and node not in seen:
            chain.append(node)
            seen.add(node)
            node = self.up(node)
        return chain

    def closure(self, names: Iterable[str]) -> list[str]:
        """`names` and all their ancestors, sorted (a trial's `disease_names`)."""
        result: set[str] = set()
        for name in names:
            result.add(name)
            result.update(self.ancestors(name))
        return sorted(result)

    def descendants(self, name: str) -> list[str]:
        found, stack = [], list(self.children.get(name, []))
        while stack:
            node = stack.pop()
            if node not in found and node != name:
                found.append(node)
                stack.extend(self.children.get(node, []))
        return found

    @property
    def roots(self) -> list[str]:
        return [n for n in sorted(self.parent, key=str.casefold) if self.up(n) is None]

    def depth(self, name: str) -> int:
        return len(self.ancestors(name))


def refresh_trial_disease_names(names: Iterable[str] | None = None, *, tree: DiseaseTree | None = None) -> int:
    """Re-derive `disease_names` (the closure) of the trials under `names` (all
    trials when None) after the tree changed; one statement (plus reading the tree
    unless given). Returns the number of trials changed.

    Only the denormalized column moves: a trial's diseases and its history stay as they are.
    """
    tree = tree or DiseaseTree.load()
    condition, params = "", []
    if names is not None:
        condition = "AND t.disease_names && %s::varchar[]"
        params = [list(names)]
    table, m2m = Trial._meta.db_table, Trial.diseases.through._meta.db_table
    pairs = [(name, ancestor) for name in tree.parent for ancestor in [name, *tree.ancestors(name)]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH closure(name, ancestor) AS (SELECT * FROM unnest(%s::text[], %s::text[])),
            wanted AS (
                SELECT t.id, COALESCE((
                    SELECT array_agg(a ORDER BY a COLLATE "C") FROM (
                        SELECT DISTINCT c.ancestor AS a
                        FROM {m2m} td JOIN {Disease._meta.db_table} d ON d.id = td.disease_id
                        JOIN closure c ON c.name = d.name WHERE td.trial_id = t.id
                    ) x
                ), '{{}}')::varchar[] AS names
                FROM {table} t WHERE true {condition}
            )
            UPDATE {table} t SET disease_names = w.names FROM wanted w
            WHERE t.id = w.id AND t.disease_names IS DISTINCT FROM w.names
            """,
            [[p[0] for p in pairs], [p[1] for p in pairs], *params],
        )
        return cursor.rowcount
