"""Checks run when the web server loads the app (config/wsgi.py), before any request."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured
from django.db import router

from catalogue import places
from catalogue.cache import data_state
from catalogue.facet_index import INDEX
from catalogue.models import Trial


def check_static_manifest() -> None:
    """Under DEBUG=0 every `{% static %}` is looked up in whitenoise's manifest
    (`staticfiles.json`). Without one (static files collected under DEBUG=1, or
    not at all) every page would be a 500: refuse to start instead."""
    manifest_name = getattr(staticfiles_storage, "manifest_name", None)
    if settings.DEBUG or manifest_name is None:
        return
    manifest = Path(settings.STATIC_ROOT) / manifest_name
    try:
        loaded = bool(staticfiles_storage.hashed_files)  # loads the manifest; {} when the file is missing
    except ValueError as exc:
        raise ImproperlyConfigured(f"{manifest} cannot be read ({exc}); run collectstatic again") from None
    if not loaded:
        raise ImproperlyConfigured(
            f"static files manifest {manifest} is missing: collect static files with the production "
            "settings (DEBUG=0 python manage.py collectstatic --noinput) before starting the server; "
            "files collected under DEBUG=1 have no manifest"
        )


def start_facet_index() -> None:
    """Build the in-memory facet index (catalogue/facet_index.py) on a thread as the
    worker loads, so its first visitors' counts come from it; until it is ready they
    are counted in SQL, as without an index. Then `settle()`, on that thread too."""
    if settings.CATALOGUE_FACET_INDEX and settings.CATALOGUE_FACET_INDEX_BACKGROUND:
        INDEX.build_in_background(router.db_for_read(Trial), read_token=lambda: data_state().token)
    threading.Thread(target=settle, kwargs={"wait": 60.0}, name="settle", daemon=True).start()


def settle(*, wait: float = 0) -> None:
    """Read the city gazetteer `near=` looks places up in (0.9 s, which the first such
    request paid), wait up to `wait` s for the facet index's build, then move everything
    the process holds into the collector's permanent generation (`gc.freeze`): ~300,000
    long-lived objects that each full collection walked, a 40–90 ms pause in the middle
    of whichever request triggered it (BENCHMARKS.md, issue 20)."""
    places.prepare()
    INDEX.wait_for_build(wait)
    gc.collect()
    gc.freeze()
