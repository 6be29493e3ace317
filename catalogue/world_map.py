"""The landscape's world map: trials per country (a choropleth drawn by static/js/maps.js,
with a list beside it), from the landscape's own counts, so no query of its own. Catalogue
country names are matched to the Natural Earth outlines shipped in static/maps/countries.geojson
(scripts/maps/build.mjs); a country too small for them is a dot, and one that matches no
outline is listed under the map only.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import reverse

from catalogue.countries import country_name
from catalogue.landscape import landscape_counts
from catalogue.selectors import TrialFilters

# Natural Earth's short names -> the other names a registry (or catalogue.countries) gives them.
NATURAL_EARTH_ALIASES: dict[str, tuple[str, ...]] = {
    "United States of America": ("United States",),
    "Turkey": ("Turkey (Türkiye)",),
    "Macedonia": ("North Macedonia",),
    "Bosnia and Herz.": ("Bosnia and Herzegovina",),
    "Dem. Rep. Congo": ("Congo, The Democratic Republic of the", "Democratic Republic of the Congo", "DR Congo"),
    "Congo": ("Republic of the Congo",),
    "Central African Rep.": ("Central African Republic",),
    "Dominican Rep.": ("Dominican Republic",),
    "Eq. Guinea": ("Equatorial Guinea",),
    "S. Sudan": ("South Sudan",),
    "Solomon Is.": ("Solomon Islands",),
    "Falkland Is.": ("Falkland Islands (Malvinas)", "Falkland Islands"),
    "Côte d'Ivoire": ("Cote D'Ivoire", "Ivory Coast"),
    "eSwatini": ("Eswatini", "Swaziland"),
    "Laos": ("Lao People's Democratic Republic",),
    "Brunei": ("Brunei Darussalam",),
    "Moldova": ("Moldova, Republic of", "Republic of Moldova"),
    "Palestine": ("Palestinian Territory, occupied", "Palestinian Territories", "State of Palestine"),
    "W. Sahara": ("Western Sahara",),
    "Timor-Leste": ("East Timor",),
    "Russia": ("Russian Federation",),
    "Antigua and Barb.": ("Antigua and Barbuda",),
    "St. Kitts and Nevis": ("Saint Kitts and Nevis",),
    "St. Vin. and Gren.": ("Saint Vincent and the Grenadines",),
    "U.S. Virgin Is.": ("Virgin Islands (U.S.)", "US Virgin Islands"),
    "British Virgin Is.": ("Virgin Islands (British)",),
    "N. Mariana Is.": ("Northern Mariana Islands",),
    "Fr. Polynesia": ("French Polynesia",),
    "Faeroe Is.": ("Faroe Islands",),
    "Cayman Is.": ("Cayman Islands",),
    "Marshall Is.": ("Marshall Islands",),
    "Cook Is.": ("Cook Islands",),
    "Turks and Caicos Is.": ("Turks and Caicos Islands",),
    "São Tomé and Principe": ("Sao Tome and Principe",),
    "Micronesia": ("Micronesia, Federated States of",),
}


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", "", re.sub(r"^the\s+", "", text.strip()))


@lru_cache(maxsize=1)
def _outline_names() -> dict[str, str]:
    """key -> Natural Earth name, for every country in the shipped outlines and its aliases."""
    path = settings.BASE_DIR / "static" / "maps" / "countries.geojson"
    names = [feature["properties"]["name"] for feature in json.loads(path.read_text("utf-8"))["features"]]
    lookup = {_key(name): name for name in names}
    for name, aliases in NATURAL_EARTH_ALIASES.items():
        for alias in aliases:
            lookup.setdefault(_key(alias), name)
    return lookup


def outline_name(country: str) -> str | None:
    """The Natural Earth country drawn for a catalogue country name; None when none is."""
    lookup = _outline_names()
    found = lookup.get(_key(country))
    if found is None and (canonical := country_name(country)):
        found = lookup.get(_key(canonical))
    return found


@dataclass
class CountryCount:
    name: str
    count: int
    href: str
    band: int  # the colour band, 1 (fewest) .. len(bands)
    on_map: bool


def bands(counts: list[int], steps: int = 5) -> list[tuple[int, int]]:
    """Up to `steps` (low, high) count ranges for the choropleth, on a log scale from 1 to
    the largest count, each upper bound rounded to a 1-2-5 step; [] for no counts."""
    top = max(counts, default=0)
    if top <= 0:
        return []
    bounds: list[int] = []
    for i in range(1, steps + 1):
        raw = math.exp(math.log(top) * i / steps) if top > 1 else 1
        nice = _nice(raw) if i < steps else top
        if not bounds or nice > bounds[-1]:
            bounds.append(min(nice, top))
    ranges, low = [], 1
    for high in bounds:
        if high >= low:
            ranges.append((low, high))
            low = high + 1
    return ranges


def _nice(value: float) -> int:
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return int(10 * magnitude)


def world_map(filters: TrialFilters) -> dict[str, Any]:
    """Trials per country under `filters` for the landscape's world map and its list."""
    counts = {name: n for name, n in landscape_counts(filters)[1].get("country", {}).items() if name and n}
    ranges = bands(list(counts.values()))
    list_url = reverse("catalogue:trial_list")
    rows = []
    drawn: dict[str, list[Any]] = {}
    for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower())):
        query = filters.querystring(drop=("country", "page"), with_=("country", name))
        href = f"{list_url}?{query}" if query else list_url
        band = next(i for i, (low, high) in enumerate(ranges, start=1) if low <= n <= high)
        outline = outline_name(name)
        rows.append(CountryCount(name, n, href, band, outline is not None))
        if outline is not None:
            entry = drawn.get(outline)
            if entry is None or n > entry[0]:  # two names for one outline: the larger count is drawn
                drawn[outline] = [n, name, href, band]
    return {
        "rows": rows,
        "bands": [{"band": i, "low": low, "high": high} for i, (low, high) in enumerate(ranges, start=1)],
        "data": {"countries": drawn},
        "off_map": [row for row in rows if not row.on_map],
    }
