"""The harvest settings come from the environment and stop start-up loudly on bad values."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT


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
