"""Shared by the harvest tests: a local ClinicalTrials.gov API (bench/ctgov_server.py)
serving real study objects from ../shared/corpus, and a way to run the command."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from bench.ctgov_server import FakeRegistry, corpus_studies
from tests.conftest import CORPUS, corpus_path

PAGE_CAP = 30  # the server's page size cap: the harvester asks for 1000 and gets pages of 30
STUDIES = 110  # 4 pages: 30 + 30 + 30 + 20
CONTACT = "harvest-tests@example.org"


@pytest.fixture(scope="session")
def real_studies() -> list[dict]:
    """The real API v2 study objects of the corpus (samples and one-study files first, then the bulk snapshot)."""
    corpus_path("bulk", "ctgov-cart-snapshot-2026-08-22.json")
    corpus_path("ctgov-api")
    return corpus_studies(CORPUS)


def serve(studies: list[dict], settings, **kwargs) -> FakeRegistry:
    registry = FakeRegistry(studies, **kwargs)
    settings.CTGOV_API_URL = registry.serve()
    settings.CTGOV_QUERY = ""
    settings.HARVEST_REQUEST_INTERVAL = 0.0
    settings.HARVEST_BACKOFF = 0.01
    settings.HARVEST_RETRIES = 5
    settings.HARVEST_CONTACT = CONTACT
    return registry


@pytest.fixture
def registry(real_studies: list[dict], settings) -> Iterator[FakeRegistry]:
    """110 real studies behind a page size cap of 30: a 4-page result."""
    server = serve(real_studies[:STUDIES], settings, page_cap=PAGE_CAP)
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Outcome:
    stdout: str
    stderr: str
    code: int


def harvest(*args: str) -> Outcome:
    """`manage.py harvest ARGS` in this process; the exit status a shell would see."""
    out, err = io.StringIO(), io.StringIO()
    from django.core.management.base import CommandError

    try:
        call_command("harvest", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        err.write(str(exc))
        code = exc.returncode
    return Outcome(out.getvalue(), err.getvalue(), code)


def studies_requests(registry: FakeRegistry, since: int = 0) -> list[dict[str, str]]:
    return [entry.params for entry in registry.log[since:] if entry.path == "/studies"]
