"""Eligible ages in decimal years."""

from __future__ import annotations

import importlib.util
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.normalize.age import age_range, parse_age

ROOT = Path(__file__).resolve().parents[2]
SEEDS_EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "seeds_expected.json").read_text(encoding="utf-8"))
CENT = Decimal("0.01")


def years(value) -> Decimal:
    return Decimal(value).quantize(CENT)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("18 Years", years(18)),
        ("1 Year", years(1)),
        ("6 Months", years("0.5")),
        ("1 Month", Decimal(1) / 12),
        ("10 Weeks", Decimal(10) / 52),
        ("14 Days", Decimal(14) / 365),
        ("18", years(18)),
        ("65 years", years(65)),
        ("18岁", years(18)),
        ("18 岁 years", years(18)),
        ("18周岁", years(18)),
        ("6个月", years("0.5")),
        ("１８", years(18)),
        ("１８岁", years(18)),
        ("\u3000 18\u00a0Years \t", years(18)),
        ("\u200f18 Years\u202c", years(18)),
        ("1 Year 6 Months", years("1.5")),
        ("1.5 years", years("1.5")),
        ("120 Years", years(120)),
        ("0.125 Years", years("0.13")),
    ],
)
def test_an_age_string_is_read_as_decimal_years(raw: str, expected: Decimal) -> None:
    assert parse_age(raw) == expected.quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("raw", ["10 Weeks", "14 Days", "1 Month", "18 Years"])
def test_ages_are_rounded_to_two_decimal_places(raw: str) -> None:
    value = parse_age(raw)
    assert value is not None and value == value.quantize(CENT)


@pytest.mark.parametrize(
    "raw", ["", "   ", "N/A", "NA", "None", "无", "不限", "no limit", "Not applicable", "-", "years", "\x00"]
)
def test_a_missing_limit_is_none(raw: str) -> None:
    assert parse_age(raw) is None


@pytest.mark.parametrize("raw", ["121 Years", "150", "1500 Months", "-5 Years", "−18"])
def test_negative_or_absurd_ages_are_none(raw: str) -> None:
    assert parse_age(raw) is None


def test_structured_limits_win_over_free_text() -> None:
    assert age_range("18 Years", "65 Years", "1 Year to 75 Years") == (years(18), years(65))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 Year to 75 Years (Child, Adult, Older Adult)", (years(1), years(75))),
        ("6 Months to 17 Years (Child)", (years("0.5"), years(17))),
        ("18 Years and older (Adult, Older Adult)", (years(18), None)),
        ("16 years or older", (years(16), None)),
        ("up to 17 Years (Child)", (None, years(17))),
        ("Child, Adult", (None, None)),
        ("Child, Adult, Older Adult", (None, None)),
        ("18-65岁", (years(18), years(65))),
        ("≥18岁", (years(18), None)),
        ("between 18 and 65 years", (years(18), years(65))),
        ("Age≥ 18, < 70 years old", (years(18), years(70))),
        ("", (None, None)),
    ],
)
def test_free_text_is_read_when_no_structured_limit_is_stated(text: str, expected) -> None:
    assert age_range("", "", text) == expected


def test_free_text_fills_only_the_side_the_structured_strings_leave_empty() -> None:
    assert age_range("", "70 Years", "18 Years to 70 Years") == (years(18), years(70))
    assert age_range("10", "", "10 years to 65 years") == (years(10), years(65))


def test_an_explicit_no_limit_beside_a_stated_limit_is_kept() -> None:
    assert age_range("18 Years", "N/A", "18 Years to 65 Years") == (years(18), None)


def test_category_words_never_invent_a_limit() -> None:
    assert age_range("N/A", "N/A", "Child") == (None, None)


def test_a_missing_limit_stays_none_on_one_side() -> None:
    assert age_range("18 Years", "", "") == (years(18), None)
    assert age_range("", "17 Years", "") == (None, years(17))


def test_a_reversed_pair_is_swapped() -> None:
    assert age_range("65", "10", "") == (years(10), years(65))
    assert age_range("", "", "75 Years to 1 Year") == (years(1), years(75))


def test_a_zero_maximum_counts_as_unstated() -> None:
    assert age_range("0", "0", "") == (years(0), None)


@pytest.mark.parametrize(
    ("sample", "min_raw", "max_raw", "age_text"),
    [
        ("000_dda02b667f938841.txt", "10", "65", ""),
        ("001_951ea498f128be5c.txt", "18 Years", "70 Years", ""),
        ("002_ad789d6ba94932a5.txt", "", "", "1 Year to 75 Years (Child, Adult, Older Adult)"),
        ("003_8a70a621ca2e797d.txt", "1 Year", "50 Years", ""),
        ("004_1074b50f3fa4f392.txt", "", "", ""),
    ],
)
def test_each_seed_page_gives_its_expected_ages(sample: str, min_raw: str, max_raw: str, age_text: str) -> None:
    expected = SEEDS_EXPECTED[sample]
    low, high = age_range(min_raw, max_raw, age_text)
    assert (low, high) == (
        None if expected["min_age_years"] is None else Decimal(expected["min_age_years"]),
        None if expected["max_age_years"] is None else Decimal(expected["max_age_years"]),
    )


# --------------------------------------------------------------------------- properties

AGE_NOISE = st.lists(
    st.sampled_from(
        list("0123456789 .-~>≥<≤+")
        + [
            "years",
            "Year",
            "months",
            "weeks",
            "days",
            "岁",
            "个月",
            "to",
            "and",
            "older",
            "up to",
            "between",
            "N/A",
            "１",
            "８",
            "⁶",
            "\u200f",
            "\u202e",
            "\x00",
            "\u3000",
            "Child",
            "以上",
            "以下",
            "−",
        ]
    ),
    max_size=25,
).map("".join)


def check_age(value: Decimal | None) -> None:
    if value is not None:
        assert Decimal(0) <= value <= Decimal(120)
        assert value == value.quantize(CENT)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), AGE_NOISE))
def test_parse_age_never_raises_and_is_never_negative_or_absurd(raw: str) -> None:
    check_age(parse_age(raw))


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(st.text(max_size=30), AGE_NOISE),
    st.one_of(st.text(max_size=30), AGE_NOISE),
    st.one_of(st.text(max_size=60), AGE_NOISE),
)
def test_age_range_never_raises_and_min_never_exceeds_max(min_raw: str, max_raw: str, age_text: str) -> None:
    low, high = age_range(min_raw, max_raw, age_text)
    check_age(low)
    check_age(high)
    if low is not None and high is not None:
        assert low <= high


@settings(max_examples=200, deadline=None)
@given(
    number=st.integers(min_value=0, max_value=1200),
    unit=st.sampled_from([("Years", 1), ("Year", 1), ("Months", 12), ("Weeks", 52), ("Days", 365), ("岁", 1), ("", 1)]),
)
def test_a_written_age_reads_back_as_its_value_in_years(number: int, unit: tuple[str, int]) -> None:
    word, per_year = unit
    exact = Decimal(number) / per_year
    expected = exact.quantize(CENT, rounding=ROUND_HALF_UP) if exact <= 120 else None
    assert parse_age(f"{number} {word}".strip()) == expected


SEED_PARSERS = ("chictr", "ctgov_classic", "ctgov_modern", "ctgov_v2", "ctgov_xml", "ictrp_xml")


@pytest.mark.skipif(
    any(importlib.util.find_spec(f"ingest.parsers.{name}") is None for name in SEED_PARSERS),
    reason="the seed page parsers are not all written yet",
)
@pytest.mark.parametrize("sample", sorted(name for name in SEEDS_EXPECTED if not name.startswith("_")))
def test_each_parsed_seed_page_gives_its_expected_ages(sample: str) -> None:
    from ingest.parsers import ParseError, parse_document

    try:
        records = list(parse_document((ROOT / "samples" / sample).read_bytes()).records)
    except ParseError as exc:
        if str(exc).startswith("unknown format"):
            pytest.skip(f"no parser reads {sample} yet")
        raise
    record = records[0]
    expected = SEEDS_EXPECTED[sample]
    low, high = age_range(record.min_age, record.max_age, record.age_text)
    assert (low, high) == (
        None if expected["min_age_years"] is None else Decimal(expected["min_age_years"]),
        None if expected["max_age_years"] is None else Decimal(expected["max_age_years"]),
    )
