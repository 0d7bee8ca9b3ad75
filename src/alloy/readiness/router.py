"""``/v1/readiness``: a check-in per day (PUT replaces it), read back one day or a range."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from alloy.identity.roles import CurrentUser
from alloy.programs.repository import CatalogueSnapshotsDep
from alloy.programs.service import invalidate
from alloy.readiness import service
from alloy.readiness.adaptation import Planned
from alloy.readiness.repository import ReadinessRepository
from alloy.readiness.schemas import (
    AdaptationOut,
    AdaptedExerciseOut,
    AdaptRequest,
    ChangeOut,
    ReadinessIn,
    ReadinessOut,
    ReadinessUsed,
)
from apikit.cache import CacheDep
from apikit.context import add_warning
from apikit.db.engine import DatabaseDep, ReadSession, WriteSession
from apikit.envelope import Envelope, envelope
from apikit.openapi import error_responses
from apikit.pagination import BidirectionalPageParams, CursorPage
from apikit.schemas import IsoDate

router = APIRouter(prefix="/v1/readiness", tags=["readiness"])
sessions = APIRouter(prefix="/v1/sessions", tags=["readiness"])


@router.put(
    "/{date}",
    response_model=Envelope[ReadinessOut],
    summary="Record (or replace) the day's readiness: its score and band",
    responses=error_responses(401, 409, 422),
)
async def put_readiness(
    request: Request, date: IsoDate, body: ReadinessIn, caller: CurrentUser, db: WriteSession
) -> Envelope[ReadinessOut]:
    found = await service.put_readiness(db, caller.user_id, date, body)
    return envelope(request, ReadinessOut.model_validate(found))


@router.get(
    "",
    response_model=Envelope[CursorPage[ReadinessOut]],
    summary="Your readiness by day, newest first, optionally between two dates",
    responses=error_responses(400, 401),
)
async def list_readiness(
    request: Request,
    caller: CurrentUser,
    db: ReadSession,
    page: BidirectionalPageParams,
    from_: Annotated[IsoDate | None, Query(alias="from", description="First day, inclusive")] = None,
    to: Annotated[IsoDate | None, Query(description="Last day, inclusive")] = None,
) -> Envelope[CursorPage[ReadinessOut]]:
    service.checked_range(from_, to)
    result = await ReadinessRepository(db, caller.user_id).newest_first(page, from_, to)
    items = [ReadinessOut.model_validate(item) for item in result.items]
    return envelope(request, CursorPage[ReadinessOut].of(result, items))


@router.get(
    "/{date}",
    response_model=Envelope[ReadinessOut],
    summary="Your readiness on one day",
    responses=error_responses(401, 404),
)
async def read_readiness(
    request: Request, date: IsoDate, caller: CurrentUser, db: ReadSession
) -> Envelope[ReadinessOut]:
    found = await ReadinessRepository(db, caller.user_id).on_or_404(date)
    return envelope(request, ReadinessOut.model_validate(found))


def _exercise_out(item: Planned) -> AdaptedExerciseOut:
    movement, circuit, work = item.movement, item.circuit, item.work
    # A finisher whose circuit was deleted since stands for itself (no circuit type, no circuit id).
    return AdaptedExerciseOut(
        exercise_id=item.exercise_id,
        block=str(item.block),
        position=item.position,
        movement_id=movement.id if movement else None,
        movement_name=movement.name if movement else None,
        circuit_id=circuit.id if circuit and movement is None and circuit.circuit_type else None,
        circuit_name=circuit.name if circuit and movement is None and circuit.circuit_type else None,
        sets=work.sets,
        reps_min=work.reps_min,
        reps_max=work.reps_max,
        duration_seconds=work.duration_seconds,
        distance_m=work.distance_m,
        target_rpe=work.rpe,
        target_rir=work.rir,
        rest_seconds=work.rest_seconds,
        superset_group=item.superset,
        estimated_seconds=item.estimated_seconds,
        reason=item.reason,
    )


@sessions.post(
    "/{session_id:uuid}/adapt",
    response_model=Envelope[AdaptationOut],
    summary="Adapt the session to the day's readiness and the minutes available: a preview, or stored "
    "with accept: true",
    responses=error_responses(401, 404, 409, 422),
)
async def adapt_session(
    request: Request,
    session_id: uuid.UUID,
    caller: CurrentUser,
    database: DatabaseDep,
    cache: CacheDep,
    snapshots: CatalogueSnapshotsDep,
    body: AdaptRequest | None = None,
) -> Envelope[AdaptationOut]:
    body = body or AdaptRequest()
    # A preview writes nothing: it reads in autocommit, never queueing for SQLite's write lock.
    async with database.transactional() if body.accept else database.reading() as db:
        adaptation = await service.adapt_session(db, caller.user_id, session_id, body, snapshots)
        if adaptation.accepted:
            invalidate(db, cache, caller.user_id)
    for warning in adaptation.result.warnings:
        add_warning(request.scope, warning)
    readiness = adaptation.readiness
    return envelope(
        request,
        AdaptationOut(
            session_id=adaptation.session.id,
            accepted=adaptation.accepted,
            readiness=None
            if readiness is None
            else ReadinessUsed(date=readiness.day, score=readiness.score, band=readiness.band),
            minutes_available=adaptation.minutes_available,
            planned_minutes=adaptation.planned_minutes,
            estimated_minutes=adaptation.result.estimated_minutes,
            exercises=[_exercise_out(item) for item in adaptation.result.exercises],
            changes=[ChangeOut.model_validate(change) for change in adaptation.result.changes],
        ),
    )
