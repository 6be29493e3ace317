"""bench/load.py, the soak and load-test driver: the parts that run without gunicorn.
(`make soak` and `make loadtest` themselves are run by hand: minutes of load.)"""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import load
from ingest.parsers import parse_document
from tests.conftest import FIXTURES


def test_durations_are_read_as_seconds_minutes_or_hours():
    assert [load.seconds_of(v) for v in ("30s", "5m", "1h", "90")] == [30, 300, 3600, 90]
    with pytest.raises(ValueError):
        load.seconds_of("5 minutes")


def test_a_bad_knob_stops_the_soak_before_anything_starts(monkeypatch):
    monkeypatch.setenv("SOAK_DURATION", "5s")
    with pytest.raises(load.Failure, match="at least 10s"):
        load.SoakSettings.from_env()
    monkeypatch.setenv("SOAK_DURATION", "1m")
    monkeypatch.setenv("SOAK_CONNECTIONS", "many")
    with pytest.raises(load.Failure, match="SOAK_CONNECTIONS"):
        load.SoakSettings.from_env()


def test_gunicorn_threads_apply_to_the_threaded_worker_only(monkeypatch):
    assert (
        load.Server.from_env("LOADTEST", 8077).describe() == "gunicorn 3 gthread workers × 4 threads on 127.0.0.1:8077"
    )
    monkeypatch.setenv("LOADTEST_WORKER_CLASS", "sync")
    server = load.Server.from_env("LOADTEST", 8077)
    assert (server.worker_threads, server.concurrency) == (1, 3)


def test_soak_pages_are_api_v2_pages_of_new_studies_the_parser_reads(tmp_path):
    templates = [FIXTURES / "parsers" / "ctgov_v2_study.json", FIXTURES / "parsers" / "ctgov_v2_page.json"]
    generator = load.PageGenerator(templates, load.SOAK_ID_PREFIX)

    generator.write(tmp_path / "batch", first=5, count=45, per_page=20)

    pages = sorted((tmp_path / "batch").iterdir())
    assert [len(json.loads(p.read_text())["studies"]) for p in pages] == [20, 20, 5]
    ids = [r.registry_id for p in pages for r in parse_document(p.read_bytes()).records]
    assert ids == [f"NCT98{i:06d}" for i in range(5, 50)]


def test_the_soak_id_range_is_never_overrun(tmp_path):
    generator = load.PageGenerator([FIXTURES / "parsers" / "ctgov_v2_study.json"], load.SOAK_ID_PREFIX)

    with pytest.raises(ValueError, match="ran out"):
        generator.write(tmp_path / "batch", first=999_990, count=20, per_page=20)


class _Statuses(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = {"/": 200, "/moved": 302, "/missing": 404}.get(self.path, 500)
        self.send_response(status)
        self.send_header("Location", "/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (make soak installs it)")
def test_wrk_cycles_through_the_paths_and_counts_errors_and_redirects_apart(tmp_path):
    server = ThreadingHTTPServer((load.HOST, 0), _Statuses)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = load.Server(port=server.server_address[1], workers=1, worker_class="sync", worker_threads=1)
        setting = load.Load(duration="1s", seconds=1, connections=2, threads=1, timeout="2s")
        run = load.run_wrk(target, setting, ["/", "/moved", "/missing"], tmp_path, latency=True)
    finally:
        server.shutdown()

    result = run.result
    assert result["requests"] > 30
    # Each path a third of the time: 404s are errors, 302s are redirects (not errors).
    assert result["bad_status"] == pytest.approx(result["requests"] / 3, rel=0.2)
    assert result["redirects"] == pytest.approx(result["requests"] / 3, rel=0.2)
    assert run.errors == result["bad_status"] + result["socket_errors"]
