"""Building queries. Every signed-in caller sees every building."""

from __future__ import annotations

import uuid

from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, Page, PageRequest, paginate
from firemode.buildings.models import Building

BUILDINGS = Keyset("buildings", (Building.created_at, Building.id))


class BuildingRepository(Repository[Building]):
    model = Building

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError("No such building", details={"building_id": str(object_id)})

    async def newest_first(self, page: PageRequest) -> Page[Building]:
        return await paginate(self.session, self.query(), keyset=BUILDINGS, page=page)
