"""Compressed public responses: Brotli where the client takes it, else gzip.

Only catalogue text goes out compressed (HTML, JSON, CSV, Atom, SVG, plain
text). BREACH recovers a secret from the compressed size of a response that
also reflects attacker-chosen input, so nothing carrying a secret is
compressed: not the admin, and no response whose rendering used the CSRF
token. Public catalogue pages carry neither (their forms are GET forms).

Static files are compressed ahead of time by whitenoise and never reach here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import brotli
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_sequence, compress_string

COMPRESSIBLE = (
    "text/html",
    "text/csv",
    "text/plain",
    "text/xml",
    "application/json",
    "application/atom+xml",
    "application/xml",
    "application/problem+json",
    "image/svg+xml",
)
MIN_LENGTH = 500  # a smaller body fits in one packet either way
# Quality 5 compresses a 100 KB page in about a millisecond, within a few per cent of
# quality 11's size (which costs tens of milliseconds per response).
BROTLI_QUALITY = 5


def accepted(accept_encoding: str) -> set[str]:
    """The codings a client accepts (a zero q-value refuses one)."""
    codings = set()
    for part in accept_encoding[:200].split(","):
        name, _, params = part.partition(";")
        quality = params.strip().removeprefix("q=").strip()
        if quality:
            try:
                if float(quality) == 0:
                    continue
            except ValueError:
                continue
        codings.add(name.strip().lower())
    return codings


def _brotli_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    compressor = brotli.Compressor(quality=BROTLI_QUALITY)
    for chunk in chunks:
        if out := compressor.process(chunk):
            yield out
    yield compressor.finish()


def carries_secret(request: HttpRequest) -> bool:
    """Whether the response may hold a secret next to reflected input (BREACH)."""
    match = getattr(request, "resolver_match", None)
    in_admin = match is not None and "admin" in match.namespaces
    return in_admin or bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))


class CompressionMiddleware:
    """Brotli or gzip for public text responses, with `Vary: Accept-Encoding`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type not in COMPRESSIBLE or response.has_header("Content-Encoding"):
            return response
        if not response.streaming and len(response.content) < MIN_LENGTH:
            return response
        # Vary even when this response goes out plain: a shared cache must not hand it
        # to a client that asked differently.
        patch_vary_headers(response, ("Accept-Encoding",))
        if carries_secret(request):
            return response
        codings = accepted(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        if "br" in codings:
            coding = "br"
        elif "gzip" in codings or "*" in codings:
            coding = "gzip"
        else:
            return response
        if response.streaming:
            stream = response.streaming_content
            response.streaming_content = _brotli_stream(stream) if coding == "br" else compress_sequence(stream)
            del response["Content-Length"]
        else:
            body = response.content
            packed = brotli.compress(body, quality=BROTLI_QUALITY) if coding == "br" else compress_string(body)
            if len(packed) >= len(body):
                return response
            response.content = packed
            response["Content-Length"] = str(len(packed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response["ETag"] = "W/" + etag  # the bytes differ from the identity body's
        response["Content-Encoding"] = coding
        return response
