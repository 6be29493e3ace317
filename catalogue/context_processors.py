"""Template context for every page. Values are callables, which templates call
only where they are used: a page that shows neither makes no query for them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from catalogue import freshness as _freshness


def freshness(request: HttpRequest) -> dict[str, Any]:
    """`harvest_freshness` for the public footer (memoized per process); in the
    admin, for staff users, `harvest_stale`: the sources to warn curators about."""

    def stale() -> list[_freshness.SourceFreshness]:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return []
        return _freshness.stale_sources()

    context: dict[str, Any] = {"harvest_freshness": _freshness.footer_facts}
    try:
        in_admin = request.path.startswith(reverse("admin:index"))
    except NoReverseMatch:
        in_admin = False
    if in_admin:
        context["harvest_stale"] = stale
    return context
