"""Shared fixtures: real PostgreSQL (pytest-django), real Chromium (Playwright)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.browser import CHROMIUM, CHROMIUM_ARGS

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# refuses to run there unless told it is safe (it is: one thread, one test).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def corpus_path(*parts: str) -> Path:
    """A path under ../shared/corpus; skips the test when it is absent."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus not available: {path}")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(autouse=True)
def fast_password_hashing(request) -> None:
    """Tests create users and sign in a lot; the production hasher is slow on purpose."""
    if request.config.pluginmanager.hasplugin("django"):
        request.getfixturevalue("settings").PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def counts_cache_per_test(request) -> None:
    """Tests run with the counts cache on: the production path is the tested path.
    A test's own transaction never commits, so the data version never moves inside
    it; the newest trial change keys the cache at once instead (the same rule that
    covers a killed batch writer, with no grace period), and each test starts with
    an empty cache. Tests that need it off say so. The pre-warm after writing
    commands is off (tests/catalogue/test_warm.py turns it on): it would render
    a hundred pages after every ingest a test runs."""
    if request.config.pluginmanager.hasplugin("django"):
        from django.core.cache import caches

        settings = request.getfixturevalue("settings")
        settings.CATALOGUE_CACHE_SECONDS = 600
        settings.CATALOGUE_CACHE_STALE_SECONDS = 0
        settings.CATALOGUE_WARM_SHARE = 0
        caches["counts"].clear()
        from catalogue.facet_index import INDEX

        # Built inline: a build thread's own connection would not see the test's transaction.
        settings.CATALOGUE_FACET_INDEX_BACKGROUND = False
        INDEX.clear()


@pytest.fixture(autouse=True)
def reads_from_the_primary(request) -> None:
    """Replicas from DATABASE_REPLICA_URLS are test mirrors with no test data of their own:
    tests read the primary (tests/config/test_routers.py sets up a real replica)."""
    if request.config.pluginmanager.hasplugin("django"):
        request.getfixturevalue("settings").DATABASE_REPLICAS = []


@pytest.fixture
def seed_trials(db):
    """The five sample registry pages, ingested through the real pipeline."""
    from ingest.pipeline import ingest_paths

    report = ingest_paths([str(SAMPLES)])
    assert report.failed == 0, report.problems
    from catalogue.models import Trial

    return {t.registry_id: t for t in Trial.objects.all()}


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def search_rate_limit_off(request) -> None:
    """With the counts cache off every request is an uncached search, and one client
    (the test client) makes hundreds: the rate limit's own tests turn it on."""
    if request.config.pluginmanager.hasplugin("django"):
        request.getfixturevalue("settings").SEARCH_RATE = ""
