"""Fault injection (a killed ingest, a database restart, backup and restore) takes
tens of seconds: these run in CI (`make test`), not in a quick `make test-fast`."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "/reliability/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)
