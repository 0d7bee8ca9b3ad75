"""The two error formats, and the handlers that route every error path through one of them.

A service picks its format when it builds its app (``create_app(error_format=...)``). Everything
else (status codes, headers, logging) is shared.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Match

from apikit.context import request_id_of, warnings_of
from apikit.envelope import ErrorEnvelope, ErrorItem, ResponseMeta
from apikit.errors import ApiError
from apikit.ids import utcnow
from apikit.problems import FieldError, Problem, field_errors_from_pydantic
from apikit.routes import route_contexts


class ErrorFormat(ABC):
    """How a service's errors look on the wire, and how OpenAPI documents them."""

    model: ClassVar[type[BaseModel]]

    @abstractmethod
    def render(self, problem: Problem, *, request_id: str, warnings: list[str]) -> dict[str, Any]:
        """The JSON body for ``problem``."""

    def response(self, problem: Problem, scope: Any) -> JSONResponse:
        body = self.render(problem, request_id=request_id_of(scope), warnings=warnings_of(scope))
        headers = dict(problem.headers)
        if problem.status == 401:
            headers.setdefault("WWW-Authenticate", "Bearer")
        return JSONResponse(body, status_code=problem.status, headers=headers)


# --- FireMode: FR-5 -----------------------------------------------------------------------------

_FIRE_RETRYABLE = frozenset({404, 429, 500, 503, 504})


class FireError(BaseModel):
    """FR-5: every FireMode error. ``transaction_id`` is the request id."""

    transaction_id: str
    error_code: str = Field(pattern=r"^FIRE-\d{3}$", examples=["FIRE-404"])
    message: str
    retryable: bool
    details: dict[str, Any] | None = None


class FireErrorFormat(ErrorFormat):
    model = FireError

    def render(self, problem: Problem, *, request_id: str, warnings: list[str]) -> dict[str, Any]:
        details: dict[str, Any] = dict(problem.details)
        if problem.field_errors:
            details["errors"] = [
                {
                    "field": error.dotted_path,
                    "message": error.message,
                    "type": error.constraint,
                    **({"context": dict(error.context)} if error.context else {}),
                }
                for error in problem.field_errors
            ]
        retryable = problem.retryable
        body: dict[str, Any] = {
            "transaction_id": request_id,
            "error_code": f"FIRE-{problem.status}",
            "message": problem.message,
            "retryable": problem.status in _FIRE_RETRYABLE if retryable is None else retryable,
        }
        if details:
            body["details"] = details
        return body


# --- Alloy: the envelope ------------------------------------------------------------------------

_DEFAULT_ENVELOPE_CODES = {
    400: "VAL_REQUEST",
    401: "AUTH_INVALID_TOKEN",
    403: "AUTH_FORBIDDEN",
    404: "NF_RESOURCE",
    405: "VAL_METHOD_NOT_ALLOWED",
    409: "CF_CONFLICT",
    413: "VAL_PAYLOAD_TOO_LARGE",
    415: "VAL_UNSUPPORTED_MEDIA_TYPE",
    422: "VAL_REQUEST",
    429: "RATE_LIMIT_EXCEEDED",
    500: "SYS_INTERNAL",
    503: "SYS_EXTERNAL_SERVICE_ERROR",
    504: "SYS_EXTERNAL_SERVICE_TIMEOUT",
}
_NON_CODE = re.compile(r"[^A-Z0-9]+")


def validation_code(error: FieldError) -> str:
    """``VAL_<FIELD>``: ``duration_weeks`` → ``VAL_DURATION_WEEKS``."""
    name = _NON_CODE.sub("_", error.field.upper()).strip("_")
    return f"VAL_{name or 'REQUEST'}"


class EnvelopeErrorFormat(ErrorFormat):
    model = ErrorEnvelope

    def render(self, problem: Problem, *, request_id: str, warnings: list[str]) -> dict[str, Any]:
        if problem.field_errors:
            errors = [
                ErrorItem(
                    code=validation_code(error),
                    message=error.message,
                    details={
                        "field": error.dotted_path,
                        "constraint": error.constraint,
                        **dict(error.context),
                    },
                )
                for error in problem.field_errors
            ]
        else:
            code = problem.code or _DEFAULT_ENVELOPE_CODES.get(
                problem.status, "SYS_INTERNAL" if problem.status >= 500 else "VAL_REQUEST"
            )
            errors = [ErrorItem(code=code, message=problem.message, details=dict(problem.details))]
        body = ErrorEnvelope(
            meta=ResponseMeta(request_id=request_id, timestamp=utcnow(), warnings=warnings),
            errors=errors,
        )
        return body.model_dump(mode="json")


# --- Handlers -----------------------------------------------------------------------------------


def problem_for_http_exception(exc: StarletteHTTPException, request: Request) -> Problem:
    if exc.status_code == 404 and exc.detail == "Not Found":
        # Starlette's own 404 for a path no route matches.
        return Problem(
            status=404,
            message=f"No resource at {request.url.path}",
            code="NF_ROUTE",
            headers=dict(exc.headers or {}),
        )
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        # FastAPI's answer to a body it cannot decode (bad encoding, broken form data): the same
        # 422 as malformed JSON, so clients see one kind of error for one kind of mistake.
        return Problem(
            status=422,
            message="The request body could not be parsed",
            field_errors=[FieldError("body", (), "The body could not be parsed", "body_unparsable")],
        )
    message = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(sorted(allowed_methods(request)))
    return Problem.from_status(exc.status_code, message, headers)


def allowed_methods(request: Request) -> set[str]:
    """Every method any route offers for this path (Starlette lists only the first route's)."""
    methods: set[str] = set()
    probe = {**request.scope, "method": "GET"}
    for context in route_contexts(request.app):
        match, _ = context.matches(probe)
        if match != Match.NONE:
            methods |= context.methods or set()
    if "GET" in methods:
        methods.add("HEAD")  # apikit.middleware.HeadAsGet answers it wherever GET is served
    return methods


def install_error_handlers(app: FastAPI, error_format: ErrorFormat) -> None:
    """Every error that reaches FastAPI's exception middleware leaves in ``error_format``.

    Unhandled exceptions never get here: :class:`apikit.middleware.ErrorBoundary` catches them
    inside the request-id middleware, so their 500 still carries the request id and headers.
    """

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_format.response(Problem.from_error(exc), request.scope)

    async def on_http_exception(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return error_format.response(problem_for_http_exception(exc, request), request.scope)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problem = Problem(
            status=422,
            message="The request is not valid",
            field_errors=field_errors_from_pydantic(exc.errors()),
        )
        return error_format.response(problem, request.scope)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
