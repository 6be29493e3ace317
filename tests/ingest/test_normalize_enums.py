"""Registry strings for status, phase, study type, sex and enrollment map onto the canonical enumerations."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.choices import CellSource, DiseaseCategory, Modality, Phase, Sex, Status, StudyType, TrialType
from ingest.normalize import enums

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "seeds_expected.json").read_text())

# Text that registries and hostile input really contain: full-width digits,
# right-to-left marks, NUL, CJK, roman-numeral code points.
AWKWARD = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from(list("０１２３４５６７８９\u200f\u200e\x00期ⅠⅡⅢⅣ男女,/|+-_ ")),
    ),
    max_size=60,
)


def _values(choices: tuple[tuple[str, str], ...]) -> set[str]:
    return {value for value, _ in choices}


# --- the choices themselves -------------------------------------------------------


ALL_CHOICES = {
    "STATUS_CHOICES": Status.choices,
    "PHASE_CHOICES": Phase.choices,
    "SEX_CHOICES": Sex.choices,
    "CELL_SOURCE_CHOICES": CellSource.choices,
    "DISEASE_CATEGORY_CHOICES": DiseaseCategory.choices,
    "STUDY_TYPE_CHOICES": StudyType.choices,
    "MODALITY_CHOICES": Modality.choices,
    "TRIAL_TYPE_CHOICES": TrialType.choices,
}


def test_the_enumeration_values_are_exactly_the_ones_the_export_and_api_use() -> None:
    assert _values(Status.choices) == {
        "not_yet_recruiting", "recruiting", "enrolling_by_invitation", "active_not_recruiting",
        "suspended", "terminated", "completed", "withdrawn", "unknown",
    }  # fmt: skip
    assert _values(Phase.choices) == {
        "early_phase1", "phase1", "phase1_phase2", "phase2", "phase2_phase3", "phase3", "phase4", "not_applicable",
    }  # fmt: skip
    assert _values(Sex.choices) == {"all", "female", "male"}
    assert _values(DiseaseCategory.choices) == {"hematologic_malignancy", "solid_tumor", "autoimmune", "other"}
    assert _values(CellSource.choices) == {"autologous", "allogeneic", "in_vivo", "unknown"}
    assert _values(Modality.choices) == {
        "car_t", "car_nk", "car_nkt", "car_gd_t", "car_treg", "caar_t", "car_m", "in_vivo_car", "tcr_t",
    }  # fmt: skip
    assert _values(TrialType.choices) == {
        "treatment", "long_term_follow_up", "observational", "supportive_care", "other",
    }  # fmt: skip
    assert {"interventional", "observational", "expanded_access"} <= _values(StudyType.choices)


@pytest.mark.parametrize("name", sorted(ALL_CHOICES))
def test_every_choice_has_a_unique_value_and_a_readable_label(name: str) -> None:
    choices = ALL_CHOICES[name]
    values = [value for value, _ in choices]
    assert len(values) == len(set(values))
    for value, label in choices:
        assert value == value.strip().lower() and " " not in value
        assert label.strip() and label[0].isupper() and "_" not in label


def test_labels_read_like_a_clinician_would_write_them() -> None:
    assert dict(Phase.choices)["phase1_phase2"] == "Phase 1/2"
    assert dict(Status.choices)["not_yet_recruiting"] == "Not yet recruiting"
    assert dict(DiseaseCategory.choices)["hematologic_malignancy"] == "Hematologic malignancy"


def test_the_enums_module_imports_nothing_from_django() -> None:
    tree = ast.parse(Path(enums.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not any(name.split(".")[0] == "django" for name in imported)


# --- status ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # ClinicalTrials.gov API v2
        ("RECRUITING", "recruiting"),
        ("NOT_YET_RECRUITING", "not_yet_recruiting"),
        ("ACTIVE_NOT_RECRUITING", "active_not_recruiting"),
        ("ENROLLING_BY_INVITATION", "enrolling_by_invitation"),
        ("COMPLETED", "completed"),
        ("TERMINATED", "terminated"),
        ("SUSPENDED", "suspended"),
        ("WITHDRAWN", "withdrawn"),
        ("UNKNOWN", "unknown"),
        ("AVAILABLE", "recruiting"),
        ("NO_LONGER_AVAILABLE", "completed"),
        ("TEMPORARILY_NOT_AVAILABLE", "suspended"),
        ("APPROVED_FOR_MARKETING", "completed"),
        ("WITHHELD", "unknown"),
        # classic text
        ("Recruiting", "recruiting"),
        ("Not yet recruiting", "not_yet_recruiting"),
        ("Active, not recruiting", "active_not_recruiting"),
        ("Enrolling by invitation", "enrolling_by_invitation"),
        ("Unknown status", "unknown"),
        # ChiCTR, Chinese, English and both
        ("正在进行", "recruiting"),
        ("尚未开始", "not_yet_recruiting"),
        ("结束", "completed"),
        ("暂停", "suspended"),
        ("Suspending", "suspended"),
        ("终止", "terminated"),
        ("尚未开始 Not yet recruiting", "not_yet_recruiting"),
        ("正在进行\nRecruiting", "recruiting"),
        # ICTRP
        ("Pending", "not_yet_recruiting"),
        ("Not recruiting", "active_not_recruiting"),
        ("Authorised-recruitment may be ongoing or finished", "unknown"),
    ],
)
def test_registry_status_strings_map_to_the_canonical_status(raw: str, expected: str) -> None:
    assert enums.status(raw) == expected


@pytest.mark.parametrize("raw", ["预注册", "Prospective registration", "补注册", "Retrospective registration"])
def test_the_chictr_registration_status_is_not_mistaken_for_a_recruiting_status(raw: str) -> None:
    assert enums.status(raw) == "unknown"


@pytest.mark.parametrize("raw", ["lorem ipsum", "???"])
def test_an_unrecognised_status_is_unknown(raw: str | None) -> None:
    assert enums.status(raw) == "unknown"


@pytest.mark.parametrize("raw", ["", None, "   "])
def test_no_status_at_all_stays_not_stated(raw: str | None) -> None:
    assert enums.status(raw) is None


def _chictr_recruiting_status(page: str) -> str:
    """The two lines after "征募研究对象情况" on a ChiCTR page: the Chinese and English status."""
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.startswith("征募研究对象情况"))
    following = [line for line in lines[start + 1 : start + 4] if not line.startswith("Recruiting status")]
    return " ".join(following[:2])


@pytest.mark.parametrize("seed", ["000_dda02b667f938841.txt", "004_1074b50f3fa4f392.txt"])
def test_the_recruiting_status_on_a_real_chictr_page_maps_to_the_seed_expectation(seed: str) -> None:
    raw = _chictr_recruiting_status((SAMPLES / seed).read_text(encoding="utf-8"))
    assert enums.status(raw) == EXPECTED[seed]["status"]


# --- phase ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PHASE1", "phase1"),
        ("PHASE2", "phase2"),
        ("PHASE3", "phase3"),
        ("PHASE4", "phase4"),
        ("PHASE1/PHASE2", "phase1_phase2"),
        ("PHASE1, PHASE2", "phase1_phase2"),
        ("PHASE2, PHASE3", "phase2_phase3"),
        ("Phase 1 Phase 2", "phase1_phase2"),
        ("Phase 1/Phase 2", "phase1_phase2"),
        ("Phase 1|Phase 2", "phase1_phase2"),
        ("Phase I/II", "phase1_phase2"),
        ("Phase 1b/2", "phase1_phase2"),
        ("Phase 2a", "phase2"),
        ("Phase III", "phase3"),
        ("EARLY_PHASE1", "early_phase1"),
        ("Early Phase 1", "early_phase1"),
        ("Phase 0", "early_phase1"),
        ("I期", "phase1"),
        ("Ⅰ期", "phase1"),
        ("II期", "phase2"),
        ("Ⅱ期", "phase2"),
        ("I+II期", "phase1_phase2"),
        ("Ⅰ/Ⅱ期", "phase1_phase2"),
        ("Ⅱ/Ⅲ期", "phase2_phase3"),
        ("IV期", "phase4"),
        ("0期", "early_phase1"),
        ("上市后药物", "phase4"),
    ],
)
def test_registry_phase_strings_map_to_the_canonical_phase(raw: str, expected: str) -> None:
    assert enums.phase(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "NA", "N/A", "Not Applicable", "New Treatment Measure Clinical Study", "治疗新技术临床试验",
        "其它", "Others", "Retrospective study", "Pilot",
    ],
)  # fmt: skip
def test_stated_non_phase_text_is_not_applicable(raw: str | None) -> None:
    assert enums.phase(raw) == "not_applicable"
    assert enums.phase(raw, "INTERVENTIONAL") == "not_applicable"


@pytest.mark.parametrize("raw", ["", None, "  "])
def test_no_phase_at_all_stays_not_stated_not_not_applicable(raw: str | None) -> None:
    assert enums.phase(raw) is None
    assert enums.phase(raw, "OBSERVATIONAL") is None


@pytest.mark.parametrize("study_type", ["OBSERVATIONAL", "Observational [Patient Registry]", "观察性研究"])
def test_an_observational_study_has_no_phase_whatever_the_phase_field_says(study_type: str) -> None:
    assert enums.phase("Phase 2", study_type) == "not_applicable"
    assert enums.phase("", study_type) is None


def test_the_study_type_does_not_change_the_phase_of_an_interventional_trial() -> None:
    assert enums.phase("PHASE2", "INTERVENTIONAL") == enums.phase("PHASE2") == "phase2"


# --- study type ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("INTERVENTIONAL", "interventional"),
        ("Interventional (Clinical Trial)", "interventional"),
        ("Interventional study", "interventional"),
        ("干预性研究", "interventional"),
        ("OBSERVATIONAL", "observational"),
        ("Observational", "observational"),
        ("观察性研究", "observational"),
        ("Non-interventional study", "observational"),
        ("EXPANDED_ACCESS", "expanded_access"),
        ("Expanded Access", "expanded_access"),
        ("诊断试验", "other"),
        ("Basic science", "other"),
        ("", None),
        (None, None),
        ("N/A", None),
    ],
)
def test_registry_study_types_map_to_the_canonical_study_type(raw: str | None, expected: str) -> None:
    assert enums.study_type(raw) == expected


# --- sex --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ALL", "all"), ("All", "all"), ("Both", "all"), ("男女均可", "all"), ("Male and female", "all"),
        ("Male", "male"), ("MALE", "male"), ("男", "male"),
        ("Female", "female"), ("FEMALE", "female"), ("女", "female"), ("Women only", "female"),
    ],
)  # fmt: skip
def test_registry_sex_strings_map_to_the_canonical_sex(raw: str, expected: str) -> None:
    assert enums.sex(raw) == expected


@pytest.mark.parametrize("raw", ["", None, "   ", "not stated", "?"])
def test_an_unstated_sex_stays_not_stated_never_all(raw: str | None) -> None:
    assert enums.sex(raw) is None


# --- enrollment -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        ("9 participants", 9),
        ("20", 20),
        ("Estimated Enrollment: 20 participants", 20),
        ("1,200", 1200),
        ("２０", 20),
        ("0", 0),
        ("60例", 60),
    ],
)
def test_the_stated_total_enrollment_is_read_as_a_number(total: str, expected: int) -> None:
    assert enums.enrollment(total, []) == expected


def test_without_a_total_the_enrollment_is_the_sum_of_the_arm_sizes() -> None:
    assert enums.enrollment("", ["6", "6"]) == 12
    assert enums.enrollment("", ["60"]) == 60
    assert enums.enrollment("", ["10 participants", "", "n/a", "５"]) == 15


def test_a_stated_total_wins_over_the_arm_sizes() -> None:
    assert enums.enrollment("30", ["6", "6"]) == 30


@pytest.mark.parametrize(("total", "arms"), [("", []), ("", ["", "unknown"]), ("not stated", []), (None, None)])
def test_the_enrollment_is_none_when_nothing_states_a_number(total: str | None, arms: list[str] | None) -> None:
    assert enums.enrollment(total, arms) is None


def test_a_minus_sign_never_makes_the_enrollment_negative() -> None:
    assert enums.enrollment("-5", []) == 5


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=300)
@given(AWKWARD, AWKWARD)
def test_the_enum_functions_never_raise_and_always_answer_a_canonical_value(raw: str, other: str) -> None:
    assert enums.status(raw) in _values(Status.choices) | {None}
    assert enums.phase(raw, other) in _values(Phase.choices) | {None}
    assert enums.study_type(raw) in _values(StudyType.choices) | {None}
    assert enums.sex(raw) in _values(Sex.choices) | {None}


@settings(max_examples=300)
@given(AWKWARD, st.lists(AWKWARD, max_size=5))
def test_the_enrollment_is_never_negative_and_never_raises(total: str, arms: list[str]) -> None:
    value = enums.enrollment(total, arms)
    assert value is None or (isinstance(value, int) and value >= 0)


@given(st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=6))
def test_the_enrollment_of_arms_alone_is_exactly_their_sum(sizes: list[int]) -> None:
    assert enums.enrollment("", [f"{n} participants" for n in sizes]) == sum(sizes)


@given(st.integers(min_value=0, max_value=9_999_999))
def test_a_total_written_with_thousands_separators_reads_back_as_the_same_number(n: int) -> None:
    assert enums.enrollment(f"{n:,} participants", []) == n
