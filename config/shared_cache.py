"""The shared cache (CACHE_URL): Django's Redis backend, degrading instead of failing.

A cache is an accelerator. If Redis goes away the catalogue keeps answering from
the database (slower), logs the outage once a minute, and uses Redis again as
soon as it is back; it never turns a cache outage into a 500.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError, TimeoutError

log = logging.getLogger(__name__)
LOG_EVERY = 60.0  # seconds between repeated outage warnings


class ResilientRedisCache(RedisCache):
    """RedisCache whose reads miss and writes drop while Redis is unreachable."""

    _last_warning = 0.0

    def _outage(self, operation: str, error: Exception) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._last_warning >= LOG_EVERY:
            ResilientRedisCache._last_warning = now
            log.warning("shared cache unavailable (%s: %s); answering from the database", operation, error)

    def _guard(self, operation: str, call: Any, fallback: Any) -> Any:
        try:
            return call()
        except (ConnectionError, TimeoutError, OSError) as error:
            self._outage(operation, error)
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guard("get", lambda: super(ResilientRedisCache, self).get(key, default, version), default)

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        return self._guard("get_many", lambda: super(ResilientRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guard("has_key", lambda: super(ResilientRedisCache, self).has_key(key, version), False)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._guard("set", lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        # True while Redis is away: a rate limit counting on it then lets requests through
        # (fails open) rather than refusing every search.
        return self._guard("add", lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), True)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._guard("incr", lambda: super(ResilientRedisCache, self).incr(key, delta, version), delta)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guard("delete", lambda: super(ResilientRedisCache, self).delete(key, version), False)
