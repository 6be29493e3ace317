"""The ChiCTR parser on the registry's real pages (../shared/corpus/chictr-real).

Variants (CAR-T wording, a fourth group, another country, missing sections, blank
values) are built at test time by editing copies of the real page; nothing derived
from the corpus is committed. Every test skips when the corpus is absent.
"""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup, Tag

from ingest.normalize import normalize
from ingest.parsers import PARSERS, detect, parse_document
from ingest.parsers.chictr import EMPTY_TEMPLATE, LISTING, ChictrParser
from ingest.records import ParseError, TrialRecord
from tests.conftest import corpus_path

REAL = "ChiCTR2600132949.chictr.html"
OBSERVATIONAL = "chictr_detail_ChiCTR2600128415_observational_contacts-anonymized.html"
EMPTY_PAGE = "chictr_detail_empty_probe_page.html"
LISTING_PAGE = "chictr_search_live_pancreatic_cancer_2026-09.html"


def read(name: str) -> str:
    return corpus_path("chictr-real", name).read_text(encoding="utf-8")


def parse(html: str) -> TrialRecord:
    records = ChictrParser().parse(html)
    assert len(records) == 1
    return records[0]


@pytest.fixture(scope="module")
def real_html() -> str:
    return read(REAL)


@pytest.fixture(scope="module")
def real(real_html) -> TrialRecord:
    return parse(real_html)


@pytest.fixture(scope="module")
def observational() -> TrialRecord:
    return parse(read(OBSERVATIONAL))


# --- editing copies of the real page --------------------------------------------------------


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def label_cell(soup: BeautifulSoup, label: str) -> Tag:
    """The left_title cell whose text holds `label`."""
    cells = [td for td in soup.find_all("td", class_="left_title") if label in td.get_text()]
    assert len(cells) == 1, f"{label!r}: {len(cells)} label cells"
    return cells[0]


def value_cell(soup: BeautifulSoup, label: str) -> Tag:
    cell = label_cell(soup, label).find_next_sibling("td")
    assert cell is not None
    return cell


def block(soup: BeautifulSoup, label: str) -> Tag:
    """The project-ms block holding the label cell `label`."""
    found = label_cell(soup, label).find_parent("div", class_="project-ms")
    assert found is not None
    return found


def set_value(cell: Tag, text: str) -> None:
    """Replace the visible value of a value cell (its paragraph when it has one)."""
    target = cell.find("p") or cell
    target.clear()
    target.append(text)


def nested_value(table: Tag, label: str) -> Tag:
    """The value cell after the nested label cell whose text is `label`."""
    cells = [td for td in table.find_all("td") if td.get_text(" ", strip=True) == label]
    assert len(cells) == 1, f"{label!r}: {len(cells)} cells"
    value = cells[0].find_next_sibling("td")
    assert value is not None
    return value


def group_tables(soup: BeautifulSoup) -> list[Tag]:
    return value_cell(soup, "Interventions").find_all("table", recursive=False)


def site_tables(soup: BeautifulSoup) -> list[Tag]:
    return value_cell(soup, "Countries of recruitment").find_all("table", recursive=False)


# --- every field of the real page -------------------------------------------------------------

INCLUSION_EN = (
    "1.Histologically confirmed pancreatic cancer;\n"
    "2.Completed standard treatment: Received radical resection, postoperative adjuvant therapy;\n"
    "3.No disease progression at the end of adjuvant therapy;\n"
    "4.ECOG performance status 0–1;\n"
    "5.Adequate hepatic and renal function, and blood counts;"
)
INCLUSION_ZH = (
    "1.经病理学证实的胰腺癌患者；\n"
    "2.行胰腺癌根治性切除术，术后完成6个月标准辅助治疗；\n"
    "3.辅助治疗结束时无疾病进展；\n"
    "4.ECOG 评分 0-1 分；\n"
    "5.肝肾功能、血常规达标；"
)
EXCLUSION_EN = (
    "1.Distant metastasis of pancreatic cancer;\n"
    "2.Concurrent malignancy at other sites;\n"
    "3.Disease progression during postoperative standard chemotherapy or failure to complete standard adjuvant "
    "therapy due to chemotherapy intolerance or other reasons;\n"
    "4.Uncontrolled comorbidities during treatment;\n"
    "5.Prior treatment with capecitabine or S-1 with severe adverse reactions;\n"
    "6.Pregnant or lactating women;\n"
    "7.Currently participating in other clinical studies that may affect this study;"
)
EXCLUSION_ZH = (
    "1.胰腺癌远处转移；\n"
    "2.同时伴有其他部位恶性肿瘤；\n"
    "3.术后标准化疗期间出现疾病进展或因化疗不耐受等原因未完成 标准辅助治疗；\n"
    "4.治疗期间存在不可控基础疾病；\n"
    "5.既往接受过卡培他滨或替吉奥治疗且出现严重不良反应；\n"
    "6.妊娠或哺乳期妇女；\n"
    "7.正在参加其他影响本研究的临床研究；"
)
OBJECTIVES_EN = (
    "To explore whether maintenance chemotherapy reduces recurrence rate and improves recurrence-free and overall "
    "survival in patients with pancreatic cancer who have completed standard adjuvant therapy after radical resection, "
    "and to confirm its survival benefit."
)
OBJECTIVES_ZH = "探究胰腺癌根治术后完成标准辅助治疗的患者，接受维持化疗是否能降低复发率，延长无复发生存期和总生存期，明确其生存获益。"
TITLE_EN = (
    "A Clinical Study of Maintenance Chemotherapy Regimens After Resectable Pancreatic Cancer: "
    "A Multi-center, Prospective, Randomized Controlled Trial"
)
TITLE_ZH = "可切除胰腺癌术后维持化疗方案的临床研究 ——多中心、前瞻性、随机对照试验"
LEADER_ADDRESS = "No.29 Xinquan Road, Fuzhou City, Fujian Province Gulou District, Fuzhou City, Fujian Province"
APPLICANT_UNIT = "Department of General Surgery, Fujian Medical University Union Hospital, Fuzhou, Fujian, China."
GROUPS = [
    (
        "Capecitabine maintenance group",
        "Oral capecitabine monotherapy for maintenance chemotherapy",
        "卡培他滨单药口服维持化疗",
    ),
    ("S-1 maintenance group", "Oral S-1 monotherapy for maintenance chemotherapy", "替吉奥单药口服维持化疗"),
    ("follow-up group", "Regular follow-up", "随访观察"),
]
SITES = [
    ("Fujian Medical University Union Hospital", "福建医科大学附属协和医院"),
    ("Zhangzhou Municipal Hospital", "福建省漳州市医院"),
    ("Fujian Medical University 2nd Affiliated Hospital", "福建医科大学附属第二医院"),
    ("The First Affiliated Hospital of Xiamen University", "厦门大学附属第一医院"),
    ("The First Hospital of Putian City", "莆田市第一医院"),
]


def fujian_site(institution: str, institution_zh: str) -> dict:
    return {
        "institution": institution, "institution_zh": institution_zh, "city": "", "city_zh": "",
        "state": "Fujian", "state_zh": "福建省", "country": "China", "country_zh": "中国",
        "zip": None, "status": None, "latitude": None, "longitude": None, "contacts": None,
    }  # fmt: skip


REAL_EXPECTED: dict = {
    "registry": "chictr",
    "registry_id": "ChiCTR2600132949",
    "source_format": "chictr_html",
    "third_party": False,
    "source_url": None,  # the page has no canonical link
    "secondary_ids": [],  # both id labels are on the page, blank
    "title": TITLE_EN,
    "official_title": TITLE_EN,
    "title_zh": TITLE_ZH,
    "official_title_zh": TITLE_ZH,
    "acronym": "A Clinical Study of Maintenance Chemotherapy Regimens After Resectable Pancreatic Cancer",
    "brief_summary": OBJECTIVES_EN,
    "detailed_description": "",  # the treatment description label is there, blank
    "objectives": f"{OBJECTIVES_EN}\n\n{OBJECTIVES_ZH}",
    "keywords": None,
    "status": "Not yet recruiting",
    "phase": "N/A",
    "study_type": "Interventional study",
    "min_age": "18 years",
    "max_age": "80 years",
    "age_text": None,
    "sex": "Both",
    "healthy_volunteers": None,
    "enrollment": None,  # ChiCTR states sizes per group only
    "enrollment_type": None,
    "start_date": "2026-09-21 00:00:00",
    "completion_date": "2031-12-31 00:00:00",
    "primary_completion_date": None,
    "registration_date": "2026-09-20 00:00:00",
    "last_update_date": "2026-09-20 16:07:03",
    "sponsor": "Fujian Medical University Union Hospital",
    "sponsor_class": None,
    "collaborators": ["Fujian Medical University Union Hospital"],
    "funding": "Dengfeng ProgramSpecialized Diagnosis and Treatment Center for Pancreatic Malignancies",
    "ethics": (
        "Approved: Yes; Committee: Fujian Medical University Union Hospital Research Ethics Committee; "
        "Approval No.: 2026KY636-01; Date: 2026-05-29 00:00:00"
    ),
    "conditions": ["pancreatic cancer"],
    "interventions": [
        {"name": name, "type": None, "description": None, "other_names": [chinese]} for _, name, chinese in GROUPS
    ],
    "arms": [
        {"label": label, "type": None, "description": name, "interventions": [name], "sample_size": "49"}
        for label, name, _ in GROUPS
    ],
    "sites": [fujian_site(*site) for site in SITES],
    "countries": ["China"],
    "contacts": [
        {
            "role": "study_leader",
            "name": "Fengchun Lu",
            "phone": "+86 591 86218013",
            "email": "fengchun160@fjmu.edu.cn",
            "affiliation": "Fujian Medical University Union Hospital",
            "address": LEADER_ADDRESS,
        },
        {
            "role": "applicant",
            "name": "Fengchun Lu",
            "phone": "+86 591 86218006",
            "email": "fengchun160@163.com",
            "affiliation": APPLICANT_UNIT,
            "address": APPLICANT_UNIT,
        },
    ],  # fmt: skip
    "inclusion_criteria": INCLUSION_EN,
    "exclusion_criteria": EXCLUSION_EN,
    "eligibility_text": None,
    "references": None,
    "has_results": None,
    "results_date": None,
    "results_url": None,
}


def test_the_expectation_names_every_field_of_the_record():
    assert set(REAL_EXPECTED) == set(TrialRecord.__dataclass_fields__)


def test_it_reads_every_field_of_the_real_page(real):
    actual = real.to_dict()
    assert {k: actual[k] for k in actual if actual[k] != REAL_EXPECTED[k]} == {}


def test_it_reads_the_registry_id_status_phase_and_type(real):
    assert (real.registry_id, real.status, real.phase, real.study_type) == (
        "ChiCTR2600132949",
        "Not yet recruiting",
        "N/A",
        "Interventional study",
    )


def test_it_reads_the_study_execute_time_written_from_and_to_in_both_languages(real):
    assert (real.start_date, real.completion_date) == ("2026-09-21 00:00:00", "2031-12-31 00:00:00")


def test_it_gives_each_group_its_sample_size_and_leaves_the_total_absent(real):
    assert [a.sample_size for a in real.arms] == ["49", "49", "49"]
    assert real.enrollment is None


def test_it_reads_five_fujian_sites_with_their_chinese_names(real):
    assert [(s.institution, s.institution_zh) for s in real.sites] == SITES
    assert {(s.state, s.state_zh, s.country, s.country_zh) for s in real.sites} == {
        ("Fujian", "福建省", "China", "中国")
    }


def test_it_reads_the_criteria_hidden_in_textareas_keeping_their_numbered_items(real):
    assert real.inclusion_criteria == INCLUSION_EN
    assert real.inclusion_criteria.count("\n") == 4


def test_it_gives_clean_institution_names_as_collaborators_not_the_sponsor_block_text(real):
    assert real.collaborators == ["Fujian Medical University Union Hospital"]
    assert not any("：" in c or "Province" in c for c in real.collaborators)


def test_it_pins_absent_and_empty_fields_of_the_real_page(real):
    # Empty: the page carries the label with no value.
    assert (real.secondary_ids, real.detailed_description) == ([], "")
    assert {(s.city, s.city_zh) for s in real.sites} == {("", "")}
    # Absent: the template has no such field.
    for name in (
        "enrollment",
        "keywords",
        "references",
        "healthy_volunteers",
        "age_text",
        "eligibility_text",
        "primary_completion_date",
        "has_results",
        "source_url",
    ):
        assert getattr(real, name) is None, name
    assert all(i.description is None for i in real.interventions)


def test_normalizing_the_real_page_gives_the_registry_values(real):
    trial = normalize(real)
    assert trial.enrollment == 147
    assert trial.countries == ["China"]
    assert (trial.start_date, trial.completion_date) == (date(2026, 9, 21), date(2031, 12, 31))
    assert (trial.min_age_years, trial.max_age_years) == (Decimal(18), Decimal(80))
    assert (trial.sex, trial.phase, trial.status) == ("all", "not_applicable", "not_yet_recruiting")
    assert trial.registry_updated == date(2026, 9, 20)


def test_a_reserialized_page_parses_to_the_same_record(real_html, real):
    # The variants below are re-serialized by BeautifulSoup: that alone must change nothing.
    assert parse(str(soup_of(real_html))) == real


# --- CAR-T wording, more groups, more countries ---------------------------------------------


def test_a_cart_group_carries_its_dose_to_the_normalizer(real_html):
    html = (
        real_html.replace(GROUPS[0][1], "CD19 CAR-T cells at 1×10^6 CAR-T cells/kg, single infusion")
        .replace(GROUPS[0][2], "CD19 CAR-T细胞 1×10^6/kg 单次输注")
        .replace(TITLE_EN, "CD19 CAR-T Cells for Relapsed or Refractory B-cell Lymphoma")
    )
    record = parse(html)
    assert record.title == "CD19 CAR-T Cells for Relapsed or Refractory B-cell Lymphoma"
    assert record.interventions[0].name == "CD19 CAR-T cells at 1×10^6 CAR-T cells/kg, single infusion"
    assert record.interventions[0].other_names == ["CD19 CAR-T细胞 1×10^6/kg 单次输注"]
    assert record.arms[0].description == record.interventions[0].name
    trial = normalize(record)
    assert [(lvl.low, lvl.high, lvl.basis, lvl.arm) for lvl in trial.dose_levels] == [
        (1e6, 1e6, "per_kg", "Capecitabine maintenance group"),
    ]
    assert trial.antigens == ["CD19"]


def test_it_reads_a_fourth_group(real_html):
    soup = soup_of(real_html)
    last = group_tables(soup)[-1]
    fourth = copy.copy(last)
    set_value(nested_value(fourth, "组别："), "安慰剂组")
    set_value(nested_value(fourth, "Group："), "Placebo group")
    set_value(nested_value(fourth, "样本量："), "30")
    set_value(nested_value(fourth, "干预措施："), "安慰剂口服")
    set_value(nested_value(fourth, "Intervention："), "Oral placebo")
    last.insert_after(fourth)
    record = parse(str(soup))
    assert [(a.label, a.sample_size) for a in record.arms] == [
        *((label, "49") for label, _, _ in GROUPS),
        ("Placebo group", "30"),
    ]
    assert record.interventions[3].name == "Oral placebo"
    assert record.interventions[3].other_names == ["安慰剂口服"]
    assert normalize(record).enrollment == 177


def test_it_reads_sites_in_several_countries(real_html):
    soup = soup_of(real_html)
    table = site_tables(soup)[-1]
    set_value(nested_value(table, "国家："), "新加坡")
    set_value(nested_value(table, "Country："), "Singapore")
    set_value(nested_value(table, "省(直辖市)："), "")
    set_value(nested_value(table, "Province："), "")
    set_value(nested_value(table, "单位(医院)："), "新加坡国立大学医院")
    set_value(nested_value(table, "Institution hospital："), "National University Hospital")
    record = parse(str(soup))
    assert len(record.sites) == 5
    site = record.sites[-1]
    assert (site.institution, site.institution_zh, site.country, site.country_zh, site.state, site.state_zh) == (
        "National University Hospital",
        "新加坡国立大学医院",
        "Singapore",
        "新加坡",
        "",
        "",
    )
    assert record.countries == ["China", "Singapore"]
    assert normalize(record).countries == ["China", "Singapore"]


# --- missing sections (absent) and blank values (empty) --------------------------------------


def test_without_the_site_section_sites_and_countries_are_absent(real_html):
    soup = soup_of(real_html)
    block(soup, "研究实施地点").decompose()
    record = parse(str(soup))
    assert (record.sites, record.countries) == (None, None)
    assert "countries" in normalize(record).missing


def test_a_site_section_without_sites_is_empty(real_html):
    soup = soup_of(real_html)
    for table in site_tables(soup):
        table.decompose()
    record = parse(str(soup))
    assert (record.sites, record.countries) == ([], [])


def test_without_the_interventions_section_groups_are_absent(real_html):
    soup = soup_of(real_html)
    block(soup, "干预措施").decompose()
    record = parse(str(soup))
    assert (record.arms, record.interventions) == (None, None)
    assert normalize(record).enrollment is None


def test_without_contacts_ethics_dates_or_sponsors_those_fields_are_absent(real_html):
    soup = soup_of(real_html)
    block(soup, "申请注册联系人：").decompose()
    block(soup, "是否获伦理委员会批准").decompose()
    label_cell(soup, "研究实施时间").find_parent("tr").decompose()
    label_cell(soup, "Secondary sponsor").find_parent("tr").decompose()
    record = parse(str(soup))
    assert (record.contacts, record.ethics, record.start_date, record.completion_date, record.collaborators) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert record.sponsor == "Fujian Medical University Union Hospital"  # its row was kept


def test_blank_values_are_empty_not_absent(real_html):
    soup = soup_of(real_html)
    for label in (
        "研究疾病：",
        "Target disease：",
        "性别：",
        "Gender：",
        "Primary sponsor：",
        "研究实施负责（组长）单位：",
        "研究负责人电子邮件：",
    ):
        set_value(value_cell(soup, label), "")
    set_value(nested_value(group_tables(soup)[0], "样本量："), "")
    record = parse(str(soup))
    assert (record.conditions, record.sex, record.sponsor) == ([], "", "")
    assert record.contacts[0].email == ""
    assert record.arms[0].sample_size == ""
    assert normalize(record).enrollment == 98


def test_blank_execute_dates_are_empty(real_html):
    soup = soup_of(real_html)
    for span in value_cell(soup, "研究实施时间").find_all("span", class_=["splaceTen3", "splaceTen4"]):
        span.string = ""
    record = parse(str(soup))
    assert (record.start_date, record.completion_date) == ("", "")


def test_chinese_criteria_are_read_when_the_english_ones_are_blank(real_html):
    soup = soup_of(real_html)
    soup.find("textarea", class_="raw-content2").string = ""
    set_value(value_cell(soup, "Exclusion criteria"), "")
    record = parse(str(soup))
    assert record.inclusion_criteria == INCLUSION_ZH
    assert record.exclusion_criteria == EXCLUSION_ZH


def test_the_rendered_criteria_win_over_the_hidden_textarea(real_html):
    soup = soup_of(real_html)
    rendered = soup.find(id="handleText2")
    rendered.append("1.Shown item;")
    rendered.append(soup.new_tag("br"))
    rendered.append("2.Another item;")
    assert parse(str(soup)).inclusion_criteria == "1.Shown item;\n2.Another item;"


# --- source URL and detection by structure ------------------------------------------------


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("javascript:alert(document.cookie)//chictr", None),
        ("https://www.chictr.org.cn/showproj.html?proj=344425", "https://www.chictr.org.cn/showproj.html?proj=344425"),
    ],
)
def test_the_canonical_link_is_used_only_when_safe(real_html, href, expected):
    html = real_html.replace("</head>", f'<link rel="canonical" href="{href}" /></head>', 1)
    assert parse(html).source_url == expected
    assert normalize(parse(html)).source_url.startswith("https://")


def test_the_template_is_known_by_its_structure_not_by_one_label(real_html):
    html = re.sub(r"registration\s+number", "Registration No.", real_html.replace("注册号", "注册编号"), flags=re.I)
    assert "注册号" not in html and not re.search(r"registration\s+number", html, re.I)
    assert ChictrParser.detect(html)
    record = parse(html)
    assert (record.registry_id, record.title) == ("ChiCTR2600132949", TITLE_EN)


# --- the observational page (a browser DOM without <head>) ------------------------------------


def test_the_observational_page_gives_groups_countries_and_dates(observational):
    assert observational.registry_id == "ChiCTR2600128415"
    assert [(a.label, a.sample_size) for a in observational.arms] == [
        ("CH Negative Group", "108"),
        ("CH Positive Group", "108"),
    ]
    assert observational.countries == ["China"]
    assert (observational.start_date, observational.completion_date) == ("2024-10-01", "2027-12-31")
    assert (observational.registration_date, observational.last_update_date) == ("2026-07-20", "2026-07-20")
    trial = normalize(observational)
    assert (trial.enrollment, trial.countries, trial.start_date) == (216, ["China"], date(2024, 10, 1))
    assert (trial.study_type, trial.phase) == ("observational", "not_applicable")


def test_the_observational_page_reads_its_titles_status_and_people(observational):
    assert (
        observational.title
        == observational.official_title
        == ("Observational Study of Clonal Hematopoiesis and Neoadjuvant Immunotherapy Efficacy in Lung Cancer")
    )
    assert observational.title_zh == observational.official_title_zh == "克隆性造血与肺癌新辅助免疫治疗疗效的观察性研究"
    assert (observational.status, observational.study_type, observational.phase, observational.sex) == (
        "Recruiting",
        "Observational study",
        "0",
        "Both",
    )
    assert observational.conditions == ["Non-small cell lung cancer, stage IB–IIIA"]
    assert observational.sponsor == "Shanghai Pulmonary Hospital"
    assert [(c.role, c.name, c.email) for c in observational.contacts] == [
        ("study_leader", "Chen Jian", "lisi@example.edu"),
        ("applicant", "Chen Jian", "lisi@example.com"),
    ]
    assert observational.ethics == (
        "Approved: Yes; Committee: Shanghai Pulmonary Hospital Clinical Trial Ethics Review Committee; "
        "Approval No.: L24-634; Date: 2024-11-14"
    )
    site = observational.sites[0]
    assert (site.institution, site.institution_zh, site.state, site.state_zh, site.country) == (
        "Shanghai Pulmonary Hospital",
        "上海市肺科医院",
        "Shanghai",
        "上海市",
        "China",
    )


def test_the_english_criteria_of_a_browser_saved_page_are_read_from_their_row(observational):
    # The site's script rendered them into a class="cn" paragraph of the English row.
    assert observational.inclusion_criteria == (
        "1. Age >=18 years;\n"
        "2. pathologically confirmed NSCLC (including squamous cell carcinoma and adenocarcinoma), stage IB–IIIA;\n"
        "3. planned neoadjuvant immunotherapy (e.g., PD-1/PD-L1 inhibitors) with follow-up;\n"
        "4. written informed consent;"
    )
    assert observational.exclusion_criteria == "1. Patients who cannot tolerate immunotherapy."


def test_it_pins_absent_and_empty_fields_of_the_observational_page(observational):
    assert (observational.acronym, observational.max_age, observational.min_age) == ("", "", "18 years")
    assert (observational.secondary_ids, observational.detailed_description) == ([], "")
    assert (observational.enrollment, observational.source_url, observational.keywords) == (None, None, None)
    assert normalize(observational).max_age_years is None


# --- pages that hold no trial ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "reason"), [(EMPTY_PAGE, EMPTY_TEMPLATE), (LISTING_PAGE, LISTING)])
def test_pages_without_a_trial_are_refused_with_their_reason(name, reason):
    text = read(name)
    assert [cls.name for cls in PARSERS if cls.detect(text)] == ["chictr"]
    assert detect(text).name == "chictr"
    with pytest.raises(ParseError) as caught:
        parse_document(text.encode("utf-8"))
    assert str(caught.value) == reason
    assert "\n" not in reason


def test_the_refusal_reasons_say_what_the_page_is():
    assert EMPTY_TEMPLATE == "ChiCTR page holds no trial (empty project template)"
    assert LISTING.startswith("ChiCTR search-results listing, not a trial page")
    assert LISTING.endswith("open each trial's page")
