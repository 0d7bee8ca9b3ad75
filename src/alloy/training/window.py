"""Days as the training endpoints read them: UTC calendar days, ``to`` inclusive."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from apikit.errors import ValidationError


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def day_window(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """``[start of first, start of the day after last)``; ``last`` before ``first`` is a 400."""
    if first is not None and last is not None and last < first:
        raise ValidationError(
            "to must not be before from",
            code="VAL_INVALID_DATE_RANGE",
            details={"from": first.isoformat(), "to": last.isoformat()},
        )
    start = day_start(first) if first is not None else None
    end = day_start(last + timedelta(days=1)) if last is not None and last < date.max else None
    return start, end
