"""Eligible ages as decimal years.

Registries state ages as "18 Years", "6 Months", "18" (ChiCTR, years),
"18岁", "N/A"... A limit that is not stated stays ``None``: the catalogue's age
filter keeps trials with unstated limits, so a limit is never invented.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["MAX_AGE_YEARS", "age_range", "parse_age"]

MAX_AGE_YEARS = Decimal(120)
_CENT = Decimal("0.01")

_UNIT_DIVISOR: dict[str, Decimal] = {"y": Decimal(1), "m": Decimal(12), "w": Decimal(52), "d": Decimal(365)}

# Order matters: longer spellings before their prefixes.
_UNIT = (
    r"(?:(?P<{g}y>years?|yrs?|y(?![a-z])|周岁|岁|年)"
    r"|(?P<{g}m>months?|mos?(?![a-z])|m(?![a-z])|个月|月)"
    r"|(?P<{g}w>weeks?|wks?|w(?![a-z])|周)"
    r"|(?P<{g}d>days?|d(?![a-z])|天|日))"
)
_NUM = r"(?<![\d.])(?P<{g}n>\d{{1,4}}(?:\.\d+)?)(?![\d.])"
_AGE = _NUM + r"\s*(?:" + _UNIT + r")?"


def _age_pattern(group: str) -> str:
    return _AGE.format(g=group)


_AGE_RE = re.compile(_age_pattern("a"))
_RANGE_RE = re.compile(_age_pattern("lo") + r"\s*(?:old\s*)?(?:-|~|to|through|至|到|and)\s*" + _age_pattern("hi"))
_BETWEEN_RE = re.compile(r"between\s*" + _age_pattern("lo") + r"\s*and\s*" + _age_pattern("hi"))
_LOWER_BEFORE_RE = re.compile(
    r"(?:>=?|≥|≧|at\s+least|minimum(?:\s+age)?(?:\s+of)?|min(?:imum)?\s*age|older\s+than|over|above|aged?\s*>=?"
    r"|大于等于|大于|不小于|不低于|满|最小)\s*:?\s*" + _age_pattern("x")
)
_LOWER_AFTER_RE = re.compile(
    _age_pattern("x") + r"\s*(?:old\s*)?(?:and\s+(?:older|over|above)|or\s+(?:older|over|above)|\+|以上|及以上|或以上)"
)
_UPPER_BEFORE_RE = re.compile(
    r"(?:<=?|≤|≦|up\s+to|under|younger\s+than|below|maximum(?:\s+age)?(?:\s+of)?|max(?:imum)?\s*age|at\s+most"
    r"|小于等于|小于|不大于|不超过|不高于|最大)\s*:?\s*" + _age_pattern("x")
)
_UPPER_AFTER_RE = re.compile(
    _age_pattern("x")
    + r"\s*(?:old\s*)?(?:and\s+(?:younger|under|below)|or\s+(?:younger|under|below)|以下|及以下|或以下)"
)
_NO_LIMIT_RE = re.compile(
    r"^(?:|n/?a|none|null|nil|no\s*limit(?:ation)?|not\s+(?:applicable|stated|specified|limited)|unlimited"
    r"|any|无|不限|无限制|无限|无要求|不详|未说明|-+|/+)$"
)
_SIGN_RE = re.compile(r"[-−]\s*$")
_JOIN_RE = re.compile(r"\s*(?:,|and)?\s*")
# Characters of a cleaned age string that are read. Registry age strings are a
# few words ("1 Year to 75 Years (Child, Adult, Older Adult)"); reading a 1 MB
# one with every pattern took half a second.
_MAX_CHARS = 1000
_IGNORABLE_RE = re.compile(r"[\u0000-\u0008\u000e-\u001f\u007f\u00ad\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _clean(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "")
    text = _IGNORABLE_RE.sub("", text)
    return " ".join(text.split()).casefold()[:_MAX_CHARS]


def _unit_of(match: re.Match[str], group: str) -> str | None:
    for unit in ("y", "m", "w", "d"):
        if match.group(group + unit):
            return unit
    return None


def _years(number: str, unit: str | None) -> Decimal | None:
    value = Decimal(number) / _UNIT_DIVISOR[unit or "y"]
    if value < 0 or value > MAX_AGE_YEARS:
        return None
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def parse_age(raw: str) -> Decimal | None:
    """Decimal years (2 places) for one registry age string, or None when no limit is stated.

    "18 Years" → 18, "6 Months" → 0.5, "10 Weeks" → 0.19, "14 Days" → 0.04,
    "18" (ChiCTR) → 18, "18岁" → 18, "1 Year 6 Months" → 1.5,
    "N/A" / "" / "无" / "不限" → None. A bare number is read as years; a
    negative or absurd (> 120 years) value gives None. Only the first 1000
    characters (after whitespace is collapsed) are read.
    """
    text = _clean(raw)
    if _NO_LIMIT_RE.match(text):
        return None
    match = _AGE_RE.search(text)
    if not match or _SIGN_RE.search(text, 0, match.start()):
        return None
    total = Decimal(match.group("an")) / _UNIT_DIVISOR[_unit_of(match, "a") or "y"]
    units = {_unit_of(match, "a")}
    while None not in units:
        follow = _AGE_RE.match(text, _JOIN_RE.match(text, match.end()).end())
        if not follow or _unit_of(follow, "a") in units or _unit_of(follow, "a") is None:
            break
        units.add(_unit_of(follow, "a"))
        total += Decimal(follow.group("an")) / _UNIT_DIVISOR[_unit_of(follow, "a") or "y"]
        match = follow
    if total > MAX_AGE_YEARS:
        return None
    return total.quantize(_CENT, rounding=ROUND_HALF_UP)


def _is_unstated(raw: str) -> bool:
    return not _clean(raw)


def _free_text_range(text: str) -> tuple[Decimal | None, Decimal | None]:
    text = _clean(text)
    if not text or _NO_LIMIT_RE.match(text):
        return None, None
    match = _BETWEEN_RE.search(text) or _RANGE_RE.search(text)
    if match:
        lo_unit, hi_unit = _unit_of(match, "lo"), _unit_of(match, "hi")
        if lo_unit is None:
            lo_unit = hi_unit
        return _years(match.group("lon"), lo_unit), _years(match.group("hin"), hi_unit)
    low = high = None
    for pattern in (_LOWER_AFTER_RE, _LOWER_BEFORE_RE):
        match = pattern.search(text)
        if match:
            low = _years(match.group("xn"), _unit_of(match, "x"))
            break
    for pattern in (_UPPER_AFTER_RE, _UPPER_BEFORE_RE):
        match = pattern.search(text)
        if match:
            high = _years(match.group("xn"), _unit_of(match, "x"))
            break
    return low, high


def age_range(min_raw: str, max_raw: str, age_text: str = "") -> tuple[Decimal | None, Decimal | None]:
    """(min, max) eligible age in decimal years; None where no limit is stated.

    The structured `min_raw` / `max_raw` strings win. When neither gives a
    number, or one side's string is empty (the document does not state it),
    that side is read from `age_text`, free text such as "1 Year to 75 Years
    (Child, Adult, Older Adult)", "18 Years and older" or "up to 17 Years".
    An explicit "N/A" beside a stated other limit is kept as "no limit".
    Category words alone ("Child, Adult") give no numbers. A maximum of 0 is a
    registry placeholder and counts as unstated. A reversed pair (min > max) is
    taken for a transposition typo and swapped, so min <= max always holds.
    """
    low = parse_age(min_raw)
    high = parse_age(max_raw)
    if high == 0:
        high = None
    both_missing = low is None and high is None
    if both_missing or _is_unstated(min_raw) or _is_unstated(max_raw):
        text_low, text_high = _free_text_range(age_text)
        if both_missing or _is_unstated(min_raw):
            low = low if low is not None else text_low
        if both_missing or _is_unstated(max_raw):
            high = high if high is not None else (text_high or None)
    if low is not None and high is not None and low > high:
        low, high = high, low
    return low, high
