"""ClinicalTrials.gov records as rendered by modern study pages and their mirrors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import _html
from ingest.parsers.ctgov_modern import CtgovModernParser
from ingest.records import ParseError, TrialRecord

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
FIXTURES = REPO / "tests" / "fixtures"
CORPUS = REPO / ".." / "shared" / "corpus"
HER2 = "001_951ea498f128be5c.txt"
NEURO = "003_8a70a621ca2e797d.txt"


def parse_one(text: str) -> TrialRecord:
    [record] = CtgovModernParser().parse(text)
    return record


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(read(FIXTURES / "seeds_expected.json"))


@pytest.fixture(scope="module")
def her2() -> TrialRecord:
    return parse_one(read(SAMPLES / HER2))


@pytest.fixture(scope="module")
def neuro() -> TrialRecord:
    return parse_one(read(SAMPLES / NEURO))


@pytest.fixture(scope="module")
def html() -> TrialRecord:
    return parse_one(read(FIXTURES / "ctgov_modern_sample.html"))


BLURB = "Review the details of this section that the sponsor provided for this trial."


def modern_text(
    sections: dict[str, str] | None = None,
    *,
    title: str = "GPC3 CAR-T Cells in Hepatocellular Carcinoma",
    blurb: str = BLURB,
) -> str:
    """A small modern rendering; `sections` replaces (or drops, with "") headings' content."""
    content = {
        "Recruitment Status": "NOT_YET_RECRUITING",
        "Clinical Phase": "PHASE1",
        "Total Enrollment": "24 participants",
        "Study Classification": "INTERVENTIONAL",
        "Study Start Date": "2025-03-01",
        "Brief Summary": "This study tests GPC3 CAR-T cells in adults with hepatocellular carcinoma.",
        "Conditions": "Hepatocellular Carcinoma",
        "Study Groups": "GPC3 CAR-T\nSingle infusion of 3×10^6 cells/kg.\nGroup Type EXPERIMENTAL\n"
        "GPC3 CAR-T cells\nIntervention Type BIOLOGICAL\nAutologous GPC3-directed CAR-T cells.",
        "Interventions": "GPC3 CAR-T cells\nAutologous GPC3-directed CAR-T cells.\nIntervention Type BIOLOGICAL",
        "Eligibility Criteria": "Inclusion Criteria\n1. GPC3 positive HCC\nExclusion Criteria\n1. Active hepatitis",
        "Minimum Eligible Age": "18 Years",
        "Maximum Eligible Age": "75 Years",
        "Eligible Sex": "ALL",
        "Sponsors": "Zhejiang University\nOTHER\nSponsor Role lead",
        "Locations": "First Affiliated Hospital, Zhejiang University\nHangzhou, Zhejiang, China\nSite Status RECRUITING",
        "Countries": "China",
        "Other Identifiers": "ZJU-GPC3-01\nIdentifier Type: -\nIdentifier Source: org_study_id",
    }
    content.update(sections or {})
    with_blurb = {
        "Brief Summary",
        "Conditions",
        "Study Groups",
        "Interventions",
        "Eligibility Criteria",
        "Sponsors",
        "Locations",
        "Countries",
        "Other Identifiers",
    }
    parts = [title, "NCT ID: NCT07654321", "Last Updated: 2025-04-01"]
    for heading, body in content.items():
        if not body:
            continue
        parts.append(heading)
        if heading in with_blurb and blurb:
            parts.append(blurb)
        parts.append(body)
    return "\n\n".join(parts)


# --- seed 001 (HER2), field by field ---------------------------------------------------------


def test_it_reads_the_nct_id_and_marks_the_text_format(her2: TrialRecord, expected: dict) -> None:
    assert (her2.registry, her2.registry_id, her2.source_format) == ("ctgov", "NCT06101082", "ctgov_modern_text")
    assert her2.registry_id == expected[HER2]["registry_id"]


def test_it_reads_the_title_above_the_nct_id(her2: TrialRecord, expected: dict) -> None:
    assert her2.title == expected[HER2]["title"]
    assert her2.official_title is None


def test_it_reads_the_basic_information_values_as_written(her2: TrialRecord) -> None:
    assert her2.status == "RECRUITING"
    assert her2.phase == "PHASE1"
    assert her2.study_type == "INTERVENTIONAL"
    assert (her2.enrollment, her2.enrollment_type) == ("9", "")
    assert her2.start_date == "2024-01-16"
    assert her2.completion_date == "2026-10-19"
    assert her2.last_update_date == "2024-03-06"


def test_it_reads_minimum_and_maximum_eligible_age(her2: TrialRecord, expected: dict) -> None:
    assert (her2.min_age, her2.max_age) == ("18 Years", "70 Years")
    assert int(her2.max_age.split()[0]) == expected[HER2]["max_age_years"]
    assert her2.sex == "ALL"


def test_it_drops_the_blurbs_under_section_headings(her2: TrialRecord) -> None:
    assert her2.brief_summary.startswith("This is a single-center, open-label clinical study")
    assert her2.detailed_description == ""
    assert her2.conditions == ["Solid Tumor"]
    assert her2.secondary_ids == ["HER2-CN-A1"]
    assert her2.countries == ["China"]


def test_it_reads_the_study_group_with_its_dose_text(her2: TrialRecord) -> None:
    [arm] = her2.arms
    assert (arm.label, arm.type) == ("Anti-HER2-CAR-T cell infusion", "EXPERIMENTAL")
    assert "1×10^6 CAR-T cells/kg, 3×10^6 CAR-T cells/kg, and 1×10^7 CAR-T cells/kg" in arm.description
    assert arm.description.endswith("with cyclophosphamide and fludarabine before the infusion.")
    assert arm.interventions == ["Intravenous infusion anti-HER2-CAR-T cell"]


def test_it_reads_the_intervention_with_type_description_and_other_names(her2: TrialRecord) -> None:
    [intervention] = her2.interventions
    assert (intervention.name, intervention.type) == ("Intravenous infusion anti-HER2-CAR-T cell", "BIOLOGICAL")
    assert intervention.description.startswith("Anti-HER2-CAR-T cell is administered as a single intravenous")
    assert intervention.description.endswith("refers to the number of CAR-positive cells.")
    assert intervention.other_names == ["fludarabine cyclophosphamide"]


def test_it_splits_the_eligibility_criteria(her2: TrialRecord) -> None:
    assert her2.inclusion_criteria.startswith("1. Patients should understand and sign informed consent forms")
    assert "2. Age≥ 18, < 70 years old, gender is not limited;" in her2.inclusion_criteria
    assert her2.inclusion_criteria.split("\n")[-1].startswith("14. The pregnancy test")
    assert her2.exclusion_criteria.startswith("1. Previously using any CAR-T cell products")
    assert her2.exclusion_criteria.endswith("27. Persons involved in the study plan and execution.")
    assert "Minimum Eligible Age" not in her2.exclusion_criteria


def test_it_reads_lead_sponsor_and_collaborators_by_role(her2: TrialRecord, expected: dict) -> None:
    assert her2.sponsor == "China Medical University, China"
    assert expected[HER2]["sponsor_match"] in her2.sponsor
    assert her2.collaborators == ["Shanghai First Song Therapeutics Co., Ltd"]


def test_it_reads_the_site_with_city_and_country(her2: TrialRecord) -> None:
    [site] = her2.sites
    assert site.institution == "Phase I Clinical Trials Center Of The First Hospital of China Medical University"
    assert (site.city, site.state, site.country) == ("Shenyang", "Liaoning", "China")


def test_it_unescapes_the_markdown_of_the_text_rendering(her2: TrialRecord) -> None:
    assert "\\" not in her2.inclusion_criteria + her2.exclusion_criteria + her2.arms[0].description


# --- seed 003 (neuroblastoma) ----------------------------------------------------------------


def test_it_reads_the_neuroblastoma_seed_basics(neuro: TrialRecord, expected: dict) -> None:
    assert neuro.registry_id == expected[NEURO]["registry_id"]
    assert neuro.title == expected[NEURO]["title"]
    assert (neuro.status, neuro.phase) == ("RECRUITING", "PHASE1/PHASE2")
    assert neuro.enrollment == str(expected[NEURO]["enrollment"])
    assert neuro.start_date == expected[NEURO]["start_date"]


def test_it_reads_ages_of_one_year_to_fifty_years(neuro: TrialRecord) -> None:
    assert (neuro.min_age, neuro.max_age) == ("1 Year", "50 Years")


def test_it_takes_the_lead_sponsor_not_the_first_listed(neuro: TrialRecord, expected: dict) -> None:
    assert neuro.sponsor == expected[NEURO]["sponsor_match"] == "Sun Yat-sen University"
    assert neuro.collaborators == ["Yake Biotechnology Ltd.", "Dongguan Taixin Hospital"]


def test_it_keeps_summary_subheadings_with_colons_inside_the_summary(neuro: TrialRecord) -> None:
    assert neuro.brief_summary.startswith("Title: Safety and efficacy of CAR-T cell therapy")
    assert "Outcome measures:" in neuro.brief_summary
    assert "with a dosage of 1.00 to 10.00 × 10⁶/kg of CAR-positive T cells" in neuro.brief_summary
    assert neuro.detailed_description.startswith("Main objective:")
    assert neuro.objectives is None


def test_it_reads_an_arm_without_description_and_its_intervention(neuro: TrialRecord) -> None:
    [arm] = neuro.arms
    assert arm.label == "Safety and efficacy of CAR-T cell therapy for relapsed/refractory NB and DSRCT"
    assert (arm.type, arm.description, arm.interventions) == ("EXPERIMENTAL", "", ["CART therapy"])
    [intervention] = neuro.interventions
    assert (intervention.name, intervention.type, intervention.description) == (
        "CART therapy",
        "BIOLOGICAL",
        "GD2/B7H3 CAR T-cell therapy",
    )


def test_it_reads_three_sites(neuro: TrialRecord) -> None:
    assert [(s.institution, s.city, s.country) for s in neuro.sites] == [
        ("Sun Yat-sen University Cancer Center", "Guangzhou", "China"),
        ("Dongguan Taixin Hospital", "Dongguan", "China"),
        ("Shanghai YaKe Biotechnology Ltd.", "Shanghai", "China"),
    ]
    assert neuro.secondary_ids == ["TXEC-2024-025"]


def test_it_keeps_the_nested_criteria_lists(neuro: TrialRecord) -> None:
    assert "4. Cardiac function: Left ventricular ejection fraction (LVEF) ≥ 45%;" in neuro.inclusion_criteria
    assert neuro.exclusion_criteria.startswith("* Patients with any of the following items will not be enrolled")
    assert neuro.exclusion_criteria.endswith("by the investigator.")


# --- the hand-made HTML fixture ---------------------------------------------------------------


def test_it_reads_the_html_fixture(html: TrialRecord, her2: TrialRecord) -> None:
    assert (html.registry_id, html.source_format) == ("NCT06101082", "ctgov_modern_html")
    for name in (
        "title",
        "status",
        "phase",
        "study_type",
        "enrollment",
        "start_date",
        "completion_date",
        "last_update_date",
        "min_age",
        "max_age",
        "sex",
        "sponsor",
        "collaborators",
        "conditions",
        "secondary_ids",
        "countries",
        "brief_summary",
        "detailed_description",
    ):
        assert getattr(html, name) == getattr(her2, name), name
    assert html.arms == her2.arms
    place = ("institution", "city", "state", "country", "zip", "status")
    assert [[getattr(s, n) for n in place] for s in html.sites] == [[getattr(s, n) for n in place] for s in her2.sites]


def test_it_reads_html_list_items_as_separate_values(html: TrialRecord) -> None:
    assert html.interventions[0].other_names == ["fludarabine", "cyclophosphamide"]
    assert html.exclusion_criteria.split("\n") == [
        "Previously using any CAR-T cell products or other genetically modified T cell therapies;",
        "Pregnant or lactating women;",
    ]


# --- hand-made variants ------------------------------------------------------------------------


def test_it_reads_the_hand_made_baseline_page() -> None:
    record = parse_one(modern_text())
    assert (record.registry_id, record.title) == ("NCT07654321", "GPC3 CAR-T Cells in Hepatocellular Carcinoma")
    assert record.brief_summary == "This study tests GPC3 CAR-T cells in adults with hepatocellular carcinoma."
    assert record.conditions == ["Hepatocellular Carcinoma"]
    assert record.sponsor == "Zhejiang University"
    assert [(s.institution, s.city, s.state, s.country) for s in record.sites] == [
        ("First Affiliated Hospital, Zhejiang University", "Hangzhou", "Zhejiang", "China")
    ]
    assert record.secondary_ids == ["ZJU-GPC3-01"]


@pytest.mark.parametrize(
    "blurb",
    [
        "Browse the facilities and documents the sponsor has listed for this part of the record.",
        "Explore what this section covers before reading the details.",
    ],
)
def test_it_drops_blurbs_it_has_not_seen_before(blurb: str) -> None:
    record = parse_one(modern_text(blurb=blurb))
    assert record.brief_summary == "This study tests GPC3 CAR-T cells in adults with hepatocellular carcinoma."
    assert record.conditions == ["Hepatocellular Carcinoma"]
    assert record.countries == ["China"]
    assert record.arms[0].label == "GPC3 CAR-T"


def test_it_drops_any_sentence_under_a_list_section_heading() -> None:
    record = parse_one(modern_text(blurb="A short note on what is listed here for the reader."))
    assert record.conditions == ["Hepatocellular Carcinoma"]
    assert record.countries == ["China"]
    assert record.brief_summary.startswith("A short note")


def test_it_keeps_list_items_that_end_with_a_full_stop() -> None:
    record = parse_one(
        modern_text(
            {
                "Conditions": "Relapsed or refractory B-cell acute lymphoblastic leukemia in children and adults.",
                "Sponsors": "The First Affiliated Hospital of Zhejiang University School of Medicine Co., Ltd.\nOTHER\n"
                "Sponsor Role lead",
            },
            blurb="",
        )
    )
    assert record.conditions == ["Relapsed or refractory B-cell acute lymphoblastic leukemia in children and adults."]
    assert record.sponsor == "The First Affiliated Hospital of Zhejiang University School of Medicine Co., Ltd."


def test_it_reads_pages_without_blurbs() -> None:
    record = parse_one(modern_text(blurb=""))
    assert record.brief_summary.startswith("This study tests GPC3")
    assert record.sponsor == "Zhejiang University"


def test_it_reads_a_minimum_age_without_a_maximum() -> None:
    record = parse_one(modern_text({"Maximum Eligible Age": ""}))
    assert (record.min_age, record.max_age) == ("18 Years", None)


def test_it_reads_ages_eligible_for_study_when_no_separate_ages() -> None:
    record = parse_one(
        modern_text(
            {
                "Minimum Eligible Age": "",
                "Maximum Eligible Age": "",
                "Ages Eligible for Study": "18 Years and older (Adult, Older Adult)",
            }
        )
    )
    assert record.age_text == "18 Years and older (Adult, Older Adult)"
    assert (record.min_age, record.max_age) == ("18 Years", "")


def test_it_leaves_missing_sections_absent() -> None:
    record = parse_one(
        modern_text(
            dict.fromkeys(
                (
                    "Clinical Phase",
                    "Total Enrollment",
                    "Conditions",
                    "Study Groups",
                    "Interventions",
                    "Eligibility Criteria",
                    "Minimum Eligible Age",
                    "Maximum Eligible Age",
                    "Eligible Sex",
                    "Sponsors",
                    "Locations",
                    "Countries",
                    "Other Identifiers",
                ),
                "",
            )
        )
    )
    assert record.registry_id == "NCT07654321"
    assert (record.phase, record.enrollment, record.min_age, record.max_age, record.sex) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert (record.arms, record.interventions, record.sites, record.countries) == (None, None, None, None)
    assert (record.sponsor, record.sponsor_class, record.collaborators) == (None, None, None)
    assert (record.inclusion_criteria, record.eligibility_text, record.secondary_ids) == (None, None, None)
    assert (record.contacts, record.keywords, record.healthy_volunteers, record.has_results) == (None, None, None, None)


def test_it_reads_a_heading_without_lines_as_empty() -> None:
    text = (
        modern_text(blurb="")
        .replace("Clinical Phase\n\nPHASE1", "Clinical Phase")
        .replace("Conditions\n\nHepatocellular Carcinoma", "Conditions")
    )
    record = parse_one(text)
    assert (record.phase, record.conditions) == ("", [])


def test_it_reads_several_arms_and_matches_intervention_descriptions() -> None:
    groups = (
        "Dose level 1\nPatients receive 1×10^6 cells/kg.\nGroup Type EXPERIMENTAL\n"
        "GPC3 CAR-T cells\nIntervention Type BIOLOGICAL\nAutologous GPC3-directed CAR-T cells.\n"
        "Fludarabine\nIntervention Type DRUG\nLymphodepletion, 30 mg/m2 for 3 days.\n"
        "Dose level 2\nPatients receive 3×10^6 cells/kg.\nSecond line of the description.\nGroup Type EXPERIMENTAL\n"
        "GPC3 CAR-T cells\nIntervention Type BIOLOGICAL\nAutologous GPC3-directed CAR-T cells.\n"
        "Observation\nGroup Type NO_INTERVENTION"
    )
    interventions = (
        "GPC3 CAR-T cells\nAutologous GPC3-directed CAR-T cells.\nIntervention Type BIOLOGICAL\n"
        "Fludarabine\nLymphodepletion, 30 mg/m2 for 3 days.\nIntervention Type DRUG"
    )
    record = parse_one(modern_text({"Study Groups": groups, "Interventions": interventions}))
    assert [(a.label, a.type) for a in record.arms] == [
        ("Dose level 1", "EXPERIMENTAL"),
        ("Dose level 2", "EXPERIMENTAL"),
        ("Observation", "NO_INTERVENTION"),
    ]
    assert record.arms[0].interventions == ["GPC3 CAR-T cells", "Fludarabine"]
    assert record.arms[1].description == "Patients receive 3×10^6 cells/kg.\nSecond line of the description."
    assert record.arms[1].interventions == ["GPC3 CAR-T cells"]
    assert record.arms[2].interventions == []
    assert [(i.name, i.type, i.description) for i in record.interventions] == [
        ("GPC3 CAR-T cells", "BIOLOGICAL", "Autologous GPC3-directed CAR-T cells."),
        ("Fludarabine", "DRUG", "Lymphodepletion, 30 mg/m2 for 3 days."),
    ]


def test_it_reads_several_arms_without_an_interventions_section() -> None:
    groups = (
        "Cohort A\nAdults.\nGroup Type EXPERIMENTAL\nCAR-T A\nIntervention Type BIOLOGICAL\nOne infusion.\n"
        "Cohort B\nChildren.\nGroup Type EXPERIMENTAL\nCAR-T B\nIntervention Type BIOLOGICAL\nTwo infusions."
    )
    record = parse_one(modern_text({"Study Groups": groups, "Interventions": ""}))
    assert [(a.label, a.description, a.interventions) for a in record.arms] == [
        ("Cohort A", "Adults.", ["CAR-T A"]),
        ("Cohort B", "Children.", ["CAR-T B"]),
    ]
    assert [(i.name, i.description) for i in record.interventions] == [
        ("CAR-T A", "One infusion."),
        ("CAR-T B", "Two infusions."),
    ]


def test_it_joins_several_phase_values() -> None:
    assert parse_one(modern_text({"Clinical Phase": "PHASE1\nPHASE2"})).phase == "PHASE1/PHASE2"


def test_it_takes_the_first_sponsor_as_lead_when_roles_are_missing() -> None:
    record = parse_one(modern_text({"Sponsors": "Zhejiang University\nOTHER\nAcme Cell Therapy\nINDUSTRY"}))
    assert (record.sponsor, record.collaborators) == ("Zhejiang University", ["Acme Cell Therapy"])


def test_it_reads_the_enrollment_type_from_the_heading() -> None:
    text = modern_text().replace("Total Enrollment", "Enrollment (Estimated)")
    assert (parse_one(text).enrollment, parse_one(text).enrollment_type) == ("24", "ESTIMATED")


def test_it_trims_odd_whitespace() -> None:
    text = modern_text().replace("\n\n", "\r\n \t\r\n").replace("24 participants", "\u00a024\u00a0 participants  ")
    text = text.replace("Recruitment Status", "Recruitment   Status ")
    record = parse_one(text)
    assert record.status == "NOT_YET_RECRUITING"
    assert record.enrollment == "24"
    assert record.inclusion_criteria == "1. GPC3 positive HCC"
    assert record.exclusion_criteria == "1. Active hepatitis"


def test_it_reads_inline_heading_values() -> None:
    text = modern_text({"Recruitment Status": "", "Clinical Phase": ""}).replace(
        "Last Updated: 2025-04-01",
        "Last Updated: 2025-04-01\n\nRecruitment Status: COMPLETED\n\nClinical Phase: PHASE2",
    )
    record = parse_one(text)
    assert (record.status, record.phase) == ("COMPLETED", "PHASE2")


def test_it_reads_criteria_without_headings_as_one_block() -> None:
    record = parse_one(modern_text({"Eligibility Criteria": "Adults with HCC.\nNo prior CAR-T."}))
    assert record.eligibility_text == "Adults with HCC.\nNo prior CAR-T."
    assert (record.inclusion_criteria, record.exclusion_criteria) == ("", "")


def test_it_reads_outcome_sections_into_objectives() -> None:
    text = modern_text(
        {
            "Primary Outcomes": "Dose-limiting toxicity\nTime Frame: 28 days",
            "Secondary Outcomes": "Overall response rate",
        }
    )
    assert parse_one(text).objectives == (
        "Primary Outcomes:\nDose-limiting toxicity\nTime Frame: 28 days\n\nSecondary Outcomes:\nOverall response rate"
    )


CTGOV_STUDY_PAGE = """Safety and Efficacy Evaluation of 4th Generation Safety-engineered CAR T Cells Targeting Sarcomas
ClinicalTrials.gov ID NCT03356782
Sponsor Shenzhen Geno-Immune Medical Institute
Last Update Posted 2020-06-11
Study Overview
Brief Summary
The main purpose of this study is to evaluate sarcoma-specific CAR-T cells.
Official Title
Safety and Efficacy Evaluation of 4th Generation CAR T Cells Targeting Sarcomas
Conditions
Sarcoma
Ewing Sarcoma
Intervention / Treatment
Biological: Sarcoma-specific CAR-T cells
Other Study ID Numbers
GIMI-IRB-17016
Study Start (Actual)
2017-12-01
Primary Completion (Estimated)
2023-11-30
Enrollment (Estimated)
20
Study Type
Interventional
Phase
Phase 1
Phase 2
Participation Criteria
Researchers look for people who fit a certain description, called eligibility criteria.
Eligibility Criteria
Inclusion Criteria:
- Stage III sarcoma
Exclusion Criteria:
- Pregnant
Ages Eligible for Study
1 Year to 75 Years (Child, Adult, Older Adult)
Sexes Eligible for Study
All
Study Plan
Design Details
Primary Purpose : Treatment
Arms and Interventions
Participant Group/Arm | Intervention/Treatment
Experimental: Sarcoma-specific CAR-T cells
Peripheral blood mononuclear cells will be modified.
Biological: Sarcoma-specific CAR-T cells
1 infusion, for 1x10^6~1x10^7 cells/kg via IV
Contacts and Locations
Locations
China, Guangdong
Shenzhen Geno-immune Medical Institute
Recruiting
Shenzhen, Guangdong, China, 518000
Contact: Lung-Ji Chang, PhD 86-075586725195
Collaborators and Investigators
Sponsor
Shenzhen Geno-Immune Medical Institute
Study Record Dates
First Submitted
2017-11-22
First Posted (Estimated)
2017-11-29
"""


def test_it_reads_the_clinicaltrials_gov_study_page_layout() -> None:
    assert CtgovModernParser.detect(CTGOV_STUDY_PAGE)
    record = parse_one(CTGOV_STUDY_PAGE)
    assert (record.registry_id, record.last_update_date) == ("NCT03356782", "2020-06-11")
    assert record.official_title == "Safety and Efficacy Evaluation of 4th Generation CAR T Cells Targeting Sarcomas"
    assert record.conditions == ["Sarcoma", "Ewing Sarcoma"]
    assert (record.phase, record.study_type) == ("Phase 1 Phase 2", "Interventional")
    assert (record.enrollment, record.enrollment_type, record.start_date) == ("20", "ESTIMATED", "2017-12-01")
    assert (record.min_age, record.max_age, record.sex) == ("1 Year", "75 Years", "All")
    assert record.registration_date == "2017-11-29"
    assert record.secondary_ids == ["GIMI-IRB-17016"]
    assert record.sponsor == "Shenzhen Geno-Immune Medical Institute"
    assert (record.inclusion_criteria, record.exclusion_criteria) == ("- Stage III sarcoma", "- Pregnant")


def test_it_reads_typed_arm_lines_of_the_study_page() -> None:
    record = parse_one(CTGOV_STUDY_PAGE)
    [arm] = record.arms
    assert (arm.type, arm.label) == ("Experimental", "Sarcoma-specific CAR-T cells")
    assert arm.description == "Peripheral blood mononuclear cells will be modified."
    assert arm.interventions == ["Biological: Sarcoma-specific CAR-T cells"]
    [intervention] = record.interventions
    assert (intervention.type, intervention.name) == ("Biological", "Sarcoma-specific CAR-T cells")
    assert intervention.description == "1 infusion, for 1x10^6~1x10^7 cells/kg via IV"


def test_it_reads_sites_under_a_country_header_with_a_bare_status() -> None:
    [site] = parse_one(CTGOV_STUDY_PAGE).sites
    assert (site.institution, site.city, site.state, site.country) == (
        "Shenzhen Geno-immune Medical Institute",
        "Shenzhen",
        "Guangdong",
        "China",
    )


# --- shared helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 Year to 75 Years (Child, Adult, Older Adult)", ("1 Year", "75 Years")),
        ("18 Years and older (Adult, Older Adult)", ("18 Years", "")),
        ("6 Months to 21 Years", ("6 Months", "21 Years")),
        ("up to 17 Years (Child)", ("", "17 Years")),
        ("Child, Adult", ("", "")),
    ],
)
def test_it_splits_an_age_range(text: str, expected: tuple[str, str]) -> None:
    assert _html.split_age_range(text) == expected


@pytest.mark.parametrize(
    ("line", "blurb"),
    [
        (
            "Review the sponsor-provided synopsis that highlights what the study is about and why it is being conducted.",
            True,
        ),
        ("Meet the organizations funding or collaborating on the study and learn about their roles.", True),
        ("This study evaluates CD19 CAR-T cells in children.", False),
        ("Solid Tumor", False),
        ("See above.", False),
    ],
)
def test_it_tells_blurbs_from_content(line: str, blurb: bool) -> None:
    assert _html.is_blurb(line) is blurb


# --- errors ----------------------------------------------------------------------------------


def test_a_non_trial_html_page_is_a_parse_error() -> None:
    page = "<html><body><h1>Clinical trials near you</h1><h2>Brief Summary</h2><p>Nothing here.</p></body></html>"
    with pytest.raises(ParseError, match="no ClinicalTrials.gov identifier"):
        CtgovModernParser().parse(page)


def test_a_page_without_a_title_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no title"):
        CtgovModernParser().parse("NCT ID: NCT07654321\n\nRecruitment Status\n\nRECRUITING")


@pytest.mark.parametrize("text", ["", " \n\t", "[1, 2, 3]", "<html></html>", "just some words"])
def test_empty_or_foreign_documents_are_parse_errors(text: str) -> None:
    with pytest.raises(ParseError):
        CtgovModernParser().parse(text)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("NCT ID: 0123456789\nRecruitmentStatusGroupType<>/|.-")), max_size=300))
def test_parse_raises_only_parse_errors(text: str) -> None:
    try:
        records = CtgovModernParser().parse(text)
    except ParseError as exc:
        assert "\n" not in str(exc)
    else:
        assert records and re.fullmatch(r"NCT\d{8}", records[0].registry_id)


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SAMPLES / HER2, SAMPLES / NEURO, FIXTURES / "ctgov_modern_sample.html"])
def test_it_detects_modern_pages(path: Path) -> None:
    assert CtgovModernParser.detect(read(path))


def test_it_detects_a_hand_made_modern_rendering() -> None:
    assert CtgovModernParser.detect(modern_text())


@pytest.mark.parametrize(
    "path",
    [
        SAMPLES / "000_dda02b667f938841.txt",
        SAMPLES / "002_ad789d6ba94932a5.txt",
        SAMPLES / "004_1074b50f3fa4f392.txt",
        FIXTURES / "ctgov_classic_sample.html",
    ],
)
def test_it_does_not_claim_classic_or_chictr_pages(path: Path) -> None:
    assert not CtgovModernParser.detect(read(path))


@pytest.mark.parametrize(
    "text",
    [
        "",
        '{"nctId": "NCT07654321", "text": "NCT ID: NCT07654321 Recruitment Status Clinical Phase"}',
        "<?xml version='1.0'?><trials><note>NCT ID: NCT07654321 Recruitment Status Clinical Phase</note></trials>",
        "Registration number: ChiCTR2000000001\nNCT ID: NCT07654321\nRecruitment Status\nClinical Phase",
        "NCT ID: NCT07654321 mentioned in a news story.",
    ],
)
def test_it_does_not_claim_data_chictr_or_plain_pages(text: str) -> None:
    assert not CtgovModernParser.detect(text)


@pytest.mark.corpus
@pytest.mark.parametrize(
    "relative",
    [
        "other-formats/NCT01636609.ctgov-archive.html",
        "other-formats/NCT04780529.ctgov-v1-fullstudies.json",
        "ctgov-v2/NCT02349698.ctgov-v2.json",
    ],
)
def test_it_does_not_claim_corpus_records_of_other_formats(relative: str) -> None:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"shared corpus not available ({path})")
    assert not CtgovModernParser.detect(read(path))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_detect_never_raises(text: str) -> None:
    assert CtgovModernParser.detect(text) in (True, False)


# --- contacts, site details, sponsor class, results ---------------------------------------------


def test_it_reads_the_sponsor_class_healthy_volunteers_and_no_results(her2: TrialRecord, neuro: TrialRecord) -> None:
    assert (her2.sponsor_class, her2.healthy_volunteers) == ("OTHER", "No")
    assert (neuro.sponsor_class, neuro.healthy_volunteers) == ("OTHER", "No")
    assert (her2.has_results, her2.results_date) == ("false", None)


def test_a_heading_with_only_a_blurb_is_empty_and_a_missing_heading_absent(her2: TrialRecord) -> None:
    assert her2.detailed_description == ""
    assert (her2.keywords, her2.acronym, her2.primary_completion_date, her2.references) == (None, None, None, None)


def test_it_reads_central_contacts_and_investigators(her2: TrialRecord) -> None:
    assert [(c.role, c.name, c.phone, c.affiliation) for c in her2.contacts] == [
        ("central", "Shuhui Song, bachelor", "83281137 ext. 024", None),
        (
            "principal_investigator",
            "Zhenning Wang, doctor",
            None,
            "The First Affiliated Hospital of China Medical Univeristy",
        ),
        (
            "principal_investigator",
            "Funan Liu, doctor",
            None,
            "The First Affiliated Hospital of China Medical Univeristy",
        ),
    ]


def test_the_facility_contact_of_a_one_site_trial_is_the_sites(her2: TrialRecord) -> None:
    [site] = her2.sites
    assert site.status == "RECRUITING"
    assert [(c.role, c.name, c.phone) for c in site.contacts] == [
        ("site", "Shuhui Song, bachelor", "83281137 ext. 024")
    ]


def test_facility_contacts_of_several_sites_stay_with_the_trial(neuro: TrialRecord) -> None:
    assert [s.status for s in neuro.sites] == ["RECRUITING"] * 3
    assert all(s.contacts is None for s in neuro.sites)
    assert [(c.role, c.name, c.phone) for c in neuro.contacts if c.role == "site"] == [
        ("site", "Yizhuo Zhang", "020-87342460"),
        ("site", "Cunfu Li", "0769-33335678"),
        ("site", "ALEX HONGSHENG CHANG", "021-55088295"),
    ]
    assert [(c.role, c.name, c.phone) for c in neuro.contacts if c.role == "central"] == [
        ("central", "Yizhuo Zhang, PhD", "020-87342460"),
        ("central", "Suying Lu, PhD", None),
    ]


def test_it_reads_the_study_page_site_status_zip_and_contact() -> None:
    record = parse_one(CTGOV_STUDY_PAGE)
    [site] = record.sites
    assert (site.status, site.zip) == ("Recruiting", "518000")
    assert [(c.role, c.name, c.phone) for c in site.contacts] == [("site", "Lung-Ji Chang, PhD", "86-075586725195")]
    assert (record.status, record.has_results, record.contacts, record.sponsor_class) == (None, None, None, None)
    assert record.collaborators == []


def test_it_reads_results_first_posted() -> None:
    text = modern_text().replace(
        "Last Updated: 2025-04-01", "Last Updated: 2025-04-01\n\nResults First Posted\n\n2025-03-15"
    )
    record = parse_one(text)
    assert (record.has_results, record.results_date, record.last_update_date) == ("true", "2025-03-15", "2025-04-01")


def test_it_reads_the_site_status_of_the_hand_made_page() -> None:
    [site] = parse_one(modern_text()).sites
    assert (site.status, site.zip, site.contacts) == ("RECRUITING", None, None)
