"""ClinicalTrials.gov API v2 (and legacy v1) JSON parser."""

from __future__ import annotations

import copy
import json
import re
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.parsers._criteria import split_criteria
from ingest.parsers.ctgov_v2 import CtgovV2Parser
from ingest.records import ParseError, TrialRecord
from tests.conftest import corpus_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parsers"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
BULK = CORPUS / "bulk" / "ctgov-cart-snapshot-2026-08-22.json"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_study() -> dict[str, Any]:
    return json.loads(fixture_text("ctgov_v2_study.json"))


def parse(document: Any) -> tuple[list[TrialRecord], list[str]]:
    parser = CtgovV2Parser()
    text = document if isinstance(document, str) else json.dumps(document)
    return list(parser.parse(text)), parser.problems


def corpus_file(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared corpus not available ({path})")
    return path


# --- one study ---------------------------------------------------------------


def test_one_study_maps_identification_status_and_sponsor_fields() -> None:
    [record], problems = parse(fixture_text("ctgov_v2_study.json"))
    assert problems == []
    assert record.registry == "ctgov"
    assert record.registry_id == "NCT09000001"
    assert record.source_format == "ctgov_v2_json"
    assert record.source_url == "https://clinicaltrials.gov/study/NCT09000001"
    assert record.title == "Fixture Study of CD19 CAR-T Cells in B-cell Lymphoma"
    assert record.official_title.startswith("A Phase 1/2 Fixture Study")
    assert record.acronym == "FIXCAR"
    assert record.secondary_ids == ["FIX-CART-01", "2024-000111-22", "R01CA000001"]
    assert record.status == "RECRUITING"
    assert record.start_date == "2024-03-01"
    assert record.primary_completion_date == "2026-06"
    assert record.completion_date == "2027-12-31"
    assert record.registration_date == "2024-01-18"
    assert record.last_update_date == "2025-02-05"
    assert record.sponsor == "Example Cell Therapy Institute"
    assert record.collaborators == ["Example Biotech Ltd."]


def test_one_study_keeps_registry_strings_only_trimmed() -> None:
    [record], _ = parse(fixture_text("ctgov_v2_study.json"))
    assert record.brief_summary == "A fixture summary of CD19 CAR-T cells."
    assert record.detailed_description == "Patients receive lymphodepletion then 1x10^6 CAR-T cells/kg."
    assert record.study_type == "INTERVENTIONAL"
    assert record.sex == "ALL"


def test_phases_are_joined_with_a_slash() -> None:
    [record], _ = parse(fixture_study())
    assert record.phase == "PHASE1/PHASE2"


def test_month_ages_pass_through_as_registry_strings() -> None:
    [record], _ = parse(fixture_study())
    assert (record.min_age, record.max_age) == ("6 Months", "75 Years")


def test_enrollment_count_and_type_are_kept() -> None:
    [record], _ = parse(fixture_study())
    assert (record.enrollment, record.enrollment_type) == ("36", "ESTIMATED")


def test_conditions_keywords_arms_and_interventions_are_mapped() -> None:
    [record], _ = parse(fixture_study())
    assert record.conditions == ["B-cell Lymphoma", "Diffuse Large B-cell Lymphoma"]
    assert record.keywords == ["CAR-T", "CD19"]
    assert [(i.type, i.name) for i in record.interventions] == [
        ("BIOLOGICAL", "CD19 CAR-T cells"),
        ("DRUG", "Fludarabine"),
    ]
    assert record.interventions[0].other_names == ["FIX-19", "fixcabtagene"]
    assert record.interventions[0].description == "Autologous T cells transduced with a CD19 CAR."
    [arm] = record.arms
    assert (arm.label, arm.type) == ("Dose escalation", "EXPERIMENTAL")
    assert arm.interventions == ["Biological: CD19 CAR-T cells", "Drug: Fludarabine"]


def test_outcome_measures_and_descriptions_become_objectives() -> None:
    [record], _ = parse(fixture_study())
    assert record.objectives == ("Dose-limiting toxicities\nDLTs within 28 days of infusion.\n\nOverall response rate")


def test_eligibility_is_split_at_its_headings_and_kept_whole() -> None:
    [record], _ = parse(fixture_study())
    assert record.inclusion_criteria == "* Age 6 months or older\n* CD19-positive lymphoma"
    assert record.exclusion_criteria == "* Active CNS disease\n* Prior CAR-T therapy"
    assert record.eligibility_text.startswith("Inclusion Criteria:")


def test_locations_become_sites_and_unique_countries() -> None:
    [record], _ = parse(fixture_study())
    assert [(s.institution, s.city, s.state, s.country) for s in record.sites][:2] == [
        ("Example University Hospital", "Boston", "Massachusetts", "United States"),
        ("Example Cancer Centre", "Toronto", "Ontario", "Canada"),
    ]
    assert record.countries == ["United States", "Canada"]


def test_registration_date_falls_back_to_first_submit_date() -> None:
    study = fixture_study()
    del study["protocolSection"]["statusModule"]["studyFirstPostDateStruct"]
    [record], _ = parse(study)
    assert record.registration_date == "2024-01-10"


# --- page, list, partial records ----------------------------------------------


def test_a_page_keeps_the_good_studies_and_reports_the_bad_one() -> None:
    records, problems = parse(fixture_text("ctgov_v2_page.json"))
    assert [r.registry_id for r in records] == ["NCT09000011", "NCT09000012", "NCT09000014"]
    skipped = [p for p in problems if "skipped" in p]
    assert skipped == ["study #3 (no id): skipped: no protocolSection.identificationModule.nctId"]


def test_a_wrongly_typed_field_is_ignored_and_reported_but_the_study_is_kept() -> None:
    records, problems = parse(fixture_text("ctgov_v2_page.json"))
    cd7 = records[-1]
    assert cd7.conditions == []
    assert (
        "study #4 (NCT09000014): protocolSection.conditionsModule.conditions: expected a list, got a string (ignored)"
        in problems
    )
    assert all("\n" not in p for p in problems)


def test_a_bare_list_of_studies_is_a_page() -> None:
    study = fixture_study()
    other = copy.deepcopy(study)
    other["protocolSection"]["identificationModule"]["nctId"] = "NCT09000002"
    records, problems = parse([study, other])
    assert [r.registry_id for r in records] == ["NCT09000001", "NCT09000002"]
    assert problems == []


def test_a_list_with_non_study_items_reports_them_by_number() -> None:
    records, problems = parse([fixture_study(), 7, {"foo": 1}])
    assert [r.registry_id for r in records] == ["NCT09000001"]
    assert [p.split(":")[0] for p in problems] == ["study #2", "study #3"]


def test_fields_partial_records_leave_missing_modules_absent() -> None:
    records, problems = parse(fixture_text("ctgov_v2_fields_partial.json"))
    assert problems == []
    first, second = records
    assert first.status == "RECRUITING"
    assert first.last_update_date == "2025-08-01"
    assert (first.phase, first.enrollment, first.sponsor, first.min_age, first.sex) == (None, None, None, None, None)
    assert first.conditions is None and first.sites is None and first.interventions is None
    assert first.contacts is None and first.references is None and first.has_results is None
    assert second.countries == ["China", "Germany"]
    assert second.sites is None
    assert second.min_age == "1 Year" and second.max_age is None


def test_absent_phases_give_an_empty_phase_in_a_full_study() -> None:
    study = fixture_study()
    del study["protocolSection"]["designModule"]["phases"]
    [record], problems = parse(study)
    assert record.phase == ""
    assert problems == []


def test_absent_phases_leave_the_phase_absent_in_a_partial_study() -> None:
    study = fixture_study()
    del study["hasResults"]
    del study["derivedSection"]
    del study["protocolSection"]["designModule"]["phases"]
    [record], problems = parse(study)
    assert record.phase is None
    assert record.has_results is None
    assert problems == []


def test_enrollment_without_type_keeps_the_count() -> None:
    study = fixture_study()
    study["protocolSection"]["designModule"]["enrollmentInfo"] = {"count": 0}
    [record], _ = parse(study)
    assert (record.enrollment, record.enrollment_type) == ("0", "")


def test_a_study_with_only_an_official_title_is_accepted() -> None:
    study = {"protocolSection": {"identificationModule": {"nctId": "NCT09000003", "officialTitle": "Only official"}}}
    [record], _ = parse(study)
    assert record.title is None and record.official_title == "Only official"


# --- legacy API v1 ------------------------------------------------------------


def test_legacy_v1_full_studies_response_is_read() -> None:
    [record], problems = parse(fixture_text("ctgov_v1_fullstudies.json"))
    assert problems == []
    assert record.source_format == "ctgov_v1_json"
    assert record.registry_id == "NCT09000031"
    assert record.secondary_ids == ["FIX-V1-01", "FIX-V1-ALT"]
    assert record.acronym == "MESO-FIX"
    assert record.phase == "Phase 1/Phase 2"
    assert (record.enrollment, record.enrollment_type) == ("20", "Anticipated")
    assert (record.min_age, record.max_age, record.sex) == ("18 Years", "70 Years", "All")
    assert record.registration_date == "March 3, 2021"
    assert record.collaborators == ["Fixture Provincial Hospital"]
    assert record.keywords == ["CAR-T", "mesothelin"]
    assert record.interventions[0].other_names == ["MESO-01"]
    assert record.arms[0].interventions == ["Biological: meso CAR-T"]
    assert record.inclusion_criteria == "Aged 18 to 70;" and record.exclusion_criteria == "Pregnancy;"
    assert [(s.city, s.country) for s in record.sites] == [("Hefei", "China")]


def test_legacy_v1_single_rank_and_study_element_is_read() -> None:
    element = json.loads(fixture_text("ctgov_v1_fullstudies.json"))["FullStudiesResponse"]["FullStudies"][0]
    [record], _ = parse(element)
    assert record.registry_id == "NCT09000031"
    [bare], _ = parse({"ProtocolSection": element["Study"]["ProtocolSection"]})
    assert bare.registry_id == "NCT09000031"


@pytest.mark.corpus
def test_legacy_v1_corpus_example_parses() -> None:
    path = corpus_file(CORPUS / "other-formats" / "NCT04780529.ctgov-v1-fullstudies.json")
    [record], problems = parse(path.read_text(encoding="utf-8"))
    assert problems == []
    assert record.registry_id == "NCT04780529"
    assert record.phase == "Not Applicable"
    assert record.sponsor == "Innovative Cellular Therapeutics Co., Ltd."
    assert record.inclusion_criteria and record.exclusion_criteria


# --- wrong shapes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[1, 2, 3]", "JSON list holds no study objects (first item is a number)"),
        (
            '{"foo": 1}',
            "JSON is not a ClinicalTrials.gov study: expected 'protocolSection' or 'studies' (found keys: 'foo')",
        ),
        ("[]", "JSON list is empty: no studies"),
        ('"text"', "JSON document is a string, not a ClinicalTrials.gov study"),
        ("null", "JSON document is null, not a ClinicalTrials.gov study"),
        ('{"studies": {"a": 1}}', "'studies' is an object, expected a list of studies"),
        ('{"studies": []}', "'studies' is empty: no studies in this page"),
        ('{"protocolSection": {}}', "no protocolSection.identificationModule.nctId"),
        ('{"protocolSection": 5}', "no protocolSection.identificationModule.nctId"),
        ('{"protocolSection": {"identificationModule": {"nctId": "NCT09000001"}}}', "NCT09000001: no title found"),
        (
            '{"protocolSection": {"identificationModule": {"nctId": "12345", "briefTitle": "x"}}}',
            "is not an NCT number",
        ),
        ('{"protocolSection": {"identificationModule": {"nctId": 9000001, "briefTitle": "x"}}}', "no protocolSection"),
    ],
)
def test_wrong_shape_json_raises_one_clear_line(document: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        list(CtgovV2Parser().parse(document))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_page_of_only_bad_studies_summarises_the_problems() -> None:
    with pytest.raises(ParseError, match=r"no readable study among 4: study #1 \(no id\): skipped: no protocolSection"):
        list(CtgovV2Parser().parse(json.dumps({"studies": [{"protocolSection": {}}] * 4})))


@pytest.mark.parametrize("cut", [1, 50, 500, -2])
def test_truncated_json_is_reported_as_truncated(cut: int) -> None:
    text = fixture_text("ctgov_v2_study.json").rstrip()
    with pytest.raises(ParseError, match=r"^truncated or invalid JSON: "):
        list(CtgovV2Parser().parse(text[:cut]))


def test_absurdly_deep_json_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        list(CtgovV2Parser().parse("[" * 100_000 + "]" * 100_000))


# --- pages read study by study -------------------------------------------------


def _numbered_study(number: int) -> dict[str, Any]:
    study = fixture_study()
    study["protocolSection"]["identificationModule"]["nctId"] = f"NCT0900{number:04d}"
    return study


def test_a_page_is_read_study_by_study_and_a_cut_page_keeps_the_studies_before_the_cut() -> None:
    text = json.dumps({"studies": [_numbered_study(n) for n in range(3)]})
    cut = text.index('"NCT09000002"') + 5
    records = CtgovV2Parser().parse(text[:cut])
    assert not isinstance(records, list)
    assert next(records).registry_id == "NCT09000000"
    assert next(records).registry_id == "NCT09000001"
    with pytest.raises(ParseError, match=r"^truncated or invalid JSON: "):
        next(records)


def test_a_page_of_many_bad_studies_keeps_a_hundred_problem_lines_and_counts_the_rest() -> None:
    parser = CtgovV2Parser()
    with pytest.raises(ParseError) as caught:
        list(parser.parse(json.dumps({"studies": [{}] * 250})))
    assert str(caught.value).startswith("no readable study among 250: study #1: skipped: not a study object")
    assert str(caught.value).endswith("(+247 more)")
    assert (len(parser.problems), parser.problems.omitted) == (100, 150)
    assert parser.problems[-1].startswith("study #100: skipped")


def test_a_study_between_good_ones_may_hold_integers_beyond_64_bits() -> None:
    middle = _numbered_study(1)
    middle["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = 10**30
    records, problems = parse({"studies": [_numbered_study(0), middle, _numbered_study(2)]})
    assert [r.registry_id for r in records] == ["NCT09000000", "NCT09000001", "NCT09000002"]
    assert records[1].enrollment == str(10**30)
    assert problems == []


def test_long_keys_nested_in_a_page_cost_about_the_page_itself() -> None:
    # A reader that builds a path string per level (ijson's "prefix") spends the sum
    # of every level's path on this 2 MB page: about 100 MB.
    nested: Any = 1
    for level in range(100):
        nested = {chr(97 + level % 26) * 20_000: nested}
    text = json.dumps({"studies": [{"protocolSection": nested}, _numbered_study(1)]})
    tracemalloc.start()
    try:
        records, problems = parse(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.registry_id for r in records] == ["NCT09000001"]
    assert problems[0].startswith("study #1 (no id): skipped: no protocolSection.identificationModule.nctId")
    assert peak < 10 * len(text)


@pytest.mark.parametrize(
    ("module", "value", "field"),
    [
        ("conditionsModule", {"conditions": "x"}, "conditions"),
        ("conditionsModule", {"conditions": [1, "Lymphoma", None]}, "conditions"),
        ("designModule", {"phases": "PHASE1"}, "phases"),
        ("designModule", {"enrollmentInfo": {"count": "forty", "type": 3}}, "enrollmentInfo"),
        ("statusModule", {"overallStatus": 7, "startDateStruct": "2024-01"}, "statusModule"),
        ("contactsLocationsModule", {"locations": [{"facility": 1, "city": ["x"]}, "Boston"]}, "locations"),
        ("armsInterventionsModule", {"interventions": [{"name": {"x": 1}, "otherNames": "y"}]}, "interventions"),
        ("eligibilityModule", {"minimumAge": 18, "eligibilityCriteria": ["a"]}, "eligibilityModule"),
        (
            "identificationModule",
            {"nctId": "NCT09000001", "briefTitle": "t", "secondaryIdInfos": [{"id": 5}]},
            "secondaryIdInfos",
        ),
    ],
)
def test_wrong_nested_types_degrade_to_empty_and_are_reported(module: str, value: Any, field: str) -> None:
    study = fixture_study()
    study["protocolSection"][module] = value
    records, problems = parse(study)
    assert len(records) == 1
    assert problems and all(p.startswith("study #1 (NCT09000001): ") for p in problems)
    assert any(field in p for p in problems)
    assert not any("internal error" in p for p in problems)


def test_a_mistyped_string_list_keeps_its_good_items() -> None:
    study = fixture_study()
    study["protocolSection"]["conditionsModule"]["conditions"] = [1, "Lymphoma", None]
    [record], problems = parse(study)
    assert record.conditions == ["Lymphoma"]
    assert problems == [
        "study #1 (NCT09000001): protocolSection.conditionsModule.conditions: 2 item(s) are not strings (ignored)"
    ]


# --- property tests -----------------------------------------------------------

# Strict JSON: json.dumps writes Infinity, which no registry sends and a page
# (read as a stream, study by study) refuses from that point on.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
STUDY_KEYS = st.sampled_from(
    [
        "protocolSection",
        "identificationModule",
        "nctId",
        "briefTitle",
        "conditionsModule",
        "conditions",
        "designModule",
        "phases",
        "enrollmentInfo",
        "count",
        "studies",
        "locations",
        "armGroups",
        "FullStudies",
        "Study",
        "ProtocolSection",
        "IdentificationModule",
        "NCTId",
    ]
)


def _assert_well_formed(parser: CtgovV2Parser, text: str) -> list[TrialRecord]:
    try:
        records = list(parser.parse(text))
    except ParseError as exc:
        assert "\n" not in str(exc)
        return []
    assert records and all(isinstance(r, TrialRecord) for r in records)
    for record in records:
        assert isinstance(record.third_party, bool)
        for name, value in record.to_dict().items():
            assert value is None or isinstance(value, (str, list)) or name == "third_party", name
    assert not any("internal error" in p for p in parser.problems)
    return records


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_value_gives_records_or_a_parse_error(value: Any) -> None:
    _assert_well_formed(CtgovV2Parser(), json.dumps(value))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(json_values, lambda inner: st.dictionaries(STUDY_KEYS, inner, max_size=5), max_leaves=30))
def test_json_with_study_like_keys_gives_records_or_a_parse_error(value: Any) -> None:
    _assert_well_formed(CtgovV2Parser(), json.dumps(value))


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, prefix + (index,))
    return found


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_replacing_any_part_of_a_study_with_random_json_never_crashes(data: st.DataObject) -> None:
    study = fixture_study()
    path = data.draw(st.sampled_from(_paths(study)))
    node = study
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = data.draw(json_values)
    _assert_well_formed(CtgovV2Parser(), json.dumps(study))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.just("good"), json_values), min_size=1, max_size=8))
def test_every_good_study_of_a_page_survives_its_bad_neighbours(items: list[Any]) -> None:
    studies = []
    good_ids = []
    for number, item in enumerate(items):
        if item == "good":
            study = fixture_study()
            nct_id = f"NCT0900{number:04d}"
            study["protocolSection"]["identificationModule"]["nctId"] = nct_id
            studies.append(study)
            good_ids.append(nct_id)
        else:
            studies.append(item)
    parser = CtgovV2Parser()
    records = _assert_well_formed(parser, json.dumps({"studies": studies}))
    assert [r.registry_id for r in records] == good_ids


# --- detect ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"protocolSection": {}}', True),
        ("  \n\t[1, 2]", True),
        ("\ufeff{}", True),
        ('{"foo": 1}', True),
        ("<html><body>{}</body></html>", False),
        ('<?xml version="1.0"?><clinical_study/>', False),
        ("", False),
        ("   ", False),
        ("NCT01234567 {", False),
    ],
)
def test_detect_claims_any_json_document_and_nothing_else(text: str, expected: bool) -> None:
    assert CtgovV2Parser.detect(text) is expected


def test_detect_through_the_registry_picks_this_parser_for_json() -> None:
    from ingest.parsers import detect

    assert detect(fixture_text("ctgov_v2_study.json")).name == "ctgov_v2"


# --- criteria splitting -----------------------------------------------------------


def test_split_criteria_without_headings_returns_empty_parts() -> None:
    assert split_criteria("Adults with lymphoma.") == ("", "")


def test_split_criteria_keeps_qualified_headings_as_section_labels() -> None:
    text = (
        "Patient Inclusion Criteria:\n* a\n\nDonor Inclusion Criteria\n* b\n\n"
        "Patient Exclusion Criteria:\n* c\nExclusion criteria 3 does not apply to donors."
    )
    inclusion, exclusion = split_criteria(text)
    assert inclusion == "Patient Inclusion Criteria:\n* a\n\nDonor Inclusion Criteria\n* b"
    assert exclusion == "Patient Exclusion Criteria:\n* c\nExclusion criteria 3 does not apply to donors."


def test_split_criteria_keeps_text_after_a_heading_colon_and_a_preamble() -> None:
    inclusion, exclusion = split_criteria("All patients:\nInclusion criteria: adults\nExclusion criteria: none")
    assert inclusion == "All patients:\n\nadults"
    assert exclusion == "none"


# --- real corpus ----------------------------------------------------------------------


@pytest.mark.corpus
def test_all_fourteen_corpus_studies_parse_with_criteria_split() -> None:
    folder = corpus_file(CORPUS / "ctgov-v2")
    files = sorted(folder.glob("*.ctgov-v2.json"))
    assert len(files) == 14
    for path in files:
        parser = CtgovV2Parser()
        [record] = parser.parse(path.read_text(encoding="utf-8"))
        assert parser.problems == [], path.name
        assert record.registry_id == path.name.split(".")[0]
        assert record.title and record.status and record.phase and record.enrollment
        assert record.inclusion_criteria and record.exclusion_criteria, path.name
        assert record.min_age.endswith(("Years", "Year", "Months")) or record.min_age == ""


@pytest.mark.corpus
def test_the_bulk_snapshot_parses_all_studies_quickly() -> None:
    text = corpus_file(BULK).read_text(encoding="utf-8")
    expected = len(json.loads(text)["studies"])
    parser = CtgovV2Parser()
    started = time.perf_counter()
    records = list(parser.parse(text))
    elapsed = time.perf_counter() - started
    print(f"\nbulk: parsed {len(records)} studies in {elapsed:.3f} s")
    assert expected == 2587
    assert len(records) == expected
    assert parser.problems == []
    assert len({r.registry_id for r in records}) == expected
    assert elapsed < 10
    with_countries = sum(1 for r in records if r.countries)
    assert with_countries > expected // 2
    assert sum(1 for r in records if r.phase is None) > 0
    assert all(r.sites is None and r.sex is None for r in records)


def test_parse_document_detects_and_parses_json_bytes() -> None:
    from ingest.parsers import parse_document

    result = parse_document(fixture_text("ctgov_v2_page.json").encode("utf-8"))
    assert (result.parser, result.version) == ("ctgov_v2", CtgovV2Parser.version)
    assert len(list(result.records)) == 3 and len(result.problems) >= 1
    with pytest.raises(ParseError, match="JSON is not a ClinicalTrials.gov study"):
        parse_document(b'\xef\xbb\xbf{"foo": 1}')


# --- absent vs empty on real records -------------------------------------------------------------


def _bulk_study_page(nct_id: str) -> str:
    """A one-study API page cut at test time from the bulk snapshot (a partial copy)."""
    studies = json.loads(corpus_path("bulk", BULK.name).read_text(encoding="utf-8"))["studies"]
    [study] = [s for s in studies if s["protocolSection"]["identificationModule"]["nctId"] == nct_id]
    return json.dumps({"studies": [study]})


@pytest.mark.corpus
def test_a_bulk_snapshot_study_leaves_what_the_snapshot_dropped_absent() -> None:
    [record], problems = parse(_bulk_study_page("NCT00019136"))
    assert problems == []
    assert record.title.startswith("Gene Therapy and Biological Therapy")
    assert (record.status, record.last_update_date) == ("COMPLETED", "2015-04-29")
    assert (record.sponsor, record.sponsor_class) == ("National Cancer Institute (NCI)", "NIH")
    assert (record.min_age, record.max_age) == ("18 Years", None)
    assert record.sex is None
    assert (record.inclusion_criteria, record.exclusion_criteria, record.eligibility_text) == (None, None, None)
    assert record.sites is None
    assert record.countries == ["United States"]
    assert [i.name for i in record.interventions] == [
        "MOv-gamma chimeric receptor gene",
        "aldesleukin",
        "therapeutic allogeneic lymphocytes",
    ]
    assert all(i.description is None and i.type is None and i.other_names is None for i in record.interventions)
    assert (record.contacts, record.references, record.keywords, record.collaborators) == (None, None, None, None)
    assert (record.has_results, record.results_date, record.healthy_volunteers) == (None, None, None)


@pytest.mark.corpus
def test_a_full_study_carries_sex_criteria_and_whether_it_has_results() -> None:
    [record], problems = parse(corpus_path("ctgov-v2", "NCT02349698.ctgov-v2.json").read_text(encoding="utf-8"))
    assert problems == []
    assert record.sex == "ALL"
    assert record.healthy_volunteers == "false"
    assert record.inclusion_criteria.startswith("1. Relapsed or refractory B cell derived acute lymphoblastic")
    assert record.exclusion_criteria.startswith("1. HIV affected.")
    assert record.has_results == "false"
    assert (record.sponsor_class, record.last_update_date) == ("OTHER", "2019-06-25")
    assert record.acronym == "" and record.collaborators == []
    [site] = record.sites
    assert (site.institution, site.zip, site.status) == (
        "Southwest Hospital of Third Millitary Medical University",
        "400000",
        "RECRUITING",
    )
    assert record.references[0].pmid == "34513679" and record.references[0].type == "DERIVED"


@pytest.mark.corpus
def test_every_full_corpus_study_says_whether_it_has_results() -> None:
    for path in sorted(corpus_path("ctgov-v2").glob("*.ctgov-v2.json")):
        [record], _ = parse(path.read_text(encoding="utf-8"))
        assert record.has_results == "false", path.name
        assert record.sex and record.sites is not None and record.contacts is not None, path.name


@pytest.mark.corpus
def test_api_locations_give_site_status_zip_coordinates_and_contacts() -> None:
    [record], problems = parse(corpus_path("ctgov-api", "ctgov_v2_study_NCT06008288.json").read_text(encoding="utf-8"))
    assert problems == []
    assert record.last_update_date == "2025-08-07"
    assert len(record.sites) == 31
    assert all(s.latitude and s.longitude for s in record.sites)
    beijing = next(s for s in record.sites if s.institution == "Beijing Cancer Hospital")
    assert (beijing.city, beijing.zip, beijing.status) == ("Beijing", "100142", "RECRUITING")
    assert (beijing.latitude, beijing.longitude) == ("39.9075", "116.39723")
    assert {s.status for s in record.sites} == {"RECRUITING", "NOT_YET_RECRUITING"}
    central = [c for c in record.contacts if c.role == "central"]
    assert [(c.name, c.phone, c.email) for c in central] == [
        ("Shanghai Allist Pharmaceuticals Co., Ltd", "86-21-80423288", "zhenhua.gong@allist.com.cn")
    ]
    assert record.has_results == "false"
    assert record.references == []


@pytest.mark.corpus
def test_api_site_contacts_keep_the_investigators_role() -> None:
    records, problems = parse(
        corpus_path("ctgov-api", "ctgov_v2_studies_page_kras_pancreatic_10studies.json").read_text(encoding="utf-8")
    )
    assert problems == [] and len(records) == 10
    study = next(r for r in records if r.registry_id == "NCT06385925")
    beijing = next(s for s in study.sites if s.institution.startswith("Beijing Cancer Hospital"))
    assert [(c.role, c.name) for c in beijing.contacts] == [
        ("site", "Lin Shen"),
        ("principal_investigator", "Lin Shen, MD"),
    ]
    assert [(c.role, c.name) for c in study.contacts][-1] == ("study_director", "Cindy Li")
    located = [s for r in records for s in r.sites]
    assert len(located) == 129
    assert sum(1 for s in located if s.latitude and s.longitude) == 127


@pytest.mark.corpus
def test_api_references_keep_their_pmids_and_types() -> None:
    records, _ = parse(
        corpus_path("ctgov-api", "ctgov_v2_studies_page_kras_pancreatic_10studies.json").read_text(encoding="utf-8")
    )
    with_pmid = [ref for r in records for ref in r.references if ref.pmid]
    assert len(with_pmid) == 12
    assert all(re.fullmatch(r"\d+", ref.pmid) for ref in with_pmid)
    assert {ref.type for ref in with_pmid} <= {"BACKGROUND", "RESULT", "DERIVED"}
    [paged], _ = parse(
        corpus_path("ctgov-api", "ctgov_v2_studies_page_totalCount_pageSize1.json").read_text(encoding="utf-8")
    )
    assert paged.registry_id == "NCT00711542"
    assert paged.references[0].pmid == "17620510" and paged.references[0].type == "BACKGROUND"
    assert paged.references[0].citation.startswith("Erbs S, Linke A")
    assert paged.last_update_date == "2017-01-12"
    assert [(c.role, c.name, c.affiliation) for c in paged.contacts] == [
        ("principal_investigator", "Andreas M Zeiher, MD", "Goethe University")
    ]


@pytest.mark.corpus
def test_legacy_v1_corpus_study_gives_contacts_officials_and_no_results() -> None:
    [record], _ = parse(
        corpus_path("other-formats", "NCT04780529.ctgov-v1-fullstudies.json").read_text(encoding="utf-8")
    )
    assert [(c.role, c.name) for c in record.contacts] == [
        ("central", "Yifu He"),
        ("central", "Daiyan Liu"),
        ("principal_investigator", "Yifu he"),
    ]
    assert record.contacts[0].email == "liudaiyan@sidansai.com"
    assert record.contacts[2].affiliation == "Anhui Provincial Cancer Hospital"
    assert (record.last_update_date, record.sponsor_class, record.healthy_volunteers) == (
        "March 3, 2021",
        "OTHER",
        "No",
    )
    assert record.has_results == "false"
    [site] = record.sites
    assert (site.city, site.zip, site.latitude) == ("Hefei", "", None)


def test_a_fields_answer_with_has_results_but_no_derived_section_stays_partial() -> None:
    study = fixture_study()
    del study["derivedSection"]
    del study["protocolSection"]["designModule"]["phases"]
    del study["protocolSection"]["conditionsModule"]
    [record], problems = parse(study)
    assert problems == []
    assert record.has_results == "false"
    assert (record.phase, record.conditions, record.keywords) == (None, None, None)
