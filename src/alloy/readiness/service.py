"""Readiness rules: one check-in per user and day, scored as the spec says; a PUT replaces it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from alloy.readiness.models import Readiness
from alloy.readiness.repository import ReadinessRepository
from alloy.readiness.schemas import ReadinessIn
from alloy.readiness.scoring import band_of, readiness_score
from apikit.db.unique import add_unique
from apikit.errors import ConflictError, UnprocessableError, ValidationError
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
