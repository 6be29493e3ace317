"""The cache pre-warm run after each ingest, harvest, renormalize and rebuild.

A write moves the data version, so every cached count and page goes cold; the
first visitor of each filter would pay for computing it. `warm()` renders the
pages most visitors open first into the cache: the landing page, the list
filtered by each single facet value that holds at least CATALOGUE_WARM_SHARE of
the trials (1 %), and the landscape.

With a shared cache (CACHE_URL) this makes those pages warm for every worker and
host: the first visitor gets them from the cache. With the per-process default
the command's own cache dies with it, so each web worker still computes each
page once; what the warm buys then is PostgreSQL's buffers and the operating
system's page cache holding the facet columns, so those first computations
read memory, not disk.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.test import RequestFactory
from django.urls import resolve, reverse

from catalogue.cache import data_state
from catalogue.facets import FACETS
from catalogue.selectors import catalogue_counts, parse_filters


@dataclass(frozen=True)
class WarmReport:
    pages: int = 0
    failed: int = 0
    seconds: float = 0.0
    skipped: str | None = None

    def summary(self) -> str:
        if self.skipped:
            return f"cache not warmed: {self.skipped}"
        failed = f", {self.failed} failed" if self.failed else ""
        return f"cache warmed: {self.pages} pages in {self.seconds:.1f} s{failed}"


def warm_paths(share: float) -> list[str]:
    """The landing page, each single facet value holding at least `share` of all trials, the landscape."""
    total, counts = catalogue_counts(parse_filters({}))
    threshold = max(1, math.ceil(total * share))
    listing = reverse("catalogue:trial_list")
    paths = [listing]
    for facet in FACETS:
        values = counts.get(facet.name, {})
        for value, count in sorted(values.items(), key=lambda item: (-item[1], item[0])):
            if count >= threshold:
                paths.append(f"{listing}?{urlencode({facet.name: value})}")
    paths.append(reverse("catalogue:landscape"))
    return paths


def _host() -> str:
    named = [host for host in settings.ALLOWED_HOSTS if host and not host.startswith(".") and host != "*"]
    return named[0] if named else "localhost"


def warm(*, share: float | None = None) -> WarmReport:
    """Render the most-visited pages into the counts cache (CATALOGUE_WARM_SHARE by default)."""
    share = settings.CATALOGUE_WARM_SHARE if share is None else share
    if settings.CATALOGUE_CACHE_SECONDS <= 0:
        return WarmReport(skipped="caching is off (CATALOGUE_CACHE_SECONDS=0)")
    if share <= 0:
        return WarmReport(skipped="CATALOGUE_WARM_SHARE=0")
    started = time.monotonic()
    factory = RequestFactory(SERVER_NAME=_host())
    pages = failed = 0
    for path in warm_paths(share):
        request = factory.get(path)
        request.warming = True  # not a visitor: the search rate limit leaves it alone
        match = resolve(request.path_info)
        response = match.func(request, *match.args, **match.kwargs)
        if response.status_code == 200:
            pages += 1
        else:
            failed += 1
    return WarmReport(pages=pages, failed=failed, seconds=time.monotonic() - started)


@contextmanager
def warm_after_changes(say: Callable[[str], None]) -> Iterator[None]:
    """For a writing command: when the data changed inside the block, warm the cache
    and `say` what it did. Nothing when the block raised or changed nothing."""
    before = data_state().version
    yield
    if data_state().version != before:
        say(warm().summary())
