"""The data behind the maps (drawn by static/js/maps.js, with a plain list beside each).

- `trial_map` a trial's sites with coordinates, for its page;
- `results_map` the sites of every trial in a filter, for the list's map view (a JSON
  endpoint, cached per filter and data version like the counts);
(The landscape's world map is catalogue/world_map.py.)

A site is [latitude, longitude, status ("" when the registry states none), trial index (-1:
the page's own trial), institution, place]; `statuses` gives each status its label.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from catalogue import places
from catalogue.choices import SiteStatus
from catalogue.models import Site
from catalogue.nearby import DEFAULT_WITHIN_KM
from catalogue.selectors import TrialFilters, cached, trial_list

# The list's map view draws at most this many sites (the first trials of the list's order);
# a note says when the filter holds more.
RESULTS_MAP_LIMIT = 10_000
STATUS_LABELS = {value: str(label) for value, label in SiteStatus.choices}
# The legend's order: open to patients first.
STATUS_ORDER = (
    "recruiting",
    "not_yet_recruiting",
    "enrolling_by_invitation",
    "active_not_recruiting",
    "suspended",
    "completed",
    "terminated",
    "withdrawn",
    "unknown",
)
NOT_STATED = "Status not stated"


def status_legend(sites: Iterable[Site] | None = None) -> list[tuple[str, str]]:
    """(css suffix, label) for the map legend: the statuses of `sites` (every status when
    None), then "not stated" if any site states none."""
    order = [s for s in STATUS_ORDER if s in STATUS_LABELS] + [s for s in STATUS_LABELS if s not in STATUS_ORDER]
    if sites is None:
        return [(s, STATUS_LABELS[s]) for s in order] + [("none", NOT_STATED)]
    present = {site.status or "" for site in sites}
    legend = [(s, STATUS_LABELS[s]) for s in order if s in present]
    return legend + ([("none", NOT_STATED)] if "" in present else [])


def place(city: str, state: str, country: str) -> str:
    return ", ".join(part for part in (city, state, country) if part)


def _point(value: float) -> float:
    return round(value, 5)


def near_point(filters: TrialFilters) -> dict[str, Any] | None:
    """The `near=` place of the filters (the maps draw it, with its radius), or None."""
    near = filters.values.get("near")
    if near is None:
        return None
    km = filters.values.get("within_km") or DEFAULT_WITHIN_KM
    return {"lat": near.latitude, "lon": near.longitude, "label": near.label, "km": float(km)}


def distance_to(site: Site, near: dict[str, Any] | None) -> int | None:
    """Whole km from the `near` place to a site with coordinates; else None."""
    if near is None or site.latitude is None or site.longitude is None:
        return None
    return round(places.distance_km(near["lat"], near["lon"], site.latitude, site.longitude))


def site_row(site: Site, trial_index: int = -1) -> list[Any]:
    return [
        _point(site.latitude),
        _point(site.longitude),
        site.status or "",
        trial_index,
        site.institution,
        place(site.city, site.state, site.country),
    ]


def trial_map(sites: Iterable[Site], near: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """A trial's sites with coordinates, for its page's map; None when none has any."""
    rows = [site_row(site) for site in sites if site.latitude is not None and site.longitude is not None]
    if not rows:
        return None
    return {"statuses": STATUS_LABELS, "trials": [], "sites": rows, "near": near}


def results_map(filters: TrialFilters, near: dict[str, Any] | None = None) -> dict[str, Any]:
    """The sites (with coordinates) of the trials in `filters`, in the list's order of trials
    (at most RESULTS_MAP_LIMIT). One query on a cache miss."""
    data = cached(filters, ("results_map", RESULTS_MAP_LIMIT), lambda: _results_map(filters))
    return {**data, "near": near}


def _results_map(filters: TrialFilters) -> dict[str, Any]:
    trials = trial_list(filters=filters).values("pk")
    rows = (
        Site.objects.filter(trial__in=trials, latitude__isnull=False, longitude__isnull=False)
        .order_by("trial_id", "position")
        .values_list(
            "trial__registry_id", "trial__title", "latitude", "longitude", "status",
            "institution", "city", "state", "country",
        )[: RESULTS_MAP_LIMIT + 1]
    )  # fmt: skip
    trial_index: dict[str, int] = {}
    trials_out: list[list[str]] = []
    sites: list[list[Any]] = []
    for registry_id, title, lat, lon, status, institution, city, state, country in rows:
        if registry_id not in trial_index:
            trial_index[registry_id] = len(trials_out)
            trials_out.append([registry_id, title])
        sites.append(
            [_point(lat), _point(lon), status or "", trial_index[registry_id], institution, place(city, state, country)]
        )
    truncated = len(sites) > RESULTS_MAP_LIMIT
    sites = sites[:RESULTS_MAP_LIMIT]
    note = (
        f"The map shows the first {RESULTS_MAP_LIMIT:,} sites; narrow the filters to see every one."
        if truncated
        else f"{len(sites):,} site{'s' if len(sites) != 1 else ''} with a known place, of {len(trials_out):,} "
        f"trial{'s' if len(trials_out) != 1 else ''}. Select a group of sites to zoom in, a site for its trial."
    )
    return {"statuses": STATUS_LABELS, "trials": trials_out, "sites": sites, "truncated": truncated, "note": note}
