"""Schedule arithmetic against a plain oracle, for every date: month ends, year ends, leap days."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from firemode.schedule.dates import ScheduleState, add_months, due_after, latest_done_due_by

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
intervals = st.sampled_from([1, 3, 6, 12, 60, 300])


def months_later(day: date, months: int) -> date:
    """One month at a time, then the day clamped by trying ever earlier days."""
    year, month = day.year, day.month
    for _ in range(months):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    return date(year, month, day.day)


@given(day=days, months=intervals)
def test_add_months_is_calendar_months_clamped_to_the_month_end(day: date, months: int) -> None:
    assert add_months(day, months) == months_later(day, months)


def test_month_ends_and_leap_days() -> None:
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 60) == date(2029, 2, 28)
    assert add_months(date(2025, 12, 31), 3) == date(2026, 3, 31)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


@settings(max_examples=300)
@given(last=days, months=intervals, tolerance=st.integers(0, 180), today=days)
def test_due_dates_window_and_state(last: date, months: int, tolerance: int, today: date) -> None:
    due = due_after(last, months, tolerance, today)
    assert due.next_due == months_later(last, months)
    assert due.window_start == due.next_due - timedelta(days=tolerance)
    assert due.window_end == due.next_due + timedelta(days=tolerance)
    if today > due.window_end:
        assert due.state is ScheduleState.OVERDUE
    elif today < due.window_start:
        assert due.state is ScheduleState.NOT_DUE
    else:
        assert due.state is ScheduleState.DUE


def test_never_done() -> None:
    due = due_after(None, 6, 15, date(2026, 1, 1))
    assert (due.next_due, due.window_start, due.window_end, due.state) == (
        None,
        None,
        None,
        ScheduleState.NEVER_DONE,
    )


@settings(max_examples=300)
@given(day=st.dates(min_value=date(1930, 1, 1), max_value=date(2200, 12, 31)), months=intervals)
def test_latest_done_due_by_bounds_the_next_due_date(day: date, months: int) -> None:
    bound = latest_done_due_by(day, months)
    assert add_months(bound, months) <= day
    assert add_months(bound + timedelta(days=1), months) > day
