"""``/v1/tests/sessions``: creation (client-chosen ids), lists, detail, lifecycle, participants."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import load_only

from apikit.conditional import json_with_etag
from apikit.db.engine import ReadOnlySession, WriteSession
from apikit.errors import UnprocessableError
from apikit.openapi import error_responses
from apikit.pagination import Keyset, PageParams, paginate
from apikit.schemas import Id, IsoDateTime
from firemode.identity.roles import CurrentUser
from firemode.sessions.models import TestSession
from firemode.sessions.repository import SessionRepository, visible_sessions
from firemode.sessions.schemas import (
    ParticipantRequest,
    ParticipantsResponse,
    SessionCreated,
    SessionCreateRequest,
    SessionDetail,
    SessionPage,
    SessionStatus,
    SessionSummary,
    SessionUpdateRequest,
)
from firemode.sessions.service import SessionService, not_found

router = APIRouter(prefix="/v1/tests/sessions", tags=["test sessions"])
SESSIONS = Keyset("test_sessions", (TestSession.created_at, TestSession.id))


def created_response(row: TestSession) -> SessionCreated:
    return SessionCreated(
        session_id=row.id,
        building_id=row.building_id,
        name=row.name,
        status=SessionStatus(row.status),
        created_at=row.created_at,
        vector_clock=row.vector_clock,
    )


def summary(row: TestSession) -> SessionSummary:
    return SessionSummary(
        session_id=row.id,
        building_id=row.building_id,
        status=SessionStatus(row.status),
        created_at=row.created_at,
    )


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
) -> SessionCreated:
    body = body or SessionCreateRequest()
    building = body.building_id or building_id
    if building is None:
        raise UnprocessableError("building_id is required", details={"field": "building_id"})
    row, created = await SessionService(session).create(
        caller, building_id=building, session_id=body.session_id, name=body.name
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return created_response(row)


@router.get(
    "",
    response_model=SessionPage,
    summary="Sessions you can see, newest first",
    responses=error_responses(400, 401),
)
async def list_test_sessions(
    caller: CurrentUser,
    session: ReadOnlySession,
    page: PageParams,
    status_filter: Annotated[
        list[SessionStatus] | None, Query(alias="status", description="Repeatable")
    ] = None,
    date_from: Annotated[IsoDateTime | None, Query(description="ISO 8601; created at or after")] = None,
    date_to: Annotated[IsoDateTime | None, Query(description="ISO 8601; created at or before")] = None,
) -> SessionPage:
    # A summary needs four columns; the document and the clocks can be megabytes of JSON each.
    statement = visible_sessions(caller).options(
        load_only(TestSession.id, TestSession.building_id, TestSession.status, TestSession.created_at)
    )
    statuses = sorted(set(status_filter or ()))
    if statuses:
        statement = statement.where(TestSession.status.in_(statuses))
    if date_from is not None:
        statement = statement.where(TestSession.created_at >= date_from)
    if date_to is not None:
        statement = statement.where(TestSession.created_at <= date_to)
    filters = {"status": statuses, "from": date_from, "to": date_to}
    result = await paginate(session, statement, keyset=SESSIONS, page=page, filters=filters)
    return SessionPage(data=[summary(row) for row in result.items], next_cursor=result.next_cursor)


@router.get(
    "/{session_id}",
    response_model=SessionDetail,
    summary="A session with its participants and merged results (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_test_session(
    request: Request, session_id: uuid.UUID, caller: CurrentUser, session: ReadOnlySession
) -> Response:
    repository = SessionRepository(session)
    row = await repository.get_visible(session_id, caller)
    if row is None:
        raise not_found(session_id)
    detail = SessionDetail(
        **summary(row).model_dump(),
        updated_at=row.updated_at,
        name=row.name,
        participants=await repository.participants(session_id),
        vector_clock=row.vector_clock,
        results=row.document,
        change_count=row.change_count,
        checkpoint=row.checkpoint,
    )
    return json_with_etag(request, detail)


@router.patch(
    "/{session_id}",
    response_model=SessionSummary,
    summary="Move a session through its lifecycle, or rename it",
    responses=error_responses(401, 404, 409),
)
async def update_test_session(
    session_id: uuid.UUID, body: SessionUpdateRequest, caller: CurrentUser, session: WriteSession
) -> SessionSummary:
    row = await SessionService(session).update(
        session_id, caller, body.model_dump(exclude_unset=True, exclude_none=True)
    )
    return summary(row)


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
    added = await SessionService(session).add_participant(session_id, caller, body.user_id)
    if not added:
        response.status_code = status.HTTP_200_OK
    participants = await SessionRepository(session).participants(session_id)
    return ParticipantsResponse(session_id=session_id, participants=participants)
