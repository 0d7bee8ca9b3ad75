"""The program rules: validate a request, build its plan, store it in the request's transaction;
read, edit, activate and delete programs; edit and complete sessions.

Object-level authorization lives in the queries: every program and session is looked up with the
caller's user id, so another user's object does not exist for them (404).
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alloy.catalogue.regions import regions_loaded
from alloy.catalogue.repository import MovementRepository, ScoringConfigRepository
from alloy.generator import (
    Plan,
    ProgramSpec,
    ScoringRules,
    build_plan,
)
from alloy.generator.model import Goal, NoEligibleMovement
from alloy.generator.prescription import Work, exercise_seconds
from alloy.generator.structure import default_split
from alloy.generator.timing import TRANSITION_SECONDS
from alloy.identity.models import User
from alloy.programs.models import Program, SessionExercise, TrainingSession
from alloy.programs.repository import (
    CatalogueSnapshots,
    ProgramRepository,
    TrainingSessionRepository,
    add_plan_rows,
    load_snapshot,
)
from alloy.programs.schemas import (
    DAYS_PER_WEEK,
    DELOAD_EVERY,
    DURATION_WEEKS,
    GOAL_WEIGHT_TOTAL,
    SESSION_MINUTES,
    ProgramCreateRequest,
    ProgramUpdateRequest,
    SessionUpdateRequest,
)
from apikit.cache import Cache
from apikit.db.unique import add_unique
from apikit.errors import BusinessRuleError, ConflictError, UnprocessableError, ValidationError
from apikit.ids import new_id, utcnow

MAX_HARD_YES_PER_TRAINING_DAY = 2


def programs_scope(user_id: uuid.UUID) -> str:
    """The cache scope of one user's programs: their writes never flush anybody else's."""
    return f"programs:{user_id}"


def _out_of_range(field: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise ValidationError(
            f"{field} must be between {low} and {high}",
            code=f"VAL_{field.upper()}",
            details={"field": field, "min": low, "max": high, "actual": value},
        )


def checked_duration(body: ProgramCreateRequest) -> tuple[int, date]:
    """The program's weeks and last day, from duration_weeks, end_date, or both (which must agree)."""
    if body.end_date is not None and body.end_date <= body.start_date:
        raise ValidationError(
            "end_date must be after start_date",
            code="VAL_INVALID_DATE_RANGE",
            details={"start_date": body.start_date.isoformat(), "end_date": body.end_date.isoformat()},
        )
    weeks = body.duration_weeks
    if weeks is None:
        if body.end_date is None:
            raise ValidationError(
                "Give duration_weeks or end_date",
                code="VAL_DURATION_WEEKS",
                details={"field": "duration_weeks", "min": DURATION_WEEKS[0], "max": DURATION_WEEKS[1]},
            )
        weeks = math.ceil(((body.end_date - body.start_date).days + 1) / 7)
    _out_of_range("duration_weeks", weeks, DURATION_WEEKS)
    try:
        end = body.start_date + timedelta(weeks=weeks) - timedelta(days=1)
    except OverflowError:
        raise ValidationError(
            "The program would end after the last representable date",
            code="VAL_INVALID_DATE_RANGE",
            details={"start_date": body.start_date.isoformat(), "duration_weeks": weeks},
        ) from None
    if body.end_date is not None and body.end_date != end:
        raise ValidationError(
            f"end_date does not agree with {weeks} weeks from start_date (expected {end.isoformat()})",
            code="VAL_INVALID_DATE_RANGE",
            details={
                "end_date": body.end_date.isoformat(),
                "expected": end.isoformat(),
                "duration_weeks": weeks,
            },
        )
    return weeks, end


def checked_request(body: ProgramCreateRequest) -> None:
    """Every rule the schema cannot state, each a 400 naming its field."""
    _out_of_range("days_per_week", body.days_per_week, DAYS_PER_WEEK)
    _out_of_range("max_session_minutes", body.max_session_minutes, SESSION_MINUTES)
    _out_of_range("deload_every_n_weeks", body.deload_every_n_weeks, DELOAD_EVERY)
    goals = [item.goal for item in body.goals]
    total = sum(item.weight for item in body.goals)
    if not 1 <= len(goals) <= 3 or len(set(goals)) != len(goals):
        raise ValidationError(
            "Give 1–3 distinct goals", code="VAL_GOALS", details={"field": "goals", "count": len(goals)}
        )
    if any(item.weight < 1 for item in body.goals) or total != GOAL_WEIGHT_TOTAL:
        raise ValidationError(
            f"Goal weights are whole numbers from 1 that sum to {GOAL_WEIGHT_TOTAL}",
            code="VAL_GOALS",
            details={"field": "goals", "expected_sum": GOAL_WEIGHT_TOTAL, "actual_sum": total},
        )
    disciplines = [item.discipline for item in body.disciplines]
    if len(set(disciplines)) != len(disciplines) or any(
        not 0 <= item.weight <= 10 for item in body.disciplines
    ):
        raise ValidationError(
            "Disciplines are distinct, each weighted 0–10",
            code="VAL_DISCIPLINES",
            details={"field": "disciplines"},
        )
    rules = [rule.movement_id for rule in body.movement_rules]
    if len(set(rules)) != len(rules):
        raise ValidationError(
            "A movement may have one rule", code="VAL_MOVEMENT_RULES", details={"field": "movement_rules"}
        )
    hard_yes = sum(rule.rule == "hard_yes" for rule in body.movement_rules)
    if hard_yes > MAX_HARD_YES_PER_TRAINING_DAY * body.days_per_week:
        raise ValidationError(
            f"At most {MAX_HARD_YES_PER_TRAINING_DAY} hard_yes movements per training day",
            code="VAL_MOVEMENT_RULES",
            details={
                "field": "movement_rules",
                "hard_yes": hard_yes,
                "max": MAX_HARD_YES_PER_TRAINING_DAY * body.days_per_week,
            },
        )


def _seed(program_id: uuid.UUID) -> int:
    return program_id.int & 0xFFFF_FFFF_FFFF


@dataclass(frozen=True)
class BuiltProgram:
    """A program just built: its row, and its schedule as written (each week's row with its
    sessions' rows), so the answer need not read ~80 rows back."""

    program: Program
    schedule: list[dict[str, Any]]


async def create_program(
    session: AsyncSession, user_id: uuid.UUID, body: ProgramCreateRequest, snapshots: CatalogueSnapshots
) -> BuiltProgram:
    """Validate, build the plan, and add the program with its weeks, sessions and exercises to the
    request's transaction (nothing is visible until all of it commits)."""
    checked_request(body)
    weeks, end = checked_duration(body)
    if body.equipment is not None:
        equipment = sorted({str(item) for item in body.equipment})
    else:  # the equipment on the caller's profile
        equipment = sorted(set(await MovementRepository(session, user_id).equipment_of_caller()))
    user = await session.get(User, user_id)
    avoid_regions = sorted(user.avoid_regions) if user is not None else []
    snapshot = await snapshots.load(session, user_id)
    by_id = snapshot.by_id()
    rules: dict[str, set[uuid.UUID]] = defaultdict(set)
    for rule in body.movement_rules:
        movement = by_id.get(rule.movement_id)
        if movement is None:
            raise UnprocessableError(
                "No such movement for a movement rule",
                code="NF_MOVEMENT",
                details={"field": "movement_rules", "movement_id": str(rule.movement_id)},
            )
        if rule.rule == "hard_yes" and not movement.equipment <= {*equipment, "bodyweight"}:
            raise ValidationError(
                f"{movement.name} needs equipment the program does not have",
                code="VAL_MOVEMENT_RULES",
                details={
                    "field": "movement_rules",
                    "movement_id": str(movement.id),
                    "missing": sorted(movement.equipment - {*equipment, "bodyweight"}),
                },
            )
        if rule.rule == "hard_yes" and (loaded := regions_loaded(movement) & set(avoid_regions)):
            raise ValidationError(
                f"{movement.name} loads a region your profile avoids",
                code="VAL_MOVEMENT_RULES",
                details={
                    "field": "movement_rules",
                    "movement_id": str(movement.id),
                    "avoided_regions": sorted(loaded),
                },
            )
        rules[rule.rule].add(rule.movement_id)
    scoring = await ScoringConfigRepository(session).current()
    goals = {Goal(item.goal): item.weight for item in body.goals}
    split = body.split_template or default_split(body.days_per_week, goals)
    program_id = new_id()
    spec = ProgramSpec(
        seed=_seed(program_id),
        goals=goals,
        duration_weeks=weeks,
        start_date=body.start_date,
        split_template=split,
        days_per_week=body.days_per_week,
        max_session_minutes=body.max_session_minutes,
        equipment=frozenset(equipment),
        disciplines={str(item.discipline): item.weight for item in body.disciplines},
        hard_no=frozenset(rules["hard_no"]),
        hard_yes=frozenset(rules["hard_yes"]),
        preferred=frozenset(rules["preferred"]),
        deload_every_n_weeks=body.deload_every_n_weeks,
        progression_style=body.progression_style,
        avoid_regions=frozenset(avoid_regions),
    )
    try:
        plan = build_plan(
            spec,
            snapshot,
            ScoringRules(scoring.version, dict(scoring.weights), float(scoring.qualifying_score)),
        )
    except NoEligibleMovement:
        raise BusinessRuleError(
            "The regions your profile avoids, with this equipment and these rules, leave no movement "
            "for some sessions' main block",
            code="BR_NO_ELIGIBLE_MOVEMENTS",
            details={"avoid_regions": avoid_regions, "equipment": equipment},
        ) from None
    program = Program(
        id=program_id,
        user_id=user_id,
        name=body.name,
        notes=body.notes,
        goals=[{"goal": str(item.goal), "weight": item.weight} for item in body.goals],
        duration_weeks=weeks,
        start_date=body.start_date,
        end_date=end,
        split_template=str(split),
        days_per_week=body.days_per_week,
        max_session_minutes=body.max_session_minutes,
        disciplines=[
            {"discipline": str(item.discipline), "weight": item.weight} for item in body.disciplines
        ],
        equipment=equipment,
        movement_rules=[{"movement_id": str(r.movement_id), "rule": r.rule} for r in body.movement_rules],
        deload_every_n_weeks=body.deload_every_n_weeks,
        progression_style=str(body.progression_style),
        avoid_regions=avoid_regions,
        scoring_version=plan.scoring_version,
        is_active=False,
    )
    session.add(program)
    await session.flush()
    return BuiltProgram(program, await _store_plan(session, program, plan))


async def _store_plan(session: AsyncSession, program: Program, plan: Plan) -> list[dict[str, Any]]:
    """The plan's weeks, sessions and exercises, as rows of the program; the schedule written."""
    now = utcnow()
    weeks: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    exercises: list[dict[str, Any]] = []
    schedule = []
    for week in plan.weeks:
        weeks.append(
            {
                "id": new_id(),
                "program_id": program.id,
                "week_number": week.number,
                "is_deload": week.is_deload,
            }
        )
        schedule.append({**weeks[-1], "sessions": []})
        for planned in week.sessions:
            session_id = new_id()
            sessions.append(
                {
                    "id": session_id,
                    "program_id": program.id,
                    "user_id": program.user_id,
                    "week_number": planned.week_number,
                    "day_number": planned.day_number,
                    "scheduled_date": planned.scheduled_date,
                    "focus": planned.focus,
                    "main_pattern": planned.main_pattern,
                    "estimated_minutes": planned.estimated_minutes,
                    "relaxations": [step.value for step in planned.relaxations],
                    "status": "planned",
                    "completed_at": None,
                    "notes": "",
                    "adapted_at": None,
                    "adaptation": None,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            schedule[-1]["sessions"].append(sessions[-1])
            for exercise in planned.exercises:
                exercises.append(
                    {
                        "id": new_id(),
                        "session_id": session_id,
                        "block": exercise.block.value,
                        "position": exercise.position,
                        "movement_id": exercise.movement_id,
                        "circuit_id": exercise.circuit_id,
                        "sets": exercise.sets,
                        "reps_min": exercise.reps_min,
                        "reps_max": exercise.reps_max,
                        "duration_seconds": exercise.duration_seconds,
                        "distance_m": exercise.distance_m,
                        "target_rpe": exercise.target_rpe,
                        "target_rir": exercise.target_rir,
                        "rest_seconds": exercise.rest_seconds,
                        "superset_group": exercise.superset_group,
                        "estimated_seconds": exercise.estimated_seconds,
                        "score": exercise.score,
                        "dimensions": dict(exercise.dimensions) if exercise.dimensions is not None else None,
                        "reason": exercise.reason,
                    }
                )
    await add_plan_rows(session, weeks, sessions, exercises)
    return schedule


async def activate(session: AsyncSession, user_id: uuid.UUID, program_id: uuid.UUID) -> Program:
    """One active program per user: the others are deactivated first, in the same transaction."""
    programs = ProgramRepository(session, user_id)
    program = await programs.get_or_404(program_id, for_update=True)
    await programs.deactivate_all_but(program_id)
    if not program.is_active:
        program.is_active = True
        program.updated_at = utcnow()
        await add_unique(
            session,
            program,
            ConflictError("Another program was activated at the same time; retry", retryable=True),
        )
    return program


async def update_program(
    session: AsyncSession, user_id: uuid.UUID, program_id: uuid.UUID, body: ProgramUpdateRequest
) -> Program:
    program = await ProgramRepository(session, user_id).get_or_404(program_id, for_update=True)
    if body.name is not None:
        program.name = body.name
    if body.notes is not None:
        program.notes = body.notes
    await session.flush()
    return program


async def delete_program(session: AsyncSession, user_id: uuid.UUID, program_id: uuid.UUID) -> None:
    program = await ProgramRepository(session, user_id).get_or_404(program_id, for_update=True)
    if program.is_active:
        raise BusinessRuleError(
            "An active program cannot be deleted; activate another one first",
            code="BR_PROGRAM_ACTIVE",
            details={"program_id": str(program_id)},
        )
    await session.delete(program)


def _still_open(found: TrainingSession) -> None:
    if found.status == "completed":
        raise BusinessRuleError(
            "A completed session cannot be changed",
            code="BR_SESSION_COMPLETE",
            details={"session_id": str(found.id)},
        )


async def update_session(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, body: SessionUpdateRequest
) -> TrainingSession:
    sessions = TrainingSessionRepository(session, user_id)
    if body.scheduled_date is not None:
        # Moving a session checks the program's other days: lock the program first (the order
        # every writer takes: program, then session), so two moves cannot land on one day.
        program_id = (await sessions.get_or_404(session_id)).program_id
        await ProgramRepository(session, user_id).get_or_404(program_id, for_update=True)
    found = await sessions.get_or_404(session_id, for_update=True)
    _still_open(found)
    if body.scheduled_date is not None and body.scheduled_date != found.scheduled_date:
        if await sessions.day_taken(found, body.scheduled_date):
            raise ConflictError(
                "The program already has a session on that day",
                code="CF_SESSION_DATE",
                details={"scheduled_date": body.scheduled_date.isoformat()},
            )
        found.scheduled_date = body.scheduled_date
    if body.notes is not None:
        found.notes = body.notes
    exercises = await sessions.exercises_of(found.id)
    by_id = {exercise.id: exercise for exercise in exercises}
    for edit in body.exercises:
        exercise = by_id.get(edit.exercise_id)
        if exercise is None:
            raise UnprocessableError(
                "No such exercise in this session",
                code="NF_EXERCISE",
                details={"exercise_id": str(edit.exercise_id)},
            )
        if edit.movement_id is not None and edit.movement_id != exercise.movement_id:
            if not await MovementRepository(session, user_id).is_visible(edit.movement_id):
                raise UnprocessableError(
                    "No such movement", code="NF_MOVEMENT", details={"movement_id": str(edit.movement_id)}
                )
            exercise.movement_id = edit.movement_id
            exercise.circuit_id = None
            exercise.score, exercise.dimensions = None, None
            exercise.reason = "chosen by you"
        for field in ("sets", "reps_min", "reps_max", "duration_seconds", "rest_seconds", "target_rpe"):
            value = getattr(edit, field)
            if value is not None:
                setattr(exercise, field, value)
        if (
            exercise.reps_min is not None
            and exercise.reps_max is not None
            and exercise.reps_min > exercise.reps_max
        ):
            raise ValidationError(
                "reps_min cannot exceed reps_max",
                code="VAL_REPS",
                details={
                    "exercise_id": str(exercise.id),
                    "reps_min": exercise.reps_min,
                    "reps_max": exercise.reps_max,
                },
            )
        if exercise.target_rpe is not None:
            exercise.target_rir = max(0, round(10 - exercise.target_rpe))
    if body.exercises:
        await _re_estimate(session, user_id, found, exercises, {edit.exercise_id for edit in body.exercises})
    found.updated_at = utcnow()
    await session.flush()
    return found


async def _re_estimate(
    session: AsyncSession,
    user_id: uuid.UUID,
    found: TrainingSession,
    exercises: list[SessionExercise],
    edited: set[uuid.UUID],
) -> None:
    """Edited exercises get a fresh time estimate (the generator's rules, standing alone), and the
    session the sum of its exercises', as the plan had it."""
    ids = [e.movement_id for e in exercises if e.id in edited and e.movement_id is not None]
    facts = {m.id: m for m in (await load_snapshot(session, user_id, ids)).movements}
    for exercise in exercises:
        movement = facts.get(exercise.movement_id) if exercise.id in edited and exercise.movement_id else None
        if movement is not None:
            work = Work(
                sets=exercise.sets,
                reps_min=exercise.reps_min,
                reps_max=exercise.reps_max,
                duration_seconds=exercise.duration_seconds,
                distance_m=exercise.distance_m,
                rpe=exercise.target_rpe,
                rest_seconds=exercise.rest_seconds,
            )
            exercise.estimated_seconds = exercise_seconds(movement, work) + TRANSITION_SECONDS
    found.estimated_minutes = math.ceil(sum(e.estimated_seconds for e in exercises) / 60)


async def complete_session(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, notes: str | None
) -> TrainingSession:
    found = await TrainingSessionRepository(session, user_id).get_or_404(session_id, for_update=True)
    _still_open(found)
    mark_completed(found, utcnow())
    if notes is not None:
        found.notes = notes
    await session.flush()
    return found


def mark_completed(found: TrainingSession, at: datetime) -> None:
    """The one way a session becomes completed: its completion endpoint, or a log of it."""
    found.status = "completed"
    found.completed_at = at
    found.updated_at = utcnow()


def mark_planned(found: TrainingSession) -> None:
    """A session whose log was deleted is no longer performed."""
    found.status = "planned"
    found.completed_at = None
    found.updated_at = utcnow()


def invalidate(session: AsyncSession, cache: Cache, user_id: uuid.UUID) -> None:
    """The user's cached programs are retired once this write commits."""
    cache.invalidate_after_commit(session, programs_scope(user_id))
