"""The workout-log rules: check a log, store it with its sets (and complete its session), replace
and delete it; and answer a log as the caller sees it (their units, their formula, its records).

Object-level authorization lives in the queries: logs, sessions and private movements are looked
up with the caller's user id, so another user's do not exist for them (404).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alloy.programs import service as programs
from alloy.programs.repository import TrainingSessionRepository
from alloy.training.e1rm import Formula, e1rm_in, from_kg, set_e1rm, to_kg
from alloy.training.models import WorkoutLog, WorkoutSet
from alloy.training.records import LiftedSet, SetRecord, records_of_log, replay
from alloy.training.repository import WorkoutLogRepository, invisible_movements, lifted, preferences
from alloy.training.schemas import (
    MAX_LOAD_KG,
    MAX_LOAD_LB,
    EntryOut,
    LogBody,
    LogCreateRequest,
    LogOut,
    RecordOut,
    SetOut,
)
from apikit.cache import Cache
from apikit.db.engine import ReadSession
from apikit.db.unique import add_unique
from apikit.errors import BusinessRuleError, NotFoundError, UnprocessableError
from apikit.ids import new_id, utcnow

FUTURE_ALLOWANCE = timedelta(days=1)


@dataclass(frozen=True)
class Viewer:
    """Whose figures these are: their id, units and formula."""

    user_id: uuid.UUID
    units: str
    formula: Formula

    @classmethod
    async def of(cls, session: ReadSession, user_id: uuid.UUID) -> Viewer:
        units, formula = await preferences(session, user_id)
        return cls(user_id, units, formula)


def _logged_twice(session_id: uuid.UUID) -> BusinessRuleError:
    return BusinessRuleError(
        "This session already has a log; edit that one instead",
        code="BR_SESSION_LOGGED",
        details={"session_id": str(session_id)},
    )


async def _checked(session: AsyncSession, viewer: Viewer, body: LogBody) -> datetime:
    """Every rule the schema cannot state; the time the log was performed."""
    now = utcnow()
    performed_at = body.performed_at or now
    if performed_at > now + FUTURE_ALLOWANCE:
        raise UnprocessableError(
            "performed_at may be at most a day ahead",
            code="VAL_PERFORMED_AT",
            details={"field": "body.performed_at", "max": (now + FUTURE_ALLOWANCE).isoformat()},
        )
    for entry_index, entry in enumerate(body.entries):
        for set_index, item in enumerate(entry.sets):
            unit = item.unit or viewer.units
            if item.load is not None and to_kg(item.load, unit) > MAX_LOAD_KG:
                raise UnprocessableError(
                    f"A load is at most {MAX_LOAD_KG} kg ({MAX_LOAD_LB} lb)",
                    code="VAL_LOAD",
                    details={
                        "field": f"body.entries.{entry_index}.sets.{set_index}.load",
                        "constraint": "less_than_equal",
                        "max": MAX_LOAD_KG if unit == "kg" else MAX_LOAD_LB,
                        "unit": unit,
                        "actual": item.load,
                    },
                )
    missing = await invisible_movements(session, viewer.user_id, {e.movement_id for e in body.entries})
    if missing:
        raise NotFoundError(
            "No such movement", code="NF_MOVEMENT", details={"movement_id": str(sorted(missing)[0])}
        )
    return performed_at


async def _check_exercises(
    session: AsyncSession, viewer: Viewer, body: LogBody, session_id: uuid.UUID | None
) -> None:
    """Planned exercises named by entries belong to the log's session."""
    named = {entry.exercise_id for entry in body.entries if entry.exercise_id is not None}
    if not named:
        return
    planned: set[uuid.UUID] = set()
    if session_id is not None:
        exercises = await TrainingSessionRepository(session, viewer.user_id).exercises_of(session_id)
        planned = {exercise.id for exercise in exercises}
    unknown = named - planned
    if unknown:
        raise UnprocessableError(
            "No such exercise in the log's session",
            code="NF_EXERCISE",
            details={"exercise_id": str(sorted(unknown)[0])},
        )


def _set_rows(log: WorkoutLog, body: LogBody, units: str) -> list[dict[str, Any]]:
    rows = []
    for entry_position, entry in enumerate(body.entries):
        for position, item in enumerate(entry.sets):
            load_kg = to_kg(item.load, item.unit or units) if item.load is not None else None
            row: dict[str, Any] = {
                "id": new_id(),
                "log_id": log.id,
                "user_id": log.user_id,
                "performed_at": log.performed_at,
                "performed_on": log.performed_at.date(),
                "entry_position": entry_position,
                "movement_id": entry.movement_id,
                "exercise_id": entry.exercise_id,
                "position": position,
                "reps": item.reps,
                "load_kg": load_kg,
                "duration_seconds": item.duration_seconds,
                "distance_m": item.distance_m,
                "rpe": item.rpe,
                "rir": item.rir,
                "completed": item.completed,
            }
            for formula in Formula:
                row[f"e1rm_{formula.value}"] = set_e1rm(
                    formula, load_kg, item.reps, item.rpe, item.rir, item.completed
                )
            rows.append(row)
    return rows


@dataclass(frozen=True)
class CreatedLog:
    log: WorkoutLog
    records: list[SetRecord]


def lifted_row(row: dict[str, Any], formula: Formula) -> LiftedSet:
    return LiftedSet(
        log_id=row["log_id"],
        performed_at=row["performed_at"],
        movement_id=row["movement_id"],
        load_kg=row["load_kg"],
        reps=row["reps"],
        e1rm_kg=row[f"e1rm_{formula.value}"],
        completed=row["completed"],
    )


async def create_log(session: AsyncSession, user_id: uuid.UUID, body: LogCreateRequest) -> CreatedLog:
    """Store the log and its sets; a planned session it names is completed (once: a second log
    of it is 409 ``BR_SESSION_LOGGED``)."""
    viewer = await Viewer.of(session, user_id)
    performed_at = await _checked(session, viewer, body)
    logs = WorkoutLogRepository(session, user_id)
    if body.session_id is not None:
        planned = await TrainingSessionRepository(session, user_id).get_or_404(
            body.session_id, for_update=True
        )
        if await logs.session_logged(planned.id):
            raise _logged_twice(planned.id)
        if planned.status != "completed":  # one completed with no log keeps its completion
            programs.mark_completed(planned, performed_at)
    await _check_exercises(session, viewer, body, body.session_id)
    log = WorkoutLog(
        id=new_id(),
        user_id=user_id,
        session_id=body.session_id,
        performed_at=performed_at,
        duration_minutes=body.duration_minutes,
        perceived_effort=body.perceived_effort,
        notes=body.notes,
    )
    rows = _set_rows(log, body, viewer.units)
    movements = {row["movement_id"] for row in rows}
    key = (performed_at, log.id)
    # The usual log is the latest of its movements: its records are against the kept bests.
    before = (
        await logs.bests_before(movements, key, viewer.formula)
        if await logs.performed_after(movements, key)
        else await logs.bests(movements, viewer.formula)
    )
    records = records_of_log((lifted_row(row, viewer.formula) for row in rows), before)
    if body.session_id is not None:
        await add_unique(session, log, _logged_twice(body.session_id))
    else:
        session.add(log)
        await session.flush()
    await logs.add_sets(rows)
    await logs.raise_bests(rows)
    return CreatedLog(log, records)


async def replace_log(
    session: AsyncSession, user_id: uuid.UUID, log_id: uuid.UUID, body: LogBody
) -> WorkoutLog:
    """The log's fields and entries replaced; its records follow (they are read from the logs)."""
    logs = WorkoutLogRepository(session, user_id)
    log = await logs.get_or_404(log_id, for_update=True)
    viewer = await Viewer.of(session, user_id)
    log.performed_at = await _checked(session, viewer, body)
    await _check_exercises(session, viewer, body, log.session_id)
    log.duration_minutes = body.duration_minutes
    log.perceived_effort = body.perceived_effort
    log.notes = body.notes
    log.updated_at = utcnow()
    replaced = {row.movement_id for row in await logs.sets_of([log.id])}
    await logs.remove_sets(log.id)
    rows = _set_rows(log, body, viewer.units)
    await logs.add_sets(rows)
    await logs.rebuild_bests(replaced | {row["movement_id"] for row in rows})
    await session.flush()
    return log


async def delete_log(session: AsyncSession, user_id: uuid.UUID, log_id: uuid.UUID) -> None:
    """The log and its sets go; its session is no longer completed."""
    logs = WorkoutLogRepository(session, user_id)
    log = await logs.get_or_404(log_id, for_update=True)
    if log.session_id is not None:
        planned = await TrainingSessionRepository(session, user_id).get(log.session_id, for_update=True)
        if planned is not None:
            programs.mark_planned(planned)
    removed = {row.movement_id for row in await logs.sets_of([log.id])}
    await logs.remove_sets(log.id)
    await logs.rebuild_bests(removed)
    await session.delete(log)
    await session.flush()


def invalidate(session: AsyncSession, cache: Cache, user_id: uuid.UUID) -> None:
    """A log may complete or reopen a session: the caller's cached programs go at commit."""
    programs.invalidate(session, cache, user_id)


# --- answers ------------------------------------------------------------------------------------


def set_out(row: WorkoutSet, viewer: Viewer) -> SetOut:
    e1rm = getattr(row, f"e1rm_{viewer.formula.value}")
    return SetOut(
        reps=row.reps,
        load=from_kg(row.load_kg, viewer.units) if row.load_kg is not None else None,
        unit=viewer.units,
        duration_seconds=row.duration_seconds,
        distance_m=row.distance_m,
        rpe=row.rpe,
        rir=row.rir,
        completed=row.completed,
        e1rm=e1rm_in(e1rm, viewer.units) if e1rm is not None else None,
    )


def record_out(found: SetRecord, viewer: Viewer) -> RecordOut:
    return RecordOut(
        movement_id=found.movement_id,
        record=found.record,
        load=from_kg(found.load_kg, viewer.units),
        reps=found.reps,
        e1rm=e1rm_in(found.e1rm_kg, viewer.units) if found.e1rm_kg is not None else None,
        unit=viewer.units,
    )


async def records_set_by(
    session: ReadSession, viewer: Viewer, sets: Sequence[Any], keys: Sequence[tuple[datetime, uuid.UUID]]
) -> dict[uuid.UUID, list[SetRecord]]:
    """The records each log (by its ``keys``, ``sets`` being theirs) set when performed: the bests
    before the earliest, then every set of those movements up to the latest, replayed in order."""
    if not keys:
        return {}
    movements = {row.movement_id for row in sets}
    if not movements:
        return {key[1]: [] for key in keys}
    repository = WorkoutLogRepository(session, viewer.user_id)
    first, last = min(keys), max(keys)
    before = await repository.bests_before(movements, first, viewer.formula)
    history = await repository.sets_between(movements, first, last)
    return replay((lifted(row, viewer.formula) for row in history), before)


async def logs_out(
    session: ReadSession,
    user_id: uuid.UUID,
    found: Sequence[WorkoutLog],
    records: dict[uuid.UUID, list[SetRecord]] | None = None,
) -> list[LogOut]:
    """The logs as the caller sees them, in four queries however many (two with their ``records``)."""
    viewer = await Viewer.of(session, user_id)
    sets = await WorkoutLogRepository(session, user_id).sets_of([log.id for log in found])
    if records is None:
        records = await records_set_by(session, viewer, sets, [(log.performed_at, log.id) for log in found])
    by_log: dict[uuid.UUID, list[WorkoutSet]] = defaultdict(list)
    for row in sets:
        by_log[row.log_id].append(row)
    answers = []
    for log in found:
        entries: list[EntryOut] = []
        current: int | None = None
        for row in by_log[log.id]:
            if row.entry_position != current:
                current = row.entry_position
                entries.append(EntryOut(movement_id=row.movement_id, exercise_id=row.exercise_id, sets=[]))
            entries[-1].sets.append(set_out(row, viewer))
        answers.append(
            LogOut(
                log_id=log.id,
                session_id=log.session_id,
                performed_at=log.performed_at,
                duration_minutes=log.duration_minutes,
                perceived_effort=log.perceived_effort,
                notes=log.notes,
                entries=entries,
                personal_records=[record_out(item, viewer) for item in records.get(log.id, [])],
                created_at=log.created_at,
                updated_at=log.updated_at,
            )
        )
    return answers


async def log_out(
    session: ReadSession, user_id: uuid.UUID, log_id: uuid.UUID, records: list[SetRecord] | None = None
) -> LogOut:
    """One log; with ``records``, the ones it was just found to set."""
    log = await WorkoutLogRepository(session, user_id).get_or_404(log_id)
    known = {log.id: records} if records is not None else None
    return (await logs_out(session, user_id, [log], known))[0]
