"""OpenAPI: every operation documents its errors in the service's own format.

Routes declare *which* errors they answer with ``responses=error_responses(404, 409)``; this module
fills in *what* those bodies look like from the service's error format, adds the errors every
operation can answer (500; 422 and 413 where there is input), and drops FastAPI's default
validation schema, which the service never sends.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic.json_schema import models_json_schema

from apikit.error_formats import ErrorFormat

_DESCRIPTIONS = {
    400: "Bad request (malformed cursor, filter or parameter)",
    401: "Missing, expired, revoked or invalid credentials",
    403: "Authenticated, but the role does not allow this",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Request validation failed",
    429: "Rate limited; see Retry-After",
    500: "Unexpected error (no internals are disclosed)",
    503: "A dependency is unavailable; retry later",
    504: "A dependency timed out; retry later",
}
_FASTAPI_DEFAULTS = ("HTTPValidationError", "ValidationError")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The errors an operation documents; their schema comes from the service's format."""
    return {
        status: {"description": _DESCRIPTIONS.get(status, HTTPStatus(status).phrase)} for status in statuses
    }


def unique_operation_id(route: APIRoute) -> str:
    """Operation ids are the endpoint functions' names, which are unique verbs on nouns."""
    return route.name


def install_openapi(app: FastAPI, error_format: ErrorFormat) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            app.openapi_schema = _document_errors(schema, error_format)
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def _document_errors(schema: dict[str, Any], error_format: ErrorFormat) -> dict[str, Any]:
    mapping, definitions = models_json_schema(
        [(error_format.model, "serialization")], ref_template="#/components/schemas/{model}"
    )
    error_ref = mapping[(error_format.model, "serialization")]
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_DEFAULTS:
        components.pop(name, None)
    components.update(definitions.get("$defs", {}))
    content = {"application/json": {"schema": error_ref}}

    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            has_input = bool(operation.get("parameters")) or "requestBody" in operation
            wanted = {"500"} | ({"422"} if has_input else set())
            wanted |= {"413"} if "requestBody" in operation else set()
            for status in wanted:
                responses.setdefault(status, {"description": _DESCRIPTIONS[int(status)]})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400 and not _has_own_schema(response):
                    response["content"] = content
                    response.setdefault("description", _DESCRIPTIONS.get(int(status), "Error"))
    return schema


def _has_own_schema(response: dict[str, Any]) -> bool:
    """A response that already names a schema other than FastAPI's default validation error."""
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if not schema:
        return False
    return not any(str(schema.get("$ref", "")).endswith(name) for name in _FASTAPI_DEFAULTS)
