"""Registry date strings become dates; anything unreadable becomes None, never an exception."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.normalize.dates import parse_date

DATES = st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-16", date(2024, 1, 16)),
        ("2025-10-31 00:00:00", date(2025, 10, 31)),
        ("2025/10/31", date(2025, 10, 31)),
        ("2025年10月31日", date(2025, 10, 31)),
        ("December 1, 2017", date(2017, 12, 1)),
        ("Dec 1st, 2017", date(2017, 12, 1)),
        ("1 December 2017", date(2017, 12, 1)),
        ("31/10/2025", date(2025, 10, 31)),
        ("  2024-01-16\n", date(2024, 1, 16)),
        ("２０２５－１０－３１", date(2025, 10, 31)),
        ("Actual Study Start Date : December 1, 2017", date(2017, 12, 1)),
    ],
)
def test_a_full_date_in_any_registry_format_is_read_exactly(raw: str, expected: date) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01", date(2024, 1, 1)),
        ("December 2017", date(2017, 12, 1)),
        ("Sept. 2017", date(2017, 9, 1)),
        ("2025年10月", date(2025, 10, 1)),
        ("2017", date(2017, 1, 1)),
    ],
)
def test_a_date_without_a_day_is_the_first_of_its_month(raw: str, expected: date) -> None:
    assert parse_date(raw) == expected


def test_a_from_to_range_gives_its_first_date() -> None:
    assert parse_date("From 2025-10-31 00:00:00 To 2028-10-31") == date(2025, 10, 31)


def test_a_day_first_numeric_date_falls_back_to_month_first_only_when_day_first_is_impossible() -> None:
    assert parse_date("03/04/2020") == date(2020, 4, 3)
    assert parse_date("12/31/2020") == date(2020, 12, 31)


@pytest.mark.parametrize(
    "raw",
    ["", None, "garbage", "N/A", "2024-02-30", "2024-13-01", "9999-01-01", "Month 13", "\x00", "2024-2025", 20240116],
)
def test_garbage_and_impossible_dates_give_none(raw) -> None:
    assert parse_date(raw) is None


@given(DATES)
def test_an_iso_date_reads_back_as_itself(value: date) -> None:
    assert parse_date(value.isoformat()) == value
    assert parse_date(f"{value.isoformat()} 00:00:00") == value


@given(DATES)
def test_a_written_out_english_date_reads_back_as_itself(value: date) -> None:
    assert parse_date(f"{value:%B} {value.day}, {value.year}") == value
    assert parse_date(f"{value:%b} {value.day}, {value.year}") == value


@given(DATES)
def test_a_chinese_date_reads_back_as_itself(value: date) -> None:
    assert parse_date(f"{value.year}年{value.month}月{value.day}日") == value


@given(DATES)
def test_a_month_and_year_read_back_as_the_first_of_that_month(value: date) -> None:
    assert parse_date(f"{value:%B} {value.year}") == value.replace(day=1)


@settings(max_examples=400)
@given(
    st.text(
        alphabet=st.one_of(st.characters(), st.sampled_from(list("0123456789０１２３-/年月日 ,\u200f\x00"))),
        max_size=40,
    )
)
def test_parsing_arbitrary_text_never_raises(raw: str) -> None:
    result = parse_date(raw)
    assert result is None or isinstance(result, date)
