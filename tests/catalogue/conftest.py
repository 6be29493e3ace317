"""Fixtures of the catalogue tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend

DEAD = "replica_down"


@pytest.fixture
def dead_replica(db, settings) -> Iterator[str]:
    """A database outage for the public pages: their reads go to a "replica" at a
    closed port on 127.0.0.1, so every connection attempt is refused at once.

    The connection is made by hand, not listed in DATABASES, so the test database
    machinery neither creates nor flushes it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    config = {**primary, "HOST": "127.0.0.1", "PORT": str(port), "NAME": "down"}
    connections[DEAD] = load_backend(config["ENGINE"]).DatabaseWrapper(config, DEAD)
    settings.DATABASE_REPLICAS = [DEAD]
    try:
        yield DEAD
    finally:
        connections[DEAD].close()
        del connections[DEAD]
