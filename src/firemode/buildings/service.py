"""The rules of buildings: one name and address is one building."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apikit.auth.dependencies import Principal
from apikit.db.unique import add_unique
from apikit.errors import ConflictError
from apikit.ids import utcnow
from firemode.buildings.models import Building
from firemode.buildings.repository import BuildingRepository


class BuildingService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, caller: Principal, fields: dict[str, Any]) -> Building:
        return await self._save(Building(**fields, created_by=caller.user_id))

    async def update(self, building_id: uuid.UUID, changes: dict[str, Any]) -> Building:
        """Only the fields given change; a name and address taken by another building is a 409."""
        building = await BuildingRepository(self.session).get_or_404(building_id, for_update=True)
        if changes:
            for field, value in changes.items():
                setattr(building, field, value)
            building.updated_at = utcnow()
            await self._save(building)
        return building

    async def _save(self, building: Building) -> Building:
        details = {"name": building.name, "address": building.address}
        duplicate = ConflictError("A building with this name and address exists", details=details)
        await add_unique(self.session, building, duplicate)
        return building
