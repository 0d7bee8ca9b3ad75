"""Readiness rules: one check-in per user and day, scored as the spec says; a PUT replaces it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alloy.catalogue.models import Circuit
from alloy.catalogue.repository import MovementRepository
from alloy.generator.model import Block, CircuitFacts, MovementFacts
from alloy.generator.prescription import Work
from alloy.identity.models import User
from alloy.programs.models import SessionExercise, TrainingSession
from alloy.programs.repository import CatalogueSnapshots, ProgramRepository, TrainingSessionRepository
from alloy.readiness.adaptation import Adapted, Conditions, Planned, adapt, needs_substitutes
from alloy.readiness.models import Readiness
from alloy.readiness.repository import ReadinessRepository
from alloy.readiness.schemas import AdaptRequest, ReadinessIn
from alloy.readiness.scoring import band_of, readiness_score
from apikit.db.unique import add_unique
from apikit.errors import BusinessRuleError, ConflictError, UnprocessableError, ValidationError
from apikit.ids import utcnow

# A day ahead at most: the lifter's "today" may already be tomorrow in UTC.
FUTURE_DAYS_ALLOWED = 1


def checked_day(day: date) -> date:
    latest = utcnow().date() + timedelta(days=FUTURE_DAYS_ALLOWED)
    if day > latest:
        raise UnprocessableError(
            "Readiness is for a day that has come (at most one day ahead of UTC)",
            code="VAL_DATE",
            details={"field": "date", "max": latest.isoformat(), "actual": day.isoformat()},
        )
    return day


def checked_range(first: date | None, last: date | None) -> None:
    if first is not None and last is not None and first > last:
        raise ValidationError(
            "from must not be after to",
            code="VAL_INVALID_DATE_RANGE",
            details={"from": first.isoformat(), "to": last.isoformat()},
        )


async def put_readiness(session: AsyncSession, user_id: uuid.UUID, day: date, body: ReadinessIn) -> Readiness:
    """The day's check-in, created or replaced whole."""
    checked_day(day)
    soreness = {str(region): level for region, level in sorted(body.soreness.items())}
    score = readiness_score(body.sleep_hours, body.energy, body.stress, soreness)
    values = {
        "sleep_hours": body.sleep_hours,
        "energy": body.energy,
        "stress": body.stress,
        "soreness": soreness,
        "minutes_available": body.minutes_available,
        "score": score,
        "band": str(band_of(score)),
    }
    found = await ReadinessRepository(session, user_id).on(day, for_update=True)
    if found is None:
        found = Readiness(user_id=user_id, day=day, **values)
        # Two first PUTs for one day at once: the unique constraint decides, the loser retries.
        await add_unique(
            session,
            found,
            ConflictError("The day's readiness was written at the same time; retry", retryable=True),
        )
        return found
    for field, value in values.items():
        setattr(found, field, value)
    found.updated_at = utcnow()
    await session.flush()
    return found


@dataclass
class Adaptation:
    session: TrainingSession
    readiness: Readiness | None
    minutes_available: int | None
    planned_minutes: int
    result: Adapted
    accepted: bool


async def adapt_session(
    session: AsyncSession,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    body: AdaptRequest,
    snapshots: CatalogueSnapshots,
) -> Adaptation:
    """The session adapted to the day (adaptation.py's rules); stored in place of the plan only
    when ``body.accept``. The movements' facts come from the catalogue as the generator reads it
    (kept in the process while unchanged, the caller's own movements read each time)."""
    sessions = TrainingSessionRepository(session, user_id)
    found = await sessions.get_or_404(session_id, for_update=body.accept)
    if found.status == "completed":
        raise BusinessRuleError(
            "A completed session cannot be adapted",
            code="BR_SESSION_COMPLETE",
            details={"session_id": str(found.id)},
        )
    if body.accept and found.adapted_at is not None:
        raise BusinessRuleError(
            "This session was already adapted; it is not adapted twice",
            code="BR_SESSION_ADAPTED",
            details={"session_id": str(found.id), "adapted_at": found.adapted_at.isoformat()},
        )
    day = body.date or found.scheduled_date
    readiness = await ReadinessRepository(session, user_id).on(day)
    if readiness is None and body.minutes_available is None:
        raise BusinessRuleError(
            "No readiness for that day: PUT /v1/readiness/{date} first, or give minutes_available alone",
            code="BR_READINESS_MISSING",
            details={"date": day.isoformat()},
        )
    user = await session.get(User, user_id)
    equipment, rules = await ProgramRepository(session, user_id).equipment_and_rules(found.program_id)
    minutes = body.minutes_available
    if minutes is None and readiness is not None:
        minutes = readiness.minutes_available
    conditions = Conditions(
        score=readiness.score if readiness else None,
        band=readiness.band if readiness else None,
        soreness=dict(readiness.soreness) if readiness else {},
        avoid_regions=frozenset(user.avoid_regions if user else ()),
        minutes_available=minutes,
    )
    exercises = await sessions.exercises_of(found.id)
    hard_yes = {rule["movement_id"] for rule in rules if rule["rule"] == "hard_yes"}
    facts = (await snapshots.load(session, user_id)).by_id()
    planned = await _planned(session, exercises, hard_yes, facts)
    substitutes = await _substitutes(session, user_id, planned, conditions, [*equipment, "bodyweight"], facts)
    result = adapt(planned, conditions, substitutes)
    adaptation = Adaptation(found, readiness, minutes, found.estimated_minutes, result, body.accept)
    if body.accept:
        await _store(session, found, exercises, adaptation)
    return adaptation


async def _planned(
    session: AsyncSession,
    exercises: list[SessionExercise],
    hard_yes: set[str],
    facts: dict[uuid.UUID, MovementFacts],
) -> list[Planned]:
    circuit_ids = {e.circuit_id for e in exercises if e.circuit_id is not None}
    circuits: dict[uuid.UUID, Circuit] = {}
    if circuit_ids:
        rows = await session.execute(select(Circuit).where(Circuit.id.in_(circuit_ids)))
        circuits = {circuit.id: circuit for circuit in rows.scalars()}
    planned = []
    for exercise in exercises:
        movement = facts.get(exercise.movement_id) if exercise.movement_id else None
        circuit = circuits.get(exercise.circuit_id) if exercise.circuit_id else None
        circuit_facts = None
        if movement is None:  # a circuit finisher (or one whose circuit was deleted since)
            circuit_facts = CircuitFacts(
                id=exercise.circuit_id or exercise.id,
                name=circuit.name if circuit else "the finisher",
                circuit_type=circuit.circuit_type if circuit else "",
                minutes=(exercise.duration_seconds or 0) // 60,
                movement_ids=(),
                difficulty=circuit.difficulty if circuit else 0,
                tags=(),
            )
        members = tuple(
            facts[movement_id]
            for item in (circuit.movements if circuit else [])
            if (movement_id := uuid.UUID(str(item["movement_id"]))) in facts
        )
        planned.append(
            Planned(
                exercise_id=exercise.id,
                block=Block(exercise.block),
                movement=movement,
                circuit=circuit_facts,
                circuit_movements=members,
                work=Work(
                    sets=exercise.sets,
                    reps_min=exercise.reps_min,
                    reps_max=exercise.reps_max,
                    duration_seconds=exercise.duration_seconds,
                    distance_m=exercise.distance_m,
                    rpe=exercise.target_rpe,
                    rest_seconds=exercise.rest_seconds,
                ),
                superset=exercise.superset_group,
                pinned=str(exercise.movement_id) in hard_yes,
                reason=exercise.reason,
                estimated_seconds=exercise.estimated_seconds,
                position=exercise.position,
            )
        )
    return planned


async def _substitutes(
    session: AsyncSession,
    user_id: uuid.UUID,
    planned: list[Planned],
    conditions: Conditions,
    equipment: list[str],
    facts: dict[uuid.UUID, MovementFacts],
) -> dict[uuid.UUID, list[MovementFacts]]:
    """The catalogue's substitutes (same pattern and group, the program's equipment, easiest
    first) of each movement the rules may swap, in one query."""
    originals = {
        item.movement.id: (item.movement.id, item.movement.pattern, item.movement.substitution_group)
        for item in planned
        if item.movement is not None and needs_substitutes(item.movement, conditions)
    }
    ids = await MovementRepository(session, user_id).substitute_ids(list(originals.values()), equipment)
    return {original: [facts[m] for m in found if m in facts] for original, found in ids.items()}


def record_of(adaptation: Adaptation) -> dict[str, Any]:
    """What an accepted adaptation leaves on the session: the readiness used and the changes."""
    readiness = adaptation.readiness
    return {
        "readiness": None
        if readiness is None
        else {"date": readiness.day.isoformat(), "score": readiness.score, "band": readiness.band},
        "minutes_available": adaptation.minutes_available,
        "planned_minutes": adaptation.planned_minutes,
        "changes": [
            {
                "rule": str(change.rule),
                "exercise_id": str(change.exercise_id),
                "change": change.change,
                "before": change.before,
                "after": change.after,
                "reason": change.reason,
            }
            for change in adaptation.result.changes
        ],
    }


async def _store(
    session: AsyncSession, found: TrainingSession, exercises: list[SessionExercise], adaptation: Adaptation
) -> None:
    """The adapted exercises in place of the planned ones (a slot keeps its id), the dropped ones
    deleted, and the record of what was done."""
    rows = {exercise.id: exercise for exercise in exercises}
    kept = set()
    for item in adaptation.result.exercises:
        row = rows[item.exercise_id]
        kept.add(row.id)
        new_movement = item.movement.id if item.movement is not None else None
        if new_movement != row.movement_id:
            row.movement_id, row.score, row.dimensions = new_movement, None, None
        work = item.work
        row.position, row.sets = item.position, work.sets
        row.reps_min, row.reps_max = work.reps_min, work.reps_max
        row.duration_seconds, row.distance_m = work.duration_seconds, work.distance_m
        row.target_rpe, row.target_rir = work.rpe, work.rir
        row.rest_seconds, row.superset_group = work.rest_seconds, item.superset
        row.estimated_seconds, row.reason = item.estimated_seconds, item.reason
    for row in exercises:
        if row.id not in kept:
            await session.delete(row)
    found.estimated_minutes = adaptation.result.estimated_minutes
    found.adapted_at = found.updated_at = utcnow()
    found.adaptation = record_of(adaptation)
    await session.flush()
