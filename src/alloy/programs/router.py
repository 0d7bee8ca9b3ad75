"""``/v1/programs`` and ``/v1/sessions``: a program built in one call, then read, edited, activated,
deleted; its sessions listed, read with their explanation, edited and completed."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response
from sqlalchemy import select

from alloy.catalogue.models import Circuit, Movement
from alloy.identity.roles import CurrentUser
from alloy.programs import service
from alloy.programs.models import Program, ProgramIdempotencyKey, TrainingSession
from alloy.programs.repository import ProgramRepository, TrainingSessionRepository
from alloy.programs.schemas import (
    DisciplineOut,
    ExerciseExplanation,
    ExerciseOut,
    GoalOut,
    MovementRuleOut,
    ProgramCreateRequest,
    ProgramDetailOut,
    ProgramOut,
    ProgramUpdateRequest,
    SessionCompleteRequest,
    SessionExplanation,
    SessionOut,
    SessionSummary,
    SessionUpdateRequest,
    WeekOut,
)
from apikit.cache import CacheDep
from apikit.conditional import etag_of, not_modified
from apikit.db.engine import ReadOnlySession, ReadSession, WriteSession
from apikit.envelope import Envelope, envelope, enveloped_json
from apikit.idempotency import IdempotencyGuard, idempotency
from apikit.openapi import error_responses
from apikit.pagination import BidirectionalPageParams, CursorPage, Keyset, paginate
from apikit.ratelimit import rate_limit

programs = APIRouter(prefix="/v1/programs", tags=["programs"])
sessions = APIRouter(prefix="/v1/sessions", tags=["programs"])

NEWEST_FIRST = Keyset("programs", (Program.created_at, Program.id), descending=True)
BY_DATE = Keyset("program-sessions", (TrainingSession.scheduled_date, TrainingSession.id), descending=False)

Idempotency = Annotated[
    IdempotencyGuard,
    Depends(
        idempotency(ProgramIdempotencyKey, required=False),
        scope="function",
    ),
]
CreateRate = Annotated[None, Depends(rate_limit("program_create_rate", "programs:create"))]


def program_out(program: Program, session_count: int) -> ProgramOut:
    return ProgramOut(
        program_id=program.id,
        name=program.name,
        notes=program.notes,
        goals=[GoalOut.model_validate(item) for item in program.goals],
        duration_weeks=program.duration_weeks,
        start_date=program.start_date,
        end_date=program.end_date,
        split_template=program.split_template,
        days_per_week=program.days_per_week,
        max_session_minutes=program.max_session_minutes,
        disciplines=[DisciplineOut.model_validate(item) for item in program.disciplines],
        equipment=list(program.equipment),
        movement_rules=[MovementRuleOut.model_validate(item) for item in program.movement_rules],
        deload_every_n_weeks=program.deload_every_n_weeks,
        progression_style=program.progression_style,
        scoring_version=program.scoring_version,
        is_active=program.is_active,
        session_count=session_count,
        created_at=program.created_at,
        updated_at=program.updated_at,
    )


def session_summary(found: TrainingSession) -> SessionSummary:
    return SessionSummary(
        session_id=found.id,
        day_number=found.day_number,
        scheduled_date=found.scheduled_date,
        focus=found.focus,
        estimated_minutes=found.estimated_minutes,
        status=found.status,
    )


async def program_detail(db: ReadSession, program: Program) -> ProgramDetailOut:
    programs_of_owner = ProgramRepository(db, program.user_id)
    planned = await programs_of_owner.sessions_of(program.id)
    by_week: dict[int, list[SessionSummary]] = {}
    for found in planned:
        by_week.setdefault(found.week_number, []).append(session_summary(found))
    return ProgramDetailOut(
        **program_out(program, len(planned)).model_dump(),
        schedule=[
            WeekOut(
                week_number=week.week_number,
                is_deload=week.is_deload,
                sessions=by_week.get(week.week_number, []),
            )
            for week in await programs_of_owner.weeks_of(program.id)
        ],
    )


async def session_out(
    db: ReadSession, found: TrainingSession, scoring_version: int, is_deload: bool
) -> SessionOut:
    exercises = await TrainingSessionRepository(db, found.user_id).exercises_of(found.id)
    ids = [e.movement_id for e in exercises if e.movement_id is not None]
    names = dict((await db.execute(select(Movement.id, Movement.name).where(Movement.id.in_(ids)))).all())
    circuit_ids = [e.circuit_id for e in exercises if e.circuit_id is not None]
    if circuit_ids:
        names |= dict(
            (await db.execute(select(Circuit.id, Circuit.name).where(Circuit.id.in_(circuit_ids)))).all()
        )
    return SessionOut(
        session_id=found.id,
        program_id=found.program_id,
        week_number=found.week_number,
        day_number=found.day_number,
        scheduled_date=found.scheduled_date,
        focus=found.focus,
        main_pattern=found.main_pattern,
        is_deload=is_deload,
        estimated_minutes=found.estimated_minutes,
        status=found.status,
        completed_at=found.completed_at,
        notes=found.notes,
        exercises=[
            ExerciseOut(
                exercise_id=e.id,
                block=e.block,
                position=e.position,
                movement_id=e.movement_id,
                movement_name=names.get(e.movement_id) if e.movement_id else None,
                circuit_id=e.circuit_id,
                circuit_name=names.get(e.circuit_id) if e.circuit_id else None,
                sets=e.sets,
                reps_min=e.reps_min,
                reps_max=e.reps_max,
                duration_seconds=e.duration_seconds,
                distance_m=e.distance_m,
                target_rpe=e.target_rpe,
                target_rir=e.target_rir,
                rest_seconds=e.rest_seconds,
                superset_group=e.superset_group,
                estimated_seconds=e.estimated_seconds,
            )
            for e in exercises
        ],
        explanation=SessionExplanation(
            scoring_version=scoring_version,
            relaxations=list(found.relaxations),
            exercises=[
                ExerciseExplanation(
                    position=e.position,
                    movement_id=e.movement_id,
                    block=e.block,
                    reason=e.reason,
                    score=e.score,
                    dimensions=e.dimensions,
                )
                for e in exercises
            ],
        ),
    )


async def _session_with_exercises(db: ReadSession, user_id: uuid.UUID, session_id: uuid.UUID) -> SessionOut:
    sessions = TrainingSessionRepository(db, user_id)
    found = await sessions.get_or_404(session_id)
    scoring_version, is_deload = await sessions.plan_context(found)
    return await session_out(db, found, scoring_version, is_deload)


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
) -> Envelope[ProgramDetailOut]:
    program = await service.create_program(db, caller.user_id, body)
    answer = envelope(request, await program_detail(db, program))
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
    db: ReadOnlySession,
    page: BidirectionalPageParams,
    is_active: Annotated[bool | None, Query()] = None,
) -> Envelope[CursorPage[ProgramOut]]:
    programs_of_caller = ProgramRepository(db, caller.user_id)
    statement = programs_of_caller.query()
    if is_active is not None:
        statement = statement.where(Program.is_active.is_(is_active))
    result = await paginate(db, statement, keyset=NEWEST_FIRST, page=page, filters={"is_active": is_active})
    counts = await programs_of_caller.session_counts([program.id for program in result.items])
    return envelope(
        request,
        CursorPage[ProgramOut].of(
            result, [program_out(program, counts.get(program.id, 0)) for program in result.items]
        ),
    )


@programs.get(
    "/{program_id:uuid}",
    response_model=Envelope[ProgramDetailOut],
    summary="One of your programs with its schedule (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_program(
    request: Request, program_id: uuid.UUID, caller: CurrentUser, db: ReadOnlySession, cache: CacheDep
) -> Response:

    async def build() -> bytes:
        program = await ProgramRepository(db, caller.user_id).get_or_404(program_id)
        return (await program_detail(db, program)).model_dump_json().encode()

    key = await cache.key(service.programs_scope(caller.user_id), "detail", program_id)
    data = await cache.remember(key, build)
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
    program = await ProgramRepository(db, caller.user_id).get_or_404(program_id, for_update=True)
    if body.name is not None:
        program.name = body.name
    if body.notes is not None:
        program.notes = body.notes
    await db.flush()
    service.invalidate(db, cache, caller.user_id)
    return envelope(request, await program_detail(db, program))


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
    counts = await ProgramRepository(db, caller.user_id).session_counts([program.id])
    service.invalidate(db, cache, caller.user_id)
    return envelope(request, program_out(program, counts.get(program.id, 0)))


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
    db: ReadOnlySession,
    page: BidirectionalPageParams,
    from_: Annotated[date | None, Query(alias="from", description="First day, inclusive")] = None,
    to: Annotated[date | None, Query(description="Last day, inclusive")] = None,
) -> Envelope[CursorPage[SessionSummary]]:
    await ProgramRepository(db, caller.user_id).get_or_404(program_id)
    statement = (
        TrainingSessionRepository(db, caller.user_id).query().where(TrainingSession.program_id == program_id)
    )
    if from_ is not None:
        statement = statement.where(TrainingSession.scheduled_date >= from_)
    if to is not None:
        statement = statement.where(TrainingSession.scheduled_date <= to)
    filters = {"program": str(program_id), "from": from_ and from_.isoformat(), "to": to and to.isoformat()}
    result = await paginate(db, statement, keyset=BY_DATE, page=page, filters=filters)
    return envelope(
        request,
        CursorPage[SessionSummary].of(result, [session_summary(found) for found in result.items]),
    )


@sessions.get(
    "/{session_id:uuid}",
    response_model=Envelope[SessionOut],
    summary="One session: its exercises and why each movement was chosen (ETag; If-None-Match answers 304)",
    responses={304: {"description": "Not modified"}, **error_responses(401, 404)},
)
async def read_session(
    request: Request, session_id: uuid.UUID, caller: CurrentUser, db: ReadOnlySession
) -> Response:
    data = (await _session_with_exercises(db, caller.user_id, session_id)).model_dump_json().encode()
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
    await db.flush()
    service.invalidate(db, cache, caller.user_id)
    return envelope(request, await _session_with_exercises(db, caller.user_id, session_id))


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
    await db.flush()
    service.invalidate(db, cache, caller.user_id)
    return envelope(request, await _session_with_exercises(db, caller.user_id, session_id))
