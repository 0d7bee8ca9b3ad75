"""Pure ASGI middleware, outermost first: request context → HEAD as GET → error boundary → CORS →
(gzip) → body limit.

``RequestContext`` runs first so that a request id exists before anything can fail; the error
boundary sits inside it so that even an unhandled exception answers in the service's format with
the request id and security headers on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence

import structlog
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apikit.context import REQUEST_ID_HEADER, choose_request_id, set_request_id
from apikit.error_formats import ErrorFormat
from apikit.metrics import Metrics
from apikit.problems import Problem

log = structlog.stdlib.get_logger("apikit.http")

API_CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# Swagger UI styles itself inline and draws its icons from data: URIs; nothing else is relaxed.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# The same headers as raw ASGI pairs, encoded once: every answer carries them.
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode("latin-1")
_SECURITY = [
    (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()
]
_CSP = b"content-security-policy"
_API_CSP = (_CSP, API_CSP.encode("latin-1"))
_DOCS_CSP = (_CSP, DOCS_CSP.encode("latin-1"))


def _with_context_headers(
    headers: Iterable[tuple[bytes, bytes]], request_id: str, csp: tuple[bytes, bytes]
) -> list[tuple[bytes, bytes]]:
    """The answer's headers with the request id set, and each security header and the CSP added
    unless the answer set its own."""
    raw = list(headers)
    names = {name.lower() for name, _ in raw}
    if _REQUEST_ID in names:
        raw = [header for header in raw if header[0].lower() != _REQUEST_ID]
    raw.append((_REQUEST_ID, request_id.encode("latin-1")))
    raw.extend(header for header in _SECURITY if header[0] not in names)
    if _CSP not in names:
        raw.append(csp)
    return raw


def route_template(scope: Scope) -> str:
    """The matched route's path template, so metrics and logs don't explode per id."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    if scope.get("endpoint") is None:
        return "<unmatched>"
    # A plain Starlette route (its path is fixed) or a mount (static assets below root_path).
    mounted = scope.get("root_path", "")
    return f"{mounted}/{{path}}" if mounted else str(scope["path"])


class RequestContext:
    """Request id, security headers, one access log line and the HTTP metrics, for every request."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, docs_prefix: str = "/docs") -> None:
        self.app = app
        self.metrics = metrics
        self.docs_prefix = docs_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = choose_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        set_request_id(scope, request_id)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        csp = _DOCS_CSP if scope["path"].startswith(self.docs_prefix) else _API_CSP
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = _with_context_headers(message.get("headers", ()), request_id, csp)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe_request(scope["method"], route, status, seconds)
            log.info(
                "request",
                method=scope["method"],
                route=route,
                path=scope["path"],
                status=status,
                duration_ms=round(seconds * 1000, 2),
                user_id=scope.get("state", {}).get("user_id"),
            )


class HeadAsGet:
    """HEAD on every GET route: the request is served as the GET it mirrors, and the answer leaves
    with the GET's status and headers (``Content-Length`` included) and no body.

    FastAPI routes declared with ``@router.get`` refuse HEAD (405). Answering it here gives every
    GET route its HEAD from the same code, and keeps HEAD out of the OpenAPI document. It sits
    outside gzip, so the headers are those of the GET, and outside the error boundary, so even a 500
    leaves without a body. The answer is complete at the first body message; the server then tells
    the app the client has gone, so a streamed download stops instead of being read for nothing.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        answered = False

        async def without_body(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.body":
                if answered:
                    return
                answered = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy: the server reads the method from its own scope while it sends (uvicorn expects
        # no body bytes for a HEAD only). What routing adds to the copy (the route, for the access
        # log and metrics) is copied back.
        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, without_body)
        finally:
            scope.update({key: value for key, value in as_get.items() if key != "method"})


class ErrorBoundary:
    """Turns an unhandled exception into a 500 in the service's format, with no internals in it."""

    def __init__(self, app: ASGIApp, *, error_format: ErrorFormat) -> None:
        self.app = app
        self.error_format = error_format

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def watch(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("unhandled_exception", path=scope["path"])
            if response_started:
                raise  # too late for a clean answer; the server closes the connection
            problem = Problem.from_status(500, "Internal server error")
            await self.error_format.response(problem, scope)(scope, receive, send)


class CORS(CORSMiddleware):
    """Starlette's CORS for the configured origins, with a refused preflight answered in the
    service's error format (400, ``VAL_CORS_REJECTED``, ``details.rejected``) instead of plain text.
    Allowed preflights and simple requests are Starlette's, unchanged."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        error_format: ErrorFormat,
        allow_origins: Sequence[str],
        allow_methods: Sequence[str],
        allow_headers: Sequence[str],
        expose_headers: Sequence[str],
    ) -> None:
        super().__init__(
            app,
            allow_origins=allow_origins,
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            expose_headers=expose_headers,
        )
        self.error_format = error_format

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                answer = self.preflight_response(request_headers=headers)
                if answer.status_code == 400:
                    answer = self._refused(answer, scope)
                await answer(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def _refused(self, answer: Response, scope: Scope) -> Response:
        message = bytes(answer.body).decode()  # "Disallowed CORS origin, headers"
        rejected = message.removeprefix("Disallowed CORS ").split(", ")
        # The preflight's own headers stay (Vary: Origin above all, so caches keep answers apart).
        kept = {name: value for name, value in answer.headers.items() if name not in _BODY_HEADERS}
        problem = Problem(
            status=400,
            message=message,
            code="VAL_CORS_REJECTED",
            details={"rejected": rejected},
            headers=kept,
        )
        return self.error_format.response(problem, scope)


_BODY_HEADERS = frozenset({"content-length", "content-type"})


class BodyLimit:
    """Caps request bodies: by ``Content-Length`` before reading, and by counting while reading.

    It also refuses (400) a path or query string holding U+0000 (``%00``), which PostgreSQL
    stores in no text column (a 500 from a search otherwise); request bodies are checked by
    ``RequestModel``.

    ``limit_for`` may give a route its own cap (an upload endpoint enforcing its own, larger one
    while it streams) by returning a number for its path, or ``None`` for the default.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        error_format: ErrorFormat,
        limit_for: Callable[[str], int | None] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.error_format = error_format
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
            problem = Problem(status=400, message="The path or query string may not contain U+0000 (%00)")
            await self.error_format.response(problem, scope)(scope, receive, send)
            return
        limit = (self.limit_for(scope["path"]) if self.limit_for else None) or self.max_bytes
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and not declared.isascii():
            # Headers are read as latin-1, where str.isdigit takes "²" and int() then fails.
            problem = Problem(status=400, message="Content-Length must be a number of bytes")
            await self.error_format.response(problem, scope)(scope, receive, send)
            return
        if declared is not None and declared.isdigit() and int(declared) > limit:
            problem = Problem(
                status=413,
                message=f"Request body exceeds {limit} bytes",
                details={"max_bytes": limit},
            )
            await self.error_format.response(problem, scope)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises HTTPException from body reading, so the error handlers
                    # answer it in the service's format.
                    raise HTTPException(413, f"Request body exceeds {limit} bytes")
            return message

        await self.app(scope, counting_receive, send)
