"""Liveness (``/health``, no dependencies) and readiness (``/ready``, every configured dependency)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from apikit.context import app_state
from apikit.logging import get_logger

log = get_logger("apikit.health")

CheckFn = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class ReadinessCheck:
    """A dependency the service cannot serve without; ``check`` raises when it is not reachable."""

    name: str
    check: CheckFn
    timeout_seconds: float = 2.0


class HealthResponse(BaseModel):
    status: Literal["ok"]


class DependencyState(BaseModel):
    status: Literal["ok", "unavailable"]
    error: str | None = None


class ReadinessResponse(BaseModel):
    status: Literal["ready", "unavailable"]
    dependencies: dict[str, DependencyState]


ReadinessChecks = Annotated[list[ReadinessCheck], Depends(app_state("readiness_checks"))]

router = APIRouter(tags=["operations"])


_HEALTHY = HealthResponse(status="ok")


async def check_health() -> HealthResponse:
    return _HEALTHY


class _PreparedAnswer(APIRoute):
    """A route whose answer never changes: documented from its declaration like any other, and
    answered with bytes prepared once (no dependency solving or response validation per request;
    a load balancer polls it)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        body = _HEALTHY.model_dump_json().encode()

        async def answer(_request: Request) -> Response:
            return Response(body, media_type="application/json")

        return answer


router.add_api_route(
    "/health",
    check_health,
    methods=["GET"],
    response_model=HealthResponse,
    summary="Liveness: the process answers",
    operation_id="check_health",
    route_class_override=_PreparedAnswer,
)


@router.get(
    "/ready",
    response_model=ReadinessResponse,
    summary="Readiness: every dependency answers",
    operation_id="check_readiness",
    responses={503: {"model": ReadinessResponse, "description": "A dependency is unavailable"}},
)
async def check_readiness(checks: ReadinessChecks) -> JSONResponse:
    states = await asyncio.gather(*(_probe(check) for check in checks))
    body = ReadinessResponse(
        status="ready" if all(state.status == "ok" for state in states) else "unavailable",
        dependencies={check.name: state for check, state in zip(checks, states, strict=True)},
    )
    return JSONResponse(body.model_dump(), status_code=200 if body.status == "ready" else 503)


async def _probe(check: ReadinessCheck) -> DependencyState:
    try:
        async with asyncio.timeout(check.timeout_seconds):
            await check.check()
    except Exception as exc:  # any failure means "not ready"; the reason is logged, not leaked
        log.warning("dependency_unavailable", dependency=check.name, error=repr(exc))
        return DependencyState(status="unavailable", error=type(exc).__name__)
    return DependencyState(status="ok")
