"""Load targets and progression: the load each exercise of a session not yet performed should be
lifted with, from the lifter's last six weeks of that movement. Computed on read, never stored.

For an exercise of a movement counted in reps and loaded with plates, from that movement's sets of
the last six weeks (all movements of the session in one query):

1. missed twice in a row — the latest log and the one before each missed the bottom of the rep
   range on half their sets or more → **down** 10% from the latest log's load;
2. missed once — the latest log did → **hold** its load;
3. every set of the latest log at the top of the range, at or under the target RPE → **up** one
   increment from its load (at least 2.5%);
4. otherwise **e1rm**: the load that the best e1RM of the six weeks gives for the prescribed reps
   (the top of the range) at the prescribed RPE, by the lifter's formula.

A log is judged against the range of the planned exercise it performed (else this one's). Deload
weeks take rule 4 (their lower RPE is the point). Loads are in the lifter's units and rounded down to
the movement's plate increment (rule 3 rounds up, so the step is never under 2.5%). No history, no
plates, or work done for time or distance: no target, and the reason says which.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from alloy.programs.models import SessionExercise, TrainingSession
from alloy.training.e1rm import e1rm_in, effective_reps, floor_to, from_kg, load_for
from alloy.training.repository import recent_sets
from alloy.training.service import Viewer
from apikit.db.engine import ReadSession
from apikit.ids import utcnow

WINDOW = timedelta(weeks=6)
UP_AT_LEAST = 0.025
DOWN_BY = 0.10


@dataclass(frozen=True, slots=True)
class LoadTarget:
    load: float | None  # in ``unit``
    unit: str | None
    rule: str  # down | hold | up | e1rm | none
    reason: str


@dataclass(frozen=True, slots=True)
class Prescription:
    reps_min: int
    reps_max: int
    rpe: float | None  # target effort as RPE (a target RIR r is RPE 10 − r)

    @classmethod
    def of(
        cls, reps_min: int | None, reps_max: int | None, rpe: float | None, rir: int | None
    ) -> Prescription | None:
        if reps_min is None or reps_max is None:
            return None
        return cls(reps_min, reps_max, rpe if rpe is not None else (10 - rir if rir is not None else None))


def ceil_to(value: float, step: float) -> float:
    exact = Decimal(repr(value)) / Decimal(repr(step))
    return float(exact.quantize(Decimal(1), rounding=ROUND_CEILING) * Decimal(repr(step)))


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class LogVerdict:
    load_kg: float | None  # the heaviest load lifted
    sets: int
    missed: int
    all_at_top: bool

    @property
    def missed_half(self) -> bool:
        return self.sets > 0 and 2 * self.missed >= self.sets


def _verdict(rows: Sequence[Any], fallback: Prescription) -> LogVerdict:
    """One log's sets of a movement, judged against the range they were planned with."""
    planned = Prescription.of(
        rows[0].planned_reps_min, rows[0].planned_reps_max, rows[0].planned_rpe, rows[0].planned_rir
    )
    rules = planned or fallback
    counted = [row for row in rows if row.reps is not None]
    missed = sum(1 for row in counted if not row.completed or row.reps < rules.reps_min)

    def at_top(row: Any) -> bool:
        effort = row.rpe if row.rpe is not None else (10 - row.rir if row.rir is not None else None)
        easy_enough = rules.rpe is None or effort is None or effort <= rules.rpe
        return bool(row.completed and row.reps >= rules.reps_max and easy_enough)

    loads = [row.load_kg for row in counted if row.completed and (row.load_kg or 0) > 0]
    return LogVerdict(
        load_kg=max(loads) if loads else None,
        sets=len(counted),
        missed=missed,
        all_at_top=bool(counted) and all(at_top(row) for row in counted),
    )


def target_for(
    exercise: SessionExercise, history: Sequence[Any], viewer: Viewer, *, deload: bool
) -> LoadTarget:
    """One exercise's target from its movement's ``history`` (sets of the window, in order)."""
    movement = exercise.movement
    assert movement is not None
    increment = movement.plate_increment_lb if viewer.units == "lb" else movement.plate_increment_kg
    prescription = Prescription.of(
        exercise.reps_min, exercise.reps_max, exercise.target_rpe, exercise.target_rir
    )
    if prescription is None or movement.metric_type != "reps":
        return LoadTarget(None, None, "none", "Work done for time or distance has no load target")
    if not increment:
        return LoadTarget(None, None, "none", f"{movement.name} is not loaded with plates: no load target")
    if not history:
        return LoadTarget(
            None, None, "none", f"No log of {movement.name} in the last 6 weeks: no load target yet"
        )
    unit = viewer.units
    logs: dict[uuid.UUID, list[Any]] = {}
    for row in history:
        logs.setdefault(row.log_id, []).append(row)
    verdicts = [_verdict(rows, prescription) for rows in logs.values()]
    latest = verdicts[-1]
    previous = verdicts[-2] if len(verdicts) > 1 else None
    last = from_kg(latest.load_kg, unit) if latest.load_kg is not None else None
    if last is not None and not deload:
        if latest.missed_half and previous is not None and previous.missed_half:
            load = floor_to(last * (1 - DOWN_BY), increment)
            return LoadTarget(
                load,
                unit,
                "down",
                f"Missed the bottom of the range twice in a row: down 10% from {_number(last)} {unit}",
            )
        if latest.missed_half:
            load = floor_to(last, increment)
            return LoadTarget(
                load,
                unit,
                "hold",
                f"Missed the bottom of the range on {latest.missed} of {latest.sets} sets last time: "
                f"hold {_number(load)} {unit}",
            )
        if latest.all_at_top:
            load = max(ceil_to(last * (1 + UP_AT_LEAST), increment), floor_to(last, increment) + increment)
            return LoadTarget(
                load,
                unit,
                "up",
                "Every set at the top of the range at or under the target RPE last time: "
                f"up from {_number(last)} {unit}",
            )
    column = f"e1rm_{viewer.formula.value}"
    rated = [value for row in history if (value := getattr(row, column)) is not None]
    if not rated:
        return LoadTarget(
            None,
            None,
            "none",
            f"No set of {movement.name} with a load and 1–12 reps in the last 6 weeks: no load target yet",
        )
    best = max(rated)
    reps = effective_reps(prescription.reps_max, prescription.rpe)
    load = floor_to(from_kg(load_for(viewer.formula, best, reps), unit), increment)
    effort = f" at RPE {_number(prescription.rpe)}" if prescription.rpe is not None else ""
    why = "Deload week: " if deload else ""
    return LoadTarget(
        load,
        unit,
        "e1rm",
        f"{why}{prescription.reps_max} reps{effort} from your best e1RM of the last 6 weeks, "
        f"{_number(e1rm_in(best, unit))} {unit} ({viewer.formula.value})",
    )


async def session_targets(
    session: ReadSession, user_id: uuid.UUID, found: TrainingSession
) -> dict[uuid.UUID, LoadTarget]:
    """Each movement exercise's target (none once the session is completed): two queries."""
    if found.status == "completed":
        return {}
    exercises = [exercise for exercise in found.exercises if exercise.movement is not None]
    if not exercises:
        return {}
    viewer = await Viewer.of(session, user_id)
    rows = await recent_sets(
        session, user_id, {e.movement_id for e in exercises if e.movement_id}, utcnow() - WINDOW
    )
    by_movement: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        by_movement.setdefault(row.movement_id, []).append(row)
    deload = bool(found.week.is_deload)
    answer = {}
    for exercise in exercises:
        history = by_movement.get(exercise.movement_id, []) if exercise.movement_id else []
        answer[exercise.id] = target_for(exercise, history, viewer, deload=deload)
    return answer
