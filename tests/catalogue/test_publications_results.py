"""Publications and results (issue 17, item 3): the references a record gives and
whether results are posted, stored by ingest, shown on the trial page with links
to PubMed and the registry's results, filterable, and in the exports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import reverse

from catalogue.models import Reference, Trial
from ingest.normalize import normalize, results
from ingest.parsers import parse_document
from ingest.pipeline import ingest_paths
from ingest.records import Reference as ReferenceRecord
from ingest.records import TrialRecord
from tests.conftest import corpus_path
from tests.factories import make_trial

pytestmark = pytest.mark.django_db


def cited(path: Path) -> list[dict]:
    """The references the registry's record gives, read straight from the file."""
    study = json.loads(path.read_text(encoding="utf-8"))
    return study["protocolSection"].get("referencesModule", {}).get("references", [])


@pytest.fixture
def ctgov_v2(db) -> dict[str, Path]:
    folder = corpus_path("ctgov-v2")
    report = ingest_paths([str(folder)])
    assert report.failed == 0, report.problems
    return {path.name.split(".")[0]: path for path in sorted(folder.glob("*.json"))}


def test_the_references_of_the_ctgov_v2_records_appear_on_their_trial_pages_and_in_the_export(client, ctgov_v2):
    with_references = {rid: cited(path) for rid, path in ctgov_v2.items() if cited(path)}
    assert with_references  # the corpus has studies that cite publications
    out = io.StringIO()
    call_command("export", "--format", "csv", "--scope", "all", stdout=out)
    rows = {r["registry_id"]: r for r in csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff")))}
    out = io.StringIO()
    call_command("export", "--format", "json", "--scope", "all", stdout=out)
    items = {i["registry_id"]: i for i in json.loads(out.getvalue())["trials"]}
    for rid, references in with_references.items():
        expected = [
            {"pmid": r.get("pmid"), "type": r.get("type"), "citation": r.get("citation"), "url": None}
            for r in references
        ]
        doc = BeautifulSoup(client.get(reverse("catalogue:trial_detail", args=[rid])).content, "html.parser")
        listed = doc.select("#publications .reference")
        assert len(listed) == len(references), rid
        for item, reference in zip(listed, references, strict=True):
            assert (
                item.select_one("a.reference__pubmed")["href"]
                == f"https://pubmed.ncbi.nlm.nih.gov/{reference['pmid']}/"
            )
            assert reference["citation"] in item.get_text()
        assert items[rid]["references"] == expected
        assert json.loads(rows[rid]["references"]) == expected
        assert client.get(reverse("catalogue:api_trial_detail", args=[rid])).json()["references"] == expected
    # Every study of the corpus says whether it has results (all: none posted yet).
    for rid in ctgov_v2:
        assert items[rid]["has_results"] is False and rows[rid]["has_results"] == "false"
    assert Trial.objects.filter(has_publications=True).count() == len(with_references)


def test_ingesting_the_same_records_again_changes_nothing(ctgov_v2):
    count = Reference.objects.count()
    report = ingest_paths([str(corpus_path("ctgov-v2"))])
    assert report.created == report.updated == 0 and report.unchanged == len(ctgov_v2)
    assert Reference.objects.count() == count


def test_the_publication_and_results_facets_filter_the_trials(client, ctgov_v2):
    with_references = {rid for rid, path in ctgov_v2.items() if cited(path)}
    api = reverse("catalogue:api_trial_list")
    body = client.get(api, {"has_publications": "yes", "scope": "all", "page_size": "100"}).json()
    assert {r["registry_id"] for r in body["results"]} == with_references
    facet = {v["value"]: v["count"] for v in body["facets"]["has_publications"]}
    assert facet == {"yes": len(with_references), "no": len(ctgov_v2) - len(with_references)}
    body = client.get(api, {"has_results": "no", "scope": "all", "page_size": "100"}).json()
    assert body["count"] == len(ctgov_v2)
    assert client.get(api, {"has_results": "yes", "scope": "all"}).json()["count"] == 0


def test_posted_results_link_the_registrys_results_page(client, tmp_path):
    study = json.loads(corpus_path("ctgov-v2", "NCT05164042.ctgov-v2.json").read_text(encoding="utf-8"))
    study["hasResults"] = True
    study["protocolSection"]["statusModule"]["resultsFirstPostDateStruct"] = {"date": "2025-02-03", "type": "ACTUAL"}
    path = tmp_path / "with-results.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    assert ingest_paths([str(path)]).created == 1
    trial = Trial.objects.get(registry_id="NCT05164042")
    assert trial.has_results is True and str(trial.results_date) == "2025-02-03"
    assert trial.results_url == "https://clinicaltrials.gov/study/NCT05164042?tab=results"
    doc = BeautifulSoup(client.get(reverse("catalogue:trial_detail", args=["NCT05164042"])).content, "html.parser")
    posted = doc.select_one("#publications .results-posted")
    assert "3 Feb 2025" in posted.get_text()
    assert posted.select_one("a")["href"] == "https://clinicaltrials.gov/study/NCT05164042?tab=results"
    item = client.get(reverse("catalogue:api_trial_detail", args=["NCT05164042"])).json()
    assert item["has_results"] is True and item["results_date"] == "2025-02-03"


def test_a_registry_that_says_nothing_about_results_stays_unknown(client, seed_trials):
    chictr = next(t for t in seed_trials.values() if t.registry == "chictr")
    assert chictr.has_results is None and chictr.results_url == ""
    doc = BeautifulSoup(client.get(reverse("catalogue:trial_detail", args=[chictr.registry_id])).content, "html.parser")
    text = doc.select_one("#publications").get_text(" ", strip=True)
    assert "No results posted" not in text and "Results posted" not in text
    facet = client.get(reverse("catalogue:api_trial_list"), {"registry": "chictr"}).json()["facets"]["has_results"]
    assert {v["value"] for v in facet} == {"not_stated"}


def test_a_registry_results_address_alone_does_not_mean_results_are_posted():
    # DRKS links every trial's results section in the WHO ICTRP export, posted or not.
    assert results.has_results("", "") is None
    assert results.has_results("Yes", "") is True
    assert results.has_results("", "21/12/2021") is True
    assert results.has_results("false", "") is False and results.has_results("No", "") is False


@pytest.mark.parametrize(
    "trial_id, posted, date, url",
    [
        ("NCT03862807", True, "2021-12-21", "https://clinicaltrials.gov/ct2/show/results/NCT03862807"),
        ("DRKS00032447", None, None, "http://drks.de/search/en/trial/DRKS00032447#studyResults"),
        ("JPRN-UMIN000008396", True, None, ""),
    ],
)
def test_the_ictrp_results_columns_are_read(trial_id, posted, date, url):
    parsed = parse_document(corpus_path("ictrp", "ictrp_results_hattr_2024-09-06.xml").read_bytes())
    (record,) = [r for r in parsed.records if r.registry_id == trial_id]
    value = normalize(record)
    assert value.has_results is posted
    assert (value.results_date.isoformat() if value.results_date else None) == date
    assert value.results_url == url


def test_references_keep_pubmed_ids_and_safe_addresses_only():
    record = TrialRecord(
        registry="ctgov", registry_id="NCT90000901", source_format="test", title="A CAR-T trial",
        references=[
            ReferenceRecord(pmid="PMID: 123456", type="Result", citation="  A paper. "),
            ReferenceRecord(pmid="not a pmid", citation="Another paper", url="javascript:alert(1)"),
            ReferenceRecord(pmid="123456", type="RESULT", citation="A paper."),  # the same again
            ReferenceRecord(pmid="", citation="", url=""),  # nothing to keep
        ],
    )  # fmt: skip
    values = normalize(record).references
    assert [(v.pmid, v.type, v.citation, v.url) for v in values] == [
        ("123456", "RESULT", "A paper.", ""),
        ("", "", "Another paper", ""),
    ]


def test_a_hostile_citation_is_shown_as_text(client):
    trial = make_trial(registry_id="NCT90000902")
    Reference.objects.create(trial=trial, pmid="1", citation="<script>alert(1)</script>", url="https://example.org/")
    html = client.get(reverse("catalogue:trial_detail", args=["NCT90000902"])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_renormalize_fills_in_what_trials_ingested_before_the_upgrade_lack(ctgov_v2):
    from catalogue.models import TrialChange
    from ingest.pipeline import renormalize

    rid = next(rid for rid, path in ctgov_v2.items() if cited(path))
    trial = Trial.objects.get(registry_id=rid)
    # As a trial ingested before references and results were stored looks.
    parsed = {k: v for k, v in trial.parsed.items() if k not in ("references", "has_results", "results_date")}
    Reference.objects.filter(trial=trial).delete()
    Trial.objects.filter(pk=trial.pk).update(parsed=parsed, has_results=None, has_publications=False)
    renormalize()
    trial.refresh_from_db()
    assert trial.has_results is False and trial.has_publications
    assert [r.pmid for r in trial.references.all()] == [r["pmid"] for r in cited(ctgov_v2[rid])]
    # Not a registry change: the feed and the trial's public history don't show it.
    assert not TrialChange.objects.filter(trial=trial, actor="ingest", changes__has_key="references").exclude(
        changes__title__0=None
    )
