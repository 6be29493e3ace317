"""Response hardening, a clean failure when the database is away, and replica reads."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from config.routers import choose_replica, iterate_reading_from, read_alias, reads_from, set_read_alias

log = logging.getLogger(__name__)


API_PREFIX = "/api/"
API_ERROR_MESSAGES = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    429: "Too many requests; retry later.",
    500: "Server error.",
    503: "The catalogue is briefly unavailable; retry shortly.",
}


class ApiJsonErrorsMiddleware:
    """Every error under /api/ answers JSON, whichever layer made it: an unknown
    URL (404), a wrong method (405), an unhandled exception (500), an outage (503).
    Responses that are JSON already pass through unchanged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        message = API_ERROR_MESSAGES.get(status, response.reason_phrase or "Error.")
        if status == 405 and response.has_header("Allow"):
            message = f"Method not allowed; use {response['Allow']}."
        replacement = JsonResponse({"detail": message}, status=status)
        for header, value in response.items():  # Allow, Retry-After, the security headers
            if header.lower() not in ("content-type", "content-length"):
                replacement[header] = value
        replacement.cookies = response.cookies
        # Not response.close(): that sends request_finished a second time (closing the
        # request's database connections early). Error responses hold no resources.
        return replacement


class RejectNulBytesMiddleware:
    """A NUL byte in the path or the query string is a 400, never a database error:
    PostgreSQL text cannot hold one, so no page, filter or search could match it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return HttpResponse(
                "Bad request: a NUL byte (%00) in the address.\n", status=400, content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy (no inline script) and a Permissions-Policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


TOO_BROAD = "This search is too broad to answer quickly — add a filter or a more specific word."
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cut off by statement_timeout


def is_statement_timeout(exception: BaseException) -> bool:
    return getattr(exception.__cause__, "sqlstate", None) == QUERY_CANCELED


def is_database_unavailable(exception: BaseException) -> bool:
    return isinstance(exception, (OperationalError, InterfaceError)) or (
        isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
    )


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"error": "The catalogue database is briefly unavailable; retry shortly."}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", request=None), status=503)
    response["Retry-After"] = "30"
    return response


def too_broad_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the search hit the public statement timeout."""
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"detail": TOO_BROAD}, status=503, json_dumps_params={"ensure_ascii": False})
    else:
        html = render_to_string("catalogue/too_broad.html", {"message": TOO_BROAD}, request=request)
        response = HttpResponse(html, status=503)
    response["Retry-After"] = "10"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a lost database connection into a 503 page instead of a traceback,
    and a public search cut off by the statement timeout into "too broad" (503).

    With CONN_HEALTH_CHECKS on, the next request after the server comes back
    opens a fresh connection, so the app recovers without a restart.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_statement_timeout(exception):
            log.warning(
                "public query cut off by the statement timeout: %s?%s",
                request.path,
                request.META.get("QUERY_STRING", "")[:300],
            )
            return too_broad_response(request)
        if is_database_unavailable(exception):
            log.error("database unavailable: %s", exception)
            return database_unavailable_response(request)
        return None


class ReplicaReadsMiddleware:
    """Sends the reads of public catalogue pages (GET/HEAD) to a read replica.

    The view is known once the URL is resolved, so `process_view` picks the
    replica; `__call__` clears it when the response is back. A streamed download
    is produced later, while the server sends it, so its content is wrapped to
    keep reading from the same replica. Without replicas nothing changes.
    """

    NAMESPACE = "catalogue"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with reads_from(None):
            response = self.get_response(request)
            alias = read_alias()
        # A pre-built download (FileResponse) reads no database: left as it is, for sendfile.
        if (
            alias is not None
            and response.streaming
            and not response.is_async
            and not isinstance(response, FileResponse)
        ):
            response.streaming_content = iterate_reading_from(alias, response.streaming_content)
        return response

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any) -> None:
        """Picks a replica for a GET/HEAD request to a public catalogue view."""
        match = request.resolver_match
        if request.method in ("GET", "HEAD") and match is not None and match.namespace == self.NAMESPACE:
            alias = choose_replica()
            if alias is not None:
                set_read_alias(alias)
        return None


class PublicStatementTimeoutMiddleware:
    """The public catalogue's reads run under `statement_timeout`
    (PUBLIC_STATEMENT_TIMEOUT_MS), so one broad search cannot hold a worker and
    the database for seconds; DatabaseUnavailableMiddleware answers "too broad".

    The setting is made on the connection the request reads from (a replica or
    the primary) when the view is known, and reset when the response is back:
    connections persist across requests (CONN_MAX_AGE), and the admin, ingest
    and the downloads must not inherit it. A connection whose reset fails is
    closed. The downloads are exempt: bounded by the export limit, they are
    served from pre-built files or streamed, and their first query is a scan.
    """

    NAMESPACE = "catalogue"
    EXEMPT = frozenset({"export_csv", "export_json"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            alias = getattr(request, "_statement_timeout_alias", None)
            if alias is not None:
                try:
                    _session_setting(alias, "RESET statement_timeout")
                except DatabaseError:
                    connections[alias].close()

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        milliseconds = settings.PUBLIC_STATEMENT_TIMEOUT_MS
        match = request.resolver_match
        if (
            milliseconds <= 0
            or request.method not in ("GET", "HEAD")
            or match is None
            or match.namespace != self.NAMESPACE
            or match.url_name in self.EXEMPT
        ):
            return None
        alias = read_alias() or DEFAULT_DB_ALIAS
        try:
            _session_setting(alias, "SELECT set_config('statement_timeout', %s, false)", [f"{int(milliseconds)}ms"])
        except DatabaseError as exc:
            # process_view runs outside the view's exception handling: answer here.
            if is_database_unavailable(exc):
                log.error("database unavailable: %s", exc)
                return database_unavailable_response(request)
            raise
        request._statement_timeout_alias = alias  # type: ignore[attr-defined]
        return None


def _session_setting(alias: str, sql: str, params: list[Any] | None = None) -> None:
    """Run a session-setting statement on `alias`'s connection (opened if need be).

    Straight on the driver's connection, as connection set-up is: it is not one of
    the request's queries (those are what query logs and query-count tests see).
    Errors come out as Django's database errors."""
    wrapper = connections[alias]
    # As Django's own cursor() does first: a connection the server dropped (a
    # restart) is replaced instead of failing the request.
    wrapper.close_if_health_check_failed()
    with wrapper.wrap_database_errors:
        wrapper.ensure_connection()
        wrapper.connection.execute(sql, params)
