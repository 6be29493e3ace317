"""Template context for every page. Values are callables, which templates call
only where they are used: a page that shows neither makes no query for them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from catalogue import freshness as _freshness
from catalogue.cache import data_state


def freshness(request: HttpRequest) -> dict[str, Any]:
    """`harvest_freshness` for the public footer (from the request's data state); in
    the admin, for staff users, `harvest_stale`: the sources to warn curators about."""

    def stale() -> list[_freshness.SourceFreshness]:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return []
        return _freshness.stale_sources()

    def footer() -> list[_freshness.SourceFreshness]:
        # The view's own data state when it read one (the list, landscape and trial pages do).
        state = getattr(request, "data_state", None)
        if state is None:
            try:
                state = data_state()
            except DatabaseError:
                return []
        return _freshness.footer_facts(state)

    context: dict[str, Any] = {"harvest_freshness": footer}
    try:
        in_admin = request.path.startswith(reverse("admin:index"))
    except NoReverseMatch:
        in_admin = False
    if in_admin:
        context["harvest_stale"] = stale
    return context


def maps(request: HttpRequest) -> dict[str, Any]:
    """`map_tiles`: the base layer the maps draw (static/js/maps.js): the tile URL template
    and its credit when the site sets MAP_TILE_URL, else empty (the shipped country outlines)."""
    return {"map_tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}}
