"""Building queries. Every signed-in caller sees every building (``sees_building``, the one rule)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement

from apikit.auth.dependencies import Principal
from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, Page, PageRequest, paginate
from firemode.buildings.models import Building

BUILDINGS = Keyset("buildings", (Building.created_at, Building.id))


def sees_building(caller: Principal, building_id: Any) -> ColumnElement[bool] | None:
    """Whether ``caller`` sees the building whose id is in ``building_id`` (a column of any table),
    and so what is seen through it (its defects): today every signed-in caller sees every
    building, so there is no condition (None). Narrowing who sees a building is done here."""
    del caller, building_id
    return None


class BuildingRepository(Repository[Building]):
    model = Building

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError("No such building", details={"building_id": str(object_id)})

    async def newest_first(self, page: PageRequest) -> Page[Building]:
        return await paginate(self.session, self.query(), keyset=BUILDINGS, page=page)
