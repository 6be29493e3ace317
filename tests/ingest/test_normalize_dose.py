"""CAR-T cell dose levels read from registry free text."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.normalize.dose import PLAUSIBLE_BOUNDS, dose_levels, parse_dose_text
from ingest.records import Arm, Intervention, TrialRecord

ROOT = Path(__file__).resolve().parents[2]
SEEDS_EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "seeds_expected.json").read_text(encoding="utf-8"))
UNIT_OF_BASIS = {"per_kg": "cells/kg", "per_m2": "cells/m2", "flat": "cells"}


def levels_of(text: str) -> list[tuple[float, float, str]]:
    return [(lvl.low, lvl.high, lvl.basis) for lvl in parse_dose_text(text)]


def per_kg_range(levels) -> tuple[float | None, float | None]:
    per_kg = [lvl for lvl in levels if lvl.basis == "per_kg"]
    return min((lvl.low for lvl in per_kg), default=None), max((lvl.high for lvl in per_kg), default=None)


# --------------------------------------------------------------------------- forms that must parse

SINGLE_FORMS = [
    ("1E6/kgBW", 1e6, "per_kg"),
    ("Subjects were infused intravenously with Anti-B7-H3-UCAR-T cells at a dose of 5E6/kgBW.", 5e6, "per_kg"),
    ("1×10^6 cells/kg", 1e6, "per_kg"),
    ("5×10\\^5 (±20%) CAR T cells/kg", 5e5, "per_kg"),
    ("3.0 x 10^8 CAR-T cells", 3e8, "flat"),
    ("2 × 10⁶ CAR+ T cells/kg", 2e6, "per_kg"),
    ("1.0×10^6/kg", 1e6, "per_kg"),
    ("10^6 cells/kg", 1e6, "per_kg"),
    ("1*10^6/kg", 1e6, "per_kg"),
    ("1 million cells/kg", 1e6, "per_kg"),
    ("2.5 million CAR-T cells per kg of body weight", 2.5e6, "per_kg"),
    ("2.5x10^7/m2", 2.5e7, "per_m2"),
    ("2.5×10⁷ CAR-T cells/m²", 2.5e7, "per_m2"),
    ("1.5E+06 CAR-T cells/kg", 1.5e6, "per_kg"),
    ("1×10^6/kg", 1e6, "per_kg"),
    ("1×10^6个/kg", 1e6, "per_kg"),
    ("1×10^6细胞/kg", 1e6, "per_kg"),
    ("剂量为1×10^6个CAR-T细胞/kg", 1e6, "per_kg"),
    ("每公斤体重输注1×10^6个CAR-T细胞。", 1e6, "per_kg"),
    ("按照100万个/kg的剂量回输", 1e6, "per_kg"),
    ("１×１０^６/ｋｇ", 1e6, "per_kg"),
    ("1 × 10 ^ 7 CAR-T cells / kg", 1e7, "per_kg"),
    ("1×106 cells/kg", 1e6, "per_kg"),
    ("1.5 x 10(6) cells/kg", 1.5e6, "per_kg"),
    ("a dose of 1,000,000 CAR-T cells/kg", 1e6, "per_kg"),
    ("a total of 2×10^8 CAR-T cells will be infused", 2e8, "flat"),
    ("patients will receive 1×10\u200f^6 CAR-T cells/kg", 1e6, "per_kg"),
]


@pytest.mark.parametrize(("text", "value", "basis"), SINGLE_FORMS)
def test_a_single_dose_is_read_with_its_value_and_basis(text: str, value: float, basis: str) -> None:
    levels = parse_dose_text(text)
    assert [(lvl.low, lvl.high, lvl.basis) for lvl in levels] == [(pytest.approx(value), pytest.approx(value), basis)]
    assert levels[0].unit == UNIT_OF_BASIS[basis]


RANGE_FORMS = [
    ("1x10^6~1x10^7 cells/kg", 1e6, 1e7),
    ("1 infusion, for 1x10^6~1x10^7 cells/kg via IV", 1e6, 1e7),
    ("with a dosage of 1.00 to 10.00 × 10⁶/kg of CAR-positive T cells", 1e6, 1e7),
    ("1-5 × 10^6/kg", 1e6, 5e6),
    ("0.5-1.0 x 10e6 cells/kg", 5e5, 1e6),
    ("0.2-1 x 10\\^7 CART22 cells/kg", 2e6, 1e7),
    ("1×10^6 - 5×10^6 cells/kg", 1e6, 5e6),
    ("between 1×10^6 and 5×10^6 CAR-T cells/kg", 1e6, 5e6),
    ("from 1×10^6 cells/kg to 1×10^7 cells/kg", 1e6, 1e7),
    ("1～3×10^6/kg", 1e6, 3e6),
    ("1-2 million cells/kg", 1e6, 2e6),
    ("（1～5）×10^6个CAR-T细胞/kg", 1e6, 5e6),
    ("(0.5-2.0) x 10^6 CAR-T cells/kg", 5e5, 2e6),
    ("10^5-10^6 cells/kg", 1e5, 1e6),
]


@pytest.mark.parametrize(("text", "low", "high"), RANGE_FORMS)
def test_a_dose_range_is_one_level_from_low_to_high(text: str, low: float, high: float) -> None:
    assert levels_of(text) == [(pytest.approx(low), pytest.approx(high), "per_kg")]


def test_a_reversed_range_is_returned_low_first() -> None:
    assert levels_of("1×10^7~1×10^6 cells/kg") == [(1e6, 1e7, "per_kg")]


def test_the_escaped_caret_escalation_of_sample_001_gives_three_levels_in_order() -> None:
    text = (
        "The dose group to be infusion was 1×10\\^6 CAR-T cells/kg, 3×10\\^6 CAR-T cells/kg, "
        "and 1×10\\^7 CAR-T cells/kg based on the 3+3 dose escalation principle."
    )
    assert levels_of(text) == [(1e6, 1e6, "per_kg"), (3e6, 3e6, "per_kg"), (1e7, 1e7, "per_kg")]


def test_a_list_of_values_sharing_one_unit_gives_one_level_per_value() -> None:
    text = "Dose levels of 1×10^6, 3×10^6 and 1×10^7 CAR-T cells/kg will be explored."
    assert levels_of(text) == [(1e6, 1e6, "per_kg"), (3e6, 3e6, "per_kg"), (1e7, 1e7, "per_kg")]


def test_the_raw_snippet_is_the_dose_as_written() -> None:
    text = "Anti-HER2-CAR-T: 1×10\\^6 CAR-T cells/kg; Group B 5E6/kgBW; dosage of 1.00 to 10.00 × 10⁶/kg."
    raws = [lvl.raw for lvl in parse_dose_text(text)]
    assert raws == ["1×10\\^6 CAR-T cells/kg", "5E6/kgBW", "1.00 to 10.00 × 10⁶/kg"]
    assert all(raw in text for raw in raws)


def test_the_arm_label_is_carried_on_every_level() -> None:
    levels = parse_dose_text("1E6/kgBW or 5E6/kgBW", arm="Group A")
    assert [lvl.arm for lvl in levels] == ["Group A", "Group A"]


def test_the_same_dose_stated_twice_in_one_text_is_one_level() -> None:
    text = "The initial dose of 5×10\\^5 CAR T cells/kg ... the expected dose of 5×10\\^5 (±20%) CAR T cells/kg."
    assert levels_of(text) == [(5e5, 5e5, "per_kg")]


def test_dose_levels_in_tolerance_and_bound_statements_are_all_read() -> None:
    text = (
        "The protocol preset 2 dose levels: Dose 1 (DL-1) was 5×10\\^5 (±20%) CAR T cells/kg, and dose 2 (DL-2) "
        "was 1×10\\^6 (±20%) CAR T cells/kg. The lowest dose is 1×10\\^5 CAR T cells/kg (±20%), and the highest "
        "dose is 1×10\\^6 CAR T cells/kg (±20%)."
    )
    assert levels_of(text) == [(5e5, 5e5, "per_kg"), (1e6, 1e6, "per_kg"), (1e5, 1e5, "per_kg")]


# --------------------------------------------------------------------------- split doses


def test_a_split_dose_schedule_gives_the_total_not_the_percentages() -> None:
    assert levels_of("10%, 30% and 60% of a total 1x10^6/kg on days 0, 1, 2") == [(1e6, 1e6, "per_kg")]


def test_the_daily_fractions_of_a_split_dose_are_not_separate_levels() -> None:
    text = (
        "Subjects \\<50kg will receive 0.2-1 x 10\\^7 CART22 cells/kg as a split dose over three days as follows:\n\n"
        "* Day 1, 10% fraction: 0.2-1x10\\^6 CART22 cells/kg\n"
        "* Day 2, 30% fraction: 0.6-3x10\\^6 CART22 cells/kg\n"
        "* Day 3, 60% fraction: 1.2-6x10\\^6 CART22 cells/kg\n\n"
        "Subjects ≥50kg will receive 1-5x10\\^8 CART22 cells as a split dose over three days as follows:\n\n"
        "* Day 1, 10% fraction: 1-5x10\\^7\n* Day 2, 30% fraction: 0.3-1.5x10\\^8\n* Day 3, 60% fraction: 0.6-3x10\\^8"
    )
    assert levels_of(text) == [(pytest.approx(2e6), pytest.approx(1e7), "per_kg"), (1e8, 5e8, "flat")]


def test_a_fraction_written_after_the_dose_is_not_a_level() -> None:
    assert levels_of("Day 0: 1×10^5 cells/kg (10%); total dose 1×10^6 cells/kg") == [(1e6, 1e6, "per_kg")]


# --------------------------------------------------------------------------- not doses

NOT_DOSES = [
    "fludarabine 25mg/m²",
    "cyclophosphamide 250 mg/m2/day",
    "Cyclophosphamide 1000 mg/m2 on day -3",
    "fluorodarabine 30 mg/m\\^2( body surface area) and cyclophosphamide 250 mg/m\\^2( body surface area)",
    "Ongoing prednisolone \\> 1mg/kg daily or equivalent.",
    "Systemic steroid therapy prednisolone \\>0.5mg/kg/day",
    "prednisone\\> 5 mg/day or equivalent dose of other hormones",
    "ANC ≥ 1×10^9/L",
    "platelets ≥ 75×10^9/L",
    "ANC≥ 1×10^6/L,PLT ≥ 1×10^8/L;",
    "lymphocytes 0.5×10^9/L",
    "Neutrophil ≥ 1.0×10\\^9/L;Hemoglobin≥ 80g/L;Platelet ≥ 75×10\\^9/L;Lymphocytes ≥ 0.5×10\\^9/L",
    "WBC 3.0 x 10^3/μL, platelets 50,000/mm3",
    "absolute lymphocyte count ≥ 100 cells/uL",
    "if the patient's white blood cell (WBC) count is ≤ 1,000 /uL",
    "Hyperleukocytosis (≥ 50,000 blasts/μL)",
    "hepatitis B DNA \\>10\\^3 copies /mL",
    "HBV DNA < 1×10^3 IU/mL",
    "CD34+ cells 5×10^6/kg",
    "a graft of 5×10^6 CD34+ cells/kg",
    "T cells were expanded to 1×10^9 cells in culture",
    "AAV at 2×10^14 vg/kg",
    "Day 1, 10% fraction: 1-5x10\\^7",
    "Subjects \\<50kg; ≥50kg",
    "1 Year to 75 Years (Child, Adult, Older Adult)",
    "Study start 2024-01-16; 3+3 dose escalation; Day 7, 14, 21, 28, 60 and 90",
    "at a dose of CAR+ cells/kg body weight via IV administration",
    "",
]


@pytest.mark.parametrize("text", NOT_DOSES)
def test_drug_doses_lab_thresholds_and_other_numbers_are_not_cell_doses(text: str) -> None:
    assert parse_dose_text(text) == []


def test_lymphodepletion_beside_the_cell_dose_is_ignored() -> None:
    text = (
        "CAR-T therapy: Lymphodepletion treatment will be performed within 14 days prior to CAR-T cell infusion: "
        "intravenous chemotherapy based on fludarabine 25mg/m² and cyclophosphamide 500mg/m² for 1 to 3 days. "
        "CAR-T cells will then be infused intravenously, with a dosage of 1.00 to 10.00 × 10⁶/kg of CAR-positive "
        "T cells."
    )
    assert levels_of(text) == [(1e6, 1e7, "per_kg")]


# --------------------------------------------------------------------------- plausibility


@pytest.mark.parametrize("text", ["1×10^12 cells/kg", "5×10^2 cells/kg", "1×10^2~1×10^6 cells/kg", "1E13 cells"])
def test_implausible_doses_are_dropped(text: str) -> None:
    assert parse_dose_text(text) == []


@pytest.mark.parametrize("text", ["1×10^3 cells/kg", "1×10^11 cells/kg"])
def test_doses_on_the_plausibility_bounds_are_kept(text: str) -> None:
    assert len(parse_dose_text(text)) == 1


# --------------------------------------------------------------------------- records


def make_record(**fields) -> TrialRecord:
    base = {"registry": "ctgov", "registry_id": "NCT00000000", "source_format": "test", "title": "A CAR-T trial"}
    base.update(fields)
    return TrialRecord(**base)


def test_eligibility_criteria_are_never_read_for_doses() -> None:
    record = make_record(
        inclusion_criteria="Patients who received 1×10^6 CAR-T cells/kg before",
        exclusion_criteria="prior infusion of 3×10^6 CAR-T cells/kg",
        eligibility_text="5×10^6 CAR-T cells/kg",
    )
    assert dose_levels(record) == []


def test_every_dose_bearing_field_is_read() -> None:
    record = make_record(
        arms=[Arm(label="Arm 1", description="1×10^5 CAR-T cells/kg")],
        interventions=[Intervention(name="CAR-T", description="2×10^5 CAR-T cells/kg")],
        brief_summary="3×10^5 CAR-T cells/kg",
        detailed_description="4×10^5 CAR-T cells/kg",
        objectives="5×10^5 CAR-T cells/kg",
    )
    assert [lvl.low for lvl in dose_levels(record)] == [1e5, 2e5, 3e5, 4e5, 5e5]


def test_a_level_stated_in_several_places_is_kept_once_with_the_arm_label() -> None:
    text = "1×10^6 CAR-T cells/kg"
    record = make_record(
        brief_summary=text,
        arms=[Arm(label="Cohort A", description=text), Arm(label="Cohort B", description="3×10^6 CAR-T cells/kg")],
        interventions=[Intervention(name="CAR-T", description=text)],
        detailed_description=text,
    )
    levels = dose_levels(record)
    assert [(lvl.low, lvl.arm) for lvl in levels] == [(1e6, "Cohort A"), (3e6, "Cohort B")]


def test_an_intervention_dose_is_attributed_to_the_arm_listing_the_intervention() -> None:
    record = make_record(
        arms=[
            Arm(
                label="Experimental: Sarcoma-specific CAR-T cells",
                description="no dose here",
                interventions=["Biological: Sarcoma-specific CAR-T cells"],
            ),
            Arm(label="Other arm", description="", interventions=["Drug: Fludarabine"]),
        ],
        interventions=[
            Intervention(
                name="Sarcoma-specific CAR-T cells",
                type="BIOLOGICAL",
                description="1 infusion, for 1x10^6~1x10^7 cells/kg via IV",
            )
        ],
    )
    assert [(lvl.low, lvl.high, lvl.arm) for lvl in dose_levels(record)] == [
        (1e6, 1e7, "Experimental: Sarcoma-specific CAR-T cells")
    ]


def test_levels_are_sorted_by_basis_then_dose() -> None:
    record = make_record(
        arms=[
            Arm(label="High", description="1×10^7 CAR-T cells/kg"),
            Arm(label="Flat", description="3×10^8 CAR-T cells"),
            Arm(label="Low", description="1×10^6 CAR-T cells/kg"),
            Arm(label="BSA", description="1×10^7 CAR-T cells/m2"),
        ],
    )
    assert [(lvl.basis, lvl.low) for lvl in dose_levels(record)] == [
        ("per_kg", 1e6),
        ("per_kg", 1e7),
        ("per_m2", 1e7),
        ("flat", 3e8),
    ]


# --------------------------------------------------------------------------- the seed pages

SAMPLE_001_ARM = (
    "Anti-HER2-CAR-T cell is administered as a single intravenous infusion. Follow-up infusions are based on the "
    "investigator's decision.The dose group to be infusion was 1×10\\^6 CAR-T cells/kg, 3×10\\^6 CAR-T cells/kg, and "
    "1×10\\^7 CAR-T cells/kg based on the 3+3 dose escalation principle. The infusion dose refers to the number of "
    "CAR-positive cells.The patients will receive lymphocyte clearance therapy with cyclophosphamide and fludarabine "
    "before the infusion."
)
SAMPLE_003_CART = (
    "CAR-T therapy: Lymphodepletion treatment will be performed within 14 days prior to CAR-T cell infusion: "
    "intravenous chemotherapy based on fludarabine 25mg/m² and cyclophosphamide 500mg/m² for 1 to 3 days. CAR-T cells "
    "will then be infused intravenously, with a dosage of 1.00 to 10.00 × 10⁶/kg of CAR-positive T cells."
)


def seed_records() -> dict[str, TrialRecord]:
    return {
        "000_dda02b667f938841.txt": TrialRecord(
            registry="chictr",
            registry_id="ChiCTR2500108722",
            source_format="test",
            title="A clinical study of universal CAR-T cells targeting B7-H3 for the treatment of relapsed/refractory "
            "bone and soft tissue sarcomas",
            objectives="I. Primary Research objectives: 1. Evaluation of the clinical safety and tolerability of "
            "Anti-B7-H3-UCAR-T for treating relapsed or refractory bone and soft tissue sarcomas.",
            arms=[
                Arm(
                    label="Group A",
                    sample_size="6",
                    description="按照1E6/kgBW的剂量对受试者进行静脉输注Anti-B7-H3-UCAR-T细胞。\nSubjects were infused "
                    "intravenously with Anti-B7-H3-UCAR-T cells at a dose of 1E6/kgBW.",
                ),
                Arm(
                    label="Group B",
                    sample_size="6",
                    description="按照5E6/kgBW的剂量对受试者进行静脉输注Anti-B7-H3-UCAR-T细胞。\nSubjects were infused "
                    "intravenously with Anti-B7-H3-UCAR-T cells at a dose of 5E6/kgBW.",
                ),
            ],
            exclusion_criteria="(12) Patients were treated with systemic corticosteroids (prednisone at a dose greater "
            "than 10 mg/day, or an equivalent dose of another corticosteroid)",
        ),
        "001_951ea498f128be5c.txt": TrialRecord(
            registry="ctgov",
            registry_id="NCT06101082",
            source_format="test",
            title="A Clinical Study Evaluating the Safety and Efficacy of Anti-HER2-CAR-T Cells Injection in Patients "
            "With Solid Tumors",
            arms=[
                Arm(
                    label="Anti-HER2-CAR-T cell infusion",
                    type="EXPERIMENTAL",
                    description=SAMPLE_001_ARM,
                    interventions=["Intravenous infusion anti-HER2-CAR-T cell"],
                )
            ],
            interventions=[
                Intervention(
                    name="Intravenous infusion anti-HER2-CAR-T cell",
                    type="BIOLOGICAL",
                    description=SAMPLE_001_ARM,
                    other_names=["fludarabine cyclophosphamide"],
                )
            ],
            inclusion_criteria="8. Adequate hematological function:Neutrophil ≥ 1.0×10\\^9/L;Hemoglobin≥ 80g/L;"
            "Platelet ≥ 75×10\\^9/L;Lymphocytes ≥ 0.5×10\\^9/L",
            exclusion_criteria="4. Patients with Hepatitis B infection (hepatitis B DNA \\>10\\^3 copies /mL)",
        ),
        "002_ad789d6ba94932a5.txt": TrialRecord(
            registry="ctgov",
            registry_id="NCT03356782",
            source_format="test",
            title="Safety and Efficacy Evaluation of 4th Generation Safety-engineered CAR T Cells Targeting Sarcomas",
            arms=[
                Arm(
                    label="Experimental: Sarcoma-specific CAR-T cells",
                    description="Peripheral blood mononuclear cells (PBMCs) of patients who have CD133, GD2, Muc1, "
                    "CD117 or other marker positive sarcoma will be obtained through apheresis, and T "
                    "cells will be activated and modified to sarcoma-specific CAR-T cells.",
                    interventions=["Biological: Sarcoma-specific CAR-T cells"],
                )
            ],
            interventions=[
                Intervention(
                    name="Sarcoma-specific CAR-T cells",
                    type="Biological",
                    description="1 infusion, for 1x10^6~1x10^7 cells/kg via IV",
                )
            ],
            inclusion_criteria="- ANC≥ 1×10^6/L,PLT ≥ 1×10^8/L;",
        ),
        "003_8a70a621ca2e797d.txt": TrialRecord(
            registry="ctgov",
            registry_id="NCT06836505",
            source_format="test",
            title="Safety and Efficacy of CAR-T Cell Therapy for Relapsed/refractory Neuroblastoma and Desmoplastic "
            "Small Round Cell Tumors: a Single-arm, Open-label Trial.",
            brief_summary="Patients: Relapsed/refractory neuroblastoma; Relapsed/refractory desmoplastic small round "
            "cell tumor.\n\n" + SAMPLE_003_CART,
            detailed_description="Main objective:\n\nTo evaluate the safety of CAR-T cells.\n\n" + SAMPLE_003_CART,
            arms=[
                Arm(
                    label="Safety and efficacy of CAR-T cell therapy for relapsed/refractory NB and DSRCT",
                    type="EXPERIMENTAL",
                    interventions=["CART therapy"],
                )
            ],
            interventions=[
                Intervention(name="CART therapy", type="BIOLOGICAL", description="GD2/B7H3 CAR T-cell therapy")
            ],
        ),
        "004_1074b50f3fa4f392.txt": TrialRecord(
            registry="chictr",
            registry_id="ChiCTR2500105227",
            source_format="test",
            title="Chimeric Antigen Receptor T-Cell Immunotherapy for Refractory Lupus Nephritis",
            objectives="通过检测CAR-T细胞治疗后2周、1个月、3个月、半年、一年等时间点时患者的血常规、CRP、"
            "24小时尿蛋白定量,评估在目前应用的常规剂量下CD19-CART治疗难治性狼疮性肾炎患者的疗效和副反应。",
            arms=[Arm(label="Experimental group", description="CAR-T细胞\nCAR-T cells", sample_size="60")],
            exclusion_criteria="3. Creatinine>220umol/L; ALT/AST > 5 times normal; bilirubin >34umol/L;",
        ),
    }


@pytest.mark.parametrize("sample", sorted(seed_records()))
def test_each_seed_page_gives_its_expected_per_kg_dose_range(sample: str) -> None:
    expected = SEEDS_EXPECTED[sample]
    low, high = per_kg_range(dose_levels(seed_records()[sample]))
    assert (low, high) == (expected["dose_min_cells_per_kg"], expected["dose_max_cells_per_kg"])


def test_the_chictr_seed_keeps_each_group_label_on_its_dose() -> None:
    levels = dose_levels(seed_records()["000_dda02b667f938841.txt"])
    assert [(lvl.low, lvl.arm) for lvl in levels] == [(1e6, "Group A"), (5e6, "Group B")]


SEED_PARSERS = ("chictr", "ctgov_classic", "ctgov_modern", "ctgov_v2", "ctgov_xml", "ictrp_xml")


@pytest.mark.skipif(
    any(importlib.util.find_spec(f"ingest.parsers.{name}") is None for name in SEED_PARSERS),
    reason="the seed page parsers are not all written yet",
)
@pytest.mark.parametrize("sample", sorted(seed_records()))
def test_each_parsed_seed_page_gives_its_expected_per_kg_dose_range(sample: str) -> None:
    from ingest.parsers import ParseError, parse_document

    try:
        records = list(parse_document((ROOT / "samples" / sample).read_bytes()).records)
    except ParseError as exc:
        if str(exc).startswith("unknown format"):
            pytest.skip(f"no parser reads {sample} yet")
        raise
    expected = SEEDS_EXPECTED[sample]
    low, high = per_kg_range(dose_levels(records[0]))
    assert (low, high) == (expected["dose_min_cells_per_kg"], expected["dose_max_cells_per_kg"])


# --------------------------------------------------------------------------- properties

TRICKY_ALPHABET = st.sampled_from(
    list("0123456789.,-~x×X*^eE /()±%:;+ \n")
    + [
        "\\^",
        "10^",
        "10",
        "kg",
        "m2",
        "m²",
        "cells",
        "CAR-T",
        "个",
        "细胞",
        "/kg",
        "/L",
        "/mL",
        "mg",
        "million",
        "万",
        "亿",
        "to",
        "between",
        "and",
        "每公斤",
        "１",
        "８",
        "０",
        "⁶",
        "⁷",
        "¹",
        "⁰",
        "\u200f",
        "\u202e",
        "\x00",
        "\u3000",
        "～",
        "—",
        "E+",
    ]
)
DOSEISH_TEXT = st.lists(TRICKY_ALPHABET, max_size=40).map("".join)


def check_levels(levels) -> None:
    for lvl in levels:
        assert lvl.low <= lvl.high
        assert lvl.unit == UNIT_OF_BASIS[lvl.basis]
        bound_low, bound_high = PLAUSIBLE_BOUNDS[lvl.basis]
        assert bound_low <= lvl.low and lvl.high <= bound_high
        assert lvl.raw
        if lvl.basis == "per_kg":
            assert lvl.low >= 1e3 and lvl.high <= 1e11


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises_and_gives_only_plausible_levels(text: str) -> None:
    check_levels(parse_dose_text(text))


@settings(max_examples=600, deadline=None)
@given(DOSEISH_TEXT)
def test_dose_like_noise_never_raises_and_gives_only_plausible_levels(text: str) -> None:
    check_levels(parse_dose_text(text))


@settings(max_examples=200, deadline=None)
@given(
    mantissa=st.integers(min_value=10, max_value=99).map(lambda n: n / 10),
    exponent=st.integers(min_value=4, max_value=9),
    times=st.sampled_from(["×", "x", " x ", "*", " × "]),
    caret=st.sampled_from(["^", "\\^", ""]),
    unit=st.sampled_from([" cells/kg", "/kg", " CAR-T cells/kg", "个CAR-T细胞/kg", " CAR+ T cells per kg"]),
)
def test_a_written_dose_reads_back_as_its_value(
    mantissa: float, exponent: int, times: str, caret: str, unit: str
) -> None:
    power = f"10{caret}{exponent}" if caret else "10" + "⁰¹²³⁴⁵⁶⁷⁸⁹"[exponent]
    levels = parse_dose_text(f"Patients receive {mantissa}{times}{power}{unit}.")
    assert [(lvl.low, lvl.basis) for lvl in levels] == [(pytest.approx(mantissa * 10**exponent), "per_kg")]


@settings(max_examples=200, deadline=None)
@given(
    low=st.integers(min_value=1, max_value=9),
    high=st.integers(min_value=1, max_value=9),
    exponent=st.integers(min_value=4, max_value=9),
    sep=st.sampled_from(["-", "~", " to ", "–", "～"]),
)
def test_a_shared_exponent_range_reads_back_ordered(low: int, high: int, exponent: int, sep: str) -> None:
    levels = parse_dose_text(f"{low}{sep}{high} × 10^{exponent} cells/kg")
    scale = 10**exponent
    assert [(lvl.low, lvl.high) for lvl in levels] == [(min(low, high) * scale, max(low, high) * scale)]


@settings(max_examples=150, deadline=None)
@given(arm_text=DOSEISH_TEXT, summary=st.text(max_size=200), criteria=DOSEISH_TEXT)
def test_dose_levels_of_any_record_are_unique_and_plausible(arm_text: str, summary: str, criteria: str) -> None:
    record = make_record(
        arms=[Arm(label="A", description=arm_text)], brief_summary=summary, inclusion_criteria=criteria
    )
    levels = dose_levels(record)
    check_levels(levels)
    keys = [(lvl.low, lvl.high, lvl.basis) for lvl in levels]
    assert len(keys) == len(set(keys))
