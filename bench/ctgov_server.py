"""A local stand-in for the ClinicalTrials.gov API v2, for the harvest tests and benchmark.

A real HTTP server on 127.0.0.1 (`http.server.ThreadingHTTPServer` in a thread)
serving the study objects it is given (real records from ../shared/corpus,
never written by hand), with the parts of the API the harvester relies on:

- `GET /version`: `{"apiVersion": …, "dataTimestamp": …}`;
- `GET /studies`: `query.term` (every study given as "in the query" matches it),
  `filter.ids` (comma- or pipe-separated; also matches aliases, as the registry
  does), `filter.advanced=AREA[LastUpdatePostDate]RANGE[from,to]`, `pageSize`
  (capped at `page_cap`), `countTotal`, `fields=NCTId`, `pageToken` (opaque,
  bound to the other parameters: a token with other parameters is a 400);
- `GET /studies/{id}`: the study, 301 to the current id for an alias, 404;
- scripted faults (`fail(...)`): a status (429 with Retry-After, 503 …), a dropped
  connection, a body cut short, or a pause (the request waits for an event).

Every request is logged (`log`) with its path, parameters and answer.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

_RANGE = re.compile(r"AREA\[LastUpdatePostDate\]RANGE\[([^,\]]+),([^\]]+)\]")


def nct_id(study: dict) -> str:
    return study["protocolSection"]["identificationModule"]["nctId"]


def last_update(study: dict) -> str:
    return study["protocolSection"].get("statusModule", {}).get("lastUpdatePostDateStruct", {}).get("date", "")


@dataclass
class Fault:
    """What to do to the `nth` and following matching requests, `times` times."""

    kind: str  # "status", "drop", "truncate", "pause", "pause_mid_body"
    path: str = "/studies"
    status: int = 503
    retry_after: str | None = None
    page: int | None = None  # only requests for this page number (1 = no pageToken)
    times: int = 1  # -1: every time
    event: threading.Event | None = None  # "pause": released when set
    reached: threading.Event = field(default_factory=threading.Event)  # set when the fault fires

    def matches(self, path: str, page: int | None) -> bool:
        return self.times != 0 and path == self.path and (self.page is None or self.page == page)


@dataclass
class Logged:
    at: float
    path: str
    params: dict[str, str]
    status: int | str
    headers: dict[str, str]


class FakeRegistry:
    """The registry's data and behaviour; `serve()` starts the HTTP server."""

    def __init__(
        self, studies: list[dict], *, page_cap: int = 1000, data_timestamp: str = "2026-09-04T09:00:06"
    ) -> None:
        self.studies = [copy.deepcopy(s) for s in studies]  # in the query, in the API's order
        self.outside: list[dict] = []  # known to the registry but not in the query
        self.aliases: dict[str, str] = {}  # old id -> current id
        self.page_cap = page_cap
        self.data_timestamp = data_timestamp
        self.faults: list[Fault] = []
        # Quirks of the real API: a token after a last full page (then an empty page),
        # and a totalCount that disagrees with the studies it then sends.
        self.trailing_empty_page = False
        self.total_count_offset = 0
        self.token_epoch = 0  # move it on and every token handed out so far is refused (400)
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.base_path = "/api/v2"

    # --- changing the data -----------------------------------------------------------------

    def fail(self, kind: str, **kwargs: Any) -> Fault:
        fault = Fault(kind, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def find(self, registry_id: str) -> dict | None:
        for study in (*self.studies, *self.outside):
            if nct_id(study) == registry_id:
                return study
        return None

    def make_alias(self, old_id: str, new_id: str, *, listed: bool = True) -> None:
        """`old_id` becomes an alias of `new_id`: /studies/{old_id} redirects, filter.ids
        finds `new_id`, whose record lists the alias in `nctIdAliases` when `listed`."""
        self.aliases[old_id] = new_id
        self.studies = [s for s in self.studies if nct_id(s) != old_id]
        self.outside = [s for s in self.outside if nct_id(s) != old_id]
        if listed:
            module = self.find(new_id)["protocolSection"]["identificationModule"]
            module["nctIdAliases"] = sorted({*module.get("nctIdAliases", []), old_id})

    def requests_to(self, path: str) -> list[Logged]:
        return [entry for entry in self.log if entry.path == path]

    # --- answering ---------------------------------------------------------------------------

    def _binding(self, params: dict[str, str]) -> str:
        return hashlib.sha256(json.dumps([self.token_epoch, sorted(params.items())]).encode()).hexdigest()[:16]

    def _token(self, offset: int, params: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps([offset, self._binding(params)]).encode()).decode().rstrip("=")

    def _offset(self, token: str, params: dict[str, str]) -> int | None:
        """The offset a token stands for, when it was made for these same parameters."""
        try:
            offset, binding = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except (ValueError, TypeError):
            return None
        return offset if isinstance(offset, int) and binding == self._binding(params) else None

    def studies_page(self, params: dict[str, str]) -> tuple[int, dict]:
        if params.get("format", "json") != "json":
            return 400, {"message": "format must be json"}
        token = params.pop("pageToken", None)
        matching: list[dict]
        if "filter.ids" in params:
            wanted = [i for i in re.split(r"[,|\s]+", params["filter.ids"]) if i]
            pool = self.studies if "query.term" in params else [*self.studies, *self.outside]
            current = {self.aliases.get(i, i) for i in wanted}
            matching = [s for s in pool if nct_id(s) in current]
        else:
            matching = list(self.studies)
        if "filter.advanced" in params:
            found = _RANGE.fullmatch(params["filter.advanced"].strip())
            if not found:
                return 400, {"message": f"unsupported filter.advanced {params['filter.advanced']!r}"}
            low, high = (None if v.upper() in ("MIN", "MAX") else v for v in found.groups())
            matching = [
                s
                for s in matching
                if (low is None or last_update(s) >= low) and (high is None or last_update(s) <= high)
            ]
        try:
            size = min(int(params.get("pageSize", 10)), self.page_cap)
        except ValueError:
            return 400, {"message": "pageSize must be an integer"}
        offset = 0
        if token is not None:
            offset = self._offset(token, params)
            if offset is None:
                return 400, {"message": "invalid pageToken for these parameters"}
        chunk = matching[offset : offset + size]
        if params.get("fields", "").lower() in ("nctid", "protocolsection.identificationmodule.nctid"):
            chunk = [{"protocolSection": {"identificationModule": {"nctId": nct_id(s)}}} for s in chunk]
        body: dict[str, Any] = {}
        if params.get("countTotal") == "true" and token is None:
            body["totalCount"] = len(matching) + self.total_count_offset
        body["studies"] = chunk
        if offset + size < len(matching) or (self.trailing_empty_page and chunk and offset + size == len(matching)):
            body["nextPageToken"] = self._token(offset + size, params)
        return 200, body

    def page_number(self, params: dict[str, str]) -> int | None:
        token = params.get("pageToken")
        if token is None:
            return 1
        rest = {k: v for k, v in params.items() if k != "pageToken"}
        offset = self._offset(token, rest)
        try:
            size = min(int(rest.get("pageSize", 10) or 10), self.page_cap)
        except ValueError:
            return None
        return None if offset is None else offset // size + 1

    # --- serving -----------------------------------------------------------------------------------

    def serve(self) -> str:
        """Start serving on a free port of 127.0.0.1; returns the API base URL."""
        registry = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                registry._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.base_path}"

    def stop(self) -> None:
        if self.server is not None:
            with self.lock:
                for fault in self.faults:
                    if fault.event is not None:
                        fault.event.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        path = parts.path[len(self.base_path) :] if parts.path.startswith(self.base_path) else parts.path
        headers = dict(handler.headers.items())
        page = self.page_number(params) if path == "/studies" else None
        with self.lock:
            fault = next((f for f in self.faults if f.matches(path, page)), None)
            if fault is not None and fault.times > 0:
                fault.times -= 1
        entry = Logged(time.monotonic(), path, dict(params), 0, headers)
        self.log.append(entry)
        if fault is not None:
            fault.reached.set()
            if fault.kind == "pause":
                fault.event.wait()
                fault = None
            elif fault.kind == "status":
                entry.status = fault.status
                extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                return self._send(handler, fault.status, {"message": "scripted fault"}, extra)
            elif fault.kind == "drop":
                entry.status = "dropped"
                handler.close_connection = True
                handler.connection.close()
                return None
        status, body, extra = self._answer(path, params)
        entry.status = status
        if fault is not None and fault.kind in ("truncate", "pause_mid_body"):
            raw = json.dumps(body, separators=(",", ":")).encode()
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(raw)))
            handler.end_headers()
            handler.wfile.write(raw[: len(raw) // 2])
            handler.wfile.flush()
            entry.status = "truncated"
            if fault.kind == "pause_mid_body":
                fault.event.wait()
            handler.close_connection = True
            handler.connection.close()
            return None
        return self._send(handler, status, body, extra)

    def _answer(self, path: str, params: dict[str, str]) -> tuple[int, dict | None, dict[str, str]]:
        if path == "/version":
            return 200, {"apiVersion": "2.0.5", "dataTimestamp": self.data_timestamp}, {}
        if path == "/studies":
            status, body = self.studies_page(dict(params))
            return status, body, {}
        match = re.fullmatch(r"/studies/(NCT\d{8})", path)
        if match:
            registry_id = match.group(1)
            if registry_id in self.aliases:
                return 301, None, {"Location": f"{self.base_path}/studies/{self.aliases[registry_id]}"}
            study = self.find(registry_id)
            return (200, study, {}) if study is not None else (404, {"message": f"{registry_id} not found"}, {})
        return 404, {"message": "no such endpoint"}, {}

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: dict | None, extra: dict[str, str]) -> None:
        raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        for key, value in extra.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(raw)


def corpus_studies(corpus: Any) -> list[dict]:
    """The real study objects of ../shared/corpus: the bulk snapshot, then the API samples
    and the one-study files, each id once."""
    root = Path(corpus)
    studies: list[dict] = []
    seen: set[str] = set()

    def add(study: dict) -> None:
        if isinstance(study, dict) and "protocolSection" in study and nct_id(study) not in seen:
            seen.add(nct_id(study))
            studies.append(study)

    for path in sorted((root / "ctgov-api").glob("*.json")) + sorted((root / "ctgov-v2").glob("*.json")):
        data = json.loads(path.read_text())
        for study in data.get("studies", [data]) if isinstance(data, dict) else data:
            add(study)
    bulk = root / "bulk" / "ctgov-cart-snapshot-2026-08-22.json"
    if bulk.exists():
        for study in json.loads(bulk.read_text())["studies"]:
            add(study)
    return studies


def renumbered(study: dict, new_id: str) -> dict:
    """A copy of a real study under another id (ids no registry has handed out, for volume)."""
    clone = copy.deepcopy(study)
    old = nct_id(study)
    text = json.dumps(clone).replace(old, new_id)
    return json.loads(text)
