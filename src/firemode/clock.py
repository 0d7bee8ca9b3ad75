"""The time a request acts at, as dependencies, so tests choose it: override ``apikit.ids.utcnow``
in the app's ``dependency_overrides`` and completion, the schedule and bundles all follow."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends

from apikit.ids import utcnow

Now = Annotated[datetime, Depends(utcnow)]


def today_utc(now: Now) -> date:
    """The day schedule states are computed for: today's date in UTC."""
    return now.astimezone(UTC).date()


Today = Annotated[date, Depends(today_utc)]
