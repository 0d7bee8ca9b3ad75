"""``POST /v1/tests/sessions/{id}/results`` and ``GET …/changes``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from apikit.db.engine import WriteSession
from apikit.db.fastread import Reads
from apikit.idempotency import REPLAYED_HEADER, IdempotencyGuard, idempotency
from apikit.openapi import error_responses
from apikit.pagination import coerce_limit
from firemode.identity.roles import CurrentUser
from firemode.sync.boundary import Boundary, ChangesMerged
from firemode.sync.models import IdempotencyKey
from firemode.sync.repository import ChangeReads
from firemode.sync.schemas import ChangesPage, ResultsRequest, ResultsResponse

router = APIRouter(prefix="/v1/tests/sessions", tags=["results"])
MAX_CHANGES_PER_PULL = 1000

Idempotency = Annotated[
    IdempotencyGuard,
    Depends(
        idempotency(
            IdempotencyKey,
            required=True,
            accept_query=True,
        ),
        scope="function",
    ),
]


@router.post(
    "/{session_id}/results",
    response_model=ResultsResponse,
    summary="Submit a batch of offline changes (merged as a CRDT; idempotent with Idempotency-Key)",
    responses=error_responses(400, 401, 404, 409, 413, 503, 504),
)
async def submit_results(
    response: Response,
    session_id: uuid.UUID,
    body: ResultsRequest,
    caller: CurrentUser,
    guard: Idempotency,
    session: WriteSession,
    boundary: Boundary,
    changes_merged: ChangesMerged,
) -> ResultsResponse:
    outcome = await boundary.submit(session, session_id, caller, body.changes, guard.operation)
    # Counted once: a replay comes from the sync worker only for an attempt this process gave up on.
    changes_merged.inc(outcome.applied)
    if outcome.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    answer = ResultsResponse.model_validate(outcome)
    await guard.record(session, 200, answer.model_dump(mode="json"))
    return answer


@router.get(
    "/{session_id}/changes",
    response_model=ChangesPage,
    summary="Changes accepted after a checkpoint, in arrival order (what a device missed)",
    responses=error_responses(401, 404),
)
async def list_changes(
    session_id: uuid.UUID,
    caller: CurrentUser,
    reader: Reads,
    since: Annotated[int, Query(ge=0, le=2**62, description="The last checkpoint the device holds")] = 0,
    limit: Annotated[int, Query(ge=1, description=f"At most {MAX_CHANGES_PER_PULL} are returned")] = 500,
) -> Response:
    changes = await ChangeReads(reader, caller).after(
        session_id, since, coerce_limit(limit, MAX_CHANGES_PER_PULL)
    )
    return Response(changes, media_type="application/json")
