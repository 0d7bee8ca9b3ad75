"""The schedule's query: active assets × the current version's routines for their type × the
last pass or fail of each, in one statement (a grouped subquery), whatever the number of assets.

Month arithmetic differs between SQLite and PostgreSQL, so the dates are worked out in Python
over the one result set (:mod:`firemode.schedule.dates`); the work list across buildings turns its
date range into bounds on ``last_done`` per interval instead, so it filters and pages in SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, literal, or_, select

from apikit.db.repository import Repository
from apikit.pagination import Keyset, Page, PageRequest, paginate
from firemode.assets.models import Asset
from firemode.records.models import ServiceRecord
from firemode.routines.models import Routine, RoutineVersion

# A pass or a fail is a routine done (a failed test is still the test); not_tested and
# no_access are visits that did not do it.
ADVANCING_OUTCOMES = ("pass", "fail")
ACTIVE = "active"
DUE_LIST = Keyset("schedule_due", (Asset.building_id, Asset.tag, Routine.frequency), descending=False)


def current_routine_version() -> Any:
    """The routine table in force: the highest version (a scalar subquery)."""
    return select(func.max(RoutineVersion.version)).scalar_subquery()


def last_done(building_id: uuid.UUID | None, before: datetime | None = None) -> Any:
    """Each asset's and routine's last pass or fail (before ``before`` when given), a subquery."""
    statement = select(
        ServiceRecord.asset_id,
        ServiceRecord.routine,
        func.max(ServiceRecord.performed_at).label("last_done"),
    ).where(ServiceRecord.outcome.in_(ADVANCING_OUTCOMES))
    if building_id is not None:
        statement = statement.where(ServiceRecord.building_id == building_id)
    if before is not None:
        statement = statement.where(ServiceRecord.performed_at < before)
    return statement.group_by(ServiceRecord.asset_id, ServiceRecord.routine).subquery("last")


def schedule_rows(building_id: uuid.UUID | None) -> tuple[Select[Any], Any]:
    """The statement (not yet ordered) and its ``last_done`` column. ``service.entry_of`` unpacks
    its rows in this column order."""
    last = last_done(building_id)
    statement = (
        select(
            Asset.id.label("asset_id"),
            Asset.building_id,
            Asset.tag,
            Asset.asset_type,
            Asset.location,
            Routine.frequency,
            Routine.interval_months,
            Routine.tolerance_days,
            last.c.last_done,
        )
        .select_from(Asset)
        .join(
            Routine,
            and_(Routine.asset_type == Asset.asset_type, Routine.version == current_routine_version()),
        )
        .outerjoin(last, and_(last.c.asset_id == Asset.id, last.c.routine == Routine.frequency))
        .where(Asset.status == ACTIVE)
    )
    if building_id is not None:
        statement = statement.where(Asset.building_id == building_id)
    return statement, last.c.last_done


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _by_interval(bounds: Mapping[int, date]) -> ColumnElement[Any]:
    """The bound for each row's interval, as a timestamp: the start of the day after it."""
    return case(
        {
            months: literal(_start_of(day + timedelta(days=1)), type_=ServiceRecord.performed_at.type)
            for months, day in bounds.items()
        },
        value=Routine.interval_months,
    )


class ScheduleRepository(Repository[Asset]):
    model = Asset

    async def building(self, building_id: uuid.UUID) -> Sequence[Any]:
        """Every active asset of the building with each routine of its type, tag order."""
        statement, _ = schedule_rows(building_id)
        statement = statement.order_by(Asset.tag, Routine.interval_months)
        return list(await self.session.execute(statement))

    async def assets(self, asset_ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        """The same rows for some assets (completion's routine choice)."""
        statement, _ = schedule_rows(None)
        return list(await self.session.execute(statement.where(Asset.id.in_(asset_ids))))

    async def current_version(self) -> int | None:
        version: int | None = await self.session.scalar(select(current_routine_version()))
        return version

    async def intervals(self) -> list[int]:
        """The intervals (in months) the current routine table uses."""
        statement = (
            select(Routine.interval_months).where(Routine.version == current_routine_version()).distinct()
        )
        return list((await self.session.execute(statement)).scalars())

    async def due_between(
        self,
        page: PageRequest,
        *,
        building_id: uuid.UUID | None,
        last_done_from: Mapping[int, date] | None,
        last_done_to: Mapping[int, date],
        filters: Mapping[str, Any],
    ) -> Page[Any]:
        """The rows never done, or last done within the bounds given per interval (inclusive):
        those whose next due date falls in the work list's period."""
        statement, last_done = schedule_rows(building_id)
        in_period: ColumnElement[bool] = false()  # no routine table: nothing is due
        if last_done_to:
            in_period = last_done < _by_interval(last_done_to)
            if last_done_from is not None:
                in_period = and_(in_period, last_done >= _by_interval(last_done_from))
        statement = statement.where(or_(last_done.is_(None), in_period))
        return await paginate(self.session, statement, keyset=DUE_LIST, page=page, filters=filters, rows=True)
