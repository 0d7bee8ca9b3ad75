"""``firemode sync-worker``: the merge engine as a separate process, for the API's internal calls."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Response

from apikit.app import create_app
from apikit.auth.dependencies import internal_caller
from apikit.db.engine import WriteSession
from apikit.idempotency import REPLAYED_HEADER, IdempotentOperation
from apikit.openapi import error_responses
from firemode.errors import ERROR_FORMAT
from firemode.identity.service import acting_for
from firemode.settings import FireModeSettings
from firemode.sync.boundary import WORKER_AUDIENCE, Boundary, InProcessMerge
from firemode.sync.schemas import ResultsResponse, WorkerSubmission
from firemode.sync.service import limits_from

router = APIRouter(prefix="/internal/v1/tests/sessions", tags=["internal"])
InternalCaller = Annotated[dict[str, Any], Depends(internal_caller(WORKER_AUDIENCE))]


@router.post(
    "/{session_id}/results",
    response_model=ResultsResponse,
    summary="Merge a batch for the API (internal token only)",
    responses=error_responses(401, 404, 409, 413, 503),
)
async def merge_for_api(
    response: Response,
    session_id: uuid.UUID,
    body: WorkerSubmission,
    _api: InternalCaller,
    session: WriteSession,
    merge: Boundary,
) -> ResultsResponse:
    caller = await acting_for(session, body.caller_id, body.caller_role)
    operation = (
        IdempotentOperation(body.batch_id, body.fingerprint) if body.batch_id and body.fingerprint else None
    )
    outcome = await merge.submit(session, session_id, caller, body.changes, operation)
    if outcome.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return ResultsResponse.model_validate(outcome)


def create_sync_worker_app(settings: FireModeSettings | None = None) -> FastAPI:
    settings = settings or FireModeSettings()
    app = create_app(
        settings=settings,
        title="FireMode sync worker",
        version="1.0.0",
        description="Merges results batches for the FireMode API (internal tokens only).",
        error_format=ERROR_FORMAT,
        routers=[router],
    )
    app.state.merge_boundary = InProcessMerge(limits_from(settings), remembers_batches=True)
    return app


def create_worker_from_env() -> FastAPI:
    """uvicorn's ``--factory`` entry point for ``firemode sync-worker``."""
    return create_sync_worker_app()
