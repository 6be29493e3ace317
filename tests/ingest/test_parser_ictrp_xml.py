"""WHO ICTRP XML export parser: the search-portal export (2020 and 2024 forms) and
the web-service ``<trials><Triall>`` form, on the absent-vs-empty contract.

Variants of the real exports are built at test time by string edits of the
corpus files (never committed)."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import detect, parse_document
from ingest.parsers.ictrp_xml import IctrpXmlParser
from ingest.records import ParseError, TrialRecord
from tests.conftest import FIXTURES, corpus_path

PORTAL_2020 = ("ictrp", "ictrp_results_covid_2020-03-18.xml")
PORTAL_2024 = ("ictrp", "ictrp_results_hattr_2024-09-06.xml")
TRIALL = ("other-formats", "ChiCTR2000034346.ictrp.xml")


def fixture_text() -> str:
    return (FIXTURES / "parsers" / "ictrp_trials.xml").read_text(encoding="utf-8")


def corpus_bytes(*parts: str) -> bytes:
    return Path(corpus_path(*parts)).read_bytes()


@cache
def _parsed(parts: tuple[str, ...]) -> tuple[tuple[TrialRecord, ...], tuple[str, ...]]:
    parser = IctrpXmlParser()
    records = parser.parse(Path(corpus_path(*parts)).read_text(encoding="utf-8"))
    return tuple(records), tuple(parser.problems)


def corpus_records(parts: tuple[str, ...]) -> dict[str, TrialRecord]:
    return {r.registry_id: r for r in _parsed(parts)[0]}


def parse(text: str) -> tuple[list[TrialRecord], list[str]]:
    parser = IctrpXmlParser()
    return parser.parse(text), parser.problems


def portal(*trials: str) -> str:
    return (
        "<Trials_downloaded_from_ICTRP>"
        + "".join(f"<Trial>{t}</Trial>" for t in trials)
        + "</Trials_downloaded_from_ICTRP>"
    )


# --- the committed fixture (<trials><Triall>) --------------------------------------------------


def test_trials_of_every_known_registry_are_read_from_the_web_service_form() -> None:
    records, problems = parse(fixture_text())
    assert [(r.registry, r.registry_id) for r in records] == [
        ("chictr", "ChiCTR2400000001"), ("ctgov", "NCT09000061"), ("isrctn", "ISRCTN00000001"),
    ]  # fmt: skip
    assert all(r.source_format == "ictrp_xml" and r.third_party for r in records)
    assert problems == []


def test_chictr_trial_fields_are_the_registry_strings() -> None:
    chictr = parse(fixture_text())[0][0]
    assert chictr.title == "Fixture CD19/CD22 dual CAR-T for B-ALL"
    assert chictr.official_title.startswith("A fixture single-arm study")
    assert chictr.source_url == "https://www.chictr.org.cn/showprojEN.html?proj=999001"
    assert chictr.status == "Recruiting"
    assert (chictr.phase, chictr.study_type) == ("0", "Interventional study")
    assert (chictr.min_age, chictr.max_age, chictr.sex) == ("14", "70", "Both")
    assert (chictr.registration_date, chictr.start_date) == ("2024-01-02", "2024-02-01")
    assert chictr.sponsor == "Fixture Hospital of Suzhou"
    assert chictr.collaborators == ["Fixture Biotech"]
    assert chictr.conditions == ["B-cell acute lymphoblastic leukemia"]
    assert chictr.countries == ["China"]
    assert chictr.inclusion_criteria == "1. Age 14-70 years;\n2. CD19 or CD22 positive."
    assert chictr.exclusion_criteria == "Active infection."
    assert chictr.objectives == "CRS incidence\n\nORR"


def test_the_web_service_form_keeps_absent_and_empty_apart() -> None:
    chictr, ctgov, isrctn = parse(fixture_text())[0]
    # <secondary_ids> carried with a blank <sec_id/>; <acronym/> and <type_enrolment/> blank.
    assert (chictr.secondary_ids, chictr.acronym, chictr.enrollment_type) == ([], "", "")
    # The NCT trial has no <secondary_ids>, <acronym>, <criteria> text blocks or <contacts>.
    assert (ctgov.secondary_ids, ctgov.acronym, ctgov.inclusion_criteria, ctgov.contacts) == (None, None, None, None)
    assert ctgov.last_update_date is None  # the web-service form has no refresh date
    assert (isrctn.status, isrctn.conditions, isrctn.interventions, isrctn.arms) == (None, None, None, None)


def test_chictr_group_sizes_and_interventions_become_arms_without_a_total() -> None:
    chictr = parse(fixture_text())[0][0]
    assert chictr.enrollment is None
    assert [(a.label, a.sample_size, a.interventions) for a in chictr.arms] == [
        ("Experimental group", "20", ["CD19/CD22 CAR-T cells"]),
        ("Control group", "10", []),
    ]
    assert [(i.name, i.type) for i in chictr.interventions] == [("CD19/CD22 CAR-T cells", None)]


def test_ctgov_trial_keeps_total_enrollment_and_typed_interventions() -> None:
    ctgov = parse(fixture_text())[0][1]
    assert ctgov.enrollment == "30"
    assert ctgov.arms is None
    assert [(i.type, i.name) for i in ctgov.interventions] == [
        ("Biological", "CLDN18.2 CAR-T"),
        ("Drug", "Cyclophosphamide"),
    ]
    assert ctgov.conditions == ["Gastric Cancer", "Gastroesophageal Junction Adenocarcinoma"]
    assert (ctgov.min_age, ctgov.max_age, ctgov.sex) == ("18 Years", "75 Years", "All")


def test_search_portal_layout_is_read_too() -> None:
    text = portal(
        "<TrialID>NCT09000071</TrialID><Public_title>Portal fixture CAR-T</Public_title>"
        "<Source_Register>ClinicalTrials.gov</Source_Register><Recruitment_Status>Recruiting</Recruitment_Status>"
        "<Target_size>12</Target_size><Inclusion_agemin>18 Years</Inclusion_agemin><Inclusion_gender>All</Inclusion_gender>"
        "<Countries>China;Singapore</Countries><Condition>Lymphoma</Condition>"
        "<web_address>https://clinicaltrials.gov/show/NCT09000071</web_address>"
    )
    assert IctrpXmlParser.detect(text)
    [record] = IctrpXmlParser().parse(text)
    assert (record.registry, record.registry_id, record.title) == ("ctgov", "NCT09000071", "Portal fixture CAR-T")
    assert (record.enrollment, record.min_age, record.sex) == ("12", "18 Years", "All")
    assert record.countries == ["China", "Singapore"]
    assert record.conditions == ["Lymphoma"]
    assert (record.max_age, record.phase, record.contacts) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "<trials><Triall><main><trial_id>XYZ1</trial_id><public_title>x</public_title></main></Triall></trials>",
            "skipped: unknown registry",
        ),
        ("<trials></trials>", "holds no <Trial> element"),
        ("<trials><Triall><main><public_title>x</public_title></main></Triall></trials>", "skipped: no TrialID"),
        ("<trials><Triall><main><trial_id>ChiCTR2400000001</trial_id></main></Triall></trials>", "skipped: no title"),
        ("<trials><Triall><main><trial_id>ChiCTR24", "truncated or invalid XML"),
        ("<clinical_study/>", "not a WHO ICTRP export"),
    ],
)
def test_bad_exports_raise_one_line_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        IctrpXmlParser().parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@settings(max_examples=150)
@given(st.integers(min_value=0, max_value=len(fixture_text()) - 12))
def test_an_export_cut_anywhere_gives_a_parse_error_never_a_crash(cut: int) -> None:
    with pytest.raises(ParseError):
        IctrpXmlParser().parse(fixture_text()[:cut])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<?xml version="1.0" encoding="UTF-8"?>\n<trials subjects="1">\n  <Triall>', True),
        ("<Trials_downloaded_from_ICTRP><Trial>", True),
        ("<?xml version='1.0' encoding='UTF-8' ?><Trials_downloaded_from_ICTRP>\r\n  <Trial>", True),
        ("<clinical_study>", False),
        ("<html><trials/></html>", False),
        ("TrialID,Public title,Source Register\r\n", False),
        ("[]", False),
        ("", False),
    ],
)
def test_detect_looks_for_a_trials_root(text: str, expected: bool) -> None:
    assert IctrpXmlParser.detect(text) is expected


def test_detect_through_the_registry_picks_this_parser() -> None:
    assert detect(fixture_text()).name == "ictrp_xml"


def test_parse_document_detects_and_parses_ictrp_bytes() -> None:
    result = parse_document(fixture_text().encode("utf-8"))
    assert (result.parser, result.version) == ("ictrp_xml", IctrpXmlParser.version)
    assert [r.registry_id for r in result.records] == ["ChiCTR2400000001", "NCT09000061", "ISRCTN00000001"]


# --- XML safety ---------------------------------------------------------------------------------

TRIAL_BODY = "<TrialID>NCT09000071</TrialID><Source_Register>ClinicalTrials.gov</Source_Register>"


def test_entities_are_neither_expanded_nor_fetched() -> None:
    text = (
        '<?xml version="1.0"?><!DOCTYPE Trials_downloaded_from_ICTRP [<!ENTITY boom "BOOM">'
        '<!ENTITY ext SYSTEM "file:///etc/hostname">]>'
        + portal(TRIAL_BODY + "<Public_title>Title &boom; &ext; end</Public_title>")
    )
    [record] = IctrpXmlParser().parse(text)
    assert record.title == "Title end"


def test_an_entity_expansion_bomb_is_a_parse_error() -> None:
    levels = ['<!ENTITY e0 "aaaaaaaaaa">'] + [f'<!ENTITY e{n} "{("&e" + str(n - 1) + ";") * 10}">' for n in range(1, 9)]
    text = f"<!DOCTYPE trials [{''.join(levels)}]>" + portal(TRIAL_BODY + "<Public_title>&e8;</Public_title>")
    with pytest.raises(ParseError):
        IctrpXmlParser().parse(text)


def test_xinclude_is_not_processed() -> None:
    text = (
        '<Trials_downloaded_from_ICTRP xmlns:xi="http://www.w3.org/2001/XInclude"><Trial>' + TRIAL_BODY
        + '<Public_title>Kept <xi:include href="file:///etc/hostname" parse="text"/>as is</Public_title>'
        "</Trial></Trials_downloaded_from_ICTRP>"
    )  # fmt: skip
    [record] = IctrpXmlParser().parse(text)
    assert record.title == "Kept as is"


def test_an_external_dtd_is_not_loaded() -> None:
    text = '<!DOCTYPE trials SYSTEM "http://example.invalid/ictrp.dtd">' + portal(
        TRIAL_BODY + "<Public_title>T</Public_title>"
    )
    [record] = IctrpXmlParser().parse(text)
    assert record.title == "T"


# --- real exports: the 2020 portal form (CRLF, 578 trials) ---------------------------------------


@pytest.mark.corpus
def test_all_578_trials_of_the_2020_export_parse_without_problems() -> None:
    records, problems = _parsed(PORTAL_2020)
    assert len(records) == 578
    assert problems == ()
    assert Counter(r.registry for r in records) == {"chictr": 476, "ctgov": 102}
    assert len({r.registry_id for r in records}) == 578


@pytest.mark.corpus
def test_the_2020_export_carries_no_crlf_or_br_markup_into_values() -> None:
    for record in _parsed(PORTAL_2020)[0]:
        for name, value in record.to_dict().items():
            text = str(value)
            assert "\r" not in text and "<br" not in text.lower() and "&lt;" not in text, (record.registry_id, name)


@pytest.mark.corpus
def test_a_2020_chictr_row_gives_the_registry_strings() -> None:
    record = corpus_records(PORTAL_2020)["ChiCTR2000029953"]
    assert (record.registry, record.third_party, record.source_format) == ("chictr", True, "ictrp_xml")
    assert (
        record.title
        == "Construction and Analysis of Prognostic Predictive Model of Novel Coronavirus Pneumonia (COVID-19)"
    )
    assert record.official_title == record.title  # the export pads it with hundreds of spaces
    assert record.source_url == "http://www.chictr.org.cn/showproj.aspx?proj=49217"
    assert (record.registration_date, record.start_date, record.last_update_date) == (
        "2020-02-17",
        "2020-02-01",
        "17 February 2020",
    )
    assert (record.status, record.phase, record.study_type) == ("Not Recruiting", "N/A", "Observational study")
    assert (record.min_age, record.max_age, record.sex) == ("", "", "Both")  # <Inclusion_agemin /> carried blank
    assert record.enrollment is None
    assert [(a.label, a.sample_size, a.interventions) for a in record.arms] == [
        ("survival group", "200", []),
        ("died", "200", []),
    ]
    assert record.interventions == []  # "survival group:none;died:none;"
    assert record.conditions == ["2019-nCoV Pneumonia"]
    assert record.countries == ["China"]
    assert record.sponsor == "Zhongnan Hospital of Wuhan University"
    assert record.objectives.split("\n\n") == [
        "duration of in hospital", "in hospital mortality", "the 28s day' mortality after admission", "duration of ICU stay",
    ]  # fmt: skip
    assert [(c.role, c.name, c.email, c.phone, c.affiliation, c.address) for c in record.contacts] == [
        (None, "Yan Zhao", "doctoryanzhao@whu.edu.cn", "+86 13995577963",
         "Emergency Department of Zhongnan Hospital of Wuhan University", "169 Donghu Road, Wuchang District, Wuhan, Hubei, China"),
    ]  # fmt: skip
    assert record.exclusion_criteria.startswith(
        "Exclusion criteria: Patients diagnosed with pneumonia of age <15 years"
    )
    # Elements this export leaves out of the row are absent, the blank ones empty.
    assert (record.acronym, record.secondary_ids, record.has_results, record.results_date) == (None, None, None, None)
    assert record.results_url == ""


@pytest.mark.corpus
def test_a_2020_chictr_row_turns_its_br_markup_into_line_breaks() -> None:
    record = corpus_records(PORTAL_2020)["ChiCTR2000029850"]
    assert record.exclusion_criteria == (
        "Exclusion criteria: 1. Hypersensitive to immunoglobulin;\n2. Have immunoglobulin A deficiency."
    )


@pytest.mark.corpus
def test_a_2020_ctgov_row_splits_its_eligibility_block_and_keeps_a_plain_total() -> None:
    record = corpus_records(PORTAL_2020)["NCT00523276"]
    assert (record.registry, record.title) == ("ctgov", "SARS Survivor Evaluations")
    assert (
        record.official_title
        == "Immune Responses, Transmission and Nucleotide Polymorphisms in Families With SARS Virus Infections"
    )
    assert (record.enrollment, record.arms) == ("0", None)
    assert (record.min_age, record.max_age, record.sex) == ("4 Years", "N/A", "Both")
    assert (record.registration_date, record.start_date) == ("30/08/2007", "January 1996")
    assert record.acronym == ""
    assert record.interventions is None and record.contacts is None  # no <Intervention>, no Contact_* elements
    assert record.inclusion_criteria.startswith(
        "Severe Acute Respiratory Syndrome (SARS) Survivors and Controls:\n\n  1. An adult"
    )
    assert record.exclusion_criteria.endswith("1.  Current pregnancy or possible pregnancy (by history).")


# --- real exports: the 2024 portal form (95 trials, values padded with a newline and indentation) --


@pytest.mark.corpus
def test_all_95_trials_of_the_2024_export_parse_under_their_own_registry() -> None:
    records, problems = _parsed(PORTAL_2024)
    assert len(records) == 95
    assert problems == ()
    assert Counter(r.registry for r in records) == {
        "ctgov": 47, "euctr": 28, "drks": 6, "jrct": 6, "jprn": 3, "nl_omon": 2, "ctis": 1, "chictr": 1, "cris": 1,
    }  # fmt: skip


@pytest.mark.corpus
def test_the_2024_padding_inside_tags_is_not_part_of_any_value() -> None:
    for record in _parsed(PORTAL_2024)[0]:
        for name in (
            "registry_id",
            "title",
            "official_title",
            "status",
            "phase",
            "sex",
            "start_date",
            "last_update_date",
        ):
            value = getattr(record, name)
            assert value is None or value == value.strip() and "\n" not in value, (record.registry_id, name)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("registry_id", "registry"),
    [
        ("NCT06360289", "ctgov"), ("CTIS2023-507385-11-00", "ctis"), ("EUCTR2014-001586-27-ES", "euctr"),
        ("DRKS00032447", "drks"), ("jRCTs031210288", "jrct"), ("KCT0000379", "cris"), ("ChiCTR2100050713", "chictr"),
    ],
)  # fmt: skip
def test_each_registry_of_the_2024_export_has_its_own_key(registry_id: str, registry: str) -> None:
    assert corpus_records(PORTAL_2024)[registry_id].registry == registry


@pytest.mark.corpus
def test_jprn_rows_are_told_apart_by_their_id() -> None:
    keys = {r.registry_id: r.registry for r in _parsed(PORTAL_2024)[0] if r.registry in ("jrct", "jprn")}
    assert all(k.startswith("jRCT") for k, v in keys.items() if v == "jrct")
    assert all(k.startswith("JPRN-") for k, v in keys.items() if v == "jprn")


@pytest.mark.corpus
def test_a_2024_ctgov_row_gives_the_registry_strings() -> None:
    record = corpus_records(PORTAL_2024)["NCT06360289"]
    assert record.title.startswith("Observational Study of Neurofilament Light Chain (NfL) as a Biomarker")
    assert record.source_url == "https://clinicaltrials.gov/ct2/show/NCT06360289"
    assert (record.registration_date, record.start_date, record.last_update_date) == (
        "08/04/2024",
        "April 25, 2024",
        "20 May 2024",
    )
    assert (record.min_age, record.max_age, record.sex) == ("N/A", "N/A", "All")
    assert (record.status, record.study_type, record.phase) == (
        "Recruiting",
        "Observational",
        "",
    )  # <Phase/> carried blank
    assert record.enrollment == "500"
    assert record.secondary_ids == ["ALN-TTR-NT-003"]
    assert record.funding == "Please refer to primary and secondary sponsors"
    assert [(i.type, i.name) for i in record.interventions] == [("Other", "Standard of Care")]
    assert record.conditions == ["Hereditary Amyloidosis, Transthyretin-Related", "Asymptomatic Carrier State"]
    assert [(c.name, c.email, c.phone, c.affiliation, c.address) for c in record.contacts] == [
        ("Alnylam Clinical Trial Information Line", "clinicaltrials@alnylam.com", "1-877-ALNYLAM", "", None),
    ]
    # &#x0D;&lt;br&gt; line breaks; the block holds both headings, split like ClinicalTrials.gov's own.
    assert record.inclusion_criteria.startswith(
        "- Carrier of a documented pathogenic TTR variant confirmed with genotyping with predicted\n"
    )
    assert record.exclusion_criteria.startswith("-  A known condition (other than hATTR amyloidosis)")
    assert (record.acronym, record.ethics, record.collaborators, record.has_results) == ("", None, None, None)


@pytest.mark.corpus
def test_a_2024_ctis_row_keeps_its_own_fields() -> None:
    record = corpus_records(PORTAL_2024)["CTIS2023-507385-11-00"]
    assert record.registry == "ctis"
    assert record.acronym is None  # no <Acronym> element in this row
    assert record.secondary_ids == ["U1111-1296-5487", "2022-003405-30", "NCT05697861"]
    assert (record.min_age, record.max_age, record.sex) == ("18", "65+", "Female: yes Male: yes")
    assert record.phase == (
        "Human pharmacology (Phase I): no Therapeutic exploratory (Phase II): yes "
        "Therapeutic confirmatory - (Phase III): yes Therapeutic use - (Phase IV): no"
    )
    assert record.countries == ["Sweden", "United Kingdom", "New Zealand"]
    assert record.collaborators == ["Medpace Finland Oy"]
    assert record.ethics == "Status: Authorized\nApproval date: 16/04/2024"
    assert (record.enrollment, record.start_date) == ("74", "16/04/2024")


@pytest.mark.corpus
def test_a_2024_row_with_results_says_so() -> None:
    record = corpus_records(PORTAL_2024)["jRCTs031210156"]
    assert (record.has_results, record.results_date, record.results_url) == ("Yes", "31/03/2023", "")
    assert record.completion_date == "16/01/2023"
    drks = [r for r in _parsed(PORTAL_2024)[0] if r.registry == "drks" and r.results_url]
    assert drks and all(
        re.fullmatch(r"http://drks\.de/search/en/trial/DRKS\d{8}#studyResults", r.results_url) for r in drks
    )


@pytest.mark.corpus
def test_the_2024_chictr_row_gives_group_sizes_and_no_total() -> None:
    record = corpus_records(PORTAL_2024)["ChiCTR2100050713"]
    assert record.enrollment is None
    assert [(a.label, a.sample_size) for a in record.arms] == [("control group", "50"), ("sepsis group", "50")]
    assert (record.min_age, record.max_age, record.phase) == ("18", "90", "0")
    assert record.acronym is None


# --- real exports, edited at test time ----------------------------------------------------------


def _edit_trial(text: str, trial_id: str, old: str, new: str) -> str:
    """`text` with `old` replaced by `new` inside the one <Trial> whose TrialID starts with `trial_id`."""
    start = text.index(f"<TrialID>{trial_id}")
    end = text.index("</Trial>", start)
    body = text[start:end]
    assert old in body
    return text[:start] + body.replace(old, new, 1) + text[end:]


@pytest.mark.corpus
def test_a_javascript_web_address_is_refused_and_said() -> None:
    text = Path(corpus_path(*PORTAL_2020)).read_text(encoding="utf-8")
    text = _edit_trial(
        text, "ChiCTR2000029953", "http://www.chictr.org.cn/showproj.aspx?proj=49217", "javascript:alert(1)"
    )
    records, problems = parse(text)
    record = next(r for r in records if r.registry_id == "ChiCTR2000029953")
    assert record.source_url is None
    assert problems == ["trial #1 (ChiCTR2000029953): web address left out: not an http(s) address"]
    assert len(records) == 578


@pytest.mark.corpus
def test_unreadable_rows_are_one_problem_line_each_and_the_others_are_kept() -> None:
    text = Path(corpus_path(*PORTAL_2024)).read_text(encoding="utf-8")
    text = _edit_trial(text, "CTIS2023-507385-11-00", "CTIS2023-507385-11-00", "XYZ123")
    text = _edit_trial(text, "XYZ123", "Clinical Trials Information System", "Some Other Register")
    text = _edit_trial(text, "NCT06360289", "<TrialID>NCT06360289", "<TrialID>")
    records, problems = parse(text)
    assert len(records) == 93
    assert problems == [
        "trial #1 (no id): skipped: no TrialID",
        "trial #2 (XYZ123): skipped: unknown registry (Source Register 'Some Other Register')",
    ]


@pytest.mark.corpus
def test_a_row_without_any_title_is_skipped() -> None:
    text = Path(corpus_path(*PORTAL_2024)).read_text(encoding="utf-8")
    start = text.index("<TrialID>NCT06360289")
    text = text[:start] + re.sub(r"<(Public|Scientific)_title>[^<]*</\1_title>", "", text[start:], count=2)
    records, problems = parse(text)
    assert problems == ["trial #1 (NCT06360289): skipped: no title"]
    assert len(records) == 94


@pytest.mark.corpus
def test_a_row_whose_public_title_is_blank_keeps_its_scientific_title() -> None:
    [record] = [r for r in _parsed(PORTAL_2024)[0] if r.title == ""]
    assert record.official_title


@pytest.mark.corpus
def test_a_whole_export_detected_through_parse_document() -> None:
    result = parse_document(corpus_bytes(*PORTAL_2024))
    assert (result.parser, len(result.records), result.problems) == ("ictrp_xml", 95, [])


# --- the single-record <trials><Triall> form ------------------------------------------------------


@pytest.mark.corpus
def test_corpus_chictr_record_parses() -> None:
    text = Path(corpus_path(*TRIALL)).read_text(encoding="utf-8")
    assert IctrpXmlParser.detect(text)
    [record] = IctrpXmlParser().parse(text)
    assert (record.registry, record.registry_id, record.third_party) == ("chictr", "ChiCTR2000034346", True)
    assert record.title == "Survey for Surgery status of a designated Hospital for COVID-19 management in Guangzhou"
    assert record.status == "Completed"
    assert (record.phase, record.study_type) == ("Retrospective study", "Health services reaserch")
    assert (record.min_age, record.max_age, record.sex) == ("", "", "Both")
    assert (record.registration_date, record.start_date) == ("2020-07-02", "2020-04-10")
    assert record.countries == ["China"]
    assert record.enrollment is None
    assert [(a.label, a.sample_size, a.interventions) for a in record.arms] == [
        ("2019 Y", "2418", []),
        ("2020 Y", "821", []),
    ]
    assert record.interventions == []
    assert record.exclusion_criteria.startswith("(1) missing detailed information\n(2)")
    assert record.objectives == "decrease"
    assert record.secondary_ids == [] and record.collaborators == [] and record.keywords == []
    assert record.funding.startswith("China National Science Foundation (81871893).")
    assert record.ethics == (
        "Status: Approved\nApproval date: 2020-04-01\nContact: Jun rong Liu\n"
        "Address: The First Affiliated Hospital of Guangzhou Medical University"
    )
    assert [(c.role, c.name, c.phone, c.email) for c in record.contacts] == [
        ("scientific", "Ran Zhong", "+86 15622150974", "zhongranran@163.com"),
        ("public", "Jianxing He", "+86 13802777270", "drjianxing.he@gmail.com"),
    ]
    assert record.contacts[1].address == "151 Yanjiang Road West, Yuexiu District, Guangzhou, Guangdong, China"
    assert record.contacts[1].affiliation.startswith("Guangzhou Institute of Respiratory Health")
    assert (record.last_update_date, record.has_results, record.results_url) == (None, None, "")
