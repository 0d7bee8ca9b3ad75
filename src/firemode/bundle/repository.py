"""What a bundle reads besides the session and the schedule: the register, open defects and the
routine table in force."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from apikit.db.repository import Repository
from firemode.assets.models import Asset
from firemode.defects.models import Defect
from firemode.routines.models import Routine
from firemode.schedule.repository import ACTIVE, current_routine_version

CLOSED_DEFECT = "closed"


class BundleRepository(Repository[Asset]):
    model = Asset

    async def count_active(self, building_id: uuid.UUID) -> int:
        statement = select(func.count()).where(Asset.building_id == building_id, Asset.status == ACTIVE)
        return int(await self.session.scalar(statement) or 0)

    async def active_assets(self, building_id: uuid.UUID) -> Sequence[Asset]:
        statement = (
            self.query().where(Asset.building_id == building_id, Asset.status == ACTIVE).order_by(Asset.tag)
        )
        return list((await self.session.execute(statement)).scalars())

    async def open_defects(self, building_id: uuid.UUID) -> Sequence[Defect]:
        statement = (
            select(Defect)
            .where(Defect.building_id == building_id, Defect.status != CLOSED_DEFECT)
            .order_by(Defect.created_at, Defect.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def current_routines(self) -> tuple[int | None, Sequence[Routine]]:
        version = await self.session.scalar(select(current_routine_version()))
        statement = (
            select(Routine)
            .where(Routine.version == version)
            .order_by(Routine.asset_type, Routine.interval_months)
        )
        return version, list((await self.session.execute(statement)).scalars())
