"""The sponsor type (industry / academic / government / other), from the lead
sponsor's registry class or its name, on real sponsor names."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import pytest

from catalogue.choices import SponsorType
from ingest.normalize import normalize
from ingest.normalize.sponsor import by_name, sponsor_type
from ingest.parsers import parse_document
from tests.conftest import SAMPLES, corpus_path

INDUSTRY, ACADEMIC, GOVERNMENT, OTHER = "industry", "academic", "government", "other"


@pytest.fixture(scope="module")
def bulk_sponsors() -> Counter:
    """(registry class, lead sponsor name) → trials, over the real bulk snapshot."""
    path = corpus_path("bulk", "ctgov-cart-snapshot-2026-08-22.json")
    studies = json.loads(Path(path).read_text(encoding="utf-8"))["studies"]
    pairs: Counter = Counter()
    for study in studies:
        lead = study["protocolSection"].get("sponsorCollaboratorsModule", {}).get("leadSponsor", {})
        pairs[(lead.get("class"), lead.get("name"))] += 1
    return pairs


def test_the_values_are_the_catalogues_choices():
    assert {INDUSTRY, ACADEMIC, GOVERNMENT, OTHER} == set(SponsorType.values)


def test_no_sponsor_and_no_class_is_unknown_not_a_default():
    assert sponsor_type(None, None) is None
    assert sponsor_type("", "") is None
    assert sponsor_type("   ", None) is None


def test_a_class_without_a_name_still_counts():
    assert sponsor_type("", "INDUSTRY") == INDUSTRY
    assert sponsor_type(None, "NIH") == GOVERNMENT
    assert sponsor_type(None, "OTHER") == ACADEMIC


def test_the_registry_class_decides_industry_and_government(bulk_sponsors):
    seen = Counter()
    for (cls, name), _ in bulk_sponsors.items():
        if cls == "INDUSTRY":
            assert sponsor_type(name, cls) == INDUSTRY, name
        elif cls in ("NIH", "FED", "OTHER_GOV"):
            assert sponsor_type(name, cls) == GOVERNMENT, name
        seen[cls] += 1
    assert seen["INDUSTRY"] > 100 and seen["OTHER_GOV"] > 10 and seen["NIH"] >= 1


def test_companies_the_registry_files_under_other_are_industry_by_their_name(bulk_sponsors):
    names = {name for cls, name in bulk_sponsors if cls in ("OTHER", "NETWORK")}
    for name in (
        "Innovative Cellular Therapeutics Co., Ltd.",
        "Shanghai Longyao Biotechnology Inc., Ltd.",
        "UCARsgen Biotech Limited",
        "CAR-T (Shanghai) Cell Biotechnology Co., Ltd.",
    ):
        assert name in names, name  # a real sponsor of the snapshot
        cls = next(c for c, n in bulk_sponsors if n == name)
        assert sponsor_type(name, cls) == INDUSTRY, name


def test_other_class_sponsors_without_company_words_are_academic(bulk_sponsors):
    """Universities, hospitals, cooperative groups and the investigators they employ."""
    other = [name for cls, name in bulk_sponsors if cls == "OTHER"]
    types = Counter(sponsor_type(name, "OTHER") for name in other)
    assert types[ACADEMIC] > 0.95 * len(other), types
    for name in ("Zhejiang University", "University of Pennsylvania", "Daniel Landi", "Cancer Research UK"):
        assert name in other, name
        assert sponsor_type(name, "OTHER") == ACADEMIC, name


def test_names_alone_tell_industry_like_the_registry_class_does(bulk_sponsors):
    """Where a registry gives no class (ChiCTR, ICTRP), the name decides: it finds most
    companies and never calls an academic or government sponsor a company."""
    industry = [name for cls, name in bulk_sponsors if cls == "INDUSTRY"]
    found = sum(by_name(name) == INDUSTRY for name in industry)
    assert found > 0.85 * len(industry), (found, len(industry))
    for (cls, name), _ in bulk_sponsors.items():
        if cls in ("NIH", "FED", "OTHER_GOV") or (cls == "OTHER" and by_name(name) == ACADEMIC):
            assert by_name(name) != INDUSTRY, name
    assert all(
        by_name(name) in (ACADEMIC, OTHER) for cls, name in bulk_sponsors if cls == "OTHER_GOV"
    )  # their names read as hospitals; only the class makes them government


@pytest.mark.parametrize(
    ("name", "cls", "expected"),
    [
        ("Chongqing Precision Biotech Co., Ltd", None, INDUSTRY),
        ("PersonGen BioTherapeutics (Suzhou) Co., Ltd.", None, INDUSTRY),
        ("Kite, A Gilead Company", None, INDUSTRY),
        ("Novartis Pharmaceuticals", None, INDUSTRY),
        ("Miltenyi Biomedicine GmbH", None, INDUSTRY),
        ("Cabaletta Bio", None, INDUSTRY),
        ("Zhejiang University", None, ACADEMIC),
        ("Institute of Hematology & Blood Diseases Hospital, China", None, ACADEMIC),
        ("Memorial Sloan Kettering Cancer Center", None, ACADEMIC),
        ("The First Affiliated Hospital of Guangdong Pharmaceutical University", "OTHER", ACADEMIC),
        ("Northside Hospital, Inc.", "OTHER", ACADEMIC),
        ("Children's Oncology Group", "NETWORK", ACADEMIC),
        ("Federal Research Institute of Pediatric Hematology, Oncology and Immunology", "OTHER", GOVERNMENT),
        ("National Cancer Institute (NCI)", None, GOVERNMENT),
        ("Henan Cancer Hospital", "OTHER_GOV", GOVERNMENT),
        ("Daniel Landi", None, OTHER),
        ("浙江大学医学院附属第一医院", None, ACADEMIC),
        ("Fujian Medical University Union Hospital", None, ACADEMIC),
    ],
)
def test_real_sponsor_names(name, cls, expected):
    assert sponsor_type(name, cls) == expected


def test_normalize_gives_the_sponsor_type_and_keeps_the_registry_class():
    v2 = corpus_path("ctgov-v2")
    path = sorted(Path(v2).glob("*.json"))[0]
    record = parse_document(path.read_bytes()).records[0]
    trial = normalize(record)
    assert record.sponsor_class  # API v2 records carry the lead sponsor's class
    assert trial.sponsor_type == sponsor_type(record.sponsor, record.sponsor_class)
    assert trial.raw["sponsor_class"] == record.sponsor_class
    assert "sponsor_type" not in trial.missing


def test_a_record_without_a_sponsor_has_no_sponsor_type():
    record = parse_document(sorted(SAMPLES.iterdir())[0].read_bytes()).records[0]
    bare = dataclasses.replace(record, sponsor=None, sponsor_class=None)
    trial = normalize(bare)
    assert trial.sponsor_type is None
    assert "sponsor_type" in trial.missing
