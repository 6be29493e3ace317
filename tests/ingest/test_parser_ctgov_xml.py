"""Legacy ClinicalTrials.gov <clinical_study> XML parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers._xml import root_tag
from ingest.parsers.ctgov_xml import CtgovXmlParser
from ingest.records import ParseError, TrialRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parsers"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "other-formats"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def parse_one(text: str) -> TrialRecord:
    [record] = CtgovXmlParser().parse(text)
    return record


def corpus_text(name: str) -> str:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"shared corpus not available ({path})")
    return path.read_text(encoding="utf-8")


def test_public_xml_maps_identification_titles_and_dates() -> None:
    record = parse_one(fixture_text("ctgov_study.xml"))
    assert (record.registry, record.registry_id, record.source_format) == ("ctgov", "NCT09000041", "ctgov_xml")
    assert record.source_url == "https://clinicaltrials.gov/study/NCT09000041"
    assert record.secondary_ids == ["FIX-XML-01", "FIX-XML-ALT"]
    assert record.title == "Fixture CD22 CAR-T Cells in B-ALL"
    assert record.official_title == "A Fixture Phase 1 Study of CD22 CAR-T Cells in Relapsed B-ALL"
    assert record.acronym == "CD22-FIX"
    assert record.status == "Recruiting"
    assert record.start_date == "May 2019"
    assert record.completion_date == "December 2026"
    assert record.primary_completion_date == "December 2025"
    assert record.registration_date == "April 5, 2019"
    assert record.last_update_date == "June 7, 2024"


def test_public_xml_maps_design_eligibility_and_people() -> None:
    record = parse_one(fixture_text("ctgov_study.xml"))
    assert record.phase == "Phase 1/Phase 2"
    assert record.study_type == "Interventional"
    assert (record.enrollment, record.enrollment_type) == ("24", "Anticipated")
    assert (record.min_age, record.max_age, record.sex) == ("1 Year", "30 Years", "All")
    assert record.sponsor == "Fixture Children's Hospital"
    assert record.collaborators == ["Fixture Foundation"]
    assert record.conditions == ["B-cell Acute Lymphoblastic Leukemia"]
    assert record.keywords == ["CAR-T", "CD22"]
    assert record.objectives == "Dose-limiting toxicity\nDLT rate at each dose level."


def test_textblocks_are_dedented_and_criteria_split() -> None:
    record = parse_one(fixture_text("ctgov_study.xml"))
    assert record.brief_summary == "CD22 CAR-T cells for children and young adults\nwith relapsed B-ALL."
    assert record.inclusion_criteria == "-  Age 1 to 30 years\n\n-  CD22-positive disease"
    assert record.exclusion_criteria == "-  Active GVHD"
    assert record.eligibility_text.startswith("Inclusion Criteria:\n\n  -  Age 1 to 30 years")


def test_arms_interventions_and_sites_are_mapped() -> None:
    record = parse_one(fixture_text("ctgov_study.xml"))
    [intervention] = record.interventions
    assert (intervention.type, intervention.name, intervention.description) == (
        "Biological",
        "CD22 CAR-T cells",
        "Single infusion.",
    )
    assert intervention.other_names == ["FIX-22"]
    [arm] = record.arms
    assert (arm.label, arm.type, arm.interventions) == ("CD22 CAR-T", "Experimental", ["CD22 CAR-T cells"])
    assert arm.description == "1x10^6 CAR-T cells/kg after lymphodepletion."
    [site] = record.sites
    assert (site.institution, site.city, site.state, site.country) == (
        "Fixture Children's Hospital",
        "Philadelphia",
        "Pennsylvania",
        "United States",
    )
    assert record.countries == ["United States"]


def test_archive_schema_is_read_with_its_own_element_names() -> None:
    record = parse_one(fixture_text("ctgov_archive_study.xml"))
    assert record.registry_id == "NCT09000051"
    assert record.secondary_ids == ["FIX-ARCH-01"]
    assert record.title == "Fixture Archive Study of CAR-T Cells"
    assert record.sponsor == "Fixture Archive Center"
    assert record.collaborators == ["Fixture Partner"]
    assert record.detailed_description == "First paragraph.\n\nSecond paragraph."
    assert record.status == "Recruiting"
    assert (record.start_date, record.primary_completion_date) == ("2012-11", "2018-11")
    assert record.phase == "Phase 1/Phase 2"
    assert (record.enrollment, record.enrollment_type) == ("40", "Anticipated")
    assert (record.min_age, record.max_age, record.sex) == ("60 Years", "", "Both")
    assert [(i.type, i.name, i.other_names) for i in record.interventions] == [("Biological", "Fixture CAR-T", [])]
    assert [(a.label, a.type, a.interventions) for a in record.arms] == [("Arm A", "Experimental", ["Fixture CAR-T"])]
    assert (record.registration_date, record.last_update_date) == ("2012-07-06", "2012-11-20")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<clinical_study><id_info><nct_id>NCT0900", "truncated or invalid XML"),
        ("<clinical_study><brief_title>x</brief_title></clinical_study>", "no <nct_id> in <id_info>"),
        (
            "<clinical_study><id_info><nct_id>NCT1</nct_id></id_info><brief_title>x</brief_title></clinical_study>",
            "'NCT1' is not an NCT number",
        ),
        ("<clinical_study><id_info><nct_id>NCT09000041</nct_id></id_info></clinical_study>", "no title found"),
        ("<other_root/>", "root element is <other_root>"),
        ("not xml at all", "truncated or invalid XML"),
    ],
)
def test_bad_documents_raise_one_line_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        CtgovXmlParser().parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_entities_are_neither_expanded_nor_fetched() -> None:
    text = (
        '<?xml version="1.0"?><!DOCTYPE clinical_study [<!ENTITY boom "BOOM">'
        '<!ENTITY ext SYSTEM "file:///etc/hostname">]>'
        "<clinical_study><id_info><nct_id>NCT09000041</nct_id></id_info>"
        "<brief_title>Title &boom; &ext; end</brief_title></clinical_study>"
    )
    assert parse_one(text).title == "Title end"


def test_an_entity_expansion_bomb_is_a_parse_error() -> None:
    levels = ['<!ENTITY e0 "aaaaaaaaaa">'] + [f'<!ENTITY e{n} "{("&e" + str(n - 1) + ";") * 10}">' for n in range(1, 9)]
    text = (
        f"<!DOCTYPE clinical_study [{''.join(levels)}]><clinical_study><id_info><nct_id>NCT09000041</nct_id>"
        "</id_info><brief_title>&e8;</brief_title></clinical_study>"
    )
    with pytest.raises(ParseError):
        CtgovXmlParser().parse(text)


def test_an_xml_declaration_with_another_encoding_is_accepted() -> None:
    text = fixture_text("ctgov_study.xml").replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    assert parse_one(text).registry_id == "NCT09000041"


@settings(max_examples=150)
@given(st.integers(min_value=0, max_value=len(fixture_text("ctgov_study.xml")) - 20))
def test_a_document_cut_anywhere_gives_a_parse_error_never_a_crash(cut: int) -> None:
    with pytest.raises(ParseError):
        CtgovXmlParser().parse(fixture_text("ctgov_study.xml")[:cut])


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_detect_never_raises(text: str) -> None:
    assert CtgovXmlParser.detect(text) in (True, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<?xml version="1.0" encoding="UTF-8"?>\n<clinical_study rank="1">', True),
        ("\ufeff  <!-- c -->\n<!DOCTYPE clinical_study>\n<clinical_study>", True),
        ("<clinical_study>", True),
        ("<trials><Triall/></trials>", False),
        ("<html><clinical_study/></html>", False),
        ('{"clinical_study": 1}', False),
        ("", False),
    ],
)
def test_detect_looks_at_the_root_element_only(text: str, expected: bool) -> None:
    assert CtgovXmlParser.detect(text) is expected


def test_root_tag_ignores_prolog_and_namespace_prefix() -> None:
    assert root_tag('<?xml version="1.0"?><!-- x --><ns:clinical_study xmlns:ns="u"/>') == "clinical_study"
    assert root_tag("no markup") == ""


def test_detect_through_the_registry_picks_this_parser() -> None:
    from ingest.parsers import detect

    assert detect(fixture_text("ctgov_study.xml")).name == "ctgov_xml"


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "nct_id", "phase", "min_age", "countries"),
    [
        ("NCT00000122.ctgov.xml", "NCT00000122", "Phase 3", "N/A", None),
        ("NCT01207388.ctgov.xml", "NCT01207388", "Phase 2", "18 Years", ["Austria", "Belgium"]),
        ("NCT01636609.ctgov-archive.xml", "NCT01636609", "Phase 1/Phase 2", "60 Years", ["United States"]),
    ],
)
def test_corpus_examples_parse(name: str, nct_id: str, phase: str, min_age: str, countries: list[str] | None) -> None:
    text = corpus_text(name)
    assert CtgovXmlParser.detect(text)
    record = parse_one(text)
    assert record.registry_id == nct_id
    assert record.title and record.status and record.brief_summary
    assert record.phase == phase
    assert record.min_age == min_age
    if countries is None:
        assert record.countries is None and record.sites is None
    else:
        assert record.countries[: len(countries)] == countries


@pytest.mark.corpus
def test_corpus_public_xml_with_results_has_all_sites_and_split_criteria() -> None:
    record = parse_one(corpus_text("NCT01207388.ctgov.xml"))
    assert len(record.sites) == 75
    assert (record.enrollment, record.enrollment_type) == ("116", "Actual")
    assert record.interventions[0].other_names == ["AMG103", "MT103", "BLINCYTO™"]
    assert record.inclusion_criteria.startswith("-  Patients with B-precursor ALL")
    assert record.exclusion_criteria.endswith("Previous treatment with blinatumomab")


def test_parse_document_detects_and_parses_xml_bytes() -> None:
    from ingest.parsers import parse_document

    result = parse_document((FIXTURES / "ctgov_archive_study.xml").read_bytes())
    assert (result.parser, result.version) == ("ctgov_xml", CtgovXmlParser.version)
    [record] = result.records
    assert record.registry_id == "NCT09000051"


# --- absent vs empty, and the fields beyond the basics -------------------------------------------


def test_elements_the_document_leaves_out_are_absent() -> None:
    record = parse_one(fixture_text("ctgov_study.xml"))
    assert record.detailed_description is None
    assert record.healthy_volunteers is None
    assert (record.contacts, record.references, record.has_results, record.results_date) == (None, None, None, None)
    [site] = record.sites
    assert (site.zip, site.status, site.contacts, site.latitude) == (None, None, None, None)
    stripped = parse_one(
        fixture_text("ctgov_study.xml")
        .replace("<keyword>CAR-T</keyword>", "")
        .replace("<keyword>CD22</keyword>", "")
        .replace("<acronym>CD22-FIX</acronym>", "")
    )
    assert (stripped.keywords, stripped.acronym) == (None, None)


def test_elements_the_document_carries_empty_are_empty() -> None:
    text = (
        fixture_text("ctgov_study.xml")
        .replace("<acronym>CD22-FIX</acronym>", "<acronym></acronym>")
        .replace("<maximum_age>30 Years</maximum_age>", "<maximum_age/>")
        .replace("<other_name>FIX-22</other_name>", "<other_name> </other_name>")
    )
    record = parse_one(text)
    assert (record.acronym, record.max_age) == ("", "")
    assert record.interventions[0].other_names == []


def test_the_lead_sponsor_class_and_healthy_volunteers_are_read() -> None:
    text = fixture_text("ctgov_study.xml").replace(
        "<gender>All</gender>", "<gender>All</gender><healthy_volunteers>No</healthy_volunteers>"
    )
    record = parse_one(text)
    assert (record.sponsor_class, record.healthy_volunteers) == ("Other", "No")


def test_contacts_site_details_and_results_references_are_read() -> None:
    contacts = (
        "<overall_contact><first_name>Jane</first_name><middle_name>Q</middle_name><last_name>Roe</last_name>"
        "<degrees>MD</degrees><phone>215-555-0100</phone><phone_ext>12</phone_ext><email>jroe@example.org</email>"
        "</overall_contact>"
        "<overall_contact_backup><last_name>John Doe, RN</last_name><email>jdoe@example.org</email>"
        "</overall_contact_backup>"
        "<overall_official><last_name>Ann Lee, MD</last_name><role>Study Chair</role>"
        "<affiliation>Fixture Children's Hospital</affiliation></overall_official>"
    )
    site = (
        "<zip>19104</zip>\n        <country>United States</country>\n      </address>\n    </facility>\n"
        "    <status>Recruiting</status>\n"
        "    <contact><last_name>Site Nurse</last_name><phone>215-555-0199</phone></contact>\n"
        "    <investigator><last_name>Bo Chen, MD</last_name><role>Principal Investigator</role></investigator>\n"
    )
    references = (
        "<reference><citation>Background paper.</citation><PMID>11111111</PMID></reference>"
        "<results_reference><citation>Results paper.</citation><PMID>22222222</PMID></results_reference>"
    )
    text = (
        fixture_text("ctgov_study.xml")
        .replace("<location>", contacts + "<location>", 1)
        .replace("<country>United States</country>\n      </address>\n    </facility>\n", site, 1)
        .replace("<keyword>CAR-T</keyword>", references + "<keyword>CAR-T</keyword>")
    )
    record = parse_one(text)
    assert [(c.role, c.name, c.phone, c.email, c.affiliation) for c in record.contacts] == [
        ("central", "Jane Q Roe, MD", "215-555-0100 ext. 12", "jroe@example.org", None),
        ("central_backup", "John Doe, RN", None, "jdoe@example.org", None),
        ("study_chair", "Ann Lee, MD", None, None, "Fixture Children's Hospital"),
    ]
    [located] = record.sites
    assert (located.zip, located.status, located.country) == ("19104", "Recruiting", "United States")
    assert [(c.role, c.name, c.phone) for c in located.contacts] == [
        ("site", "Site Nurse", "215-555-0199"),
        ("principal_investigator", "Bo Chen, MD", None),
    ]
    assert [(r.type, r.pmid, r.citation) for r in record.references] == [
        ("BACKGROUND", "11111111", "Background paper."),
        ("RESULT", "22222222", "Results paper."),
    ]


@pytest.mark.corpus
def test_corpus_record_without_results_says_so_and_keeps_its_references() -> None:
    record = parse_one(corpus_text("NCT00000122.ctgov.xml"))
    assert (record.has_results, record.results_date) == ("false", None)
    assert [r.pmid for r in record.references] == ["2688428", "1575223", "8420383", "8604728"]
    assert {r.type for r in record.references} == {"BACKGROUND"}
    assert record.references[0].citation.startswith("Fluorouracil Filtering Surgery Study one-year follow-up.")
    assert (record.last_update_date, record.registration_date) == ("September 16, 2009", "September 23, 1999")
    assert (record.sponsor_class, record.healthy_volunteers) == ("NIH", "No")
    assert (record.official_title, record.enrollment, record.enrollment_type) == (None, None, None)
    assert (record.contacts, record.arms, record.keywords) == (None, None, None)
    assert record.collaborators == []


@pytest.mark.corpus
def test_corpus_record_with_results_gives_results_date_officials_and_keywords() -> None:
    record = parse_one(corpus_text("NCT01207388.ctgov.xml"))
    assert (record.has_results, record.results_date) == ("true", "February 12, 2015")
    assert record.last_update_date == "May 1, 2017"
    assert record.sponsor_class == "Industry"
    assert [(c.role, c.name, c.affiliation) for c in record.contacts] == [
        ("principal_investigator", "Ralf Bargou, MD", "Medizinische Klinik und Poliklinik II, Würzburg"),
        ("principal_investigator", "Nicola Gökbuget, MD", "Klinikum der Goethe Universität Frankfurt"),
    ]
    assert record.keywords[:3] == ["Blinatumomab", "MRD", "B-ALL"] and len(record.keywords) == 12
    assert record.references is None
    assert all(s.zip is None and s.status is None for s in record.sites)


@pytest.mark.corpus
def test_corpus_archive_record_gives_site_status_zip_contacts_and_no_results() -> None:
    record = parse_one(corpus_text("NCT01636609.ctgov-archive.xml"))
    [site] = record.sites
    assert (site.institution, site.city, site.zip, site.status) == (
        "UT MD Anderson Cancer Center",
        "Houston",
        "77030",
        "Recruiting",
    )
    assert [(c.role, c.name, c.phone, c.email, c.affiliation) for c in record.contacts] == [
        ("principal_investigator", "Jorge Cortes, MD", None, None, "UT MD Anderson Cancer Center"),
        ("central", "Jorge Cortes, MD", "713-794-5783", "", None),
    ]
    assert (record.has_results, record.results_date) == ("false", "")
    assert (record.last_update_date, record.healthy_volunteers, record.max_age) == ("2012-11-20", "No", "")
    assert record.keywords[0] == "Leukemia" and record.keywords[-1] == "Tosedostat"
