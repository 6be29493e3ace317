"""WHO ICTRP XML export parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers.ictrp_xml import IctrpXmlParser
from ingest.records import ParseError, TrialRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parsers"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "other-formats"


def fixture_text() -> str:
    return (FIXTURES / "ictrp_trials.xml").read_text(encoding="utf-8")


def parse_fixture() -> tuple[list[TrialRecord], list[str]]:
    parser = IctrpXmlParser()
    return parser.parse(fixture_text()), parser.problems


def test_chictr_and_ctgov_trials_are_read_and_other_registries_reported() -> None:
    records, problems = parse_fixture()
    assert [(r.registry, r.registry_id) for r in records] == [("chictr", "ChiCTR2400000001"), ("ctgov", "NCT09000061")]
    assert all(r.source_format == "ictrp_xml" for r in records)
    assert problems == [
        "trial #3 (ISRCTN00000001): trial ISRCTN00000001 (registry ISRCTN) is not from ChiCTR or "
        "ClinicalTrials.gov; not supported"
    ]


def test_chictr_trial_fields_are_the_registry_strings() -> None:
    chictr = parse_fixture()[0][0]
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
    assert chictr.secondary_ids == []


def test_chictr_group_sizes_and_interventions_become_arms() -> None:
    chictr = parse_fixture()[0][0]
    assert chictr.enrollment == ""
    assert [(a.label, a.sample_size, a.interventions) for a in chictr.arms] == [
        ("Experimental group", "20", ["CD19/CD22 CAR-T cells"]),
        ("Control group", "10", []),
    ]
    assert [i.name for i in chictr.interventions] == ["CD19/CD22 CAR-T cells"]


def test_ctgov_trial_keeps_total_enrollment_and_typed_interventions() -> None:
    ctgov = parse_fixture()[0][1]
    assert ctgov.enrollment == "30"
    assert ctgov.arms == []
    assert [(i.type, i.name) for i in ctgov.interventions] == [("Biological", "CLDN18.2 CAR-T"), ("Drug", "Cyclophosphamide")]
    assert ctgov.conditions == ["Gastric Cancer", "Gastroesophageal Junction Adenocarcinoma"]
    assert (ctgov.min_age, ctgov.max_age, ctgov.sex) == ("18 Years", "75 Years", "All")


def test_search_portal_layout_is_read_too() -> None:
    text = (
        "<Trials_downloaded_from_ICTRP><Trial><TrialID>NCT09000071</TrialID>"
        "<Public_title>Portal fixture CAR-T</Public_title><Source_Register>ClinicalTrials.gov</Source_Register>"
        "<Recruitment_Status>Recruiting</Recruitment_Status><Target_size>12</Target_size>"
        "<Inclusion_agemin>18 Years</Inclusion_agemin><Inclusion_gender>All</Inclusion_gender>"
        "<Countries>China;Singapore</Countries><Condition>Lymphoma</Condition>"
        "<web_address>https://clinicaltrials.gov/show/NCT09000071</web_address></Trial></Trials_downloaded_from_ICTRP>"
    )
    assert IctrpXmlParser.detect(text)
    [record] = IctrpXmlParser().parse(text)
    assert (record.registry, record.registry_id, record.title) == ("ctgov", "NCT09000071", "Portal fixture CAR-T")
    assert (record.enrollment, record.min_age, record.sex) == ("12", "18 Years", "All")
    assert record.countries == ["China", "Singapore"]
    assert record.conditions == ["Lymphoma"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<trials><Triall><main><trial_id>ISRCTN1</trial_id><public_title>x</public_title></main></Triall></trials>",
         "trial ISRCTN1 is not from ChiCTR or ClinicalTrials.gov"),
        ("<trials></trials>", "holds no <Trial> element"),
        ("<trials><Triall><main><public_title>x</public_title></main></Triall></trials>", "no <trial_id>"),
        ("<trials><Triall><main><trial_id>ChiCTR2400000001</trial_id></main></Triall></trials>", "no title found"),
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
        ("<clinical_study>", False),
        ("<html><trials/></html>", False),
        ("[]", False),
        ("", False),
    ],
)
def test_detect_looks_for_a_trials_root(text: str, expected: bool) -> None:
    assert IctrpXmlParser.detect(text) is expected


def test_detect_through_the_registry_picks_this_parser() -> None:
    from ingest.parsers import base

    try:
        parser = base.detect(fixture_text())
    except ImportError as exc:
        pytest.skip(f"other parser modules not written yet: {exc}")
    assert parser.name == "ictrp_xml"


@pytest.mark.corpus
def test_corpus_chictr_record_parses() -> None:
    path = CORPUS / "ChiCTR2000034346.ictrp.xml"
    if not path.exists():
        pytest.skip(f"shared corpus not available ({path})")
    text = path.read_text(encoding="utf-8")
    assert IctrpXmlParser.detect(text)
    [record] = IctrpXmlParser().parse(text)
    assert (record.registry, record.registry_id) == ("chictr", "ChiCTR2000034346")
    assert record.title.startswith("Survey for Surgery status")
    assert record.status == "Completed"
    assert record.sex == "Both"
    assert record.countries == ["China"]
    assert [(a.label, a.sample_size) for a in record.arms] == [("2019 Y", "2418"), ("2020 Y", "821")]
    assert record.interventions == []
    assert record.exclusion_criteria.startswith("(1) missing detailed information")


def test_parse_document_detects_and_parses_ictrp_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.parsers import base
    import ingest.parsers.ctgov_v2  # noqa: F401
    import ingest.parsers.ctgov_xml  # noqa: F401

    monkeypatch.setattr(base, "_load_all", lambda: None)  # only the parsers imported here
    parser, records = base.parse_document(fixture_text().encode("utf-8"))
    assert parser.name == "ictrp_xml"
    assert [r.registry_id for r in records] == ["ChiCTR2400000001", "NCT09000061"]
