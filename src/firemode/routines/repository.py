"""Routine table queries: versions by number, the current one being the highest."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from firemode.routines.models import RoutineVersion


class RoutineRepository(Repository[RoutineVersion]):
    model = RoutineVersion

    async def latest_number(self) -> int | None:
        number: int | None = await self.session.scalar(select(func.max(RoutineVersion.version)))
        return number

    async def current(self) -> RoutineVersion:
        number = await self.latest_number()
        if number is None:
            raise NotFoundError("No routine table is installed (firemode migrate loads the shipped one)")
        return await self.version_or_404(number)

    async def version_or_404(self, number: int) -> RoutineVersion:
        statement = (
            self.query()
            .options(selectinload(RoutineVersion.routines))
            .where(RoutineVersion.version == number)
        )
        found: RoutineVersion | None = (await self.session.execute(statement)).scalar_one_or_none()
        if found is None:
            raise NotFoundError("No such routine version", details={"version": number})
        return found

    async def newest_first(self) -> list[RoutineVersion]:
        result = await self.session.execute(self.query().order_by(RoutineVersion.version.desc()))
        return list(result.scalars())
