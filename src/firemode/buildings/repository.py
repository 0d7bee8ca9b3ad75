"""Building queries. Every signed-in caller sees every building (``sees_building``, the one rule)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, Uuid, bindparam, select

from apikit.auth.dependencies import Principal
from apikit.db.fastread import Reader, ReadStatements, row_json
from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, KeysetReads, PageRequest, RowPage, read_page
from firemode.buildings.models import Building

BUILDINGS = Keyset("buildings", (Building.created_at, Building.id))
# The caller's id in a statement built once per role (the fast read path's ``caller_id``).
CALLER_ID = bindparam("caller_id", type_=Uuid())


def sees_building(caller: Principal, building_id: Any) -> ColumnElement[bool] | None:
    """Whether ``caller`` sees the building whose id is in ``building_id`` (a column of any table),
    and so what is seen through it (its assets, its defects)."""
    return _building_seen(caller.role, caller.user_id, building_id)


def seen_by_role(role: str, statement: Select[Any], building_id: Any) -> Select[Any]:
    """``statement`` narrowed by :func:`sees_building` for a caller of ``role``, built once per role
    on the fast read path: the caller's id is the ``caller_id`` parameter."""
    condition = _building_seen(role, CALLER_ID, building_id)
    return statement if condition is None else statement.where(condition)


def _building_seen(role: str, caller_id: Any, building_id: Any) -> ColumnElement[bool] | None:
    """The rule: today every signed-in caller sees every building, so there is no condition
    (None). Narrowing who sees a building is done here, for both paths."""
    del role, caller_id, building_id
    return None


# --- The fast read path (apikit.db.fastread): statements built once, rows written as they are -----

_BUILDING: tuple[Any, ...] = (  # BuildingResponse, in its order
    Building.id.label("building_id"),
    Building.name,
    Building.address,
    Building.building_type,
    Building.created_at,
    Building.updated_at,
)
BUILDING_LIST = KeysetReads(BUILDINGS, lambda role: seen_by_role(role, select(*_BUILDING), Building.id))
BUILDING_DETAIL = ReadStatements(
    lambda role: seen_by_role(role, select(*_BUILDING), Building.id).where(
        Building.id == bindparam("building_id", type_=Uuid())
    )
)


class BuildingReads:
    """Buildings as ``caller`` sees them, on the fast read path: the list and the detail."""

    def __init__(self, reader: Reader, caller: Principal) -> None:
        self.reader = reader
        self.caller = caller

    async def newest_first(self, page: PageRequest) -> RowPage:
        return await read_page(
            self.reader,
            BUILDING_LIST,
            page=page,
            shape=(self.caller.role,),
            params={"caller_id": self.caller.user_id},
        )

    async def detail(self, building_id: uuid.UUID) -> bytes:
        """The building as JSON (``BuildingResponse``), or a 404 when the caller does not see it."""
        statement = BUILDING_DETAIL(self.caller.role)
        row = await self.reader.one(statement, {"building_id": building_id, "caller_id": self.caller.user_id})
        if row is None:
            raise building_not_found(building_id)
        return row_json(row, statement)


def building_not_found(building_id: uuid.UUID) -> NotFoundError:
    return NotFoundError("No such building", details={"building_id": str(building_id)})


class BuildingRepository(Repository[Building]):
    model = Building

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return building_not_found(object_id)
