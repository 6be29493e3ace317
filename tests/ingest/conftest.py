"""Fixtures shared by the harvest tests: the real studies and a local registry serving them."""

from tests.ingest.harvest_support import real_studies, registry

__all__ = ["real_studies", "registry"]
