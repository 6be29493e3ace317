"""Type-ahead over the vocabularies (`GET /api/suggest/?q=`): diseases (tree
nodes), target antigens and products, by name, Chinese name or synonym.

The vocabulary and each concept's number of trials are read once per data
version (two queries, cached); a suggestion is then a scan of a few thousand
strings in memory.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connections, router

from catalogue import cache
from catalogue.models import Antigen, Disease, Product, Trial, lookup_key
from catalogue.search import CJK_CHARS

LIMIT = 10
PARAMS = {"disease": "disease", "antigen": "antigen", "product": "product"}
KIND_LABELS = {"disease": "disease", "antigen": "target", "product": "product"}
_CJK = re.compile(f"[{CJK_CHARS}]")


@dataclass(frozen=True)
class Suggestion:
    label: str
    kind: str
    value: str
    count: int
    param: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _connection():  # type: ignore[no-untyped-def]
    return connections[router.db_for_read(Trial)]


def vocabulary() -> list[tuple[str, str, str, list[str]]]:
    """(kind, name, Chinese name, other names) of every term. One query."""
    with _connection().cursor() as cursor:
        cursor.execute(
            f"SELECT 'disease', name, name_zh, synonyms FROM {Disease._meta.db_table} "
            f"UNION ALL SELECT 'antigen', name, '', synonyms FROM {Antigen._meta.db_table} "
            f"UNION ALL SELECT 'product', name, '', aliases || codes FROM {Product._meta.db_table}"
        )
        return [(kind, name, name_zh or "", list(others or [])) for kind, name, name_zh, others in cursor.fetchall()]


def concept_counts() -> dict[str, int]:
    """{"kind:name": trials in the catalogue's default view tagged with it}. One query."""
    table = Trial._meta.db_table
    with _connection().cursor() as cursor:
        cursor.execute(
            f"""
            WITH t AS MATERIALIZED (
                SELECT disease_names, antigen_names, product_names FROM {table}
                WHERE merged_into_id IS NULL AND in_scope
            )
            SELECT 'disease:' || v, COUNT(*) FROM t, unnest(t.disease_names) v GROUP BY 1
            UNION ALL SELECT 'antigen:' || v, COUNT(*) FROM t, unnest(t.antigen_names) v GROUP BY 1
            UNION ALL SELECT 'product:' || v, COUNT(*) FROM t, unnest(t.product_names) v GROUP BY 1
            """
        )
        return dict(cursor.fetchall())


def suggest(q: str, *, limit: int = LIMIT) -> list[Suggestion]:
    """The terms `q` may mean, the best first: a name or synonym that is `q`, then
    those starting with it, then those containing it (three letters or more, or
    Chinese), each by number of trials. Terms with no trial are left out."""
    key = lookup_key(q)
    if not key or (len(key) < 2 and not _CJK.search(key)):
        return []
    state = cache.data_state()
    terms = cache.memoize(state, ["suggest", "vocabulary"], vocabulary)
    counts = cache.memoize(state, ["suggest", "counts"], concept_counts)
    ranked: list[tuple[tuple[int, int, bool, str], Suggestion]] = []
    for kind, name, name_zh, others in terms:
        count = counts.get(f"{kind}:{name}", 0)
        if not count:
            continue
        best: tuple[int, int, str] | None = None
        for string in [name, name_zh, *others]:
            string_key = lookup_key(string)
            if not string_key:
                continue
            if string_key == key:
                score = 0
            elif string_key.startswith(key):
                score = 1
            elif key in string_key and (len(key) >= 3 or _CJK.search(key)):
                score = 2
            else:
                continue
            if best is None or (score, len(string)) < best[:2]:
                best = (score, len(string), string)
        if best is None:
            continue
        score, _, matched = best
        by_synonym = matched not in (name, name_zh)
        label = name
        if name_zh and (matched == name_zh or _CJK.search(key)):
            label = f"{name} · {name_zh}"
        elif lookup_key(matched) != lookup_key(name):
            label = f"{matched} → {name}"
        ranked.append(
            ((score, -count, by_synonym, name.casefold()), Suggestion(label, kind, name, count, PARAMS[kind]))
        )
    ranked.sort(key=lambda item: item[0])
    return [s for _, s in ranked[:limit]]
