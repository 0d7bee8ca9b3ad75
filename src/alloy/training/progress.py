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
from alloy.training.records import AllTime, LiftedSet, standing
from alloy.training.repository import (
    WorkoutLogRepository,
    active_program_days,
    invisible_movements,
    lifted,
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
    by_day: dict[date, list[Any]] = defaultdict(list)
    for row in rows:
        by_day[row.performed_at.date()].append(row)
    days = []
    for day in sorted(by_day):
        sets = by_day[day]
        rated = [value for row in sets if (value := getattr(row, f"e1rm_{viewer.formula.value}")) is not None]
        loaded = [row for row in sets if row.completed and (row.load_kg or 0) > 0 and (row.reps or 0) >= 1]
        top = max(loaded, key=lambda row: (row.load_kg, row.reps), default=None)
        days.append(
            ProgressDay(
                date=day,
                best_e1rm=e1rm_in(max(rated), viewer.units) if rated else None,
                top_set=TopSet(load=from_kg(top.load_kg, viewer.units), reps=top.reps, rpe=top.rpe)
                if top is not None
                else None,
                volume=from_kg(sum(_volume_kg(row) for row in sets), viewer.units),
            )
        )
    return days


def _records(found: AllTime, viewer: Viewer) -> Records:
    def holder(held: Any, value: float) -> RecordHolder:
        source: LiftedSet = held.lifted
        assert source.load_kg is not None
        assert source.reps is not None
        return RecordHolder(
            value=value,
            load=from_kg(source.load_kg, viewer.units),
            reps=source.reps,
            performed_at=source.performed_at,
            log_id=source.log_id,
        )

    return Records(
        best_e1rm=holder(found.best_e1rm, e1rm_in(found.best_e1rm.value, viewer.units))
        if found.best_e1rm
        else None,
        heaviest_load=holder(found.heaviest_load, from_kg(found.heaviest_load.value, viewer.units))
        if found.heaviest_load
        else None,
        best_reps_at_load=[
            RepsAtLoad(
                load=from_kg(item.load_kg or 0.0, viewer.units),
                reps=item.reps or 0,
                performed_at=item.performed_at,
                log_id=item.log_id,
            )
            for item in found.reps_at_load
        ],
    )


async def movement_progress(
    session: ReadSession, user_id: uuid.UUID, movement_id: uuid.UUID, first: date | None, last: date | None
) -> MovementProgress:
    """The movement's days between ``first`` and ``last`` (inclusive) and its all-time records."""
    start, before = day_window(first, last)
    if await invisible_movements(session, user_id, [movement_id]):
        raise NotFoundError("No such movement", code="NF_MOVEMENT", details={"movement_id": str(movement_id)})
    viewer = await Viewer.of(session, user_id)
    logs = WorkoutLogRepository(session, user_id)
    window = await logs.sets_between([movement_id], start, before)
    history = (
        window if start is None and before is None else await logs.sets_between([movement_id], None, None)
    )
    return MovementProgress(
        movement_id=movement_id,
        unit=viewer.units,
        formula=viewer.formula.value,
        days=_days(window, viewer),
        records=_records(standing(lifted(row, viewer.formula) for row in history), viewer),
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
