"""Registry date strings to `datetime.date`.

Decisions: a date without a day is the first of its month, a bare year
("2017") the first of January. Numeric dates with the year last are read
day first ("31/10/2025", the ICTRP convention) unless only a month-first
reading is valid. When a string holds several dates ("From 2025-10-31 To
2028-10-31") the first one is taken.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_NAME = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ISO = re.compile(r"(?<!\d)(\d{4})\s*[-/.]\s*(\d{1,2})(?:\s*[-/.]\s*(\d{1,2}))?(?!\d)")
_CHINESE = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?")
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH_NAME}\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(\d{{4}})(?!\d)", re.I)
_DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH_NAME}\s*,?\s*(\d{{4}})(?!\d)", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH_NAME}\s*,?\s*(\d{{4}})(?!\d)", re.I)
_NUMERIC_YEAR_LAST = re.compile(r"(?<!\d)(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?!\d)")
_YEAR_ONLY = re.compile(r"\s*(\d{4})\s*")

_MIN_YEAR, _MAX_YEAR = 1900, 2100
# Characters read: registry date strings are a few words ("From 2025-10-31
# 00:00:00 To 2028-10-31 00:00:00"); every pattern reading a 1 MB one took
# a third of a second.
_MAX_CHARS = 1000


def _make(year: int, month: int, day: int) -> date | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _iso(m: re.Match[str]) -> date | None:
    return _make(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))


def _month_day_year(m: re.Match[str]) -> date | None:
    return _make(int(m.group(3)), _MONTHS[m.group(1)[:3].lower()], int(m.group(2)))


def _day_month_year(m: re.Match[str]) -> date | None:
    return _make(int(m.group(3)), _MONTHS[m.group(2)[:3].lower()], int(m.group(1)))


def _month_year(m: re.Match[str]) -> date | None:
    return _make(int(m.group(2)), _MONTHS[m.group(1)[:3].lower()], 1)


def _numeric_year_last(m: re.Match[str]) -> date | None:
    first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    return _make(year, second, first) or _make(year, first, second)


_PATTERNS = (
    (_ISO, _iso),
    (_CHINESE, _iso),
    (_MONTH_DAY_YEAR, _month_day_year),
    (_DAY_MONTH_YEAR, _day_month_year),
    (_MONTH_YEAR, _month_year),
    (_NUMERIC_YEAR_LAST, _numeric_year_last),
)


def parse_date(raw: str | None) -> date | None:
    """The first date stated in `raw`, or None. Never raises.

    Reads "2024-01-16", "2024-01", "2025/10/31", "2025-10-31 00:00:00",
    "December 1, 2017", "1 December 2017", "December 2017", "2025年10月31日",
    "31/10/2025" and a bare "2017". Impossible dates and garbage give None.
    Only the first 1000 characters are read.
    """
    if not raw or not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw)[:_MAX_CHARS]
    found: list[tuple[int, int, date]] = []
    for order, (pattern, build) in enumerate(_PATTERNS):
        for match in pattern.finditer(text):
            value = build(match)
            if value is not None:
                found.append((match.start(), order, value))
                break
    if found:
        return min(found)[2]
    year = _YEAR_ONLY.fullmatch(text)
    if year:
        return _make(int(year.group(1)), 1, 1)
    return None
