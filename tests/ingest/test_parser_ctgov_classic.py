"""ClinicalTrials.gov classic study page (ct2/show) and archive page parser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers.ctgov_classic import CtgovClassicParser
from ingest.records import ParseError, TrialRecord

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
FIXTURES = REPO / "tests" / "fixtures"
CORPUS = REPO / ".." / "shared" / "corpus"
SEED = "002_ad789d6ba94932a5.txt"


def parse_one(text: str) -> TrialRecord:
    [record] = CtgovClassicParser().parse(text)
    return record


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def corpus_text(relative: str) -> str:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"shared corpus not available ({path})")
    return read(path)


@pytest.fixture(scope="module")
def seed() -> TrialRecord:
    return parse_one(read(SAMPLES / SEED))


@pytest.fixture(scope="module")
def html() -> TrialRecord:
    return parse_one(read(FIXTURES / "ctgov_classic_sample.html"))


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(read(FIXTURES / "seeds_expected.json"))[SEED]


CLASSIC_BLOCKS = {
    "head": "CD19 CAR-T Cells for B-cell Lymphoma\n"
    "ClinicalTrials.gov Identifier: NCT01234567 |\n"
    "Recruitment Status :\nNot yet recruiting\n"
    "First Posted : March 3, 2021\nLast Update Posted : April 4, 2022\n|",
    "table": "Condition or disease | Intervention/treatment | Phase |\n---|---|---|\n"
    "B-cell Lymphoma | Biological: CD19 CAR-T cells | Phase 1 |",
    "design": "Study Type : | Interventional (Clinical Trial) |\n"
    "Actual Enrollment : | 12 participants |\n"
    "Official Title: | A Phase 1 Study of CD19 CAR-T Cells in Lymphoma |\n"
    "Study Start Date : | May 2021 |",
    "arms": "Arm | Intervention/treatment |\n---|---|\n"
    "Experimental: CAR-T\nCD19 CAR-T cells after lymphodepletion.\n|\n"
    "Biological: CD19 CAR-T cells\n2x10^6 cells/kg once |",
    "eligibility": "Ages Eligible for Study: | 18 Years to 70 Years (Adult, Older Adult) |\n"
    "Sexes Eligible for Study: | All |\n"
    "Inclusion Criteria:\n- CD19 positive lymphoma\nExclusion Criteria:\n- Active infection",
    "contacts": "Please refer to this study by its ClinicalTrials.gov identifier (NCT number): NCT01234567\n"
    "China, Beijing | |\nPeking University Cancer Hospital | Recruiting |\nBeijing, Beijing, China, 100142 | |",
    "more": "Responsible Party: | Peking University |\nOther Study ID Numbers: |\nPKU-CART-01 |",
}


def classic_text(**parts: str) -> str:
    """A small classic text rendering; keyword arguments replace or drop (with "") whole blocks."""
    blocks = {**CLASSIC_BLOCKS, **parts}
    return "\n\n".join(block for block in blocks.values() if block)


# --- the seed text rendering, field by field -------------------------------------------------


def test_it_reads_the_identifier_and_marks_the_text_format(seed: TrialRecord) -> None:
    assert (seed.registry, seed.registry_id, seed.source_format) == ("ctgov", "NCT03356782", "ctgov_classic_text")


def test_it_reads_the_brief_and_official_titles(seed: TrialRecord, expected: dict) -> None:
    assert seed.title == expected["title"]
    assert seed.official_title == expected["title"]


def test_it_reads_status_phase_and_study_type_as_written(seed: TrialRecord) -> None:
    assert seed.status == "Recruiting"
    assert seed.phase == "Phase 1 Phase 2"
    assert seed.study_type == "Interventional (Clinical Trial)"


def test_it_reads_enrollment_and_its_type_from_the_label(seed: TrialRecord, expected: dict) -> None:
    assert seed.enrollment == str(expected["enrollment"]) == "20"
    assert seed.enrollment_type == "ESTIMATED"


def test_it_reads_the_study_dates(seed: TrialRecord) -> None:
    assert seed.start_date == "December 1, 2017"
    assert seed.primary_completion_date == "November 30, 2023"
    assert seed.completion_date == "December 31, 2023"
    assert seed.registration_date == "November 29, 2017"
    assert seed.last_update_date == "June 11, 2020"


def test_it_reads_ages_from_ages_eligible(seed: TrialRecord, expected: dict) -> None:
    assert seed.age_text == "1 Year to 75 Years (Child, Adult, Older Adult)"
    assert (seed.min_age, seed.max_age) == ("1 Year", "75 Years")
    assert int(seed.min_age.split()[0]) == expected["min_age_years"]
    assert int(seed.max_age.split()[0]) == expected["max_age_years"]


def test_it_reads_sexes_eligible(seed: TrialRecord) -> None:
    assert seed.sex == "All"


def test_it_reads_the_conditions_intervention_and_phase_table(seed: TrialRecord) -> None:
    assert seed.conditions == ["Sarcoma Osteoid Sarcoma Ewing Sarcoma"]
    [intervention] = seed.interventions
    assert (intervention.type, intervention.name) == ("Biological", "Sarcoma-specific CAR-T cells")


def test_it_keeps_the_intervention_dose_text_complete(seed: TrialRecord) -> None:
    assert seed.interventions[0].description == "1 infusion, for 1x10^6~1x10^7 cells/kg via IV"


def test_it_reads_the_arm_label_type_description_and_interventions(seed: TrialRecord) -> None:
    [arm] = seed.arms
    assert (arm.type, arm.label) == ("Experimental", "Sarcoma-specific CAR-T cells")
    assert arm.description.startswith("Peripheral blood mononuclear cells (PBMCs) of patients who have CD133, GD2")
    assert arm.description.endswith("modified to sarcoma-specific CAR-T cells.")
    assert arm.interventions == ["Biological: Sarcoma-specific CAR-T cells"]


def test_it_turns_outcome_measures_into_objectives(seed: TrialRecord) -> None:
    lines = seed.objectives.split("\n")
    assert len(lines) == 3
    assert lines[0].startswith("Safety of CART cells in patients using CTCAE version 4.0")
    assert "[ Time Frame: 1 year ]" in lines[2]
    assert not any(line.startswith("- ") for line in lines)


def test_it_splits_inclusion_and_exclusion_criteria(seed: TrialRecord) -> None:
    assert seed.inclusion_criteria.startswith("- Stage Ⅲ,Ⅳ sarcoma patients or recurrent sarcoma patients;")
    assert seed.inclusion_criteria.endswith("- Sign an informed consent and assent.")
    assert seed.inclusion_criteria.count("\n- ") == 12
    assert seed.exclusion_criteria.startswith("- The disease is progresseing rapidly;")
    assert seed.exclusion_criteria.endswith("interference to clinical trials.")
    assert "To learn more" not in seed.exclusion_criteria
    assert seed.eligibility_text == ""


def test_it_reads_the_site_with_city_state_and_country(seed: TrialRecord, expected: dict) -> None:
    [site] = seed.sites
    assert site.institution == "Shenzhen Geno-immune Medical Institute"
    assert (site.city, site.state, site.country) == ("Shenzhen", "Guangdong", "China")
    assert seed.countries == expected["countries"]


def test_it_takes_the_sponsor_from_the_responsible_party_when_no_sponsor_line(
    seed: TrialRecord, expected: dict
) -> None:
    assert expected["sponsor_match"] in seed.sponsor
    assert "Lung-Ji Chang" not in seed.sponsor


def test_it_reads_other_study_id_numbers_as_secondary_ids(seed: TrialRecord) -> None:
    assert seed.secondary_ids == ["GIMI-IRB-17016"]


# --- the hand-made ct2/show HTML fixture -----------------------------------------------------


def test_it_reads_the_html_page_by_its_label_value_cells(html: TrialRecord) -> None:
    assert (html.registry_id, html.source_format) == ("NCT03356782", "ctgov_classic_html")
    assert html.status == "Recruiting"
    assert html.study_type == "Interventional (Clinical Trial)"
    assert (html.enrollment, html.enrollment_type) == ("20", "ESTIMATED")
    assert (html.min_age, html.max_age, html.sex) == ("1 Year", "75 Years", "All")
    assert html.registration_date == "November 29, 2017"


def test_it_reads_the_html_title_from_the_heading(html: TrialRecord, expected: dict) -> None:
    assert html.title == expected["title"]


def test_it_splits_html_table_cells_into_separate_conditions(html: TrialRecord) -> None:
    assert html.conditions == ["Sarcoma", "Osteoid Sarcoma", "Ewing Sarcoma"]
    assert html.phase == "Phase 1 Phase 2"


def test_it_prefers_the_sponsor_line_of_the_html_header(html: TrialRecord) -> None:
    assert html.sponsor == "Shenzhen Geno-Immune Medical Institute"


def test_it_reads_the_html_brief_summary_and_keywords(html: TrialRecord) -> None:
    assert html.brief_summary.startswith("Patients with sarcoma that is positive for CD133")
    assert "Condition or disease" not in html.brief_summary
    assert html.keywords == ["CART", "PD-1", "PDL-1", "CTLA-4", "sarcoma", "solid tumor"]


def test_it_labels_html_outcome_measures_by_kind(html: TrialRecord) -> None:
    assert html.objectives.startswith("Primary Outcome Measures:\nSafety of CART cells")
    assert "Secondary Outcome Measures:\nPersistence and proliferation" in html.objectives


def test_the_html_page_and_its_text_rendering_agree(seed: TrialRecord, html: TrialRecord) -> None:
    for name in (
        "registry_id",
        "official_title",
        "status",
        "phase",
        "study_type",
        "min_age",
        "max_age",
        "sex",
        "enrollment",
        "start_date",
        "completion_date",
        "registration_date",
        "last_update_date",
        "secondary_ids",
        "countries",
    ):
        assert getattr(html, name) == getattr(seed, name), name
    assert html.arms == seed.arms
    assert html.interventions == seed.interventions
    assert html.sites == seed.sites


def test_it_reads_html_criteria_lists(html: TrialRecord) -> None:
    assert html.inclusion_criteria.split("\n")[0] == "Stage Ⅲ,Ⅳ sarcoma patients or recurrent sarcoma patients;"
    assert html.inclusion_criteria.split("\n")[-1] == "Sign an informed consent and assent."
    assert html.exclusion_criteria.split("\n") == [
        "The disease is progresseing rapidly;",
        "Pregnant or lactating women;",
        "In condition that may bring risks to subjects or interference to clinical trials.",
    ]


# --- the real archive page (shared corpus) ---------------------------------------------------


@pytest.mark.corpus
def test_it_reads_the_archive_page_layout() -> None:
    record = parse_one(corpus_text("other-formats/NCT01636609.ctgov-archive.html"))
    assert (record.registry_id, record.source_format) == ("NCT01636609", "ctgov_classic_html")
    assert record.title.startswith("Combination Study of Cytarabine and Tosedostat")
    assert record.official_title.startswith("Phase I/II Study of Cytarabine or 5-Azacitidine")
    assert (record.min_age, record.max_age, record.sex) == ("60 Years", None, "Both")
    assert record.phase == "Phase 1 Phase 2"
    assert record.status == "Recruiting"
    assert record.start_date == "2012-11"
    assert record.primary_completion_date == "2018-11 (Anticipated)"
    assert record.conditions == ["Leukemia"]
    assert record.sponsor == "M.D. Anderson Cancer Center"
    assert record.collaborators == ["Cell Therapeutics"]
    assert record.secondary_ids == ["2011-0188"]


@pytest.mark.corpus
def test_it_links_archive_interventions_to_their_arms() -> None:
    record = parse_one(corpus_text("other-formats/NCT01636609.ctgov-archive.html"))
    assert [(a.label, a.type) for a in record.arms] == [
        ("Cytarabine + Tosedostat", "Experimental"),
        ("5-Azacytidine + Tosedostat", "Experimental"),
    ]
    assert record.arms[0].interventions == ["Drug: Cytarabine", "Drug: Tosedostat"]
    assert [i.name for i in record.interventions] == ["Cytarabine", "5-Azacytidine", "Tosedostat"]
    assert record.inclusion_criteria.startswith("1) Signed, informed consent")
    assert record.exclusion_criteria.startswith("1) Uncontrolled intercurrent illness")
    assert record.brief_summary.startswith("The goal of the Phase 1 part")
    assert record.objectives.startswith("Primary outcome:\nMeasure: Maximum Tolerated Dose (MTD)")


# --- hand-made variants ----------------------------------------------------------------------


def test_it_reads_the_hand_made_baseline_page() -> None:
    record = parse_one(classic_text())
    assert record.registry_id == "NCT01234567"
    assert record.title == "CD19 CAR-T Cells for B-cell Lymphoma"
    assert record.status == "Not yet recruiting"
    assert (record.enrollment, record.enrollment_type) == ("12", "ACTUAL")
    assert record.start_date == "May 2021"
    assert record.sponsor == "Peking University"
    assert [(s.institution, s.city, s.country) for s in record.sites] == [
        ("Peking University Cancer Hospital", "Beijing", "China")
    ]


def test_it_reads_a_minimum_age_only_from_and_older() -> None:
    text = classic_text(eligibility="Ages Eligible for Study: | 18 Years and older (Adult, Older Adult) |")
    record = parse_one(text)
    assert (record.min_age, record.max_age) == ("18 Years", "")
    assert record.age_text == "18 Years and older (Adult, Older Adult)"


def test_it_reads_a_maximum_age_only_from_up_to() -> None:
    record = parse_one(classic_text(eligibility="Ages Eligible for Study: | up to 17 Years (Child) |"))
    assert (record.min_age, record.max_age) == ("", "17 Years")


def test_it_leaves_missing_sections_absent() -> None:
    record = parse_one(classic_text(table="", arms="", eligibility="", contacts="", more=""))
    assert record.registry_id == "NCT01234567"
    assert record.official_title == "A Phase 1 Study of CD19 CAR-T Cells in Lymphoma"
    assert (record.conditions, record.arms, record.interventions, record.sites) == (None, None, None, None)
    assert (record.countries, record.contacts, record.references, record.keywords) == (None, None, None, None)
    assert (record.min_age, record.max_age, record.sex, record.age_text) == (None, None, None, None)
    assert (record.inclusion_criteria, record.exclusion_criteria, record.eligibility_text) == (None, None, None)
    assert (record.sponsor, record.phase, record.secondary_ids, record.collaborators) == (None, None, None, None)
    assert (record.brief_summary, record.acronym, record.healthy_volunteers, record.has_results) == (
        None,
        None,
        None,
        None,
    )


def test_it_reads_a_label_without_a_value_as_empty() -> None:
    design = (
        CLASSIC_BLOCKS["design"]
        .replace("Official Title:", "Acronym: | |\nOfficial Title:")
        .replace("Study Start Date", "Estimated Primary Completion Date : | |\nStudy Start Date")
    )
    record = parse_one(classic_text(design=design))
    assert (record.acronym, record.primary_completion_date) == ("", "")
    assert record.completion_date is None


def test_it_trims_odd_whitespace() -> None:
    text = (
        classic_text().replace("\n", "\r\n").replace(": | ", ":\t|\u00a0 ").replace(" participants", "  participants ")
    )
    text = text.replace("Recruitment Status :", "Recruitment   Status\u00a0:")
    record = parse_one(text)
    assert record.status == "Not yet recruiting"
    assert record.enrollment == "12"
    assert record.official_title == "A Phase 1 Study of CD19 CAR-T Cells in Lymphoma"
    assert (record.min_age, record.max_age) == ("18 Years", "70 Years")
    assert record.inclusion_criteria == "- CD19 positive lymphoma"


def test_it_reads_several_arms_each_with_its_interventions() -> None:
    arms = (
        "Arm | Intervention/treatment |\n---|---|\n"
        "Experimental: Low dose\nPatients receive 1x10^6 CAR-T cells/kg.\n|\n"
        "Biological: CD19 CAR-T cells\n1x10^6 cells/kg\nDrug: Fludarabine\n30 mg/m2 days -5 to -3 |\n"
        "Active Comparator: Standard care\nInvestigator's choice chemotherapy.\n|\n"
        "Drug: Cyclophosphamide\nOther Names:\n- Cytoxan\n- Endoxan |"
    )
    table = (
        "Condition or disease | Intervention/treatment | Phase |\n---|---|---|\n"
        "Lymphoma | Biological: CD19 CAR-T cells Drug: Fludarabine Drug: Cyclophosphamide | Phase 2 |"
    )
    record = parse_one(classic_text(arms=arms, table=table))
    assert [(a.type, a.label) for a in record.arms] == [
        ("Experimental", "Low dose"),
        ("Active Comparator", "Standard care"),
    ]
    assert record.arms[0].interventions == ["Biological: CD19 CAR-T cells", "Drug: Fludarabine"]
    assert record.arms[1].interventions == ["Drug: Cyclophosphamide"]
    by_name = {i.name: i for i in record.interventions}
    assert list(by_name) == ["CD19 CAR-T cells", "Fludarabine", "Cyclophosphamide"]
    assert by_name["CD19 CAR-T cells"].description == "1x10^6 cells/kg"
    assert by_name["Fludarabine"].description == "30 mg/m2 days -5 to -3"
    assert by_name["Cyclophosphamide"].other_names == ["Cytoxan", "Endoxan"]
    assert record.phase == "Phase 2"


def test_it_reads_sites_under_state_and_country_headers() -> None:
    contacts = (
        "Locations\n"
        "United States, California | |\n"
        "City of Hope | Recruiting |\nDuarte, California, United States, 91010 | |\n"
        "Contact: Jane Roe 626-555-0100 jroe@example.org |\n"
        "UCLA Medical Center | Completed |\nLos Angeles, California, United States, 90095 | |\n"
        "France | |\nHôpital Saint-Louis | Recruiting |\nParis, France, 75010 | |\n"
        "Sponsors and Collaborators\nCity of Hope Medical Center\nNational Cancer Institute (NCI)"
    )
    record = parse_one(classic_text(contacts=contacts, more=""))
    assert [(s.institution, s.city, s.state, s.country) for s in record.sites] == [
        ("City of Hope", "Duarte", "California", "United States"),
        ("UCLA Medical Center", "Los Angeles", "California", "United States"),
        ("Hôpital Saint-Louis", "Paris", "", "France"),
    ]
    assert record.countries == ["United States", "France"]
    assert record.sponsor == "City of Hope Medical Center"
    assert record.collaborators == ["National Cancer Institute (NCI)"]


def test_a_sponsor_line_wins_over_the_responsible_party() -> None:
    more = "Sponsor: Acme Biotherapeutics\nResponsible Party: | Jane Doe, MD, Principal Investigator, Some Hospital |"
    assert parse_one(classic_text(more=more)).sponsor == "Acme Biotherapeutics"


@pytest.mark.parametrize(
    ("party", "sponsor"),
    [
        (
            "Jane Doe, MD, Principal Investigator, Tianjin Medical University Cancer Institute and Hospital",
            "Tianjin Medical University Cancer Institute and Hospital",
        ),
        (
            "Wei Li, Professor, Second Affiliated Hospital, Zhejiang University",
            "Second Affiliated Hospital, Zhejiang University",
        ),
        ("Jane Doe, MD", None),
        ("Sponsor", None),
    ],
)
def test_it_finds_the_organization_in_a_responsible_party(party: str, sponsor: str | None) -> None:
    assert parse_one(classic_text(more=f"Responsible Party: | {party} |")).sponsor == sponsor


def test_it_reads_criteria_without_headings_as_one_block() -> None:
    eligibility = "Criteria\nPatients with relapsed lymphoma aged 18 to 70.\n\nTo learn more about this study, call."
    record = parse_one(classic_text(eligibility=eligibility))
    assert record.eligibility_text == "Patients with relapsed lymphoma aged 18 to 70."
    assert (record.inclusion_criteria, record.exclusion_criteria) == ("", "")


def test_it_keeps_generic_subheadings_inside_the_summary() -> None:
    summary = (
        "Brief Summary:\nThis trial tests CD19 CAR-T cells.\nIntervention:\nCAR-T cells on day 0.\nPhase:\n"
        "Dose escalation first.\nDetailed Description:\nMore text here."
    )
    record = parse_one(classic_text(head=f"{CLASSIC_BLOCKS['head']}\n{summary}"))
    assert record.brief_summary == (
        "This trial tests CD19 CAR-T cells.\nIntervention:\nCAR-T cells on day 0.\nPhase:\nDose escalation first."
    )
    assert record.detailed_description == "More text here."
    assert [i.name for i in record.interventions] == ["CD19 CAR-T cells"]
    assert record.phase == "Phase 1"


# --- errors ----------------------------------------------------------------------------------


def test_a_non_trial_html_page_is_a_parse_error() -> None:
    page = "<html><head><title>Find Studies</title></head><body><h1>Search results</h1><p>No studies.</p></body></html>"
    with pytest.raises(ParseError, match="no ClinicalTrials.gov identifier"):
        CtgovClassicParser().parse(page)


def test_a_page_without_any_title_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no title"):
        CtgovClassicParser().parse("ClinicalTrials.gov Identifier: NCT01234567 |\nRecruitment Status :\nRecruiting")


@pytest.mark.parametrize("text", ["", "   \n ", '{"studies": []}', "<html><body></body></html>"])
def test_empty_or_foreign_documents_are_parse_errors(text: str) -> None:
    with pytest.raises(ParseError):
        CtgovClassicParser().parse(text)


def test_parse_errors_are_one_line() -> None:
    with pytest.raises(ParseError) as caught:
        CtgovClassicParser().parse("<html><body><p>nothing</p></body></html>")
    assert "\n" not in str(caught.value)


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ClinicalTrials.gov Identifier: NCT0123456789|\n:<>/abcRS -")), max_size=300)
)
def test_parse_raises_only_parse_errors(text: str) -> None:
    try:
        records = CtgovClassicParser().parse(text)
    except ParseError as exc:
        assert "\n" not in str(exc)
    else:
        assert records and re.fullmatch(r"NCT\d{8}", records[0].registry_id)


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SAMPLES / SEED, FIXTURES / "ctgov_classic_sample.html"])
def test_it_detects_classic_pages(path: Path) -> None:
    assert CtgovClassicParser.detect(read(path))


def test_it_detects_a_hand_made_classic_rendering() -> None:
    assert CtgovClassicParser.detect(classic_text())


@pytest.mark.corpus
def test_it_detects_the_archive_page() -> None:
    assert CtgovClassicParser.detect(corpus_text("other-formats/NCT01636609.ctgov-archive.html"))


@pytest.mark.parametrize(
    "path",
    [
        SAMPLES / "000_dda02b667f938841.txt",
        SAMPLES / "001_951ea498f128be5c.txt",
        SAMPLES / "003_8a70a621ca2e797d.txt",
        SAMPLES / "004_1074b50f3fa4f392.txt",
        FIXTURES / "ctgov_modern_sample.html",
    ],
)
def test_it_does_not_claim_modern_or_chictr_pages(path: Path) -> None:
    assert not CtgovClassicParser.detect(read(path))


@pytest.mark.parametrize(
    "text",
    [
        "",
        '{"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}}, '
        '"note": "ClinicalTrials.gov Identifier: NCT01234567 Recruitment Status : Recruiting"}',
        "<?xml version='1.0'?><clinical_study><id_info><nct_id>NCT01234567</nct_id></id_info>"
        "<!-- ClinicalTrials.gov Identifier: x Recruitment Status : y --></clinical_study>",
        "注册号: ChiCTR2000034346\nClinicalTrials.gov Identifier: NCT01234567\nRecruitment Status : Recruiting",
        "A news story about NCT01234567 and its recruitment status.",
    ],
)
def test_it_does_not_claim_data_chictr_or_plain_pages(text: str) -> None:
    assert not CtgovClassicParser.detect(text)


@pytest.mark.corpus
@pytest.mark.parametrize(
    "relative",
    [
        "other-formats/NCT01636609.ctgov-archive.xml",
        "other-formats/NCT00000122.ctgov.xml",
        "other-formats/NCT04780529.ctgov-v1-fullstudies.json",
        "other-formats/ChiCTR2000034346.ictrp.xml",
        "ctgov-v2/NCT02349698.ctgov-v2.json",
    ],
)
def test_it_does_not_claim_corpus_records_of_other_formats(relative: str) -> None:
    assert not CtgovClassicParser.detect(corpus_text(relative))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_detect_never_raises(text: str) -> None:
    assert CtgovClassicParser.detect(text) in (True, False)


# --- contacts, site details, results, references ----------------------------------------------


def test_it_reads_the_site_status_zip_and_site_contact(seed: TrialRecord, html: TrialRecord) -> None:
    for record in (seed, html):
        [site] = record.sites
        assert (site.status, site.zip) == ("Recruiting", "518000")
        assert [(c.role, c.name, c.phone, c.email) for c in site.contacts] == [
            ("site", "Lung-Ji Chang, PhD", "86-075586725195", "c@szgimi.org")
        ]
        assert (site.latitude, site.longitude) == (None, None)


def test_it_reads_the_central_contact_and_the_principal_investigator(seed: TrialRecord, html: TrialRecord) -> None:
    for record in (seed, html):
        assert [(c.role, c.name, c.phone, c.email, c.affiliation) for c in record.contacts] == [
            ("central", "Lung-Ji Chang, PhD", "86-075586725195", "c@szgimi.org", None),
            ("principal_investigator", "Lung-Ji Chang, PhD", None, None, "Shenzhen Geno-Immune Medical Institute"),
        ]


def test_it_reads_no_results_posted_and_healthy_volunteers(seed: TrialRecord, html: TrialRecord) -> None:
    for record in (seed, html):
        assert (record.has_results, record.results_date) == ("false", None)
        assert record.healthy_volunteers == "No"


def test_it_leaves_what_the_text_rendering_cuts_out_absent(seed: TrialRecord, html: TrialRecord) -> None:
    assert (seed.brief_summary, seed.keywords, seed.collaborators) == (None, None, None)
    assert html.collaborators == []
    assert (seed.references, seed.sponsor_class, seed.acronym) == (None, None, None)


def test_it_reads_results_first_posted() -> None:
    head = CLASSIC_BLOCKS["head"].replace(
        "Last Update Posted : April 4, 2022", "Results First Posted : March 1, 2022\nLast Update Posted : April 4, 2022"
    )
    record = parse_one(classic_text(head=head))
    assert (record.has_results, record.results_date) == ("true", "March 1, 2022")
    assert record.last_update_date == "April 4, 2022"


def test_a_page_without_contacts_or_locations_gives_empty_lists() -> None:
    record = parse_one(classic_text(contacts="Contacts and Locations\nNo Contacts or Locations Provided"))
    assert (record.sites, record.countries, record.contacts) == ([], [], [])


def test_it_keeps_each_site_its_own_status_contacts_and_investigator() -> None:
    contacts = (
        "Please refer to this study by its ClinicalTrials.gov identifier (NCT number): NCT01234567\n"
        "Contact: Wei Zhang, MD | +86 10 8888 0000 | wzhang@example.org |\n"
        "China, Beijing | |\n"
        "Peking University Cancer Hospital | Recruiting |\nBeijing, Beijing, China, 100142 | |\n"
        "Contact: Li Na | 010-8819 6114 |\n"
        "Principal Investigator: Jun Zhu, MD\n"
        "China, Shanghai | |\n"
        "Ruijin Hospital | Not yet recruiting |\nShanghai, Shanghai, China | |\n"
    )
    record = parse_one(classic_text(contacts=contacts))
    first, second = record.sites
    assert (first.status, first.zip, second.status, second.zip) == ("Recruiting", "100142", "Not yet recruiting", None)
    assert [(c.role, c.name, c.phone) for c in first.contacts] == [
        ("site", "Li Na", "010-8819 6114"),
        ("principal_investigator", "Jun Zhu, MD", None),
    ]
    assert second.contacts is None
    assert [(c.role, c.name, c.phone, c.email) for c in record.contacts] == [
        ("central", "Wei Zhang, MD", "+86 10 8888 0000", "wzhang@example.org")
    ]


def test_it_reads_publications_with_their_pmids() -> None:
    more = (
        CLASSIC_BLOCKS["more"] + "\n\nPublications of Results:\n"
        "Doe J, Roe R. CD19 CAR-T cells in lymphoma. Blood. 2022;139(1):1-10. PMID: 34567890\n\n"
        "Publications automatically indexed to this study by ClinicalTrials.gov Identifier (NCT Number):\n"
        "Lee A. Follow-up of CD19 CAR-T. Lancet. 2023;1:2-3."
    )
    record = parse_one(classic_text(more=more))
    assert [(r.type, r.pmid) for r in record.references] == [("RESULT", "34567890"), ("DERIVED", None)]
    assert record.references[1].citation == "Lee A. Follow-up of CD19 CAR-T. Lancet. 2023;1:2-3."


@pytest.mark.corpus
def test_the_archive_page_leaves_contacts_sites_and_results_absent() -> None:
    record = parse_one(corpus_text("other-formats/NCT01636609.ctgov-archive.html"))
    assert (record.sites, record.countries, record.contacts) == (None, None, None)
    assert (record.has_results, record.references, record.enrollment) == (None, None, None)
    assert (record.last_update_date, record.healthy_volunteers) == ("2012_11_20", "No")
    assert all(i.other_names is None for i in record.interventions)
