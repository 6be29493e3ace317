"""The export: `manage.py export` and the /trials.csv, /trials.json downloads."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.http import StreamingHttpResponse
from django.urls import reverse

from catalogue.serializers import DETAIL_FIELDS, EXPORT_FIELDS, csv_cell
from tests.factories import make_many, make_trial

B7H3_SARCOMA = "ChiCTR2500108722"
HER2 = "NCT06101082"
GD2_B7H3 = "NCT06836505"
LUPUS = "ChiCTR2500105227"

pytestmark = pytest.mark.django_db


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export", *args, stdout=out)
    return out.getvalue()


def export_json(*args: str) -> list[dict]:
    return json.loads(export("--format", "json", *args))["trials"]


def without_bom(text: str) -> str:
    assert text.startswith("\ufeff")
    return text[1:]


def export_csv(*args: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(without_bom(export("--format", "csv", *args)))))


# --- the command ----------------------------------------------------------------------------------


def test_the_json_export_has_every_trial_with_exactly_the_contract_keys(seed_trials):
    items = export_json()
    assert {i["registry_id"] for i in items} == set(seed_trials)
    for item in items:
        assert list(item) == list(DETAIL_FIELDS)


def test_numbers_are_numbers_and_unknowns_are_null(seed_trials):
    items = {i["registry_id"]: i for i in export_json()}
    sarcoma = items[B7H3_SARCOMA]
    assert sarcoma["min_age_years"] == 10 and type(sarcoma["min_age_years"]) is int
    assert sarcoma["max_age_years"] == 65
    assert type(sarcoma["dose_min_cells_per_kg"]) is float and sarcoma["dose_min_cells_per_kg"] == 1e6
    assert type(sarcoma["enrollment"]) is int
    for level in sarcoma["dose_levels"]:
        assert type(level["low"]) is float and type(level["high"]) is float
    lupus = items[LUPUS]
    for key in ("min_age_years", "max_age_years", "dose_min_cells_per_kg", "dose_max_cells_per_kg"):
        assert lupus[key] is None
    assert lupus["dose_levels"] == []
    for item in items.values():
        for key in ("official_title", "title_zh", "sponsor", "start_date", "completion_date"):
            assert item[key] is None or (isinstance(item[key], str) and item[key] != ""), (key, item[key])


def test_fractional_ages_stay_fractional(db):
    make_trial(registry_id="NCT90000100", min_age_years="0.5", max_age_years="17.5")
    (item,) = export_json()
    assert item["min_age_years"] == 0.5 and item["max_age_years"] == 17.5


@pytest.mark.parametrize(
    "args, predicate",
    [
        (["--antigen", "cd276"], lambda t: "B7-H3" in t.antigen_names),
        (["--antigen", "HER2", "--antigen", "CD19"], lambda t: {"HER2", "CD19"} & set(t.antigen_names)),
        (["--age", "12"], lambda t: (t.min_age_years is None or t.min_age_years <= 12)
                                     and (t.max_age_years is None or t.max_age_years >= 12)),
        (["--dose-min", "6e6"], lambda t: t.dose_max_cells_per_kg is not None and t.dose_max_cells_per_kg >= 6e6),
        (["--registry", "chictr"], lambda t: t.registry == "chictr"),
        (["--disease-category", "autoimmune"], lambda t: "autoimmune" in t.disease_categories),
        (["--cell-source", "allogeneic"], lambda t: t.cell_source == "allogeneic"),
        (["--q", "肉瘤"], lambda t: "肉瘤" in t.search_document),
        (["--phase", "phase1_phase2", "--country", "China"], lambda t: t.phase == "phase1_phase2"),
    ],
)  # fmt: skip
def test_the_command_applies_the_filters(seed_trials, args, predicate):
    expected = {rid for rid, t in seed_trials.items() if predicate(t)}
    assert expected
    assert {i["registry_id"] for i in export_json(*args)} == expected
    assert {r["registry_id"] for r in export_csv(*args)} == expected


def test_the_csv_has_the_same_columns_with_lists_joined_and_nested_values_as_json(seed_trials):
    output = without_bom(export("--format", "csv"))
    header = next(csv.reader(io.StringIO(output)))
    assert header == list(EXPORT_FIELDS)
    rows = {r["registry_id"]: r for r in csv.DictReader(io.StringIO(output))}
    quad = rows["NCT03356782"]
    assert quad["antigens"].split("; ") == seed_trials["NCT03356782"].antigen_names
    assert json.loads(quad["raw"]) == seed_trials["NCT03356782"].raw
    levels = json.loads(rows[B7H3_SARCOMA]["dose_levels"])
    assert [lvl["raw"] for lvl in levels] == seed_trials[B7H3_SARCOMA].raw["doses"]
    assert rows[B7H3_SARCOMA]["min_age_years"] == "10"
    assert rows[B7H3_SARCOMA]["dose_max_cells_per_kg"] == "5000000"
    assert rows[LUPUS]["min_age_years"] == "" and rows[LUPUS]["dose_min_cells_per_kg"] == ""
    assert rows[B7H3_SARCOMA]["title_zh"] == seed_trials[B7H3_SARCOMA].title_zh


def test_csv_cells_that_a_spreadsheet_would_run_are_kept_as_text():
    assert csv_cell("title", '=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    # "-" starts a formula too (-1+1+cmd|...), so a text cell starting with it is quoted.
    assert csv_cell("title", "-1 is text here") == "'-1 is text here"
    assert csv_cell("title", "  @SUM(A1)") == "'  @SUM(A1)"
    assert csv_cell("title", "\tx") == "'\tx"
    assert csv_cell("title", "CAR-T = cells") == "CAR-T = cells"
    assert csv_cell("min_age_years", 0.5) == "0.5"
    assert csv_cell("enrollment", -1) == "-1"
    assert csv_cell("countries", ["China", "Japan"]) == "China; Japan"
    assert csv_cell("countries", ["+China", "Japan"]) == "'+China; Japan"
    assert csv_cell("sponsor", None) == ""


PAYLOAD = "-1+1+cmd|' /C calc'!A0"


@pytest.mark.parametrize("source", ["download", "command"])
def test_a_formula_in_a_title_a_country_or_a_secondary_id_is_neutralised(client, source):
    make_trial(
        registry_id="NCT90000666", title=PAYLOAD, countries=[PAYLOAD, "China"], secondary_ids=[f" {PAYLOAD}"],
        enrollment=12, min_age_years="0.5",
    )  # fmt: skip
    if source == "download":
        text = b"".join(client.get(reverse("catalogue:export_csv")).streaming_content).decode("utf-8-sig")
    else:
        text = without_bom(export("--format", "csv"))
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["title"] == "'" + PAYLOAD
    assert row["countries"] == f"'{PAYLOAD}; China"
    assert row["secondary_ids"] == f"' {PAYLOAD}"
    for name, cell in row.items():
        assert cell.lstrip()[:1] not in ("=", "+", "-", "@"), (name, cell)
    assert row["enrollment"] == "12" and row["min_age_years"] == "0.5"


def test_invalid_filters_stop_the_command_with_the_reason(seed_trials):
    with pytest.raises(CommandError, match="age"):
        export("--age", "abc")
    with pytest.raises(CommandError, match="phase"):
        export("--phase", "phase9")


def test_the_command_reads_related_rows_in_one_query_per_chunk(seed_trials, django_assert_num_queries):
    make_many(40)
    # the header's data state and count; then the trials, their dose levels, references, sites and contacts
    with django_assert_num_queries(7):
        items = export_json()
    assert len(items) == 45
    with django_assert_num_queries(3):  # the trials, their dose levels and references (no header asked for)
        rows = export_csv()
    assert len(rows) == 45


# --- downloads ------------------------------------------------------------------------------------


def download(client, fmt, params=None, status=200):
    response = client.get(reverse(f"catalogue:export_{fmt}"), params or {})
    assert response.status_code == status
    return response


def test_the_csv_download_streams_the_filtered_result_set_as_an_attachment(client, seed_trials):
    response = download(client, "csv", {"antigen": "B7-H3", "page": "2", "page_size": "1"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;") and ".csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["registry_id"] for r in rows} == {B7H3_SARCOMA, GD2_B7H3}  # every page: paging is ignored
    assert list(rows[0]) == list(EXPORT_FIELDS)


def test_the_json_download_is_the_same_contract(client, seed_trials):
    response = download(client, "json", {"age": "12"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].startswith("attachment;") and ".json" in response["Content-Disposition"]
    items = json.loads(b"".join(response.streaming_content))["trials"]
    assert {i["registry_id"] for i in items} == {i["registry_id"] for i in export_json("--age", "12")}
    assert all(list(i) == list(DETAIL_FIELDS) for i in items)


def test_downloads_are_capped_by_the_export_limit(client, seed_trials, settings):
    settings.CATALOGUE_EXPORT_LIMIT = 3
    body = json.loads(b"".join(download(client, "json").streaming_content))
    assert len(body["trials"]) == 3
    assert body["about"]["count"] == 3 and body["about"]["matching"] == len(seed_trials)
    rows = list(csv.DictReader(io.StringIO(b"".join(download(client, "csv").streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 3


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_invalid_filters_are_a_plain_400(client, seed_trials, fmt):
    response = download(client, fmt, {"age": "abc"}, status=400)
    assert response["Content-Type"].startswith("text/plain")
    assert "abc" in response.content.decode()
