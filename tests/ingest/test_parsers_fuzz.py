"""Property tests over every parser: the only failure allowed is a clear ParseError.

Inputs are real pages (samples and fixtures of every format), truncated,
shuffled, padded with huge fields and sprinkled with Unicode oddities, and long
adversarial runs (see `tests.ingest.adversarial`) that once made a regex
backtrack for minutes. The examples are random on every run; each test is
bounded by its example count, not by a deadline.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.normalize import normalize
from ingest.normalize.age import MAX_AGE_YEARS
from ingest.normalize.dose import PLAUSIBLE_BOUNDS
from ingest.parsers import ParseError, get_parser, parse_document, parser_names
from tests.conftest import FIXTURES, SAMPLES
from tests.ingest.adversarial import adversarial_runs

PAGES: list[bytes] = [p.read_bytes() for p in sorted(SAMPLES.glob("*"))] + [
    p.read_bytes()
    for p in sorted(FIXTURES.rglob("*"))
    if p.is_file() and p.suffix in {".html", ".json", ".xml", ".txt"}
]
ODDITIES = [
    "\u200f", "\u202e", "\x00", "\ufeff", "１８", "⁶", "×10⁶", "\u00a0", "\u3000", "𝟙𝟠", "\ud7ff", "é", "ﬁ",
    "\r\n", "\t", "<script>alert(1)</script>", "&nbsp;", "&#0;", "]]>", "{", "}", '"', "\\", "Ages Eligible for Study:",
    "注册号:", "Registration number:", "NCT0000000", "ChiCTR", "最小", "岁", "1E6/kgBW",
]  # fmt: skip
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _must_parse_or_refuse(content: bytes, format: str | None = None) -> None:
    try:
        result = parse_document(content, format=format)
        records = list(result.records)  # a page is read as it is consumed, so it may fail part-way
    except ParseError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        return
    assert all("\n" not in problem for problem in result.problems)
    for record in records:
        trial = normalize(record)
        assert trial.min_age_years is None or 0 <= trial.min_age_years <= MAX_AGE_YEARS
        assert trial.max_age_years is None or 0 <= trial.max_age_years <= MAX_AGE_YEARS
        if trial.min_age_years is not None and trial.max_age_years is not None:
            assert trial.min_age_years <= trial.max_age_years
        for level in trial.dose_levels:
            bound_low, bound_high = PLAUSIBLE_BOUNDS[level.basis]
            assert bound_low <= level.low <= level.high <= bound_high
            if level.basis == "per_kg":
                assert 1e3 <= level.low <= level.high <= 1e11
        assert trial.enrollment is None or trial.enrollment >= 0


@FUZZ
@given(page=st.sampled_from(PAGES), data=st.data())
def test_truncated_real_pages_parse_or_fail_cleanly(page: bytes, data) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(page)))
    _must_parse_or_refuse(page[:cut])


@FUZZ
@given(page=st.sampled_from(PAGES), seed=st.randoms(use_true_random=False))
def test_shuffled_real_pages_parse_or_fail_cleanly(page: bytes, seed) -> None:
    lines = page.split(b"\n")
    seed.shuffle(lines)
    _must_parse_or_refuse(b"\n".join(lines))


@FUZZ
@given(page=st.sampled_from(PAGES), data=st.data())
def test_unicode_oddities_and_huge_fields_parse_or_fail_cleanly(page: bytes, data) -> None:
    text = page.decode("utf-8", errors="replace")
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        at = data.draw(st.integers(min_value=0, max_value=len(text)))
        insert = data.draw(st.sampled_from(ODDITIES)) * data.draw(st.sampled_from([1, 3, 5000]))
        text = text[:at] + insert + text[at:]
    _must_parse_or_refuse(text.encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(page=st.sampled_from(PAGES), data=st.data())
def test_long_adversarial_runs_in_real_pages_parse_or_fail_cleanly(page: bytes, data) -> None:
    # Runs of whitespace, digits, ligatures, NULs or repeated tokens, tens of
    # thousands of characters long, inside a field or between fields.
    text = page.decode("utf-8", errors="replace")
    lines = text.split("\n")
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        line = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        at = data.draw(st.integers(min_value=0, max_value=len(lines[line])))
        lines[line] = lines[line][:at] + data.draw(adversarial_runs(max_size=60_000)) + lines[line][at:]
    _must_parse_or_refuse("\n".join(lines).encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(content=st.binary(max_size=4000), format=st.sampled_from([None, *parser_names()]))
def test_random_bytes_in_any_forced_format_fail_cleanly(content: bytes, format: str | None) -> None:
    _must_parse_or_refuse(content, format)


@FUZZ
@given(page=st.sampled_from(PAGES), format=st.sampled_from(parser_names()))
def test_a_real_page_forced_through_the_wrong_parser_fails_cleanly(page: bytes, format: str) -> None:
    assert get_parser(format).name == format
    _must_parse_or_refuse(page, format)


@FUZZ
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=50),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4),
        max_leaves=30,
    )
)
def test_json_of_any_shape_fails_cleanly_or_parses(value) -> None:
    import json

    document = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT01234567", "briefTitle": "CD19 CAR-T"},
            "designModule": value,
            "eligibilityModule": value,
        }
    }
    _must_parse_or_refuse(json.dumps(document).encode())
    _must_parse_or_refuse(json.dumps(value).encode())
