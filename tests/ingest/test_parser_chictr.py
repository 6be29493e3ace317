"""The ChiCTR parser: seed text pages, the showproj.html fixtures and hand-made variants."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.parsers.chictr import ChictrParser, age_bounds, date_range
from ingest.records import ParseError, TrialRecord

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
FIXTURES = ROOT / "tests" / "fixtures"
SEED_000 = "000_dda02b667f938841.txt"
SEED_004 = "004_1074b50f3fa4f392.txt"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def parse(text: str) -> TrialRecord:
    records = ChictrParser().parse(text)
    assert len(records) == 1
    return records[0]


@pytest.fixture(scope="module")
def seed_000() -> TrialRecord:
    return parse(read(SAMPLES / SEED_000))


@pytest.fixture(scope="module")
def seed_004() -> TrialRecord:
    return parse(read(SAMPLES / SEED_004))


@pytest.fixture(scope="module")
def html_sample() -> str:
    return read(FIXTURES / "chictr_showproj_sample.html")


@pytest.fixture(scope="module")
def variant() -> TrialRecord:
    return parse(read(FIXTURES / "chictr_showproj_variant.html"))


def page(*blocks: str) -> str:
    """A plain-text rendering: one label or value a line, blank lines between."""
    return "\n\n".join(blocks) + "\n"


MINIMAL = (
    "注册号:",
    "Registration number:",
    "ChiCTR2400012345",
    "注册题目:",
    "一项CAR-T研究",
    "Public title:",
    "A CAR-T study",
)


# --- seed text pages ------------------------------------------------------------------


def test_it_reads_the_registration_number_and_marks_the_text_format(seed_000, seed_004):
    assert (seed_000.registry, seed_000.registry_id, seed_000.source_format) == (
        "chictr",
        "ChiCTR2500108722",
        "chictr_text",
    )
    assert seed_004.registry_id == "ChiCTR2500105227"


def test_it_reads_the_english_and_chinese_titles(seed_000, seed_004):
    assert seed_000.title == (
        "A clinical study of universal CAR-T cells targeting B7-H3 for the treatment of "
        "relapsed/refractory bone and soft tissue sarcomas"
    )
    assert seed_000.title_zh == "靶向B7-H3的通用型CAR-T细胞治疗复发/难治性骨与软组织肉瘤的临床研究"
    assert seed_000.official_title == seed_000.title
    assert seed_004.title == "Chimeric Antigen Receptor T-Cell Immunotherapy for Refractory Lupus Nephritis"
    assert seed_004.title_zh == "CAR-T 治疗难治性狼疮性肾炎临床研究"


def test_it_reads_the_recruiting_status_in_english(seed_000, seed_004):
    assert seed_000.status == "Not yet recruiting"
    assert seed_004.status == "Recruiting"


def test_it_reads_the_study_phase_and_type(seed_000, seed_004):
    assert seed_000.phase == "New Treatment Measure Clinical Study"
    assert seed_004.phase == "N/A"
    assert seed_000.study_type == seed_004.study_type == "Interventional study"


def test_it_reads_the_age_bounds_with_their_unit(seed_000):
    # Ages stated as bounds: the page has no free-text age, so age_text is absent.
    assert (seed_000.min_age, seed_000.max_age, seed_000.age_text) == ("10 years", "65 years", None)


def test_it_leaves_unstated_ages_empty(seed_004):
    assert (seed_004.min_age, seed_004.max_age, seed_004.age_text) == ("", "", None)


def test_it_reads_the_gender_in_english(seed_000, seed_004):
    assert seed_000.sex == seed_004.sex == "Both"


def test_it_reads_the_study_execute_time_as_start_and_completion(seed_000, seed_004):
    assert (seed_000.start_date, seed_000.completion_date) == ("2025-10-31 00:00:00", "2028-10-31 00:00:00")
    assert (seed_004.start_date, seed_004.completion_date) == ("2022-12-01 00:00:00", "2026-12-31 00:00:00")


def test_it_reads_the_registration_and_last_update_dates(seed_000, seed_004):
    assert (seed_000.registration_date, seed_000.last_update_date) == ("2025-09-04 00:00:00", "2025-09-04 08:40:25")
    assert (seed_004.registration_date, seed_004.last_update_date) == ("2025-07-01 00:00:00", "2025-07-01 08:59:38")


def test_it_reads_the_primary_sponsor_in_english(seed_000, seed_004):
    assert seed_000.sponsor == "Shanghai Changzheng Hospital"
    assert seed_004.sponsor == (
        "Shanghai Children's Medical Center, Affiliated to Shanghai Jiaotong University, School of Medicine"
    )


def test_it_keeps_the_secondary_sponsor_as_collaborator_not_site(seed_000):
    assert seed_000.collaborators == ["Shanghai Changzheng Hospital"]
    assert len(seed_000.sites) == 1


def test_it_reads_one_arm_and_one_intervention_per_group(seed_000):
    assert [(a.label, a.sample_size) for a in seed_000.arms] == [("Group A", "6"), ("Group B", "6")]
    assert [a.description for a in seed_000.arms] == [
        "Subjects were infused intravenously with Anti-B7-H3-UCAR-T cells at a dose of 1E6/kgBW.",
        "Subjects were infused intravenously with Anti-B7-H3-UCAR-T cells at a dose of 5E6/kgBW.",
    ]
    assert [i.name for i in seed_000.interventions] == [a.description for a in seed_000.arms]
    assert seed_000.interventions[0].other_names == ["按照1E6/kgBW的剂量对受试者进行静脉输注Anti-B7-H3-UCAR-T细胞。"]
    assert seed_000.arms[0].interventions == [seed_000.interventions[0].name]


def test_it_leaves_enrollment_to_the_groups_sample_sizes(seed_000, seed_004):
    assert seed_000.enrollment is None and seed_004.enrollment is None
    assert [a.sample_size for a in seed_004.arms] == ["60"]
    assert seed_004.arms[0].label == "Experimental group"
    assert seed_004.interventions[0].name == "CAR-T cells"


def test_it_reads_the_research_site_and_its_country(seed_000, seed_004):
    site = seed_000.sites[0]
    assert (site.institution, site.city, site.state, site.country) == (
        "Shanghai Changzheng Hospital",
        "",
        "Shanghai",
        "China",
    )
    assert seed_000.countries == ["China"]
    assert seed_004.sites[0].institution.startswith("Shanghai Children's Medical Center")


def test_it_reads_the_target_disease_as_condition(seed_000, seed_004):
    assert seed_000.conditions == ["Bone and soft tissue sarcomas"]
    assert seed_004.conditions == ["Refractory Lupus Nephritis"]


def test_it_puts_the_english_objectives_before_the_chinese(seed_000):
    english, chinese = seed_000.objectives.split("\n\n")
    assert english.startswith("I. Primary Research objectives: 1. Evaluation of the clinical safety")
    assert english.endswith("predict the efficacy and safety of Anti-B7-H3-UCAR-T.")
    assert chinese.startswith("一、主要研究目的")


def test_it_prefers_english_criteria_and_leaves_unstated_ones_empty(seed_000, seed_004):
    assert seed_000.inclusion_criteria == seed_004.inclusion_criteria == ""
    assert seed_000.exclusion_criteria.startswith("Patients meeting any of the following exclusion criteria")
    assert seed_000.exclusion_criteria.endswith("unsuitable for participation in this clinical study.")
    assert seed_004.exclusion_criteria.startswith("1. Children with SLE")


def test_it_states_no_secondary_ids_or_acronym_when_the_page_has_them_blank(seed_000, seed_004):
    for record in (seed_000, seed_004):
        assert (record.secondary_ids, record.acronym, record.detailed_description) == ([], "", "")


def test_it_gives_the_objectives_as_the_summary(seed_000):
    assert seed_000.brief_summary == seed_000.objectives.split("\n\n")[0]
    assert seed_000.brief_summary.startswith("I. Primary Research objectives")


@pytest.mark.parametrize("seed", [SEED_000, SEED_004])
def test_it_agrees_with_the_seed_expectations(seed):
    expected = json.loads(read(FIXTURES / "seeds_expected.json"))[seed]
    record = parse(read(SAMPLES / seed))
    assert (record.registry, record.registry_id) == (expected["registry"], expected["registry_id"])
    assert (record.title, record.title_zh) == (expected["title"], expected["title_zh"])
    assert expected["sponsor_match"] in record.sponsor
    assert sum(int(a.sample_size) for a in record.arms) == expected["enrollment"]
    assert set(record.countries) == set(expected["countries"])
    for bound, key in ((record.min_age, "min_age_years"), (record.max_age, "max_age_years")):
        assert bound == ("" if expected[key] is None else f"{expected[key]} years")


# --- the showproj.html fixture ----------------------------------------------------------


def test_the_html_page_gives_the_same_record_as_its_text_rendering(html_sample, seed_000):
    from_html = parse(html_sample)
    differences = {
        f.name: (getattr(from_html, f.name), getattr(seed_000, f.name))
        for f in fields(TrialRecord)
        if f.name not in ("source_format", "source_url") and getattr(from_html, f.name) != getattr(seed_000, f.name)
    }
    assert differences == {}
    assert from_html.source_format == "chictr_html"


def test_it_reads_the_canonical_url_of_the_html_page(html_sample):
    assert parse(html_sample).source_url == "https://www.chictr.org.cn/showproj.html?proj=289870"


def test_it_ignores_registration_numbers_in_scripts_and_comments(html_sample):
    assert "ChiCTR0000000000" in html_sample and "ChiCTR1111111111" in html_sample
    assert parse(html_sample).registry_id == "ChiCTR2500108722"


def test_it_falls_back_to_the_text_walker_when_label_cells_are_absent(html_sample, seed_000):
    stripped = html_sample.replace('class="left_title"', 'class="label"')
    assert "left_title" not in stripped
    record = parse(stripped)
    assert record.source_format == "chictr_html"
    for name in (
        "registry_id",
        "title",
        "title_zh",
        "status",
        "min_age",
        "max_age",
        "arms",
        "sites",
        "start_date",
        "exclusion_criteria",
        "objectives",
        "collaborators",
    ):
        assert getattr(record, name) == getattr(seed_000, name), name


def test_it_reads_a_hidden_textarea_when_the_cell_shows_nothing(html_sample):
    filled = html_sample.replace(
        '<div class="en">\n                        <textarea class="raw-content" style="display: none;"></textarea>',
        '<div class="en">\n                        <textarea class="raw-content" style="display: none;">'
        "1. Aged 10-65 years;\n2. B7-H3 positive sarcoma.</textarea>",
        1,
    )
    assert filled != html_sample
    assert parse(filled).inclusion_criteria == "1. Aged 10-65 years;\n2. B7-H3 positive sarcoma."


def test_it_prefers_the_rendered_criteria_to_the_textarea(html_sample):
    rendered = html_sample.replace(
        '<textarea class="raw-content" style="display: none;"></textarea>\n                        '
        '<div class="render-content"></div>\n                    </div>\n                </td>\n            </tr>\n'
        '            <tr class="en">\n                <td class="left_title"><p class="en">Inclusion criteria</p>',
        '<textarea class="raw-content" style="display: none;">raw</textarea>\n                        '
        '<div class="render-content">Shown<br/>text</div>\n                    </div>\n                </td>\n            </tr>\n'
        '            <tr class="en">\n                <td class="left_title"><p class="en">Inclusion criteria</p>',
        1,
    )
    assert rendered != html_sample
    assert parse(rendered).inclusion_criteria == "Shown\ntext"


def test_it_reads_a_label_cell_without_language_paragraphs(html_sample):
    bare = html_sample.replace(
        '<td class="left_title" style="width: 22%;"><p class="cn">征募研究对象情况：</p><p class="en">Recruiting status:</p></td>\n'
        '                <td colspan="3"><p class="cn">尚未开始</p><p class="en">Not yet recruiting</p></td>',
        '<td class="left_title">征募研究对象情况：<br>Recruiting status:</td><td>尚未开始<br>&nbsp;Completed&nbsp;</td>',
    )
    assert bare != html_sample
    assert parse(bare).status == "Completed"


def test_a_search_results_page_is_not_a_trial():
    text = read(FIXTURES / "chictr_not_a_trial.html")
    assert ChictrParser.detect(text)
    with pytest.raises(ParseError, match="no registration number"):
        ChictrParser().parse(text)


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><title>404</title></head><body><p>页面不存在 Page not found</p></body></html>",
        "<!DOCTYPE html><html><body><table><tr><td class='left_title'><p class='cn'>注册号：</p>"
        "<p class='en'>Registration number:</p></td><td>&nbsp;</td></tr></table></body></html>",
    ],
)
def test_an_html_page_without_a_registration_number_is_refused(html):
    with pytest.raises(ParseError, match="not a ChiCTR trial page"):
        ChictrParser().parse(html)


# --- the hand-made HTML variant -----------------------------------------------------------


def test_it_falls_back_to_chinese_values_when_english_ones_are_empty(variant):
    assert variant.title == ""
    assert variant.title_zh == "CD19 CAR-T细胞治疗难治性系统性红斑狼疮的临床研究"
    assert variant.sponsor == "浙江大学医学院附属第一医院"
    assert variant.conditions == ["系统性红斑狼疮"]
    assert variant.objectives == "评价CD19 CAR-T细胞治疗难治性系统性红斑狼疮的安全性。"


def test_it_collapses_nbsp_and_odd_whitespace(variant):
    assert variant.registry_id == "ChiCTR2400081234"
    assert variant.official_title == "A clinical study of CD19 CAR-T cells for refractory systemic lupus erythematosus"
    assert variant.registration_date == "2024-03-05 00:00:00"
    assert variant.last_update_date == "2024-06-01 10:00:00"


def test_it_reads_chinese_inclusion_criteria_from_a_hidden_textarea(variant):
    assert variant.inclusion_criteria == "1. 年龄18-70岁；\n2. 符合2019 EULAR/ACR 系统性红斑狼疮分类标准；\n3. 性别：女"
    assert variant.exclusion_criteria == "1. Pregnant or lactating women;\n2. Active infection."


def test_it_reads_several_groups_as_enrollment_parts(variant):
    assert [(a.label, a.sample_size) for a in variant.arms] == [
        ("Low dose group", "3"),
        ("Middle dose group", "3"),
        ("高剂量组", "6"),
    ]
    assert variant.arms[2].description == "5×10^6/kg CD19 CAR-T细胞"
    assert variant.enrollment is None


def test_it_keeps_chinese_names_and_codes_as_other_intervention_names(variant):
    assert [i.name for i in variant.interventions] == [
        "CD19 CAR-T cells 1x10^6/kg",
        "CD19 CAR-T cells 2x10^6/kg",
        "5×10^6/kg CD19 CAR-T细胞",
    ]
    assert variant.interventions[1].other_names == ["2×10^6/kg CD19 CAR-T细胞", "CAR-19"]
    assert variant.interventions[2].other_names == []


def test_it_leaves_an_empty_minimum_age_empty(variant):
    assert (variant.min_age, variant.max_age) == ("", "70 years")


def test_it_reads_repeated_site_tables(variant):
    assert [(s.institution, s.city, s.state, s.country) for s in variant.sites] == [
        ("The First Affiliated Hospital, Zhejiang University School of Medicine", "Hangzhou", "Zhejiang", "China"),
        ("Ruijin Hospital", "上海", "上海", "中国"),
    ]
    assert variant.countries == ["China", "中国"]
    assert variant.collaborators is None  # no secondary sponsor section


def test_it_reads_partner_registry_and_subject_ids(variant):
    assert variant.secondary_ids == ["NCT06000001", "SLE-CAR-2024"]


def test_it_tolerates_missing_sections(variant):
    assert (variant.start_date, variant.completion_date, variant.detailed_description) == (None, None, None)
    assert (variant.status, variant.sex, variant.phase) == ("Recruiting", "Female", "Phase 1")


# --- hand-made text variants ----------------------------------------------------------------


def test_it_reads_full_width_colons_crlf_and_nbsp():
    text = page(
        "注册号：",
        "Registration number：",
        "\u00a0ChiCTR2400012345\u00a0",
        "注册题目：",
        "一项CAR-T研究",
        "Public title：",
        "A  CAR-T\tstudy ",
        "年龄范围：",
        "Participant age：",
        "最小 Min age 18 岁 years\n最大 Max age 75 岁 years",
    ).replace("\n", "\r\n")
    record = parse(text)
    assert (record.registry_id, record.title, record.title_zh) == ("ChiCTR2400012345", "A CAR-T study", "一项CAR-T研究")
    assert (record.min_age, record.max_age) == ("18 years", "75 years")


def test_it_reads_labels_and_values_on_one_line():
    record = parse("注册号: ChiCTR2400012345\nPublic title: A CAR-T study\nGender: Male\nStudy phase: Phase 1\n")
    assert (record.registry_id, record.title, record.sex, record.phase) == (
        "ChiCTR2400012345",
        "A CAR-T study",
        "Male",
        "Phase 1",
    )


def test_it_reads_old_style_registration_numbers():
    record = parse(page("注册号:", "Registration number:", "ChiCTR-IIR-17012345", *MINIMAL[3:]))
    assert record.registry_id == "ChiCTR-IIR-17012345"


def test_it_reads_labels_wrapped_over_two_lines():
    text = page(
        *MINIMAL,
        "研究实施地点:",
        "Countries of recruitment and research settings:",
        "国家:",
        "中国",
        "Country:",
        "China",
        "单位(医院):",
        "某医院",
        "Institution\nhospital:",
        "Some Hospital",
    )
    assert parse(text).sites[0].institution == "Some Hospital"


def test_it_uses_chinese_values_when_english_lines_are_missing():
    text = page(
        *MINIMAL,
        "研究疾病:",
        "多发性骨髓瘤",
        "Target disease:",
        "征募研究对象情况:",
        "Recruiting status:",
        "正在进行",
        "性别:",
        "男女均可",
        "Gender:",
        "研究实施负责(组长)单位:",
        "某医院",
        "Primary sponsor:",
        "纳入标准:",
        "1. 年龄18-65岁",
        "Inclusion criteria",
        "排除标准:",
        "妊娠",
        "Exclusion criteria:",
    )
    record = parse(text)
    assert record.conditions == ["多发性骨髓瘤"]
    assert (record.status, record.sex, record.sponsor) == ("正在进行", "男女均可", "某医院")
    assert (record.inclusion_criteria, record.exclusion_criteria) == ("1. 年龄18-65岁", "妊娠")


def test_it_reads_several_groups_and_repeated_sites_in_text():
    text = page(
        *MINIMAL,
        "干预措施:",
        "Interventions:",
        "组别:",
        "A组",
        "样本量:",
        "10",
        "Group:",
        "Group A",
        "Sample size:",
        "干预措施:",
        "低剂量",
        "干预措施代码:",
        "Intervention:",
        "Low dose",
        "Intervention code:",
        "组别:",
        "B组",
        "样本量:",
        "15",
        "Group:",
        "Group B",
        "Sample size:",
        "干预措施:",
        "高剂量",
        "干预措施代码:",
        "Intervention:",
        "High dose",
        "Intervention code:",
        "研究实施地点:",
        "Countries of recruitment and research settings:",
        "国家:",
        "中国",
        "省(直辖市):",
        "北京",
        "市(区县):",
        "Country:",
        "China",
        "Province:",
        "Beijing",
        "City:",
        "单位(医院):",
        "甲医院",
        "Institution\nhospital:",
        "Hospital A",
        "国家:",
        "中国",
        "省(直辖市):",
        "广东",
        "市(区县):",
        "广州",
        "Country:",
        "China",
        "Province:",
        "Guangdong",
        "City:",
        "Guangzhou",
        "单位(医院):",
        "乙医院",
        "Institution\nhospital:",
        "Hospital B",
        "测量指标:",
        "Outcomes:",
        "指标中文名:",
        "安全性",
        "Outcome:",
        "Safety",
    )
    record = parse(text)
    assert [(a.label, a.sample_size, a.description) for a in record.arms] == [
        ("Group A", "10", "Low dose"),
        ("Group B", "15", "High dose"),
    ]
    assert [(s.institution, s.city, s.state) for s in record.sites] == [
        ("Hospital A", "", "Beijing"),
        ("Hospital B", "Guangzhou", "Guangdong"),
    ]
    assert record.countries == ["China"]


def test_it_keeps_one_word_lines_inside_free_text():
    text = page(
        *MINIMAL,
        "纳入标准:",
        "1. 成人",
        "性别：女",
        "说明",
        "Inclusion criteria",
        "1. Adults",
        "Note",
        "2. Signed consent",
        "Exclusion criteria:",
        "None",
        "性别:",
        "女",
    )
    record = parse(text)
    assert record.inclusion_criteria == "1. Adults\nNote\n2. Signed consent"
    assert record.exclusion_criteria == "None"
    assert record.sex == "女"
    chinese_only = parse(
        text.replace("Inclusion criteria\n\n1. Adults\n\nNote\n\n2. Signed consent", "Inclusion criteria")
    )
    assert chinese_only.inclusion_criteria == "1. 成人\n性别：女\n说明"


def test_an_unknown_label_does_not_leak_into_the_previous_value():
    text = page(*MINIMAL, "Gender:", "Both", "Some new field:", "whatever", "Study phase:", "Phase 2")
    record = parse(text)
    assert (record.sex, record.phase) == ("Both", "Phase 2")


def test_it_splits_a_shared_status_value_into_chinese_and_english():
    record = parse(page(*MINIMAL, "征募研究对象情况:", "Recruiting status:", "已完成", "Completed"))
    assert record.status == "Completed"


def test_it_reads_secondary_ids_and_the_treatment_description():
    text = page(
        *MINIMAL,
        "研究课题代号(代码):",
        "Study subject ID:",
        "CART-2024-01",
        "在二级注册机构或其它机构的注册号:",
        "The registration number of the Partner Registry or other register:",
        "NCT06000002",
        "药物成份或治疗方案详述:",
        "单次输注",
        "Description for medicine or protocol of treatment in detail:",
        "Single infusion of 2x10^6 CAR-T cells/kg",
    )
    record = parse(text)
    assert record.secondary_ids == ["NCT06000002", "CART-2024-01"]
    assert record.detailed_description == "Single infusion of 2x10^6 CAR-T cells/kg"
    assert record.brief_summary is None  # the page states no objectives


def test_a_page_without_a_registration_number_is_refused():
    with pytest.raises(ParseError, match="no registration number"):
        parse(page("注册题目:", "一项研究", "Public title:", "A study"))


def test_a_registration_number_that_is_not_a_chictr_id_is_refused():
    with pytest.raises(ParseError, match="not a ChiCTR id"):
        parse(page("注册号:", "Registration number:", "NCT01234567", *MINIMAL[3:]))


def test_a_page_without_any_title_is_refused():
    with pytest.raises(ParseError, match="no title"):
        parse(page(*MINIMAL[:3], "Gender:", "Both"))


@pytest.mark.parametrize("text", ["", "   \n ", "\x00\x01garbage", "<html><body></body></html>", "{}"])
def test_unreadable_documents_raise_a_one_line_parse_error(text):
    with pytest.raises(ParseError) as caught:
        ChictrParser().parse(text)
    assert "\n" not in str(caught.value) and str(caught.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400), st.integers(min_value=0, max_value=20_000), st.integers(min_value=0, max_value=400))
def test_parse_never_lets_another_exception_escape(noise, start, length):
    sample = read(SAMPLES / SEED_000)
    for text in (noise, sample[start : start + length * 20] + noise, "<table>" + noise + sample[start:]):
        try:
            records = ChictrParser().parse(text)
        except ParseError as exc:
            assert "\n" not in str(exc)
        else:
            assert records and records[0].registry_id


# --- helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("最小 Min age 10 years\n最大 Max age 65 years", ("10", "65")),
        ("最小 Min age 18 岁 years 最大 Max age 70 岁 years", ("18", "70")),
        ("最小 Min age years\n最大 Max age years", ("", "")),
        ("最小 Min age  岁 years 最大 Max age 0.5 岁 years", ("", "0.5")),
    ],
)
def test_age_bounds_read_the_min_and_max_numbers(text, expected):
    low, high, found = age_bounds(text)
    assert found
    assert (low.split(" ")[0], high.split(" ")[0]) == expected


def test_an_age_block_without_markers_is_kept_as_age_text():
    assert age_bounds("18-65岁") == ("", "", False)
    record = parse(page(*MINIMAL, "年龄范围:", "Participant age:", "18-65岁"))
    assert (record.min_age, record.max_age, record.age_text) == (None, None, "18-65岁")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("From 2025-10-31 00:00:00 To 2028-10-31 00:00:00", ("2025-10-31 00:00:00", "2028-10-31 00:00:00")),
        ("从 2020-01-01 至 2021-12-31", ("2020-01-01", "2021-12-31")),
        ("From 2020-01-01", ("2020-01-01", "")),
        ("", ("", "")),
    ],
)
def test_date_range_splits_from_and_to(text, expected):
    assert date_range(text) == expected


# --- detect -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        SAMPLES / SEED_000,
        SAMPLES / SEED_004,
        FIXTURES / "chictr_showproj_sample.html",
        FIXTURES / "chictr_showproj_variant.html",
    ],
)
def test_it_detects_chictr_pages_in_both_renderings(path):
    assert ChictrParser.detect(read(path)) is True


def test_it_detects_old_style_ids_and_nbsp_in_the_label():
    assert ChictrParser.detect("<td><p>注册号：</p><p>Registration&nbsp;number:</p></td><td>ChiCTR-TRC-10000793</td>")


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(
            {
                "protocolSection": {
                    "identificationModule": {"nctId": "NCT06101082", "secondaryIdInfos": [{"id": "ChiCTR2300071234"}]},
                    "note": "注册号 Registration number",
                }
            },
            ensure_ascii=False,
        ),
        '[{"注册号": "ChiCTR2300071234", "Registration number": 1}]',
        "NCT06101082\nOther Study ID Numbers: ChiCTR2300071234\nClinicalTrials.gov Registration number",
        "<?xml version='1.0'?><trial><main><trial_id>ChiCTR2300071234</trial_id>注册号 Registration number</main></trial>",
        "注册号:\n\nRegistration number:\n\nNCT01234567\n",
        "",
    ],
)
def test_it_does_not_claim_other_documents(text):
    assert ChictrParser.detect(text) is False


@pytest.mark.parametrize("value", [None, b"\xe6\xb3\xa8\xe5\x86\x8c\xe5\x8f\xb7", 42])
def test_detect_never_raises_on_odd_input(value):
    assert ChictrParser.detect(value) is False


def test_ctgov_seed_pages_are_not_claimed():
    others = sorted(p for p in SAMPLES.glob("*.txt") if p.name not in (SEED_000, SEED_004))
    assert others
    assert not any(ChictrParser.detect(read(p)) for p in others)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_detect_never_raises(text):
    assert ChictrParser.detect(text) in (True, False)
