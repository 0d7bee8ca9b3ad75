"""Schedule arithmetic: pure functions of dates, no web or database code.

A routine done on ``last_done`` is next due ``interval_months`` calendar months later; a day the
target month lacks is clamped to its last day (31 January + 1 month = 28 or 29 February), as
PostgreSQL's interval arithmetic does. It may be done within ``tolerance_days`` either side of that
date (the window), and its state on a day follows from where that day falls.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache


class ScheduleState(StrEnum):
    NOT_DUE = "not_due"
    DUE = "due"
    OVERDUE = "overdue"
    NEVER_DONE = "never_done"


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on, clamped to the target month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True, slots=True)
class Due:
    next_due: date | None
    window_start: date | None
    window_end: date | None
    state: ScheduleState


@lru_cache(maxsize=8192)  # pure: a building's routines share a few dates, intervals and tolerances
def due_after(last_done: date | None, interval_months: int, tolerance_days: int, today: date) -> Due:
    """When a routine last done on ``last_done`` is next due, its window and its state ``today``."""
    if last_done is None:
        return Due(None, None, None, ScheduleState.NEVER_DONE)
    next_due = add_months(last_done, interval_months)
    tolerance = timedelta(days=tolerance_days)
    start, end = next_due - tolerance, next_due + tolerance
    if today > end:
        state = ScheduleState.OVERDUE
    elif today >= start:
        state = ScheduleState.DUE
    else:
        state = ScheduleState.NOT_DUE
    return Due(next_due, start, end, state)


def latest_done_due_by(day: date, interval_months: int) -> date:
    """The last date whose next due date is on or before ``day``: since adding months never goes
    backwards, ``add_months(d, n) <= day`` exactly when ``d <= latest_done_due_by(day, n)``."""
    candidate = add_months(day, -interval_months)
    # Clamping can map several days onto ``day`` (28–31 January + 1 month = 28 February):
    # the last of them is found by stepping on while the result stays on or before ``day``.
    while add_months(candidate + timedelta(days=1), interval_months) <= day:
        candidate += timedelta(days=1)
    return candidate
