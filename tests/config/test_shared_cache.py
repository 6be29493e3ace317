"""The shared cache (CACHE_URL) against a real Redis: the one `make test` starts on a
Unix socket in the project folder (scripts/redis.sh), named by TEST_CACHE_URL."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from urllib.parse import quote

import pytest
import redis
from django.core.cache import caches
from django.db import connection
from django.urls import reverse

from catalogue import cache as catalogue_cache
from config.env import ConfigError, parse_cache_url
from config.shared_cache import ResilientRedisCache
from tests.conftest import ROOT
from tests.factories import make_trial

REDIS_URL = os.environ.get("TEST_CACHE_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="no TEST_CACHE_URL: run through make test, which starts Redis")
LIST = reverse("catalogue:trial_list")


def shared(url: str, prefix: str) -> dict:
    return {
        "BACKEND": "config.shared_cache.ResilientRedisCache",
        "LOCATION": url,
        "KEY_PREFIX": prefix,
        "TIMEOUT": 600,
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }


@pytest.fixture
def shared_cache(settings):
    settings.CACHE_URL = REDIS_URL
    settings.CATALOGUE_CACHE_SHARED = True
    settings.CACHES = {**settings.CACHES, "counts": shared(REDIS_URL, "counts")}
    caches["counts"].clear()
    catalogue_cache._held["token"] = None
    yield redis.Redis.from_url(REDIS_URL)
    caches["counts"].clear()


def test_a_cache_url_must_name_redis() -> None:
    assert parse_cache_url("redis://cache:6379/1") == "redis://cache:6379/1"
    assert parse_cache_url("unix:///run/redis.sock?db=2") == "unix:///run/redis.sock?db=2"
    for bad in ("memcached://cache:11211", "redis://", "unix://", "cache:6379"):
        with pytest.raises(ConfigError, match="CACHE_URL"):
            parse_cache_url(bad)


def test_a_bad_cache_url_stops_start_up_naming_the_variable() -> None:
    env = {**os.environ, "CACHE_URL": "memcached://cache:11211"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "CACHE_URL" in result.stderr


@needs_redis
@pytest.mark.django_db
def test_the_counts_and_pages_are_stored_in_redis(client, shared_cache, django_assert_num_queries):
    for _ in range(3):
        make_trial(antigens=["CD19"])
    with django_assert_num_queries(4):
        first = client.get(LIST, {"antigen": "CD19"})
    assert shared_cache.keys("counts:*"), "nothing was stored in Redis"
    # Another worker's process-local state: it has seen no version yet.
    catalogue_cache._held["token"] = None
    with django_assert_num_queries(2):
        second = client.get(LIST, {"antigen": "CD19"})
    assert first.content == second.content
    assert b"3 trials" in second.content


@needs_redis
@pytest.mark.django_db
def test_a_new_version_is_not_served_stale_and_the_old_one_is_left_to_expire(client, shared_cache):
    make_trial(antigens=["CD19"])
    assert b"1 trial" in client.get(LIST, {"antigen": "CD19"}).content
    stored = set(shared_cache.keys("counts:*"))
    make_trial(antigens=["CD19"])
    assert b"2 trials" in client.get(LIST, {"antigen": "CD19"}).content
    # other workers may still be filling the shared cache: nothing is flushed
    assert stored <= set(shared_cache.keys("counts:*"))
    assert all(shared_cache.ttl(key) > 0 for key in stored)


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_page_one_process_computed_is_warm_in_another(client, shared_cache):
    for _ in range(2):
        make_trial(antigens=["CD19"])
    assert client.get(LIST, {"antigen": "CD19"}).status_code == 200
    database = connection.settings_dict
    url = f"postgres://{quote(database['USER'] or '')}@/{quote(database['NAME'])}?host={quote(database['HOST'])}"
    script = (
        "from django.db import connection\n"
        "from django.test import Client\n"
        "from django.test.utils import CaptureQueriesContext, setup_test_environment\n"
        "setup_test_environment()\n"
        "with CaptureQueriesContext(connection) as queries:\n"
        f"    response = Client().get({LIST!r}, {{'antigen': 'CD19'}})\n"
        "print(json.dumps({'status': response.status_code, 'queries': len(queries),"
        " 'listed': '2 trials' in response.content.decode()}))\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CACHE_URL": REDIS_URL,
        "CATALOGUE_CACHE_STALE_SECONDS": "0",
        "DATABASE_REPLICA_URLS": "",
        "SEARCH_RATE": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import json, django; django.setup()\n" + script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    other = json.loads(result.stdout.strip().splitlines()[-1])
    # the data version and the summary's synonym lookup: the rest came from Redis
    assert other == {"status": 200, "queries": 2, "listed": True}


@pytest.mark.django_db
def test_pages_are_served_from_the_database_while_redis_is_down(client, settings, tmp_path, caplog):
    settings.CATALOGUE_CACHE_SHARED = True
    settings.CACHES = {**settings.CACHES, "counts": shared(f"unix://{tmp_path}/gone.sock", "counts")}
    catalogue_cache._held["token"] = None
    ResilientRedisCache._last_warning = 0.0
    make_trial(antigens=["CD19"])
    with caplog.at_level(logging.WARNING, logger="config.shared_cache"):
        response = client.get(LIST, {"antigen": "CD19"})
        api = client.get(reverse("catalogue:api_trial_list"), {"antigen": "CD19"})
    assert response.status_code == 200 and b"1 trial" in response.content
    assert api.status_code == 200 and api.json()["count"] == 1
    assert "shared cache unavailable" in caplog.text
