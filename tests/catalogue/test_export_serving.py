"""Downloads never end as a truncated 200 (red-team issue 18, item 7): an outage before
the first row is a 503, and the full export is served from a pre-built file (with a
Content-Length) when one exists for the current data."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.http import FileResponse
from django.urls import reverse

from tests.factories import make_trial

DOWNLOADS = {"csv": reverse("catalogue:export_csv"), "json": reverse("catalogue:export_json")}


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("params", [{}, {"phase": "phase1"}], ids=["full", "filtered"])
def test_a_database_outage_before_the_first_row_is_a_503_not_a_200(client, dead_replica, fmt, params):
    response = client.get(DOWNLOADS[fmt], params)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert not response.streaming


def streamed(client, fmt: str) -> bytes:
    response = client.get(DOWNLOADS[fmt])
    assert response.status_code == 200 and not isinstance(response, FileResponse)
    assert not response.has_header("Content-Length")
    return b"".join(response.streaming_content)


def build() -> str:
    out = io.StringIO()
    call_command("build_exports", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_full_export_is_served_from_the_prebuilt_file_with_a_length(client, settings, tmp_path, fmt):
    settings.EXPORT_ROOT = tmp_path
    # The header's links: a pre-built file has no request to take the host from.
    settings.CATALOGUE_BASE_URL = "http://testserver"
    for n in range(3):
        make_trial(registry_id=f"NCT9000090{n}", antigens=["CD19"], title=f"Trial {n} — 中文")
    expected = streamed(client, fmt)
    assert "wrote" in build()
    # the CSV without and with its about lines, the JSON; no temporary file left
    suffixes = sorted(p.name.rsplit("-", 1)[1].split(".", 1)[1] for p in tmp_path.iterdir())
    assert suffixes == ["about.csv", "csv", "json"]
    response = client.get(DOWNLOADS[fmt])
    assert response.status_code == 200 and isinstance(response, FileResponse)
    body = b"".join(response.streaming_content)
    assert body == expected
    assert int(response["Content-Length"]) == len(expected)
    assert response["Content-Disposition"].startswith("attachment;") and f".{fmt}" in response["Content-Disposition"]
    assert "up to date" in build()
    # A filtered download is never the full file.
    assert not isinstance(client.get(DOWNLOADS[fmt], {"antigen": "CD19"}), FileResponse)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_prebuilt_file_of_older_data_is_not_served(client, settings, tmp_path, fmt):
    settings.EXPORT_ROOT = tmp_path
    make_trial(registry_id="NCT90000911")
    build()
    make_trial(registry_id="NCT90000912")  # the data moves on; the file is now stale
    body = streamed(client, fmt)
    assert b"NCT90000912" in body and b"NCT90000911" in body
    build()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 3, names  # the stale files were replaced, not kept beside
    assert b"NCT90000912" in b"".join(client.get(DOWNLOADS[fmt]).streaming_content)


@pytest.mark.django_db(transaction=True)
def test_a_database_failure_mid_stream_breaks_the_download_instead_of_ending_it(client):
    """The generator raises, so the server aborts the chunked response (no final chunk):
    a client sees a broken download, not a complete-looking short file."""
    from django.db import connection
    from django.utils import timezone

    from catalogue.models import Trial
    from catalogue.serializers import CHUNK_SIZE
    from tests.reliability import connect, server_params

    total = CHUNK_SIZE * 2 + 10  # the rows come in chunks: the second one is read after the cut
    Trial.objects.bulk_create(
        Trial(registry="ctgov", registry_id=f"NCT8{n:07d}", title=f"Trial {n}", updated_at=timezone.now(), raw={})
        for n in range(total)
    )
    response = client.get(DOWNLOADS["csv"], {"registry": "ctgov"})
    assert response.status_code == 200 and response.streaming
    chunks = iter(response.streaming_content)
    received = [next(chunks) for _ in range(10)]  # the header and the first rows are on their way
    try:
        with connect(server_params(), connection.settings_dict["NAME"], autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
        with pytest.raises(Exception) as failure:
            for chunk in chunks:
                received.append(chunk)
        assert "connection" in str(failure.value).lower() or "terminat" in str(failure.value).lower(), failure.value
        assert len(received) < total + 1  # not every row, and the stream did not end cleanly
    finally:
        connection.close()  # the next query reconnects
