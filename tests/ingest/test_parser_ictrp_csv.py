"""WHO ICTRP CSV export parser, on the absent-vs-empty contract.

The real export (2020 form, 40 columns, 927 rows) is read from the shared corpus.
Variants are built at test time with the csv module from the real file or from
the real XML exports, never committed:

- a column dropped from the header, a header respelled, a cell edited;
- a CSV *made from the XML rows*: each XML element becomes a column named with
  the CSV's spelling (``Last_Refreshed_on`` -> ``Last Refreshed on``) and the
  element's parsed text becomes the cell (so ``&#x0D;&lt;br&gt;`` arrives as the
  CR + ``<br>`` a real CSV cell holds). Parsing it must give the XML's records.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ingest.parsers import PARSERS, detect, parse_document
from ingest.parsers._ictrp import fold
from ingest.parsers.ictrp_csv import IctrpCsvParser
from ingest.parsers.ictrp_xml import IctrpXmlParser
from ingest.records import ParseError, TrialRecord
from tests.conftest import corpus_path

CSV_2020 = ("ictrp", "ictrp_covid19_927trials_2020-04-07.csv")
XML_2020 = ("ictrp", "ictrp_results_covid_2020-03-18.xml")
XML_2024 = ("ictrp", "ictrp_results_hattr_2024-09-06.xml")


@cache
def _text(parts: tuple[str, ...]) -> str:
    return Path(corpus_path(*parts)).read_text(encoding="utf-8")


@cache
def _parsed() -> tuple[tuple[TrialRecord, ...], tuple[str, ...]]:
    parser = IctrpCsvParser()
    records = parser.parse(_text(CSV_2020))
    return tuple(records), tuple(parser.problems)


def by_id() -> dict[str, TrialRecord]:
    return {r.registry_id: r for r in _parsed()[0]}


def parse(text: str) -> tuple[list[TrialRecord], list[str]]:
    parser = IctrpCsvParser()
    return parser.parse(text), parser.problems


def table() -> tuple[list[str], list[list[str]]]:
    """The real CSV as (header, rows)."""
    header, *rows = list(csv.reader(io.StringIO(_text(CSV_2020), newline="")))
    return header, rows


def write(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def edited(trial_id: str, column: str, value: str) -> str:
    """The real CSV with one cell of one row changed."""
    header, rows = table()
    index = header.index(column)
    for row in rows:
        if row[0] == trial_id:
            row[index] = value
    return write(header, rows)


def mini(**cells: str) -> str:
    """A one-row CSV with ICTRP's columns (a small variant for quirks)."""
    base = {"TrialID": "NCT09000081", "Public title": "Mini", "Source Register": "ClinicalTrials.gov",
            "web address": "https://clinicaltrials.gov/show/NCT09000081"}  # fmt: skip
    base.update({k.replace("_", " "): v for k, v in cells.items()})
    return write(list(base), [list(base.values())])


# --- the real export -----------------------------------------------------------------------------


@pytest.mark.corpus
def test_all_927_rows_of_the_real_export_parse_without_problems() -> None:
    records, problems = _parsed()
    assert len(records) == 927
    assert problems == ()
    assert all(r.source_format == "ictrp_csv" and r.third_party for r in records)
    assert Counter(r.registry for r in records) == {
        "chictr": 581, "ctgov": 286, "euctr": 21, "anzctr": 9, "irct": 8, "isrctn": 8, "nl_omon": 6,
        "jrct": 3, "jprn": 2, "tctr": 2, "drks": 1,
    }  # fmt: skip


@pytest.mark.corpus
def test_the_real_export_is_detected_by_content() -> None:
    result = parse_document(Path(corpus_path(*CSV_2020)).read_bytes())
    assert (result.parser, result.version, len(result.records)) == ("ictrp_csv", IctrpCsvParser.version, 927)


@pytest.mark.corpus
def test_no_value_keeps_br_markup_or_carriage_returns() -> None:
    for record in _parsed()[0]:
        for name, value in record.to_dict().items():
            assert "\r" not in str(value) and "<br" not in str(value).lower(), (record.registry_id, name)


@pytest.mark.corpus
def test_a_chictr_row_gives_the_registry_strings() -> None:
    record = by_id()["ChiCTR2000029953"]
    assert (record.registry, record.source_url) == ("chictr", "http://www.chictr.org.cn/showproj.aspx?proj=49217")
    assert (
        record.title
        == "Construction and Analysis of Prognostic Predictive Model of Novel Coronavirus Pneumonia (COVID-19)"
    )
    assert (record.registration_date, record.start_date, record.last_update_date) == (
        "2020-02-17",
        "2020-02-01",
        "17 February 2020",
    )
    assert (record.status, record.phase, record.study_type) == ("Not Recruiting", "N/A", "Observational study")
    assert (record.min_age, record.max_age, record.sex) == ("", "", "Both")
    assert record.enrollment is None
    assert [(a.label, a.sample_size, a.interventions) for a in record.arms] == [
        ("survival group", "200", []),
        ("died", "200", []),
    ]
    assert [(c.name, c.email, c.phone) for c in record.contacts] == [
        ("Yan Zhao", "doctoryanzhao@whu.edu.cn", "+86 13995577963")
    ]
    # The 40-column form carries Acronym and the results columns (blank here) but no secondary ids.
    assert (record.acronym, record.has_results, record.results_date, record.results_url, record.completion_date) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert (record.secondary_ids, record.funding, record.ethics, record.collaborators) == (None, None, None, None)


@pytest.mark.corpus
def test_a_chictr_row_keeps_sizes_per_group() -> None:
    record = by_id()["ChiCTR2000030221"]
    assert [(a.label, a.sample_size) for a in record.arms] == [("Case series", "960")]
    assert record.enrollment is None
    assert record.countries == []  # the Countries cell is blank
    # "Cancelled by the investigator" followed by a run of spaces, collapsed.
    assert record.title.startswith("Cancelled by the investigator Study for sleep status of medical staffs")


@pytest.mark.corpus
def test_a_ctgov_row_gives_the_registry_strings() -> None:
    record = by_id()["NCT04245631"]
    assert record.registry == "ctgov"
    assert (
        record.official_title
        == "Development of a Simple, Fast and Portable Recombinase Aided Amplification (RAA) Assay for 2019-nCoV"
    )
    assert (record.registration_date, record.start_date) == ("26/01/2020", "January 1, 2020")
    assert (record.min_age, record.max_age, record.sex) == ("1 Year", "90 Years", "All")
    assert (record.enrollment, record.arms) == ("50", None)
    assert [(i.type, i.name) for i in record.interventions] == [
        ("Diagnostic Test", "Recombinase aided amplification (RAA) assay")
    ]
    assert record.objectives == "Detection specificity is greater than 95%\n\nDetection sensitivity is greater than 95%"
    # Three parallel ";"-lists of contacts; the third repeats the second.
    assert [(c.name, c.email, c.phone, c.affiliation) for c in record.contacts] == [
        ("Yao Xie, Doctor", "", "", "Department of Hepatology, Division 2, Beijing Ditan Hospital"),
        ("Yao Xie, Doctor", "xieyao00120184@sina.com", "8610-84322200", ""),
    ]
    assert record.inclusion_criteria.startswith("-  1. Suspected cases (formerly observed cases)\n")
    assert record.exclusion_criteria.startswith("-  1. Influenza virus, parainfluenza virus")


@pytest.mark.corpus
def test_a_chictr_name_holding_a_semicolon_is_one_contact() -> None:
    [contact] = by_id()["ChiCTR2000029763"].contacts
    assert (contact.name, contact.email) == ("Huang Luqi; Li Zhiqiang", "huangluqi01@126.com")


@pytest.mark.corpus
def test_a_euctr_row_reads_its_br_gender_and_multi_line_phase_on_one_line() -> None:
    record = by_id()["EUCTR2015-002340-14-NL"]
    assert record.registry == "euctr"
    assert record.sex == "Female: yes Male: yes"
    assert record.phase == (
        "Human pharmacology (Phase I): no Therapeutic exploratory (Phase II): no "
        "Therapeutic confirmatory - (Phase III): no Therapeutic use (Phase IV): yes"
    )
    assert (record.status, record.enrollment, record.registration_date) == ("Authorised", "4000", "13/07/2015")
    assert (record.min_age, record.max_age) == ("", "")
    [intervention] = record.interventions  # not a ";"-list outside ClinicalTrials.gov and ChiCTR
    assert intervention.name.startswith(
        "Product Name: LEVOFLOXACIN\nPharmaceutical Form:\nINN or Proposed INN: LEVOFLOXACIN\n"
    )


@pytest.mark.corpus
def test_jprn_rows_go_to_jrct_or_jprn_by_their_id() -> None:
    records = by_id()
    assert records["jRCTs031190226"].registry == "jrct"  # "JPRN-jRCTs031190226", spelled as jRCT does
    assert records["JPRN-UMIN000039686"].registry == "jprn"
    assert records["JPRN-UMIN000039686"].completion_date == "31/08/2021"  # results date completed


@pytest.mark.corpus
def test_trailing_line_breaks_and_spaces_in_titles_are_dropped() -> None:
    assert by_id()["NL8490"].title.endswith("to severe COVID-19")
    assert by_id()["ACTRN12620000445976"].title.endswith("compared to standard of care")


# --- absent vs empty -----------------------------------------------------------------------------


@pytest.mark.corpus
def test_a_column_missing_from_the_header_is_absent_and_a_blank_cell_is_empty() -> None:
    header, rows = table()
    drop = {header.index(c) for c in ("Phase", "Contact Firstname", "Contact Lastname", "Contact Address",
                                      "Contact Email", "Contact Tel", "Contact Affiliation", "Target size")}  # fmt: skip
    text = write(
        [h for i, h in enumerate(header) if i not in drop],
        [[c for i, c in enumerate(r) if i not in drop] for r in rows],
    )
    records = {r.registry_id: r for r in parse(text)[0]}
    assert all(r.phase is None and r.contacts is None and r.enrollment is None for r in records.values())
    # Without Target size the groups come from the Intervention cell alone, with no size.
    assert [(a.label, a.sample_size) for a in records["ChiCTR2000029953"].arms] == [
        ("survival group", None),
        ("died", None),
    ]
    assert by_id()["NL8490"].phase == ""  # the real file: Phase carried, blank


def test_a_row_whose_contact_cells_are_all_blank_has_no_contacts() -> None:
    [record] = parse(mini(Contact_Firstname=" ", Contact_Lastname="", Contact_Email=""))[0]
    assert record.contacts == []
    assert parse(mini())[0][0].contacts is None


def test_a_short_row_leaves_its_last_columns_absent() -> None:
    text = mini(Phase="Phase 1", Countries="China").rstrip("\r\n")
    text = text[: text.rindex(",")]  # the file is cut before the last cell
    [record] = parse(text)[0]
    assert (record.phase, record.countries) == ("Phase 1", None)


# --- quirks --------------------------------------------------------------------------------------


def test_escaped_br_and_carriage_return_entities_in_a_cell_become_line_breaks() -> None:
    [record] = parse(mini(Exclusion_Criteria="1. a;&lt;br&gt;2. b&#x0D;&lt;br&gt;3. c&#13;4. d"))[0]
    assert record.exclusion_criteria == "1. a;\n2. b\n3. c\n4. d"


def test_group_sizes_become_arms_and_a_plain_number_is_the_total() -> None:
    groups = parse(mini(TrialID="ChiCTR2400000091", Source_Register="ChiCTR",
                        Target_size="group A:49;group B:49;", Intervention="group A:CAR-T;group B:N/A;"))[0][0]  # fmt: skip
    assert groups.enrollment is None
    assert [(a.label, a.sample_size, a.interventions) for a in groups.arms] == [
        ("group A", "49", ["CAR-T"]),
        ("group B", "49", []),
    ]
    assert [(i.name, i.type) for i in groups.interventions] == [("CAR-T", None)]
    assert parse(mini(Target_size="120"))[0][0].enrollment == "120"
    assert parse(mini(Target_size=""))[0][0].enrollment == ""


def test_ages_are_kept_as_written() -> None:
    [record] = parse(mini(Inclusion_agemin="18Years", Inclusion_agemax="N/A"))[0]
    assert (record.min_age, record.max_age) == ("18Years", "N/A")


def test_secondary_ids_and_bridged_ids_are_secondary_ids() -> None:
    [record] = parse(
        mini(Secondary_ID="ALN-1;NCT09000081;EUCTR2020-000001-11-DE", Bridging="ChiCTR2400000091, ISRCTN12345678")
    )[0]
    assert record.secondary_ids == ["ALN-1", "EUCTR2020-000001-11-DE", "ChiCTR2400000091", "ISRCTN12345678"]
    assert parse(mini(SecondaryIDs=""))[0][0].secondary_ids == []


def test_results_columns_give_has_results_and_a_safe_url() -> None:
    [record] = parse(mini(results_yes_no="Yes", results_url_link="https://clinicaltrials.gov/ct2/show/results/NCT09000081",
                          results_date_posted="17/12/2012"))[0]  # fmt: skip
    assert (record.has_results, record.results_date) == ("Yes", "17/12/2012")
    assert record.results_url == "https://clinicaltrials.gov/ct2/show/results/NCT09000081"


@pytest.mark.corpus
def test_a_javascript_web_address_is_refused_and_said() -> None:
    records, problems = parse(edited("NCT04245631", "web address", "javascript:alert(document.cookie)"))
    assert next(r for r in records if r.registry_id == "NCT04245631").source_url is None
    assert problems == ["trial #3 (NCT04245631): web address left out: not an http(s) address"]
    assert len(records) == 927


def test_an_unsafe_results_url_is_left_out() -> None:
    parser = IctrpCsvParser()
    [record] = parser.parse(mini(results_url_link="javascript:alert(1)"))
    assert record.results_url is None
    assert parser.problems == ["trial #1 (NCT09000081): results url left out: not an http(s) address"]


def test_public_and_scientific_contact_columns_give_roles() -> None:
    [record] = parse(mini(Public_contact_firstname="Ann", Public_contact_email="ann@example.org",
                          Scientific_contact_firstname="Bo", Scientific_contact_lastname="Li"))[0]  # fmt: skip
    assert [(c.role, c.name, c.email) for c in record.contacts] == [
        ("public", "Ann", "ann@example.org"),
        ("scientific", "Bo Li", None),
    ]


@pytest.mark.corpus
def test_rows_without_a_registry_an_id_or_a_title_are_one_problem_line_each() -> None:
    header, rows = table()
    rows[1][header.index("TrialID")] = "XYZ123"
    rows[1][header.index("Source Register")] = "Registry of Nowhere"
    rows[3][header.index("TrialID")] = ""
    rows[4][header.index("Public title")] = ""
    rows[4][header.index("Scientific title")] = "   "
    records, problems = parse(write(header, rows))
    assert len(records) == 924
    assert problems == [
        "trial #2 (XYZ123): skipped: unknown registry (Source Register 'Registry of Nowhere')",
        "trial #4 (no id): skipped: no TrialID",
        f"trial #5 ({rows[4][0]}): skipped: no title",
    ]


def test_a_file_whose_every_row_is_unreadable_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="skipped: unknown registry"):
        IctrpCsvParser().parse(mini(TrialID="XYZ1", Source_Register="Nowhere"))
    with pytest.raises(ParseError, match="holds no trial"):
        IctrpCsvParser().parse("TrialID,Public title,Source Register\r\n")


# --- header tolerance and detection --------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("respell", "delimiter", "bom"),
    [
        (lambda h: h.replace(" ", "_"), ",", ""),
        (lambda h: h.upper(), ",", "\ufeff"),
        (lambda h: f"  {h.lower()} ", ";", ""),
        (lambda h: h, "\t", "\ufeff"),
    ],
)
def test_header_spelling_case_bom_and_delimiter_do_not_matter(respell, delimiter: str, bom: str) -> None:
    header, rows = table()
    text = bom + write([respell(h) for h in header], rows[:40], delimiter=delimiter)
    assert IctrpCsvParser.detect(text)
    assert parse(text)[0] == list(_parsed()[0][:40])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TrialID,Last Refreshed on,Public title,Source Register\r\n", True),
        ('"TrialID","Public title","Date enrollement"\n', True),
        ("\ufefftrial_id;inclusion_agemin;inclusion_gender\n", True),
        ("TrialID,Title\nNCT1,x\n", False),  # an id column alone is not ICTRP's header
        ("id,name,Source Register,Public title\n", False),
        ("<Trials_downloaded_from_ICTRP><Trial>", False),
        ('{"TrialID": 1, "Public title": 2, "Source Register": 3}', False),
        ("注册号: ChiCTR2000034346\nRegistration number: ChiCTR2000034346", False),
        ("", False),
    ],
)
def test_detect_looks_at_the_header_line(text: str, expected: bool) -> None:
    assert IctrpCsvParser.detect(text) is expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_detect_never_raises(text: str) -> None:
    assert IctrpCsvParser.detect(text) in (True, False)


def test_the_csv_parser_is_tried_before_the_page_parsers() -> None:
    names = [cls.name for cls in PARSERS]
    assert names.index("ictrp_csv") < min(names.index(n) for n in ("chictr", "ctgov_classic", "ctgov_modern"))
    # A row mentioning a ClinicalTrials.gov ID and a ChiCTR number must stay a CSV.
    text = mini(
        Public_title="注册号 Registration number ChiCTR2400000091; NCT ID: NCT09000081 Recruitment Status Brief Summary"
    )
    assert detect(text).name == "ictrp_csv"


@pytest.mark.corpus
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=60_000))
def test_an_export_cut_anywhere_parses_or_gives_a_parse_error(cut: int) -> None:
    try:
        records, _ = parse(_text(CSV_2020)[:cut])
    except ParseError as exc:
        assert "\n" not in str(exc)
        return
    assert all(r.registry_id and (r.title or r.official_title) for r in records)


# --- the same trials as CSV and as XML -----------------------------------------------------------


def _xml_rows(parts: tuple[str, ...]) -> list[list[tuple[str, str]]]:
    """Each <Trial>'s (element name, parsed text) pairs, in document order."""
    root = etree.fromstring(Path(corpus_path(*parts)).read_bytes(), etree.XMLParser(resolve_entities=False))
    return [[(el.tag, el.text or "") for el in trial if isinstance(el.tag, str)] for trial in root]


def _comparable(record: TrialRecord) -> dict:
    data = record.filled().to_dict()
    del data["source_format"]
    return data


def _same_cell(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").replace("\r", "\n") == b.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.corpus
def test_trials_in_both_real_exports_with_the_same_content_give_the_same_records() -> None:
    """567 trials are in both the 2020 XML and the 2020 CSV; those whose cells agree
    (the XML's line ends are LF, the CSV's CR) must give the same records. The CSV
    carries columns the XML leaves out of some rows (Acronym, results), so absent
    there is empty here: compared filled, and the XML's fields are all in the CSV's."""
    header, rows = table()
    csv_cells = {row[0]: {fold(h): c for h, c in zip(header, row)} for row in rows}
    same = set()
    for trial in _xml_rows(XML_2020):
        cells = {fold(tag): text for tag, text in trial}
        other = csv_cells.get(cells["trialid"].strip())
        if other and all(_same_cell(v, other[k]) for k, v in cells.items() if k in other and k != "exportdate"):
            same.add(cells["trialid"].strip())
    assert len(same) == 490
    xml_records = {r.registry_id: r for r in IctrpXmlParser().parse(_text(XML_2020)) if r.registry_id in same}
    csv_records = {r.registry_id: r for r in _parsed()[0] if r.registry_id in same}
    assert xml_records.keys() == csv_records.keys() == same
    for trial_id in sorted(same):
        assert _comparable(xml_records[trial_id]) == _comparable(csv_records[trial_id]), trial_id
        assert xml_records[trial_id].present() <= csv_records[trial_id].present(), trial_id


@pytest.mark.corpus
@pytest.mark.parametrize("parts", [XML_2020, XML_2024])
def test_a_csv_made_from_each_xml_row_gives_exactly_the_xml_record(parts: tuple[str, ...]) -> None:
    xml_records = IctrpXmlParser().parse(_text(parts))
    trials = _xml_rows(parts)
    assert len(trials) == len(xml_records)
    for trial, expected in zip(trials, xml_records):
        text = write([tag.replace("_", " ") for tag, _ in trial], [[value for _, value in trial]])
        [record] = parse(text)[0]
        assert record.source_format == "ictrp_csv"
        assert {**record.to_dict(), "source_format": "ictrp_xml"} == expected.to_dict(), expected.registry_id


@pytest.mark.corpus
def test_one_csv_made_from_the_whole_2024_export_gives_its_records() -> None:
    trials = _xml_rows(XML_2024)
    header = list(dict.fromkeys(tag for trial in trials for tag, _ in trial))
    rows = [[dict(trial).get(tag, "") for tag in header] for trial in trials]
    text = write([tag.replace("_", " ") for tag in header], rows)
    assert IctrpCsvParser.detect(text)
    records = parse(text)[0]
    expected = IctrpXmlParser().parse(_text(XML_2024))
    assert [_comparable(r) for r in records] == [_comparable(r) for r in expected]
    assert re.search(r"\r<br>", text)  # the CSV cells hold what the real CSV holds
