"""HTTP for the harvesters (requests + urllib3's Retry), polite and patient.

- One request at a time, the starts of two requests at least
  `HARVEST_REQUEST_INTERVAL` seconds apart (retries included).
- A User-Agent naming the catalogue and its operator (`HARVEST_CONTACT`), which
  is required against any registry that isn't on this machine.
- Connect and read timeouts on every request.
- On 429, 5xx, network errors and broken bodies (cut short, or not JSON where
  JSON was asked for): retry with exponential backoff (`HARVEST_BACKOFF`
  seconds, doubling) or after the server's `Retry-After`, up to
  `HARVEST_RETRIES` retries per request in all; then `HarvestError`.
"""

from __future__ import annotations

import ipaddress
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

CATALOGUE_AGENT = "CAR-T-trials-catalogue-harvester/1.0"
TIMEOUT = (10.0, 120.0)  # seconds: connect, read (between bytes)
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_RETRY_AFTER = 600.0  # a longer Retry-After is waited for this long


class HarvestError(Exception):
    """A harvest cannot go on (the registry keeps failing, answers nonsense, or a setting is missing)."""


class HarvestHTTPError(HarvestError):
    """The registry answered with a status that is not retried (4xx other than 429)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class PoliteRetry(Retry):
    """urllib3's Retry that never retries sooner than `min_wait` seconds, and caps Retry-After."""

    def __init__(self, *args: Any, min_wait: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.min_wait = min_wait

    def new(self, **kw: Any) -> PoliteRetry:
        retry = super().new(**kw)
        retry.min_wait = self.min_wait
        return retry

    def get_backoff_time(self) -> float:
        return max(super().get_backoff_time(), self.min_wait)

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(max(seconds, self.min_wait), MAX_RETRY_AFTER)


@dataclass
class Response:
    status: int
    content: bytes
    headers: Any
    url: str
    data: Any = None  # the parsed JSON, when asked for


def _is_local(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Client:
    """GET requests to one registry API under `base_url`."""

    def __init__(
        self, base_url: str, *, interval: float, retries: int, backoff: float, contact: str,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:  # fmt: skip
        self.base_url = base_url.rstrip("/")
        host = urlsplit(self.base_url).hostname or ""
        if not contact and not _is_local(host):
            raise HarvestError(
                f"HARVEST_CONTACT is not set: name an e-mail address or URL where {host} can reach whoever runs "
                "this harvest (it goes into the User-Agent of every request)"
            )
        self.interval, self.retries, self.backoff, self.timeout = interval, retries, backoff, timeout
        self.user_agent = f"{CATALOGUE_AGENT} (+{contact})" if contact else CATALOGUE_AGENT
        self.retry = PoliteRetry(
            total=retries, backoff_factor=backoff, status_forcelist=RETRY_STATUSES, allowed_methods=("GET",),
            respect_retry_after_header=True, raise_on_status=True, redirect=0, min_wait=interval,
        )  # fmt: skip
        self.adapter = HTTPAdapter(max_retries=self.retry, pool_connections=1, pool_maxsize=1)
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": self.user_agent, "Accept": "application/json"})
        self.session.mount("http://", self.adapter)
        self.session.mount("https://", self.adapter)
        self._last_start: float | None = None
        self.requests = 0  # requests made, retries included (for reports and benchmarks)

    @classmethod
    def for_ctgov(cls) -> Client:
        return cls(
            settings.CTGOV_API_URL, interval=settings.HARVEST_REQUEST_INTERVAL, retries=settings.HARVEST_RETRIES,
            backoff=settings.HARVEST_BACKOFF, contact=settings.HARVEST_CONTACT,
        )  # fmt: skip

    def close(self) -> None:
        self.session.close()

    def _wait_turn(self) -> None:
        if self._last_start is not None:
            wait = self._last_start + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self._last_start = time.monotonic()

    def _backoff(self, retries_done: int) -> float:
        return max(self.interval, self.backoff * (2 ** max(retries_done - 1, 0)) if retries_done else 0.0)

    def get(
        self, path: str, params: dict[str, Any] | None = None, *, json_body: bool = True, follow: bool = True
    ) -> Response:
        """GET `path` (under the base URL). Statuses in RETRY_STATUSES and network
        errors are retried; a 2xx with a broken body too. Other 4xx raise
        HarvestHTTPError; 3xx are returned as they are when `follow` is False."""
        url = self.base_url + path
        remaining = self.retries
        while True:
            self._wait_turn()
            self.adapter.max_retries = self.retry.new(total=remaining)
            try:
                raw = self.session.get(url, params=params, timeout=self.timeout, allow_redirects=follow, stream=True)
            except requests.exceptions.RetryError as exc:
                raise HarvestError(f"GET {path}: still failing after {self.retries} retries ({_reason(exc)})") from None
            except requests.exceptions.RequestException as exc:
                raise HarvestError(f"GET {path}: {_reason(exc)} (after {self.retries} retries)") from None
            used = len(raw.raw.retries.history) if getattr(raw.raw, "retries", None) is not None else 0
            self.requests += used + 1
            try:
                content = raw.content
                problem = None
            except requests.exceptions.RequestException as exc:
                content, problem = b"", f"the body was cut short ({_reason(exc)})"
            finally:
                raw.close()
            data = None
            if problem is None and 200 <= raw.status_code < 300 and json_body:
                try:
                    data = json.loads(content)
                except ValueError as exc:
                    problem = f"the body is not JSON ({exc}; {len(content):,} bytes)"
            if problem is None:
                break
            remaining -= used + 1
            if remaining < 0:
                raise HarvestError(f"GET {path}: still failing after {self.retries} retries: {problem}")
            time.sleep(self._backoff(self.retries - remaining))
        if raw.status_code >= 400:
            snippet = " ".join(content[:300].decode("utf-8", "replace").split())
            raise HarvestHTTPError(
                f"GET {path}: the registry answered {raw.status_code} {raw.reason}: {snippet}", raw.status_code
            )
        return Response(status=raw.status_code, content=content, headers=raw.headers, url=raw.url, data=data)


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 error, in one line."""
    seen = exc
    while True:
        nxt = getattr(seen, "reason", None) or (
            seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        )
        if not isinstance(nxt, BaseException) or nxt is seen:
            break
        seen = nxt
    return " ".join(f"{type(seen).__name__}: {seen}".split())[:300]
