"""The contract check: every operation says what it answers, in success and in error.

Used by the test suite and by ``scripts/validate_contracts.py`` (pre-commit).
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from apikit.error_formats import ErrorFormat
from apikit.routes import api_routes

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
# Names that shadow builtins or say nothing about the resource.
_VAGUE_IDS = {"list", "get", "create", "update", "delete", "index", "handler", "endpoint"}


def check_contracts(app: FastAPI, error_format: ErrorFormat) -> list[str]:
    """Every problem found, as ``"METHOD /path: what is missing"``; empty when all is well."""
    schema = app.openapi()
    error_ref = f"#/components/schemas/{error_format.model.__name__}"
    problems: list[str] = []
    seen_ids: dict[str, str] = {}
    for path, route in api_routes(app):
        if not route.include_in_schema:
            continue
        for method in sorted(route.methods or ()):
            where = f"{method} {path}"
            operation = schema["paths"][path][method.lower()]
            problems += [f"{where}: {problem}" for problem in _route_problems(route)]
            operation_id = operation.get("operationId", "")
            if not _SNAKE.match(operation_id) or operation_id in _VAGUE_IDS:
                problems.append(f"{where}: operation id {operation_id!r} is not a snake_case verb phrase")
            elif operation_id in seen_ids:
                problems.append(
                    f"{where}: operation id {operation_id!r} also used by {seen_ids[operation_id]}"
                )
            seen_ids[operation_id] = where
            problems += [f"{where}: {problem}" for problem in _response_problems(operation, error_ref)]
    return problems


def _route_problems(route: APIRoute) -> list[str]:
    problems = []
    if not route.summary:
        problems.append("no summary")
    streams_or_empty = route.status_code == 204 or not _is_json_response(route)
    if route.response_model is None and not streams_or_empty:
        problems.append("no response model")
    return problems


def _is_json_response(route: APIRoute) -> bool:
    response_class = getattr(route.response_class, "value", route.response_class)
    return isinstance(response_class, type) and issubclass(response_class, JSONResponse)


def _response_problems(operation: dict[str, object], error_ref: str) -> list[str]:
    responses = operation.get("responses")
    assert isinstance(responses, dict)
    problems = []
    if not any(str(status).startswith("2") or str(status).startswith("3") for status in responses):
        problems.append("no success response documented")
    if "500" not in responses:
        problems.append("500 not documented")
    has_input = bool(operation.get("parameters")) or "requestBody" in operation
    if has_input and "422" not in responses:
        problems.append("422 not documented")
    for status, response in responses.items():
        if not (str(status).isdigit() and int(status) >= 400) or (
            int(status) == 503 and _is_readiness(response)
        ):
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("$ref") != error_ref:
            problems.append(f"{status} is not documented in the service's error format")
    return problems


def _is_readiness(response: dict[str, object]) -> bool:
    content = response.get("content", {})
    assert isinstance(content, dict)
    schema = content.get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).endswith("/ReadinessResponse")
