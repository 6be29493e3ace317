"""Uncached searches cannot take the site down (red-team issue 18, item 8): a statement
timeout answers "too broad", searches made only of exclusions are refused, and each
client may run only so many uncached searches a minute.

The timeout and rate-limit tests commit (transactional_db): the timeout needs a
connection outside any test transaction, the rate limit a data version to key on."""

from __future__ import annotations

import contextlib
import io
import time

import psycopg
import pytest
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import make_trial
from tests.reliability import connect, server_params

LIST = reverse("catalogue:trial_list")
API = reverse("catalogue:api_trial_list")
LANDSCAPE = reverse("catalogue:landscape")


def show_statement_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


@pytest.fixture
def trial_table_locked(transactional_db):
    """Another session holds an exclusive lock on the trial table, so any public read
    waits: a query slower than any timeout, on demand. The server ends that session
    after 5 s idle, so nothing waits for ever."""
    make_trial(antigens=["CD19"])
    conn = connect(server_params(), connection.settings_dict["NAME"])
    conn.execute("SET idle_in_transaction_session_timeout = '5s'")
    conn.execute("LOCK TABLE catalogue_trial IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        with contextlib.suppress(psycopg.Error):  # the server already ended the session
            conn.rollback()
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_a_search_slower_than_the_statement_timeout_answers_too_broad_not_a_hang(client, settings, trial_table_locked):
    settings.PUBLIC_STATEMENT_TIMEOUT_MS = 300
    before = show_statement_timeout()
    started = time.monotonic()
    page = client.get(LIST, {"q": "lymphoma"})
    assert time.monotonic() - started < 3
    assert page.status_code == 503 and int(page["Retry-After"]) > 0
    assert "too broad to answer quickly" in page.content.decode()
    api = client.get(API, {"q": "lymphoma"})
    assert api.status_code == 503 and int(api["Retry-After"]) > 0
    assert api.json() == {
        "detail": "This search is too broad to answer quickly — add a filter or a more specific word."
    }
    # The setting was for those requests only: the connection is back to the server's default.
    assert show_statement_timeout() == before


@pytest.mark.django_db(transaction=True)
def test_the_statement_timeout_is_reset_after_every_public_request(client, settings):
    settings.PUBLIC_STATEMENT_TIMEOUT_MS = 1234
    make_trial(antigens=["CD19"])
    before = show_statement_timeout()
    assert before != "1234ms"
    for url in (LIST, API, LANDSCAPE, reverse("catalogue:export_csv")):
        response = client.get(url, {"antigen": "CD19"})
        if response.streaming:
            b"".join(response.streaming_content)
        assert response.status_code == 200
        assert show_statement_timeout() == before, url


@pytest.mark.parametrize("q", ["-foo -bar", "-lymphoma", '-"large b-cell" or -myeloma'])
def test_a_search_made_only_of_exclusions_is_refused(client, db, q):
    make_trial(antigens=["CD19"])
    page = client.get(LIST, {"q": q})
    assert page.status_code == 200
    assert "only excludes words" in page.content.decode()
    api = client.get(API, {"q": q})
    assert api.status_code == 400 and "q" in api.json()["errors"]
    for url in (reverse("catalogue:export_csv"), reverse("catalogue:export_json")):
        response = client.get(url, {"q": q})
        assert response.status_code == 400 and b"only excludes words" in response.content
    with pytest.raises(CommandError, match="only excludes words"):
        call_command("export", f"--q={q}", stdout=io.StringIO())


def test_an_exclusion_beside_a_word_is_still_a_search(client, db):
    make_trial(registry_id="NCT90000801", title="CD19 CAR-T for lymphoma", antigens=["CD19"])
    response = client.get(API, {"q": "CD19 -myeloma"})
    assert response.status_code == 200
    assert [r["registry_id"] for r in response.json()["results"]] == ["NCT90000801"]


@pytest.fixture
def rate_limited(settings):
    settings.CATALOGUE_CACHE_SECONDS = 600
    settings.SEARCH_RATE = "3/m"
    caches["counts"].clear()
    caches["ratelimit"].clear()
    yield
    caches["counts"].clear()
    caches["ratelimit"].clear()


@pytest.mark.django_db(transaction=True)
def test_a_client_over_the_rate_of_uncached_searches_gets_429_with_retry_after(rate_limited):
    make_trial(antigens=["CD19"], title="CD19 CAR-T for lymphoma")
    a = Client(REMOTE_ADDR="198.51.100.7")
    for word in ("lymphoma", "leukemia", "myeloma"):
        assert a.get(LIST, {"q": word}).status_code == 200
    over = a.get(LIST, {"q": "sarcoma"})
    assert over.status_code == 429 and int(over["Retry-After"]) >= 1
    assert "Too many new searches" in over.content.decode()
    api = a.get(API, {"q": "glioma"})
    assert api.status_code == 429 and int(api["Retry-After"]) >= 1 and "detail" in api.json()
    download = a.get(reverse("catalogue:export_csv"), {"q": "glioma"})
    assert download.status_code == 429 and download["Retry-After"]
    # What is cached costs nothing: the same search again, another page of it, another order.
    assert a.get(LIST, {"q": "lymphoma"}).status_code == 200
    assert a.get(LIST, {"q": "lymphoma", "sort": "newest", "page": "2"}).status_code == 200
    # Another client has its own allowance.
    assert Client(REMOTE_ADDR="192.0.2.10").get(LIST, {"q": "sarcoma"}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_behind_a_proxy_the_rate_limit_is_per_client_not_per_proxy(rate_limited, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    make_trial(antigens=["CD19"])
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for word in ("lymphoma", "leukemia", "myeloma", "sarcoma"):
        last = proxy.get(API, {"q": word}, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert last.status_code == 429
    assert proxy.get(API, {"q": "glioma"}, HTTP_X_FORWARDED_FOR="192.0.2.10").status_code == 200
    # Forging an address on the left of the header changes nothing.
    forged = proxy.get(API, {"q": "neuroblastoma"}, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert forged.status_code == 429
