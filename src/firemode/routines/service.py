"""The rules of the routine table: a change is a new version, numbered after the last; the old
ones stay as they were (service records name the version they were done under)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from apikit.auth.dependencies import Principal
from apikit.db.unique import add_unique
from apikit.errors import ConflictError
from firemode.routines.defaults import INTERVAL_MONTHS
from firemode.routines.models import Routine, RoutineVersion
from firemode.routines.repository import RoutineRepository
from firemode.routines.schemas import RoutineTableRequest


class RoutineService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def publish(self, caller: Principal, body: RoutineTableRequest) -> RoutineVersion:
        """The table as the next version. Two admins publishing at once: one wins, the other 409."""
        repository = RoutineRepository(self.session)
        number = (await repository.latest_number() or 0) + 1
        version = RoutineVersion(
            version=number,
            note=body.note,
            created_by=caller.user_id,
            routines=[
                Routine(
                    asset_type=routine.asset_type.value,
                    frequency=routine.frequency.value,
                    interval_months=INTERVAL_MONTHS[routine.frequency],
                    tolerance_days=routine.tolerance_days,
                )
                # In the order a GET reads them back.
                for routine in sorted(
                    body.routines, key=lambda r: (r.asset_type, INTERVAL_MONTHS[r.frequency])
                )
            ],
        )
        raced = ConflictError("Another routine version was saved at the same time; read it and try again")
        await add_unique(self.session, version, raced)
        return version
