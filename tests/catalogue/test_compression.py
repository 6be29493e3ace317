"""Compressed responses: Brotli or gzip for public text, never for pages with a secret."""

from __future__ import annotations

import gzip
import io

import brotli
import pytest
from django.urls import reverse

from catalogue.compression import accepted
from tests.factories import make_many

pytestmark = pytest.mark.django_db
LIST = reverse("catalogue:trial_list")


@pytest.fixture
def listed(db):
    make_many(30)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def decoded(response) -> bytes:
    raw = body(response)
    coding = response.get("Content-Encoding")
    if coding == "br":
        return brotli.decompress(raw)
    if coding == "gzip":
        return gzip.GzipFile(fileobj=io.BytesIO(raw)).read()
    assert coding is None, coding
    return raw


def test_it_sends_the_list_page_in_brotli_to_a_client_that_takes_it(client, listed):
    plain = client.get(LIST, HTTP_ACCEPT_ENCODING="identity")
    packed = client.get(LIST, HTTP_ACCEPT_ENCODING="gzip, deflate, br, zstd")
    assert plain.get("Content-Encoding") is None
    assert packed["Content-Encoding"] == "br"
    assert decoded(packed) == plain.content
    assert int(packed["Content-Length"]) == len(packed.content) < len(plain.content) / 4
    assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]


def test_it_falls_back_to_gzip(client, listed):
    plain = client.get(LIST, HTTP_ACCEPT_ENCODING="identity")
    packed = client.get(LIST, HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert decoded(packed) == plain.content


def test_it_honours_a_refused_coding(client, listed):
    response = client.get(LIST, HTTP_ACCEPT_ENCODING="br;q=0, gzip;q=0.5")
    assert response["Content-Encoding"] == "gzip"
    assert client.get(LIST, HTTP_ACCEPT_ENCODING="br;q=0").get("Content-Encoding") is None


def test_it_compresses_the_api_and_streamed_downloads(client, listed):
    api = client.get(reverse("catalogue:api_trial_list"), HTTP_ACCEPT_ENCODING="br")
    assert api["Content-Encoding"] == "br"
    assert b'"registry_id"' in decoded(api)
    plain_csv = client.get(reverse("catalogue:export_csv"), {"phase": "phase1"}, HTTP_ACCEPT_ENCODING="identity")
    packed_csv = client.get(reverse("catalogue:export_csv"), {"phase": "phase1"}, HTTP_ACCEPT_ENCODING="br")
    assert packed_csv.streaming and packed_csv["Content-Encoding"] == "br"
    assert not packed_csv.has_header("Content-Length")
    assert decoded(packed_csv) == body(plain_csv)


def test_it_never_compresses_a_page_carrying_the_csrf_token(client):
    response = client.get(reverse("admin:login"), HTTP_ACCEPT_ENCODING="br, gzip")
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content
    assert response.get("Content-Encoding") is None


def test_it_never_compresses_the_admin(admin_client, listed):
    response = admin_client.get(reverse("admin:catalogue_trial_changelist"), HTTP_ACCEPT_ENCODING="br, gzip")
    assert response.status_code == 200
    assert response.get("Content-Encoding") is None


def test_it_leaves_small_responses_alone(client, db):
    response = client.get(reverse("catalogue:api_trial_detail", args=["NCT00000000"]), HTTP_ACCEPT_ENCODING="br")
    assert response.status_code == 404
    assert response.get("Content-Encoding") is None
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("header", "codings"),
    [
        ("gzip, deflate, br", {"gzip", "deflate", "br"}),
        ("br;q=0, gzip;q=1.0", {"gzip"}),
        ("GZIP; q=0.5", {"gzip"}),
        ("br;q=nonsense", set()),
        ("", {""}),
    ],
)
def test_it_reads_accept_encoding(header, codings):
    assert accepted(header) == codings
