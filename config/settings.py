"""The one settings module, driven by the environment.

DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS are the
knobs. Development defaults are safe (local only); DEBUG=0 turns on the
production hardening and then requires a real SECRET_KEY, DATABASE_URL,
ALLOWED_HOSTS (not *) and CSRF_TRUSTED_ORIGINS.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from config.env import (
    ConfigError,
    env_bool,
    env_float,
    env_int,
    env_list,
    local_database_url,
    parse_cache_url,
    parse_database_url,
    tile_source,
)
from config.version import catalogue_version

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError(
            "SECRET_KEY must be set when DEBUG=0 (generate one: python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    SECRET_KEY = _DEV_SECRET
elif not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET or len(set(SECRET_KEY)) < 5):
    raise ConfigError("SECRET_KEY is too weak for production: use at least 50 random characters")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ConfigError("ALLOWED_HOSTS must be set when DEBUG=0 (comma-separated host names)")
if not DEBUG and "*" in ALLOWED_HOSTS:
    raise ConfigError("ALLOWED_HOSTS=* is refused when DEBUG=0: list the host names the site answers to")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
if not DEBUG and not CSRF_TRUSTED_ORIGINS:
    raise ConfigError(
        "CSRF_TRUSTED_ORIGINS must be set when DEBUG=0 (comma-separated origins, e.g. https://catalogue.example.org)"
    )
if not DEBUG and not os.environ.get("DATABASE_URL"):
    raise ConfigError(
        "DATABASE_URL must be set when DEBUG=0 (postgres://user:pass@host:5432/dbname); "
        "production never falls back to the development cluster in .pgdata/"
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "axes",
    "catalogue",
    "ingest",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "catalogue.compression.CompressionMiddleware",
    "catalogue.middleware.ApiJsonErrorsMiddleware",
    "catalogue.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "catalogue.middleware.SecurityHeadersMiddleware",
    "catalogue.middleware.DatabaseUnavailableMiddleware",
    "catalogue.middleware.ReplicaReadsMiddleware",
    "catalogue.middleware.PublicStatementTimeoutMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Admin sign-in attempts are rate-limited (django-axes): after AXES_FAILURE_LIMIT
# failures for a username from one address, that pair is locked out for an hour.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client address behind reverse proxies (config/client_ip.py): how many trusted
# proxies append to X-Forwarded-For; 0 = a direct deployment (REMOTE_ADDR only).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ConfigError(f"TRUSTED_PROXY_COUNT={TRUSTED_PROXY_COUNT} must be 0 or more (the number of proxies in front)")
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "catalogue.context_processors.freshness",
                "catalogue.context_processors.maps",
            ],
        },
    },
]


def _database(url: str, variable: str) -> dict:
    """A DATABASES entry: health-checked connections reused for CONN_MAX_AGE seconds."""
    config = parse_database_url(url, variable)
    config["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    config["CONN_HEALTH_CHECKS"] = True
    config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    return config


DATABASES = {"default": _database(os.environ.get("DATABASE_URL") or local_database_url(BASE_DIR), "DATABASE_URL")}
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
# Read replicas for the public pages (config/routers.py). In tests a replica mirrors
# the test database: a standby can't create one, and the router never migrates it.
DATABASE_REPLICAS: list[str] = []
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    DATABASE_REPLICAS.append(f"replica_{_number}")
    DATABASES[f"replica_{_number}"] = {**_database(_url, "DATABASE_REPLICA_URLS"), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Files served at the site's root (favicon.ico), by whitenoise as the static files are.
WHITENOISE_ROOT = BASE_DIR / "public"

# Maps (Leaflet, vendored in static/vendor). Without MAP_TILE_URL the maps draw the country
# outlines shipped in static/maps (no tile server: works offline and in the tests); with it,
# the tiles of that Leaflet URL template (e.g. https://{s}.tile.example.org/{z}/{x}/{y}.png),
# credited with MAP_TILE_ATTRIBUTION (plain text), and the tile host joins the CSP's img-src.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "").strip()
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "").strip()
MAP_TILE_SOURCE = tile_source(MAP_TILE_URL) if MAP_TILE_URL else ""
if MAP_TILE_URL and not MAP_TILE_ATTRIBUTION:
    raise ConfigError("MAP_TILE_ATTRIBUTION must be set with MAP_TILE_URL (tile providers require the credit)")

# Security: always-on headers, plus HTTPS hardening in production.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    f"img-src 'self' data:{' ' + MAP_TILE_SOURCE if MAP_TILE_SOURCE else ''}; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO" if not DEBUG else "WARNING")},
    # A retried request is routine for the harvester (which reports what fails for good).
    "loggers": {"urllib3.connectionpool": {"level": "ERROR"}},
}

# Limits on expensive requests.
CATALOGUE_MAX_PAGE_SIZE = 100
CATALOGUE_MAX_QUERY_LENGTH = 200
CATALOGUE_EXPORT_LIMIT = env_int("CATALOGUE_EXPORT_LIMIT", 100_000)
# Public catalogue reads (pages and API, not the downloads) are cut off after this
# many milliseconds: "this search is too broad" (503) instead of a busy worker. 0: off.
PUBLIC_STATEMENT_TIMEOUT_MS = env_int("PUBLIC_STATEMENT_TIMEOUT_MS", 3000)
# Searches whose counts are not cached yet (and filtered downloads) per client address
# (config/client_ip.py), django-ratelimit's "N/period" form; "" turns the limit off.
# Counted per worker process (a local-memory cache), so the site-wide allowance is
# this rate times the number of workers.
SEARCH_RATE = os.environ.get("SEARCH_RATE", "30/m").strip()
if SEARCH_RATE and not re.fullmatch(r"\d+/\d*[smhd]", SEARCH_RATE):
    raise ConfigError(f"SEARCH_RATE={SEARCH_RATE!r} is not a rate such as 30/m, 5/s or 500/h")
RATELIMIT_USE_CACHE = "ratelimit"  # django_ratelimit is used as a library, not an installed app
# Pre-built full downloads (manage.py build_exports; catalogue/exports.py).
EXPORT_ROOT = Path(os.environ.get("EXPORT_ROOT") or BASE_DIR / "exports")
# What exports and the API say about where they come from (catalogue.serializers.about):
# the version (git commit or package version, read once at start-up) and the public
# address used for links when there is no request to take it from (pre-built files,
# `manage.py export`), e.g. https://catalogue.example.org; empty: relative links.
CATALOGUE_VERSION = catalogue_version(BASE_DIR, os.environ.get("CATALOGUE_VERSION"))
CATALOGUE_BASE_URL = os.environ.get("CATALOGUE_BASE_URL", "").strip().rstrip("/")
if CATALOGUE_BASE_URL and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", CATALOGUE_BASE_URL):
    raise ConfigError(
        f"CATALOGUE_BASE_URL={CATALOGUE_BASE_URL!r} is not an http(s) address such as https://example.org"
    )

# Facet counts, totals and the rendered facets, trial cards and API bodies are cached
# per filter and per data version (catalogue.DataVersion, moved by database triggers
# when a change commits), so a cached entry is never served after the data changed.
# Without CACHE_URL the "counts" cache is per process: each gunicorn worker warms its
# own, which keeps web hosts stateless, and it holds one data version at a time (older
# entries are dropped when the version moves), so its memory is bounded. With CACHE_URL
# (redis://, rediss:// or unix://) all workers and hosts share one Redis: a page one
# worker computed is warm for all, and the pre-warm after each ingest reaches visitors;
# entries of old versions expire after CATALOGUE_CACHE_SECONDS (give Redis a maxmemory
# with an LRU policy). 0 turns caching off.
CATALOGUE_CACHE_SECONDS = env_int("CATALOGUE_CACHE_SECONDS", 600)
# Commits a batch writer never announced (it was killed) key the cache once they are this old.
CATALOGUE_CACHE_STALE_SECONDS = env_int("CATALOGUE_CACHE_STALE_SECONDS", 30)
# Facet counts come from an in-memory bitmap index of the facet columns, which follows
# the database's row versions (catalogue/facet_index.py; about 20 MB per worker at
# 100,000 trials). 0: count in SQL on every cache miss instead.
CATALOGUE_FACET_INDEX = env_bool("CATALOGUE_FACET_INDEX", True)
# Full builds of the index run on a thread of their own (web workers start one when they
# load); until one is done, counts come from SQL. Off: the first count builds it inline.
CATALOGUE_FACET_INDEX_BACKGROUND = env_bool("CATALOGUE_FACET_INDEX_BACKGROUND", True)
# How long a request waits for a running build before counting in SQL instead.
CATALOGUE_FACET_INDEX_WAIT = env_float("CATALOGUE_FACET_INDEX_WAIT", 10, minimum=0)
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
CATALOGUE_CACHE_SHARED = bool(CACHE_URL)
# After an ingest, harvest or renormalize, the landing page, every facet value holding at
# least this share of the trials, and the landscape are computed into the cache (0: off).
CATALOGUE_WARM_SHARE = env_float("CATALOGUE_WARM_SHARE", 0.01, minimum=0)


def _shared_cache(prefix: str) -> dict:
    return {
        "BACKEND": "config.shared_cache.ResilientRedisCache",
        "LOCATION": parse_cache_url(CACHE_URL),
        "KEY_PREFIX": prefix,
        "TIMEOUT": CATALOGUE_CACHE_SECONDS or None,
        # A Redis that is away costs a request a quarter second to find out, not a hang; one
        # that is merely slow (a saturated host) gets a second before a read counts as a miss.
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 1.0},
    }


CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
    "counts": _shared_cache("counts")
    if CATALOGUE_CACHE_SHARED
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "catalogue-counts",
        "TIMEOUT": CATALOGUE_CACHE_SECONDS or None,
        "OPTIONS": {"MAX_ENTRIES": env_int("CATALOGUE_CACHE_ENTRIES", 1000)},
    },
    # The search rate limit's counters, apart so that clearing the counts cache keeps them;
    # shared with CACHE_URL, so that the limit holds across workers.
    "ratelimit": {**_shared_cache("ratelimit"), "TIMEOUT": 300}
    if CATALOGUE_CACHE_SHARED
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"},
}

# Harvesting the registries (`manage.py harvest`, ingest/harvest/; README "Operating").
CTGOV_API_URL = (os.environ.get("CTGOV_API_URL") or "https://clinicaltrials.gov/api/v2").strip().rstrip("/")
if not re.fullmatch(r"https?://[^\s/?#@]+(?:/[^\s?#]*)?", CTGOV_API_URL):
    raise ConfigError(
        f"CTGOV_API_URL={CTGOV_API_URL!r} is not an http(s) base URL such as https://clinicaltrials.gov/api/v2"
    )
# The Essie expression harvested; empty: the default of ingest/harvest/query.py (CAR wordings + product names).
CTGOV_QUERY = os.environ.get("CTGOV_QUERY", "").strip()
# Politeness: seconds between the starts of two requests (one request at a time), and
# who runs this harvester (named in the User-Agent; required against a non-local registry).
HARVEST_REQUEST_INTERVAL = env_float("HARVEST_REQUEST_INTERVAL", 1.0, minimum=0)
HARVEST_CONTACT = os.environ.get("HARVEST_CONTACT", "").strip()
if HARVEST_CONTACT and not re.fullmatch(
    r"[^\s@<>(),;]+@[^\s@<>(),;]+\.[^\s@<>(),;]+|https?://[^\s<>()]+", HARVEST_CONTACT
):
    raise ConfigError(
        f"HARVEST_CONTACT={HARVEST_CONTACT!r} must be an e-mail address or an http(s) URL where the registry can reach you"
    )
# Worker processes that parse and normalize documents ahead of an ingest's writer
# (ingest/pipeline.py); -1 (unset): one per CPU the process may use; 0: none.
INGEST_WORKERS = env_int("INGEST_WORKERS", -1)
if INGEST_WORKERS < -1:
    raise ConfigError(f"INGEST_WORKERS={INGEST_WORKERS} must be 0 or more (unset: one per CPU)")
# Retries of one request on 429, 5xx, network errors and broken bodies, with exponential
# backoff (HARVEST_BACKOFF seconds, doubling) or the server's Retry-After.
HARVEST_RETRIES = env_int("HARVEST_RETRIES", 5)
if HARVEST_RETRIES < 0:
    raise ConfigError(f"HARVEST_RETRIES={HARVEST_RETRIES} must be 0 or more")
HARVEST_BACKOFF = env_float("HARVEST_BACKOFF", 2.0, minimum=0)
# A folder of WHO ICTRP exports (XML or CSV) the scheduled harvest picks up; empty: none.
HARVEST_ICTRP_DIR = (
    Path(os.environ["HARVEST_ICTRP_DIR"].strip()) if os.environ.get("HARVEST_ICTRP_DIR", "").strip() else None
)
# A source whose last successful harvest is older than this is reported stale (admin banner, /api/status/).
HARVEST_STALE_DAYS = env_int("HARVEST_STALE_DAYS", 3)
if HARVEST_STALE_DAYS < 1:
    raise ConfigError(f"HARVEST_STALE_DAYS={HARVEST_STALE_DAYS} must be 1 or more")
