"""``/v1/workout-logs``: what a lifter did, logged once (Idempotency-Key honoured), then listed,
read, replaced and deleted; each answered with every set's e1RM and the records the log set.
``/v1/progress``: a movement's days and records, and the last weeks in summary."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response

from alloy.identity.roles import CurrentUser
from alloy.programs.models import ProgramIdempotencyKey
from alloy.training import progress as progress_service
from alloy.training import service
from alloy.training.repository import WorkoutLogRepository
from alloy.training.schemas import (
    LogCreateRequest,
    LogOut,
    LogReplaceRequest,
    MovementProgress,
    ProgressSummary,
)
from alloy.training.window import day_window
from apikit.cache import CacheDep
from apikit.db.engine import ReadSession, WriteSession
from apikit.envelope import Envelope, envelope
from apikit.idempotency import IdempotencyGuard, idempotency
from apikit.openapi import error_responses
from apikit.pagination import BidirectionalPageParams, CursorPage
from apikit.schemas import IsoDate

logs = APIRouter(prefix="/v1/workout-logs", tags=["training"])

Idempotency = Annotated[
    IdempotencyGuard, Depends(idempotency(ProgramIdempotencyKey, required=False), scope="function")
]


@logs.post(
    "",
    response_model=Envelope[LogOut],
    status_code=status.HTTP_201_CREATED,
    summary="Log a workout (a planned session's log completes it; Idempotency-Key honoured)",
    responses=error_responses(400, 401, 404, 409, 422),
)
async def create_log(
    request: Request,
    body: LogCreateRequest,
    caller: CurrentUser,
    guard: Idempotency,
    db: WriteSession,
    cache: CacheDep,
) -> Envelope[LogOut]:
    created = await service.create_log(db, caller.user_id, body)
    answer = envelope(request, await service.log_out(db, caller.user_id, created.log.id, created.records))
    await guard.record(db, status.HTTP_201_CREATED, answer.model_dump(mode="json"))
    service.invalidate(db, cache, caller.user_id)
    return answer


@logs.get(
    "",
    response_model=Envelope[CursorPage[LogOut]],
    summary="Your workout logs, newest first, optionally between two days or with one movement",
    responses=error_responses(400, 401, 422),
)
async def list_logs(
    request: Request,
    caller: CurrentUser,
    db: ReadSession,
    page: BidirectionalPageParams,
    from_: Annotated[IsoDate | None, Query(alias="from", description="First day (UTC), inclusive")] = None,
    to: Annotated[IsoDate | None, Query(description="Last day (UTC), inclusive")] = None,
    movement_id: Annotated[uuid.UUID | None, Query(description="Only logs with this movement")] = None,
) -> Envelope[CursorPage[LogOut]]:
    first, before = day_window(from_, to)
    result = await WorkoutLogRepository(db, caller.user_id).newest_first(page, first, before, movement_id)
    items = await service.logs_out(db, caller.user_id, result.items)
    return envelope(request, CursorPage[LogOut].of(result, items))


@logs.get(
    "/{log_id:uuid}",
    response_model=Envelope[LogOut],
    summary="One of your workout logs",
    responses=error_responses(401, 404),
)
async def read_log(
    request: Request, log_id: uuid.UUID, caller: CurrentUser, db: ReadSession
) -> Envelope[LogOut]:
    return envelope(request, await service.log_out(db, caller.user_id, log_id))


@logs.put(
    "/{log_id:uuid}",
    response_model=Envelope[LogOut],
    summary="Replace a log's entries and details (its session stays; records are recomputed)",
    responses=error_responses(400, 401, 404, 422),
)
async def replace_log(
    request: Request, log_id: uuid.UUID, body: LogReplaceRequest, caller: CurrentUser, db: WriteSession
) -> Envelope[LogOut]:
    await service.replace_log(db, caller.user_id, log_id, body)
    return envelope(request, await service.log_out(db, caller.user_id, log_id))


@logs.delete(
    "/{log_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a log (its session is no longer completed; records are recomputed)",
    responses=error_responses(401, 404),
)
async def delete_log(log_id: uuid.UUID, caller: CurrentUser, db: WriteSession, cache: CacheDep) -> Response:
    await service.delete_log(db, caller.user_id, log_id)
    service.invalidate(db, cache, caller.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


progress = APIRouter(prefix="/v1/progress", tags=["training"])


@progress.get(
    "/movements/{movement_id:uuid}",
    response_model=Envelope[MovementProgress],
    summary="One movement's progress: per day its best e1RM, top set and volume; its all-time records",
    responses=error_responses(400, 401, 404, 422),
)
async def movement_progress(
    request: Request,
    movement_id: uuid.UUID,
    caller: CurrentUser,
    db: ReadSession,
    from_: Annotated[IsoDate | None, Query(alias="from", description="First day (UTC), inclusive")] = None,
    to: Annotated[IsoDate | None, Query(description="Last day (UTC), inclusive")] = None,
) -> Envelope[MovementProgress]:
    return envelope(
        request, await progress_service.movement_progress(db, caller.user_id, movement_id, from_, to)
    )


@progress.get(
    "/summary",
    response_model=Envelope[ProgressSummary],
    summary="Your last weeks: sets and volume per pattern and primary muscle, adherence, records set",
    responses=error_responses(401, 422),
)
async def progress_summary(
    request: Request,
    caller: CurrentUser,
    db: ReadSession,
    weeks: Annotated[int, Query(ge=1, le=52, description="Weeks back, this one included")] = 4,
) -> Envelope[ProgressSummary]:
    return envelope(request, await progress_service.summary(db, caller.user_id, weeks))
