"""``POST /v1/tests/sessions/{id}/results`` and ``GET …/changes``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from apikit.db.engine import ReadOnlySession, WriteSession
from apikit.idempotency import REPLAYED_HEADER, IdempotencyGuard, idempotency
from apikit.openapi import error_responses
from firemode.identity.roles import CurrentUser
from firemode.sessions.repository import SessionRepository
from firemode.sessions.service import not_found
from firemode.sync.boundary import MergeBoundary
from firemode.sync.models import IdempotencyKey, SessionChange
from firemode.sync.schemas import ChangeOut, ChangesPage, ResultsRequest, ResultsResponse

router = APIRouter(prefix="/v1/tests/sessions", tags=["results"])

Idempotency = Annotated[
    IdempotencyGuard,
    Depends(
        idempotency(
            IdempotencyKey,
            lambda request: str(request.scope["state"]["user_id"]),
            required=True,
            accept_query=True,
        ),
        scope="function",
    ),
]


def merge_boundary(request: Request) -> MergeBoundary:
    boundary: MergeBoundary = request.app.state.merge_boundary
    return boundary


@router.post(
    "/{session_id}/results",
    response_model=ResultsResponse,
    summary="Submit a batch of offline changes (merged as a CRDT; idempotent with Idempotency-Key)",
    responses=error_responses(400, 401, 404, 409, 413, 503, 504),
)
async def submit_results(
    request: Request,
    response: Response,
    session_id: uuid.UUID,
    body: ResultsRequest,
    caller: CurrentUser,
    guard: Idempotency,
    session: WriteSession,
) -> ResultsResponse:
    outcome = await merge_boundary(request).submit(session, session_id, caller, body.changes, guard.operation)
    # Counted once: a replay comes from the sync worker only for an attempt this process gave up on.
    request.app.state.changes_merged.inc(outcome.applied)
    if outcome.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    answer = ResultsResponse(
        session_id=outcome.session_id,
        applied=outcome.applied,
        duplicates=outcome.duplicates,
        vector_clock=outcome.vector_clock,
        processed_at=outcome.processed_at,
        checkpoint=outcome.checkpoint,
    )
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
    session: ReadOnlySession,
    since: Annotated[int, Query(ge=0, le=2**62, description="The last checkpoint the device holds")] = 0,
    limit: Annotated[int, Query(ge=1, description="At most 1000 are returned")] = 500,
) -> ChangesPage:
    row = await SessionRepository(session).get_visible(session_id, caller)
    if row is None:
        raise not_found(session_id)
    limit = min(limit, 1000)
    result = await session.execute(
        select(SessionChange)
        .where(SessionChange.session_id == session_id, SessionChange.seq > since)
        .order_by(SessionChange.seq)
        .limit(limit + 1)
    )
    changes = list(result.scalars())
    has_more = len(changes) > limit
    changes = changes[:limit]
    return ChangesPage(
        data=[
            ChangeOut(
                seq=change.seq,
                actor=change.actor,
                counter=change.counter,
                op=change.op,
                path=change.path,
                value=change.value,
                accepted_at=change.accepted_at,
            )
            for change in changes
        ],
        checkpoint=changes[-1].seq if changes else min(since, row.checkpoint),
        vector_clock=row.vector_clock,
        has_more=has_more,
    )
