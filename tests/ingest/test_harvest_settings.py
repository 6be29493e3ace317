"""The harvest settings come from the environment and stop start-up loudly on bad values;
the default ClinicalTrials.gov query; a real registry needs a contact address."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from catalogue.models import HarvestRun, SourceDocument
from ingest.harvest.query import default_query, product_names
from tests.conftest import ROOT
from tests.ingest.harvest_support import harvest


def check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CTGOV_API_URL", "clinicaltrials.gov/api/v2"),
        ("HARVEST_REQUEST_INTERVAL", "-1"),
        ("HARVEST_CONTACT", "call me maybe"),
        ("HARVEST_RETRIES", "lots"),
        ("HARVEST_STALE_DAYS", "0"),
    ],
)
def test_a_bad_harvest_setting_stops_start_up_naming_the_variable(variable: str, value: str) -> None:
    proc = check(**{variable: value})
    assert proc.returncode != 0 and f"{variable}=" in proc.stderr, proc.stderr[-2000:]


def test_good_harvest_settings_start() -> None:
    proc = check(CTGOV_API_URL="http://127.0.0.1:8080/api/v2/", HARVEST_REQUEST_INTERVAL="0.5",
                 HARVEST_CONTACT="ops@catalogue.example.org", HARVEST_RETRIES="0", HARVEST_STALE_DAYS="7")  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_readme_documents_every_harvest_variable() -> None:
    settings_text = (ROOT / "config" / "settings.py").read_text()
    variables = set(re.findall(r'env_\w+\("((?:HARVEST|CTGOV)_\w+)"', settings_text))
    variables |= set(re.findall(r'os\.environ(?:\.get\(|\[)"((?:HARVEST|CTGOV)_\w+)"', settings_text))
    assert len(variables) == 8, variables
    table = (ROOT / "README.md").read_text().split("## Configuration", 1)[1].split("## The database", 1)[0]
    assert all(f"| `{v}` |" in table for v in variables), variables


def test_the_default_query_covers_car_wordings_and_named_products_but_no_bare_antigen() -> None:
    query = default_query()
    for wording in (
        '"chimeric antigen receptor"',
        '"CAR-T"',
        '"CAR-NK"',
        '"CAAR-T"',
        '"CAR-Treg"',
        '"CAR-M"',
        '"in vivo CAR"',
    ):
        assert wording in query
    products = product_names()
    for product in ("Kymriah", "ciltacabtagene", "cilta-cel", "JNJ-68284528", "CTX110", "bb2121"):
        assert product in products and f'"{product}"' in query
    for antigen_spelling in ("CD19", "CD276", "HER-2", "MUC-16", "CA125", "GP350", "Igbeta", "B7-H3"):
        assert antigen_spelling not in products


@pytest.mark.django_db
def test_a_real_registry_needs_a_contact_address(settings) -> None:
    settings.CTGOV_API_URL = "https://clinicaltrials.gov/api/v2"
    settings.HARVEST_CONTACT = ""
    outcome = harvest("ctgov")
    assert outcome.code == 1 and "HARVEST_CONTACT" in outcome.stderr
    assert SourceDocument.objects.count() == 0 and not HarvestRun.objects.exists()
