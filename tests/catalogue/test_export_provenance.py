"""Exports a researcher can cite (issue 17, item 2): a CSV Excel reads as UTF-8, file
names that say the filter and the date, a header saying where the data comes from,
the full record in the JSON download and the API detail, the API documented as a
page, and errors that say what was wrong."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import reverse

from catalogue.about import export_filename
from catalogue.models import DataVersion, HarvestRun
from catalogue.selectors import parse_filters
from catalogue.serializers import DETAIL_FIELDS, EXPORT_FIELDS, SITE_FIELDS, openapi_schema
from tests.factories import make_trial

pytestmark = pytest.mark.django_db

CSV_URL = reverse("catalogue:export_csv")
JSON_URL = reverse("catalogue:export_json")
CHINESE_TITLE = "靶向GPC3的嵌合抗原受体T细胞治疗晚期肝细胞癌的临床研究"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def gpc3(db):
    return make_trial(
        registry="chictr", registry_id="ChiCTR2400000001", title=CHINESE_TITLE, title_zh=CHINESE_TITLE,
        antigens=["GPC3"], countries=["China"], registry_updated=dt.date(2026, 11, 30),
    )  # fmt: skip


# --- the CSV -------------------------------------------------------------------------------------


def test_the_csv_starts_with_a_utf8_bom_and_a_chinese_title_round_trips(client, gpc3):
    raw = body(client.get(CSV_URL, {"antigen": "GPC3"}))
    assert raw[:3] == b"\xef\xbb\xbf"  # what Excel needs to read the file as UTF-8
    (row,) = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert row["title"] == CHINESE_TITLE and row["title_zh"] == CHINESE_TITLE
    assert list(row) == list(EXPORT_FIELDS)  # the BOM is not part of the first column's name


def test_the_command_csv_has_the_bom_too(gpc3):
    out = io.StringIO()
    call_command("export", "--format", "csv", stdout=out)
    assert out.getvalue().encode("utf-8")[:3] == b"\xef\xbb\xbf"


def test_the_download_is_named_after_the_filter_and_the_date(client, gpc3):
    response = client.get(CSV_URL, {"antigen": "GPC3", "page": "3"})
    today = dt.date.today().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="car-t-trials_antigen-GPC3_{today}.csv"'
    response = client.get(JSON_URL)
    assert response["Content-Disposition"] == f'attachment; filename="car-t-trials_{today}.json"'


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"antigen": "GPC3"}, "car-t-trials_antigen-GPC3_2026-12-06.csv"),
        ({"antigen": ["GPC3", "CD19"], "phase": "phase1_phase2"},
         "car-t-trials_antigen-GPC3+CD19_phase-phase1-phase2_2026-12-06.csv"),
        ({"q": "肉瘤 CAR-T", "age": "12.5"}, "car-t-trials_age-12.5_q-CAR-T_2026-12-06.csv"),
        ({"q": '"; rm -rf / <script>'}, "car-t-trials_q-rm-rf-script_2026-12-06.csv"),
        ({"disease_category": "solid_tumor", "sort": "updated"},
         "car-t-trials_disease-category-solid-tumor_2026-12-06.csv"),
    ],
)  # fmt: skip
def test_file_names_use_safe_characters_only(params, expected):
    name = export_filename(parse_filters(params), "csv", dt.date(2026, 12, 6))
    assert name == expected
    assert re.fullmatch(r"[A-Za-z0-9._+-]+", name)


def test_a_very_long_filter_still_gives_a_short_name():
    params = {"q": "x" * 200, "antigen": [f"Antigen{n}" for n in range(15)]}
    name = export_filename(parse_filters(params), "json", dt.date(2026, 12, 6))
    assert len(name) < 160 and name.endswith("_2026-12-06.json")


# --- the header ------------------------------------------------------------------------------------


@pytest.fixture
def harvested(db):
    """A successful ClinicalTrials.gov harvest with the registry's data timestamp, published."""
    from catalogue import freshness

    HarvestRun.objects.create(
        source="ctgov", mode="incremental", status="ok", started_at=dt.datetime(2026, 12, 5, 4, 0, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 12, 5, 4, 10, tzinfo=dt.UTC), data_timestamp="2026-12-04T09:00:06",
    )  # fmt: skip
    freshness.publish()
    DataVersion.objects.filter(pk=1).update(registry_updated_max=dt.date(2026, 11, 30))


def test_the_json_download_is_headed_by_where_it_comes_from(client, gpc3, harvested, settings):
    settings.CATALOGUE_VERSION = "git 0123456789ab"
    make_trial(antigens=["CD19"])
    document = json.loads(body(client.get(JSON_URL, {"antigen": "GPC3"})))
    assert list(document) == ["about", "trials"]
    about = document["about"]
    assert about["filter"] == "GPC3 trials"
    assert about["filter_url"] == "http://testserver/?antigen=GPC3"
    assert about["api_url"] == "http://testserver/api/trials/?antigen=GPC3"
    assert client.get(about["filter_url"]).status_code == 200
    assert about["data_as_of"] == "2026-11-30"
    (ctgov,) = [r for r in about["registries"] if r["source"] == "ctgov"]
    assert ctgov["registry_data_timestamp"] == "2026-12-04T09:00:06"
    assert ctgov["last_successful_harvest"].startswith("2026-12-05T04:10")
    assert about["catalogue_version"] == "git 0123456789ab"
    assert about["count"] == about["matching"] == len(document["trials"]) == 1
    assert [t["registry_id"] for t in document["trials"]] == [gpc3.registry_id]


def test_the_csv_header_lines_are_there_when_asked_for_and_readers_skip_them(client, gpc3, harvested):
    plain = body(client.get(CSV_URL, {"antigen": "GPC3"})).decode("utf-8-sig")
    assert not plain.startswith("#")
    text = body(client.get(CSV_URL, {"antigen": "GPC3", "about": "1"})).decode("utf-8-sig")
    comments = [line for line in text.splitlines() if line.startswith("# ")]
    joined = "\n".join(comments)
    assert "Filter: GPC3 trials" in joined
    assert "Filter URL: http://testserver/?antigen=GPC3" in joined
    assert "Data as of: 2026-11-30" in joined and "registry data of 2026-12-04T09:00:06" in joined
    assert "Trials: 1 of 1 matching" in joined
    assert "Catalogue version: " in joined
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    assert [r["title"] for r in rows] == [CHINESE_TITLE]


def test_the_command_writes_the_same_header(gpc3, settings):
    settings.CATALOGUE_BASE_URL = "https://catalogue.example.org"
    out = io.StringIO()
    call_command("export", "--format", "json", "--antigen", "GPC3", stdout=out)
    about = json.loads(out.getvalue())["about"]
    assert about["filter"] == "GPC3 trials" and about["filter_url"] == "https://catalogue.example.org/?antigen=GPC3"
    out = io.StringIO()
    call_command("export", "--format", "csv", "--about", "--antigen", "GPC3", stdout=out)
    assert "# Filter URL: https://catalogue.example.org/?antigen=GPC3" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_prebuilt_files_carry_the_header(client, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path
    settings.CATALOGUE_BASE_URL = "http://testserver"
    make_trial(registry_id="NCT90000801", title=CHINESE_TITLE)
    call_command("build_exports", stdout=io.StringIO())
    document = json.loads(b"".join(client.get(JSON_URL).streaming_content))
    assert document["about"]["filter"] == "All trials" and document["about"]["count"] == 1
    with_about = b"".join(client.get(CSV_URL, {"about": "1"}).streaming_content)
    assert with_about.startswith(b"\xef\xbb\xbf# ") and b"Trials: 1 of 1" in with_about
    assert int(client.get(CSV_URL, {"about": "1"})["Content-Length"]) == len(with_about)
    plain = b"".join(client.get(CSV_URL).streaming_content)
    assert plain.startswith(b"\xef\xbb\xbfregistry,") and CHINESE_TITLE.encode() in plain


# --- the full record ---------------------------------------------------------------------------------


def test_the_api_detail_and_the_json_download_carry_the_whole_record(client):
    trial = make_trial(
        registry_id="NCT90000802", brief_summary="A summary.", inclusion_criteria="Adults.",
        exclusion_criteria="Pregnancy.", conditions=["Sarcoma"], modalities=["car_t"], product_names=["Kymriah"],
        evidence={"modalities": [{"value": "car_t", "field": "title", "phrase": "CAR-T"}]},
        sites=[{"institution": "Hospital A", "city": "Boston", "country": "United States"}],
    )  # fmt: skip
    detail = client.get(reverse("catalogue:api_trial_detail", args=[trial.registry_id])).json()
    (downloaded,) = json.loads(body(client.get(JSON_URL)))["trials"]
    for item in (detail, downloaded):
        assert list(item) == list(DETAIL_FIELDS)
        assert item["brief_summary"] == "A summary." and item["inclusion_criteria"] == "Adults."
        assert item["exclusion_criteria"] == "Pregnancy." and item["conditions"] == ["Sarcoma"]
        assert item["modalities"] == ["car_t"] and item["products"] == ["Kymriah"]
        assert item["evidence"]["modalities"][0]["phrase"] == "CAR-T"
        (site,) = item["sites"]
        assert list(site) == list(SITE_FIELDS)
        assert site["institution"] == "Hospital A" and site["country"] == "United States"
        assert item["contacts"] == []
        assert item["references"] == [] and item["has_results"] is None


def test_the_schema_documents_every_key_and_lists_no_internal_value(client):
    schema = client.get(reverse("catalogue:api_schema")).json()
    text = json.dumps(schema)
    assert "synthetic" not in text.lower()
    registries = schema["components"]["schemas"]["Trial"]["properties"]["registry"]["enum"]
    parameter = next(p for p in schema["paths"]["/api/trials/"]["get"]["parameters"] if p["name"] == "registry")
    assert parameter["schema"]["items"]["enum"] == registries and "ctgov" in registries
    sites = schema["components"]["schemas"]["TrialDetail"]["properties"]["sites"]["items"]["properties"]
    assert list(sites) == list(SITE_FIELDS)
    body_schema = schema["paths"]["/trials.json"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert body_schema["required"] == ["about", "trials"]


def test_facet_values_in_the_api_carry_labels_and_no_internal_value(client):
    make_trial(has_results=True, phase="phase1_phase2")
    facets = client.get(reverse("catalogue:api_trial_list")).json()["facets"]
    assert {"value": "yes", "label": "Results posted", "count": 1, "selected": False} in facets["has_results"]
    assert {v["value"]: v["label"] for v in facets["phase"]}["phase1_phase2"] == "Phase 1/2"
    assert all("synthetic" not in v["value"] for values in facets.values() for v in values)


# --- the API page ------------------------------------------------------------------------------------


def test_the_nav_api_link_opens_a_page_documenting_every_endpoint_and_parameter(client, gpc3):
    home = BeautifulSoup(client.get("/").content, "html.parser")
    api_link = next(a for a in home.select(".site-nav a") if a.get_text() == "API")
    page = client.get(api_link["href"])
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    doc = BeautifulSoup(page.content, "html.parser")
    text = doc.get_text()
    schema = openapi_schema()
    for path, methods in schema["paths"].items():
        assert path in text
        for op in methods.values():
            for parameter in op.get("parameters", []):
                assert parameter["name"] in text, (path, parameter["name"])
    assert doc.select_one(f'a[href="{reverse("catalogue:api_schema")}"]')


def test_every_example_on_the_api_page_works(client, gpc3):
    doc = BeautifulSoup(client.get(reverse("catalogue:api_docs")).content, "html.parser")
    examples = [a["href"] for a in doc.select("a.api-example")]
    assert any("/api/trials/?antigen=CD19" in href for href in examples)
    assert f"/api/trials/{gpc3.registry_id}/" in examples
    for href in examples:
        assert client.get(href).status_code == 200, href


# --- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, name, words",
    [
        ({"age": "abc"}, "age", ["'abc'", "age in years between 0 and 120"]),
        ({"phase": "phase9"}, "phase", ["'phase9'", "is not one of", "phase1_phase2"]),
        ({"sort": "random"}, "sort", ["'random'", "is not one of", "relevance"]),
        ({"dose_min": "lots"}, "dose_min", ["'lots'", "1e6"]),
        ({"stalled": "maybe"}, "stalled", ["'maybe'", "possibly stalled"]),
        ({"has_results": "perhaps"}, "has_results", ["'perhaps'", "yes, no, not_stated"]),
    ],
)  # fmt: skip
def test_api_errors_say_what_was_wrong_and_answer_400(client, params, name, words):
    """The API and the downloads answer 400 with the reason; the pages show it as a
    notice and the results without that value."""
    response = client.get(reverse("catalogue:api_trial_list"), params)
    assert response.status_code == 400
    (message,) = response.json()["errors"][name]
    for word in words:
        assert word in message, message
    assert "ignored" not in message
    download = client.get(CSV_URL, params)
    assert download.status_code == 400 and message in download.content.decode()
    page = BeautifulSoup(client.get("/", params).content, "html.parser")
    notices = [n.get_text() for n in page.select(".notices .notice")]
    assert any(message.rstrip(".") in n and n.startswith("Not applied") for n in notices), notices
