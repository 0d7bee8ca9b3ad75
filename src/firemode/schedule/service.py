"""The schedule's rules: from the query's rows (last pass or fail per asset and routine) to due
dates, windows and states on a given day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, timedelta
from typing import Any

from apikit.db.engine import ReadSession
from apikit.errors import UnprocessableError
from apikit.pagination import PageRequest
from firemode.buildings.repository import BuildingRepository
from firemode.schedule.dates import Due, due_after, latest_done_due_by
from firemode.schedule.repository import ScheduleRepository
from firemode.schedule.schemas import DuePage

# How far ahead the work list looks when no end is given.
DEFAULT_HORIZON = timedelta(days=30)


def due_of(row: Any, today: date) -> tuple[date | None, Due]:
    """A schedule row's last pass or fail (its UTC date), and when it is next due."""
    last_done = row.last_done.astimezone(UTC).date() if row.last_done is not None else None
    return last_done, due_after(last_done, row.interval_months, row.tolerance_days, today)


def entry_of(row: Any, today: date) -> dict[str, Any]:
    """One schedule item as plain data (a ``ScheduleItem``'s fields): a building's schedule has
    tens of thousands, and building a model for each costs more than the query. The row is
    unpacked in ``schedule_rows``' column order: far cheaper than reading a row's attributes."""
    asset_id, building_id, tag, asset_type, location, frequency, interval, tolerance, done_at = row
    last_done = done_at.astimezone(UTC).date() if done_at is not None else None
    due = due_after(last_done, interval, tolerance, today)
    return {
        # As text: asyncpg's UUIDs are a subclass the JSON encoder does not take.
        "asset_id": str(asset_id),
        "building_id": str(building_id),
        "tag": tag,
        "asset_type": asset_type,
        "location": location,
        "routine": frequency,
        "last_done": last_done,
        "next_due": due.next_due,
        "window_start": due.window_start,
        "window_end": due.window_end,
        "state": due.state.value,
    }


class ScheduleService:
    def __init__(self, session: ReadSession) -> None:
        self.session = session
        self.schedule = ScheduleRepository(session)

    async def building(self, building_id: uuid.UUID, today: date) -> dict[str, Any]:
        """A ``BuildingSchedule`` as plain data, for the JSON encoder to write as it is."""
        await BuildingRepository(self.session).get_or_404(building_id)
        rows = await self.schedule.building(building_id)
        return {
            "building_id": str(building_id),
            "today": today,
            "data": [entry_of(row, today) for row in rows],
        }

    async def due(
        self,
        page: PageRequest,
        *,
        today: date,
        start: date | None,
        end: date | None,
        building_id: uuid.UUID | None,
    ) -> DuePage:
        """Routines whose next due date falls in ``[start, end]`` (no start: everything overdue
        too), and those never done, across buildings or in one."""
        end = end or today + DEFAULT_HORIZON
        if start is not None and start > end:
            raise UnprocessableError(
                "from must not be after to", details={"from": start.isoformat(), "to": end.isoformat()}
            )
        if building_id is not None:
            await BuildingRepository(self.session).get_or_404(building_id)
        intervals = await self.schedule.intervals()
        found = await self.schedule.due_between(
            page,
            building_id=building_id,
            last_done_from=(
                None
                if start is None
                else {n: latest_done_due_by(start - timedelta(days=1), n) for n in intervals}
            ),
            last_done_to={n: latest_done_due_by(end, n) for n in intervals},
            filters={"building_id": building_id, "from": start, "to": end},
        )
        return DuePage.model_validate(
            {
                "today": today,
                "data": [entry_of(row, today) for row in found.items],
                "next_cursor": found.next_cursor,
            }
        )
