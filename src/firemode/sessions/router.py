"""``/v1/tests/sessions``: creation (client-chosen ids), lists, detail, lifecycle, participants."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from apikit.conditional import json_bytes_with_etag
from apikit.db.engine import WriteSession
from apikit.db.fastread import Reads
from apikit.idempotency import IdempotencyGuard, idempotency
from apikit.openapi import error_responses
from apikit.pagination import PageParams
from apikit.schemas import Id, IsoDateTime
from firemode.clock import Now
from firemode.defects.service import Due
from firemode.identity.roles import CurrentUser
from firemode.sessions.models import TestSession
from firemode.sessions.repository import SessionReads
from firemode.sessions.schemas import (
    ParticipantRequest,
    ParticipantsResponse,
    SessionCreated,
    SessionCreateRequest,
    SessionDetail,
    SessionPage,
    SessionStatus,
    SessionUpdated,
    SessionUpdateRequest,
)
from firemode.sessions.service import SessionService
from firemode.sync.models import IdempotencyKey

router = APIRouter(prefix="/v1/tests/sessions", tags=["test sessions"])
# Optional on PATCH: a completion retried with its key gets its first answer (with what it wrote).
Idempotency = Annotated[
    IdempotencyGuard, Depends(idempotency(IdempotencyKey, required=False), scope="function")
]


@router.post(
    "",
    response_model=SessionCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Start a test session (an existing id of yours answers 200 with it)",
    responses={
        200: {"model": SessionCreated, "description": "The session existed"},
        **error_responses(401, 409),
    },
)
async def create_test_session(
    response: Response,
    caller: CurrentUser,
    session: WriteSession,
    body: SessionCreateRequest | None = None,
    building_id: Annotated[
        Id | None, Query(description="Accepted here too, as the user's draft sent it")
    ] = None,
) -> TestSession:
    body = body or SessionCreateRequest()
    row, created = await SessionService(session, caller).create(
        building_id=body.building_id or building_id, session_id=body.session_id, name=body.name
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return row


@router.get(
    "",
    response_model=SessionPage,
    summary="Sessions you can see, newest first",
    responses=error_responses(400, 401),
)
async def list_test_sessions(
    caller: CurrentUser,
    reader: Reads,
    page: PageParams,
    status_filter: Annotated[
        list[SessionStatus] | None, Query(alias="status", description="Repeatable")
    ] = None,
    date_from: Annotated[IsoDateTime | None, Query(description="ISO 8601; created at or after")] = None,
    date_to: Annotated[IsoDateTime | None, Query(description="ISO 8601; created at or before")] = None,
) -> Response:
    found = await SessionReads(reader, caller).newest_first(page, status_filter, date_from, date_to)
    return Response(found.items_and_cursor(), media_type="application/json")


@router.get(
    "/{session_id}",
    response_model=SessionDetail,
    summary="A session with its participants and merged results (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_test_session(
    request: Request, session_id: uuid.UUID, caller: CurrentUser, reader: Reads
) -> Response:
    return json_bytes_with_etag(request, await SessionReads(reader, caller).detail(session_id))


@router.patch(
    "/{session_id}",
    response_model=SessionUpdated,
    summary="Move a session through its lifecycle, or rename it; completing writes its service records",
    responses=error_responses(400, 401, 404, 409),
)
async def update_test_session(
    session_id: uuid.UUID,
    body: SessionUpdateRequest,
    caller: CurrentUser,
    guard: Idempotency,
    session: WriteSession,
    now: Now,
    due: Due,
) -> SessionUpdated:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    row, completion = await SessionService(session, caller).update(session_id, changes, now, due)
    answer = SessionUpdated.of(row, completion)
    await guard.record(session, 200, answer.model_dump(mode="json"))
    return answer


@router.post(
    "/{session_id}/participants",
    response_model=ParticipantsResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Add a technician to a session (its creator, a supervisor or an admin)",
    responses={
        200: {"model": ParticipantsResponse, "description": "Already a participant"},
        **error_responses(401, 403, 404),
    },
)
async def add_participant(
    session_id: uuid.UUID,
    body: ParticipantRequest,
    response: Response,
    caller: CurrentUser,
    session: WriteSession,
) -> ParticipantsResponse:
    added, participants = await SessionService(session, caller).add_participant(session_id, body.user_id)
    if not added:
        response.status_code = status.HTTP_200_OK
    return ParticipantsResponse(session_id=session_id, participants=participants)
