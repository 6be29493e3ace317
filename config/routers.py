"""Read replicas: the public catalogue's reads go to a replica, everything else to the primary.

`DATABASE_REPLICA_URLS` defines the aliases `replica_1`, `replica_2`, ...
(`settings.DATABASE_REPLICAS`). `catalogue.middleware.ReplicaReadsMiddleware`
picks one replica per public GET/HEAD request; while it is set, `ReplicaRouter`
sends reads of the catalogue's models there. Writes, the admin, sessions, users
and management commands always use the primary.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model

# Only the catalogue's own tables: sessions, users and sign-in attempts must never lag.
REPLICA_APPS = frozenset({"catalogue"})

_read_alias: ContextVar[str | None] = ContextVar("catalogue_read_alias", default=None)


def choose_replica() -> str | None:
    """A replica for one request (random, so each worker spreads its load), or None when there are none."""
    aliases = settings.DATABASE_REPLICAS
    return random.choice(aliases) if aliases else None


@contextmanager
def reads_from(alias: str | None) -> Iterator[None]:
    """Catalogue reads inside the block go to `alias` (None: the primary)."""
    token = _read_alias.set(alias)
    try:
        yield
    finally:
        _read_alias.reset(token)


def set_read_alias(alias: str) -> None:
    """Catalogue reads go to `alias` until the enclosing `reads_from()` block ends."""
    _read_alias.set(alias)


def read_alias() -> str | None:
    """The replica the current request reads from, or None."""
    return _read_alias.get()


def iterate_reading_from(alias: str, chunks: Iterable[Any]) -> Iterator[Any]:
    """`chunks`, with each chunk produced while reads go to `alias`.

    A streamed response's generator runs after the middleware has returned, so
    the choice is re-applied around every step; between steps it is unset, so
    nothing else in the thread is affected.
    """
    iterator = iter(chunks)
    while True:
        with reads_from(alias):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


class ReplicaRouter:
    """Reads of the catalogue's models go to the request's replica; everything else to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        """The request's replica for catalogue models, else None (Django's default: the primary)."""
        alias = _read_alias.get()
        if alias is not None and model._meta.app_label in REPLICA_APPS:
            return alias
        return None

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        """Always the primary."""
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        """Replicas hold the primary's data, so objects from any of them may be related."""
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        """Only the primary is migrated; replicas receive the schema by replication."""
        return db == DEFAULT_DB_ALIAS
