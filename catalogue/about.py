"""Where an export comes from: the header every download, pre-built file and
`manage.py export` carries, and the download's file name.

The header (`about()`) says the filter in words and as addresses, the data date
and the registries' own data timestamps, the catalogue version and the count.
It depends only on the filter and the data (no clock), so a pre-built file and
the same download streamed are the same bytes. The JSON download holds it as
`about`; a CSV gives it as `#` comment lines (`about_lines()`) when asked.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django.conf import settings

from catalogue import freshness
from catalogue.cache import DataState
from catalogue.selectors import TrialFilters, data_state_for
from catalogue.summary import build_summary

TITLE = "CAR-T trials catalogue"
_UNSAFE = re.compile(r"[^A-Za-z0-9.]+")
PART_LENGTH = 40
FILTER_LENGTH = 120


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def about(
    filters: TrialFilters, *, count: int, matching: int, base_url: str = "", state: DataState | None = None
) -> dict[str, Any]:
    """The header of an export of `count` trials (of `matching`) for `filters`.
    `base_url`: the site's address for the links ('' gives relative links)."""
    state = state or data_state_for(filters)
    query = filters.querystring(drop=("sort", "page", "page_size"))
    suffix = f"?{query}" if query else ""
    return {
        "title": TITLE,
        "filter": build_summary(filters).text,
        "parameters": query,
        "filter_url": f"{base_url}/{suffix}",
        "api_url": f"{base_url}/api/trials/{suffix}",
        "documentation_url": f"{base_url}/api/",
        "data_as_of": _iso(state.registry_updated_max),
        "data_changed_at": _iso(state.changed_at),
        "data_version": state.version,
        "last_ingest_at": _iso(state.last_ingest_at),
        "registries": [
            {
                "source": source.source,
                "label": source.label,
                "last_successful_harvest": _iso(source.last_success_at),
                "registry_data_timestamp": source.data_timestamp,
            }
            for source in freshness.footer_facts(state)
        ],
        "catalogue_version": settings.CATALOGUE_VERSION,
        "sort": filters.effective_sort,
        "count": count,
        "matching": matching,
        "limit": settings.CATALOGUE_EXPORT_LIMIT,
    }


def _line(value: Any) -> str:
    """Header text on one line: registry strings never start a new row."""
    return " ".join(str(value).split())


def about_lines(header: dict[str, Any]) -> list[str]:
    """The header as lines of text (a CSV's `#` comments, an about file)."""
    lines = [
        f"{header['title']}: {header['filter']}",
        f"Filter: {header['filter']}",
        f"Filter URL: {header['filter_url']}",
        f"API: {header['api_url']}",
        f"Trials: {header['count']} of {header['matching']} matching (at most {header['limit']} per download), "
        f"sorted by {header['sort']}",
        f"Data as of: {header['data_as_of'] or 'no registry update dates held'} (the newest registry update held)",
        f"Data changed: {header['data_changed_at'] or 'unknown'} (data version {header['data_version']})",
        f"Last ingest: {header['last_ingest_at'] or 'none recorded'}",
    ]
    for registry in header["registries"]:
        harvested = registry["last_successful_harvest"] or "not harvested yet"
        stamp = (
            f", registry data of {registry['registry_data_timestamp']}" if registry["registry_data_timestamp"] else ""
        )
        lines.append(f"{registry['label']}: last harvested {harvested}{stamp}")
    lines += [
        f"Catalogue version: {header['catalogue_version']}",
        f"Columns: {header['documentation_url']}",
    ]
    return [_line(line) for line in lines]


def _safe(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _UNSAFE.sub("-", ascii_text).strip("-.")[:PART_LENGTH].strip("-.")


def export_filename(filters: TrialFilters, fmt: str, today: dt.date | None = None) -> str:
    """`car-t-trials_antigen-GPC3_2026-12-06.csv`: the filters (name-value, several
    values joined by +) and the date, in letters, digits, '.', '-', '+' and '_' only."""
    grouped: dict[str, list[str]] = {}
    for name, value in filters.query_items(drop=("sort", "page", "page_size")):
        grouped.setdefault(name, []).append(value)
    parts = []
    for name, values in grouped.items():
        cleaned = [v for v in (_safe(value) for value in values) if v]
        parts.append(_safe(name.replace("_", "-")) + ("-" + "+".join(cleaned) if cleaned else ""))
    described = "_".join(parts)[:FILTER_LENGTH].rstrip("-+_.")
    date = (today or dt.date.today()).isoformat()
    return "_".join(p for p in ("car-t-trials", described, date) if p) + f".{fmt}"
