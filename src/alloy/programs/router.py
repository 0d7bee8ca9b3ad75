"""``/v1/programs`` and ``/v1/sessions``: a program built in one call, then read, edited, activated,
deleted; its sessions listed, read with their explanation, edited and completed."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response

from alloy.identity.roles import CurrentUser
from alloy.programs import service
from alloy.programs.models import ProgramIdempotencyKey
from alloy.programs.reads import ProgramReads
from alloy.programs.repository import CatalogueSnapshotsDep, ProgramRepository, TrainingSessionRepository
from alloy.programs.schemas import (
    ProgramCreateRequest,
    ProgramDetailOut,
    ProgramOut,
    ProgramUpdateRequest,
    SessionCompleteRequest,
    SessionOut,
    SessionSummary,
    SessionUpdateRequest,
)
from alloy.settings import AlloySettings
from alloy.training.targets import session_targets
from apikit.cache import CacheDep
from apikit.conditional import etag_of, not_modified
from apikit.db.engine import ReadSession, WriteSession
from apikit.db.fastread import Reads
from apikit.envelope import Envelope, envelope, enveloped_json
from apikit.idempotency import IdempotencyGuard, idempotency
from apikit.openapi import error_responses
from apikit.pagination import BidirectionalPageParams, CursorPage
from apikit.ratelimit import rate_limit

programs = APIRouter(prefix="/v1/programs", tags=["programs"])
sessions = APIRouter(prefix="/v1/sessions", tags=["programs"])

Idempotency = Annotated[
    IdempotencyGuard,
    Depends(
        idempotency(ProgramIdempotencyKey, required=False),
        scope="function",
    ),
]


def _create_rate(settings: AlloySettings) -> str:
    return settings.program_create_rate


CreateRate = Annotated[None, Depends(rate_limit(_create_rate, "programs:create"))]


async def program_detail(db: ReadSession, user_id: uuid.UUID, program_id: uuid.UUID) -> ProgramDetailOut:
    return ProgramDetailOut.model_validate(
        await ProgramRepository(db, user_id).current(program_id, schedule=True)
    )


async def session_detail(db: ReadSession, user_id: uuid.UUID, session_id: uuid.UUID) -> SessionOut:
    found = await TrainingSessionRepository(db, user_id).detail(session_id)
    return SessionOut.of(found, await session_targets(db, user_id, found))


@programs.post(
    "",
    response_model=Envelope[ProgramDetailOut],
    status_code=status.HTTP_201_CREATED,
    summary="Build a program: its weeks and every session, in one transaction (Idempotency-Key honoured)",
    responses=error_responses(400, 401, 409, 422, 429),
)
async def create_program(
    request: Request,
    body: ProgramCreateRequest,
    caller: CurrentUser,
    _rate: CreateRate,
    guard: Idempotency,
    db: WriteSession,
    cache: CacheDep,
    snapshots: CatalogueSnapshotsDep,
) -> Envelope[ProgramDetailOut]:
    built = await service.create_program(db, caller.user_id, body, snapshots)
    answer = envelope(request, ProgramDetailOut.just_built(built.program, built.schedule))
    if guard.row_id is not None:  # an Idempotency-Key came: the answer is stored with the program
        await guard.record(db, status.HTTP_201_CREATED, answer.model_dump(mode="json"))
    service.invalidate(db, cache, caller.user_id)
    return answer


@programs.get(
    "",
    response_model=Envelope[CursorPage[ProgramOut]],
    summary="Your programs, newest first",
    responses=error_responses(400, 401),
)
async def list_programs(
    request: Request,
    caller: CurrentUser,
    reader: Reads,
    page: BidirectionalPageParams,
    is_active: Annotated[bool | None, Query()] = None,
) -> Response:
    return enveloped_json(request, await ProgramReads(reader, caller.user_id).newest_first(page, is_active))


@programs.get(
    "/{program_id:uuid}",
    response_model=Envelope[ProgramDetailOut],
    summary="One of your programs with its schedule (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_program(
    request: Request, program_id: uuid.UUID, caller: CurrentUser, reader: Reads, cache: CacheDep
) -> Response:
    key = await cache.key(service.programs_scope(caller.user_id), "detail", program_id)
    data = await cache.remember(key, lambda: ProgramReads(reader, caller.user_id).detail(program_id))
    etag = etag_of(data)
    return not_modified(request, etag) or enveloped_json(request, data, etag=etag)


@programs.patch(
    "/{program_id:uuid}",
    response_model=Envelope[ProgramDetailOut],
    summary="Rename a program or change its notes",
    responses=error_responses(401, 404),
)
async def update_program(
    request: Request,
    program_id: uuid.UUID,
    body: ProgramUpdateRequest,
    caller: CurrentUser,
    db: WriteSession,
    cache: CacheDep,
) -> Envelope[ProgramDetailOut]:
    await service.update_program(db, caller.user_id, program_id, body)
    service.invalidate(db, cache, caller.user_id)
    return envelope(request, await program_detail(db, caller.user_id, program_id))


@programs.post(
    "/{program_id:uuid}/activate",
    response_model=Envelope[ProgramOut],
    summary="Make this your active program (any other is deactivated)",
    responses=error_responses(401, 404, 409),
)
async def activate_program(
    request: Request, program_id: uuid.UUID, caller: CurrentUser, db: WriteSession, cache: CacheDep
) -> Envelope[ProgramOut]:
    program = await service.activate(db, caller.user_id, program_id)
    service.invalidate(db, cache, caller.user_id)
    return envelope(
        request, ProgramOut.model_validate(await ProgramRepository(db, caller.user_id).current(program.id))
    )


@programs.delete(
    "/{program_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a program and its sessions (not the active one: 409 BR_PROGRAM_ACTIVE)",
    responses=error_responses(401, 404, 409),
)
async def delete_program(
    program_id: uuid.UUID, caller: CurrentUser, db: WriteSession, cache: CacheDep
) -> Response:
    await service.delete_program(db, caller.user_id, program_id)
    service.invalidate(db, cache, caller.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@programs.get(
    "/{program_id:uuid}/sessions",
    response_model=Envelope[CursorPage[SessionSummary]],
    summary="A program's sessions by date, optionally between two dates",
    responses=error_responses(400, 401, 404),
)
async def list_sessions(
    request: Request,
    program_id: uuid.UUID,
    caller: CurrentUser,
    reader: Reads,
    page: BidirectionalPageParams,
    from_: Annotated[date | None, Query(alias="from", description="First day, inclusive")] = None,
    to: Annotated[date | None, Query(description="Last day, inclusive")] = None,
) -> Response:
    found = await ProgramReads(reader, caller.user_id).sessions_of(program_id, page, from_, to)
    return enveloped_json(request, found)


@sessions.get(
    "/{session_id:uuid}",
    response_model=Envelope[SessionOut],
    summary="One session: its exercises and why each movement was chosen (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_session(
    request: Request, session_id: uuid.UUID, caller: CurrentUser, db: ReadSession
) -> Response:
    data = (await session_detail(db, caller.user_id, session_id)).model_dump_json().encode()
    etag = etag_of(data)
    return not_modified(request, etag) or enveloped_json(request, data, etag=etag)


@sessions.patch(
    "/{session_id:uuid}",
    response_model=Envelope[SessionOut],
    summary="Move a session, change its notes or edit its exercises (not once completed)",
    responses=error_responses(400, 401, 404, 409, 422),
)
async def update_session(
    request: Request,
    session_id: uuid.UUID,
    body: SessionUpdateRequest,
    caller: CurrentUser,
    db: WriteSession,
    cache: CacheDep,
) -> Envelope[SessionOut]:
    await service.update_session(db, caller.user_id, session_id, body)
    service.invalidate(db, cache, caller.user_id)
    return envelope(request, await session_detail(db, caller.user_id, session_id))


@sessions.post(
    "/{session_id:uuid}/complete",
    response_model=Envelope[SessionOut],
    summary="Mark a session done (409 BR_SESSION_COMPLETE the second time)",
    responses=error_responses(401, 404, 409),
)
async def complete_session(
    request: Request,
    session_id: uuid.UUID,
    caller: CurrentUser,
    db: WriteSession,
    cache: CacheDep,
    body: SessionCompleteRequest | None = None,
) -> Envelope[SessionOut]:
    await service.complete_session(db, caller.user_id, session_id, body.notes if body else None)
    service.invalidate(db, cache, caller.user_id)
    return envelope(request, await session_detail(db, caller.user_id, session_id))
