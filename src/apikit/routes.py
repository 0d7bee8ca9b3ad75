"""Walking an app's routes, including those of included routers (FastAPI wraps them)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts


def route_contexts(app: FastAPI) -> Iterator[RouteContext]:
    """Every route as served: its effective path and methods, and ``original_route``."""
    return iter_route_contexts(app.routes)


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """``(path template as in OpenAPI, route)`` for every FastAPI operation of the app."""
    return [
        (context.path_format or "", context.original_route)
        for context in route_contexts(app)
        if isinstance(context.original_route, APIRoute)
    ]
