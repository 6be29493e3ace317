"""Normalizers and parser text helpers on adversarial input (issue 7).

Long runs of whitespace, digits, ligatures or repeated tokens used to make a
regex backtrack for minutes. The regression tests below feed those shapes at
up to a megabyte and assert the correct result; with the old patterns they
would not finish. No test asserts a timing. The property tests draw such runs
at random (see `tests.ingest.adversarial`) and check that every value is
possible: ages within 0-120 and ordered, doses within their plausible bounds,
enumerations within their choices.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue import countries
from ingest.normalize import age, antigens, cell_source, dates, diseases, dose, enums, normalize
from ingest.parsers import _criteria, _html
from ingest.records import Arm, Intervention, SiteRecord, TrialRecord
from tests.ingest.adversarial import adversarial_runs, adversarial_text, run_of

MB = 1_000_000
UNIT_OF_BASIS = {"per_kg": "cells/kg", "per_m2": "cells/m2", "flat": "cells"}


def record(**fields) -> TrialRecord:
    base = {"registry": "ctgov", "registry_id": "NCT00000000", "source_format": "test", "title": "A CAR-T trial"}
    base.update(fields)
    return TrialRecord(**base)


def levels(text: str) -> list[tuple[float, float, str]]:
    return [(level.low, level.high, level.basis) for level in dose.parse_dose_text(text)]


# --------------------------------------------------------------------------- doses


def test_a_long_word_between_a_dose_and_its_unit_is_read_whole() -> None:
    # Each word used to be tried as every split into smaller words: 40 letters took minutes.
    assert levels("1×10^6 " + "x" * 50_000 + " cells/kg") == [(1e6, 1e6, "per_kg")]
    assert levels("1×10^6 " + "a" * 80 + " x") == []


def test_a_dose_followed_by_a_megabyte_of_registry_ids_keeps_its_level() -> None:
    text = "1×10^6 CAR-T cells/kg; NCT" + run_of("0000000NCT", MB)
    found = [(lvl.low, lvl.basis, lvl.raw) for lvl in dose.parse_dose_text(text)]
    assert found == [(1e6, "per_kg", "1×10^6 CAR-T cells/kg")]


def test_a_unit_glued_to_the_last_word_is_still_found() -> None:
    assert levels("3 x 10^6 cellsper kg") == [(3e6, 3e6, "per_kg")]
    assert levels("1×10^6 CAR-Tkg-1") == [(1e6, 1e6, "per_kg")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1" * (MB // 2) + " " * (MB // 2) + "x", []),
        ("Dose 2x10^6" + " " * MB + "cells/kg", [(2e6, 2e6, "per_kg")]),
        ("1x10^(" + " " * MB + "+6) cells/kg", [(1e6, 1e6, "per_kg")]),
        ("3x10^8 cells/m" + " " * MB + "^2", [(3e8, 3e8, "per_m2")]),
        ("5×10^5 (" + " " * MB + "±20%) CAR T cells/kg", [(5e5, 5e5, "per_kg")]),
    ],
    ids=["digits-then-spaces", "spaces-before-unit", "spaces-in-exponent", "spaces-in-m2", "spaces-before-tolerance"],
)
def test_a_megabyte_of_whitespace_inside_a_dose_changes_nothing(text: str, expected: list) -> None:
    assert levels(text) == expected


def test_split_dose_fractions_far_from_their_closing_bracket_are_skipped() -> None:
    assert levels(run_of("1e6 cells/kg (20% of total ", MB) + ")") == []
    assert levels("2e6 cells/kg (20% of the dose; 3e6 cells/kg") == [(2e6, 2e6, "per_kg"), (3e6, 3e6, "per_kg")]


@pytest.mark.parametrize("run", ["１", "ﬁ", "\u200f", "⁶", "\x00", "\u3000", "1e6 ", "1x10^6 CAR-T cells/kg, "])
def test_a_megabyte_run_after_a_dose_leaves_the_dose_as_written(run: str) -> None:
    found = dose.parse_dose_text("１×１０^６ CAR-T cells/kg; " + run_of(run, MB))
    assert (found[0].low, found[0].basis, found[0].raw) == (1e6, "per_kg", "１×１０^６ CAR-T cells/kg")
    assert all(level.low == 1e6 for level in found)


# --------------------------------------------------------------------------- antigens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CD19 " + "1" * 30 + " CAR-T cells", ["CD19"]),  # 30 digits took minutes
        ("CD19 " + "1" * MB + " CAR-T cells", ["CD19"]),
        ("CD19 " + run_of("- 19", 80) + " CAR-T cells", ["CD19"]),
        ("after prior CD19 " + run_of("1234", 80_000) + " CAR-T cells", []),
        (run_of("cd19 car-t ", MB), ["CD19"]),
        (run_of(".CD19", MB) + " CAR-T", ["CD19"]),
        ("Anti-HER2-" + "ﬁ" * MB + "CAR-T Cells", ["HER2"]),
        ("CD19" + "+" * MB + "!CD20 CAR-T", ["CD20"]),
        ("CD19" + " " * MB + "CAR-T", ["CD19"]),
        ("CAR-T cells targeting" + " " * MB + "CD22", ["CD22"]),
        ("CD19" + run_of("/cd20x", 600) + " negative", ["CD19", "CD20"]),
    ],
    ids=[
        "cd-then-30-digits",
        "cd-then-1mb-digits",
        "cd-number-list",
        "prior-cd-digits",
        "repeated-mentions",
        "glued-stops",
        "ligatures",
        "plus-signs",
        "spaces-before-car",
        "spaces-after-targeting",
        "cd-x-list",
    ],
)
def test_antigens_in_adversarial_text(text: str, expected: list[str]) -> None:
    assert antigens.find_antigens_in_text(text) == expected


def test_a_background_sentence_is_found_once_for_many_mentions() -> None:
    # Each mention used to search its whole sentence again: quadratic in the sentence.
    text = "Such as " + run_of("CD20 " + "and more " * 100, MB // 2) + ". CD19 CAR-T cells are given."
    assert antigens.find_antigens_in_text(text) == ["CD19"]


# --------------------------------------------------------------------------- enumerations, ages, dates, places


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (run_of("1,", MB), "not_applicable"),
        (run_of("1,", MB) + "1期", "phase1"),
        ("PHASE 1" + " " * MB + "x", "phase1"),
        ("Phase " + run_of("1 ", MB), "phase1"),
        (run_of("II/", MB), "not_applicable"),
    ],
)
def test_phase_of_a_megabyte_of_numerals(raw: str, expected: str) -> None:
    assert enums.phase(raw) == expected


def test_enrollment_of_thousands_of_digits_is_read_without_error() -> None:
    assert enums.enrollment("1" * 5000, []) is None  # int() refused it: a ValueError escaped normalize()
    assert enums.enrollment("0" * 5000 + "12", []) == 12
    assert enums.enrollment("", ["9" * 5000, "7 participants"]) == 7


def test_ages_dates_countries_and_diseases_in_a_megabyte_of_blanks() -> None:
    assert age.age_range("", "", "18 Years to 65 Years" + " " * MB) == (Decimal("18.00"), Decimal("65.00"))
    assert age.parse_age("18 Years" + "\u200f" * MB) == Decimal("18.00")
    assert dates.parse_date("2024-01-16" + " " * MB) == date(2024, 1, 16)
    assert countries.country_list([" " * MB + "China"]) == ["China"]
    names = [spec.name for spec in diseases.default_vocabulary().find(["B-cell lymphoma" + " " * MB])]
    assert names == ["B-cell non-Hodgkin lymphoma"]


def test_cell_source_in_a_megabyte_of_text() -> None:
    assert cell_source.cell_source(record(title="Autologous CD19 CAR-T" + " " * MB)) == "autologous"
    summary = run_of("1, ", MB) + "CAR-T cells from healthy donors"
    assert cell_source.cell_source(record(title="CD19 CAR-T", brief_summary=summary)) == "allogeneic"


# --------------------------------------------------------------------------- parser text helpers


def test_a_layout_gap_of_no_break_spaces_after_a_megabyte_of_spaces() -> None:
    assert _html.html_lines("<html><body><p>a" + " " * MB + "\xa0\xa0\xa0b</p></body></html>") == ["a | b"]
    assert _html.html_lines("<html><body><p>a\xa0" + " " * MB + "\xa0b</p></body></html>") == ["a b"]


def test_age_ranges_of_a_megabyte_of_digits() -> None:
    assert _html.split_age_range("1" * MB) == ("", "")
    assert _html.split_age_range("18 Years to 75 Years" + " 1" * MB) == ("18 Years", "75 Years")


# --------------------------------------------------------------------------- properties

PROPERTIES = settings(max_examples=40, deadline=None)


def check_levels(found) -> None:
    for level in found:
        low, high = dose.PLAUSIBLE_BOUNDS[level.basis]
        assert low <= level.low <= level.high <= high
        assert level.unit == UNIT_OF_BASIS[level.basis]
        if level.basis == "per_kg":
            assert 1e3 <= level.low <= level.high <= 1e11


def check_age(value: Decimal | None) -> None:
    assert value is None or Decimal(0) <= value <= age.MAX_AGE_YEARS


@PROPERTIES
@given(st.one_of(adversarial_runs(), adversarial_text()))
def test_every_normalizer_gives_a_possible_value_for_adversarial_text(text: str) -> None:
    check_levels(dose.parse_dose_text(text))
    found = antigens.find_antigens_in_text(text)
    assert len(found) == len(set(found)) and all(isinstance(name, str) and name for name in found)
    assert all(spec.name for spec in diseases.default_vocabulary().find([text]))
    check_age(age.parse_age(text))
    low, high = age.age_range(text, text, text)
    check_age(low)
    check_age(high)
    assert low is None or high is None or low <= high
    parsed = dates.parse_date(text)
    assert parsed is None or 1900 <= parsed.year <= 2100
    assert countries.country_name(text) is None or countries.country_name(text) in countries.country_list([text])
    # None only for a string that states nothing; never a value outside the vocabulary.
    assert enums.status(text) in enums.STATUS_VALUES | {None}
    assert enums.phase(text) in enums.PHASE_VALUES | {None}
    assert enums.study_type(text) in enums.STUDY_TYPE_VALUES | {None}
    assert enums.sex(text) in enums.SEX_VALUES | {None}
    if any(ch.isalnum() for ch in text):
        assert enums.status(text) is not None and enums.phase(text) is not None
    count = enums.enrollment(text, [text])
    assert count is None or count >= 0
    assert cell_source.cell_source(record(title=text, brief_summary=text)) in enums.CELL_SOURCE_VALUES


@PROPERTIES
@given(st.one_of(adversarial_runs(), adversarial_text()))
def test_parser_text_helpers_never_fail_on_adversarial_text(text: str) -> None:
    assert all(isinstance(line, str) for line in _html.text_lines(text))
    cleaned = _html.clean_line(text)
    assert cleaned == cleaned.strip()
    assert all("\n" not in line for line in _html.html_lines(f"<html><body><p>{text}</p></body></html>"))
    assert all(isinstance(part, str) for part in _html.split_age_range(text))
    inclusion, exclusion = _criteria.split_criteria(text)
    assert isinstance(inclusion, str) and isinstance(exclusion, str)
    assert len(_html.split_address(text, "China")) == 3


@PROPERTIES
@given(
    summary=adversarial_text(),
    arm=st.one_of(adversarial_runs(), adversarial_text()),
    age_text=adversarial_runs(),
    short=st.one_of(adversarial_runs(max_size=5_000), st.sampled_from(["18 Years", "Phase 2", "China", "1,200"])),
)
def test_a_record_of_adversarial_fields_normalizes_to_possible_values(
    summary: str, arm: str, age_text: str, short: str
) -> None:
    trial = normalize(
        record(
            brief_summary=summary,
            detailed_description=arm,
            age_text=age_text,
            min_age=short,
            max_age="",
            phase=short,
            status=short,
            sex=short,
            enrollment=short,
            start_date=short,
            conditions=[short],
            countries=[short],
            arms=[Arm(label="A", description=arm)],
            interventions=[Intervention(name="CAR-T", description=summary)],
            sites=[SiteRecord(institution="H", country=short)],
        )
    )
    check_age(trial.min_age_years)
    check_age(trial.max_age_years)
    if trial.min_age_years is not None and trial.max_age_years is not None:
        assert trial.min_age_years <= trial.max_age_years
    check_levels(trial.dose_levels)
    if trial.dose_min_cells_per_kg is not None:
        assert 1e3 <= trial.dose_min_cells_per_kg <= trial.dose_max_cells_per_kg <= 1e11
    assert trial.enrollment is None or trial.enrollment >= 0
    assert trial.phase in enums.PHASE_VALUES | {None} and trial.status in enums.STATUS_VALUES | {None}
    assert (trial.phase is None) == (not short.strip())
