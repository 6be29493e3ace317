"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from config.startup import check_static_manifest, start_facet_index  # noqa: E402  (needs the settings loaded above)

check_static_manifest()
start_facet_index()
