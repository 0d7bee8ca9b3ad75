"""Progress: one movement's days and records, and a weekly summary of the training done.

Figures are in the caller's units and by the caller's e1RM formula, computed from the sets as they
stand (so an edited or deleted log changes them at once). Days and weeks are UTC; weeks start on
Monday.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from alloy.training.e1rm import e1rm_in, from_kg
from alloy.training.repository import (
    active_program_days,
    invisible_movements,
    movement_days,
    movement_records,
    week_sets,
)
from alloy.training.schemas import (
    MovementProgress,
    ProgressDay,
    ProgressSummary,
    RecordHolder,
    Records,
    RepsAtLoad,
    Tally,
    TopSet,
    WeekSummary,
)
from alloy.training.service import Viewer, records_set_by
from alloy.training.window import day_start, day_window
from apikit.db.engine import ReadSession
from apikit.errors import NotFoundError
from apikit.ids import utcnow


def _volume_kg(row: Any) -> float:
    """load × reps of a completed set (0 for a set without both)."""
    if not row.completed or row.load_kg is None or row.reps is None:
        return 0.0
    return float(row.load_kg * row.reps)


def _days(rows: Iterable[Any], viewer: Viewer) -> list[ProgressDay]:
    return [
        ProgressDay(
            date=row.day,
            best_e1rm=e1rm_in(row.best_e1rm, viewer.units) if row.best_e1rm is not None else None,
            top_set=TopSet(load=from_kg(row.load_kg, viewer.units), reps=row.reps, rpe=row.rpe)
            if row.counts
            else None,
            volume=from_kg(float(row.volume_kg or 0), viewer.units),
        )
        for row in rows
    ]


def _holder(row: Any, value: float, units: str) -> RecordHolder:
    return RecordHolder(
        value=value,
        load=from_kg(row.load_kg, units),
        reps=row.reps,
        performed_at=row.performed_at,
        log_id=row.log_id,
    )


def _records(best: Any | None, heaviest: Any | None, per_load: list[Any], viewer: Viewer) -> Records:
    """The holders as the caller reads them; per load, only the loads no heavier one matched."""
    frontier, most = [], 0
    for row in per_load:  # heaviest first
        if row.reps > most:
            frontier.append(row)
            most = row.reps
    units = viewer.units
    return Records(
        best_e1rm=_holder(best, e1rm_in(best.value, units), units) if best is not None else None,
        heaviest_load=_holder(heaviest, from_kg(heaviest.load_kg, units), units)
        if heaviest is not None
        else None,
        best_reps_at_load=[
            RepsAtLoad(
                load=from_kg(row.load_kg, units),
                reps=row.reps,
                performed_at=row.performed_at,
                log_id=row.log_id,
            )
            for row in frontier
        ],
    )


async def movement_progress(
    session: ReadSession, user_id: uuid.UUID, movement_id: uuid.UUID, first: date | None, last: date | None
) -> MovementProgress:
    """The movement's days between ``first`` and ``last`` (inclusive) and its all-time records."""
    day_window(first, last)  # the same checks as every window
    if await invisible_movements(session, user_id, [movement_id]):
        raise NotFoundError("No such movement", code="NF_MOVEMENT", details={"movement_id": str(movement_id)})
    viewer = await Viewer.of(session, user_id)
    days = await movement_days(session, user_id, movement_id, viewer.formula, first, last)
    best, heaviest, per_load = await movement_records(session, user_id, movement_id, viewer.formula)
    return MovementProgress(
        movement_id=movement_id,
        unit=viewer.units,
        formula=viewer.formula.value,
        days=_days(days, viewer),
        records=_records(best, heaviest, per_load, viewer),
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def summary(
    session: ReadSession, user_id: uuid.UUID, weeks: int, today: date | None = None
) -> ProgressSummary:
    """The last ``weeks`` weeks, this one included, oldest first."""
    viewer = await Viewer.of(session, user_id)
    first_monday = _monday(today or utcnow().date()) - timedelta(weeks=weeks - 1)
    mondays = [first_monday + timedelta(weeks=n) for n in range(weeks)]
    start, before = day_start(first_monday), day_start(mondays[-1] + timedelta(weeks=1))
    rows = await week_sets(session, user_id, start, before)
    program_id, planned = await active_program_days(
        session, user_id, first_monday, mondays[-1] + timedelta(days=6)
    )
    keys = sorted({(row.performed_at, row.log_id) for row in rows})
    records = await records_set_by(session, viewer, rows, keys)
    log_week = {log_id: _monday(at.date()) for at, log_id in keys}

    tallies: dict[date, dict[str, dict[str, list[float]]]] = {
        monday: {"pattern": defaultdict(lambda: [0, 0.0]), "muscle": defaultdict(lambda: [0, 0.0])}
        for monday in mondays
    }
    for row in rows:
        if not row.completed:
            continue
        week = tallies[_monday(row.performed_at.date())]
        for kind, key in (("pattern", row.pattern), ("muscle", row.primary_muscle)):
            week[kind][key][0] += 1
            week[kind][key][1] += _volume_kg(row)
    answer = []
    for monday in mondays:
        in_week = [status for day, status in planned if _monday(day) == monday]
        done = sum(status == "completed" for status in in_week)

        def tally(kind: str, week: date = monday) -> dict[str, Tally]:
            return {
                key: Tally(sets=int(sets), volume=from_kg(volume, viewer.units))
                for key, (sets, volume) in sorted(tallies[week][kind].items())
            }

        answer.append(
            WeekSummary(
                week_start=monday,
                by_pattern=tally("pattern"),
                by_primary_muscle=tally("muscle"),
                sessions_planned=len(in_week),
                sessions_completed=done,
                adherence=round(done / len(in_week), 2) if in_week else None,
                personal_records=sum(
                    len(found) for log_id, found in records.items() if log_week.get(log_id) == monday
                ),
            )
        )
    return ProgressSummary(unit=viewer.units, program_id=program_id, weeks=answer)
