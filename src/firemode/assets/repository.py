"""Asset queries. Assets are seen by whoever sees their building (``sees_building``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, String, Uuid, bindparam, select
from sqlalchemy.orm import selectinload

from apikit.auth.dependencies import Principal
from apikit.db.fastread import Reader, ReadStatements, Row, raw_json, row_json
from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, KeysetReads, PageRequest, RowPage, read_page
from firemode.assets.models import Asset, AssetBaseline, search_key
from firemode.buildings.repository import BUILDING_DETAIL, building_not_found, seen_by_role

# The register in tag order (byte order on both databases), as it is printed and walked.
ASSETS = Keyset("assets", (Asset.tag, Asset.id), descending=False)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def asset_not_found(asset_id: uuid.UUID) -> NotFoundError:
    return NotFoundError("No such asset", details={"asset_id": str(asset_id)})


# --- The fast read path (apikit.db.fastread): statements built once, rows written as they are -----

_BASELINE = (
    "asset_id",
    "pressure_pa",
    "door_opening_force_n",
    "air_velocity_ms",
    "set_by",
    "created_at",
    "updated_at",
)
_ASSET: tuple[Any, ...] = (  # AssetResponse, in its order; the baseline's columns where it nests
    Asset.id.label("asset_id"),
    Asset.building_id,
    Asset.tag,
    Asset.asset_type,
    Asset.location,
    raw_json(Asset.details),
    Asset.installed_on,
    Asset.status,
    Asset.decommissioned_at,
    *(getattr(AssetBaseline, name).label(f"baseline_{name}") for name in _BASELINE),
    Asset.created_by,
    Asset.created_at,
    Asset.updated_at,
)


def _assets(role: str) -> Select[Any]:
    statement = select(*_ASSET).outerjoin(AssetBaseline, AssetBaseline.asset_id == Asset.id)
    return seen_by_role(role, statement, Asset.building_id)


def _as_answered(row: Row) -> dict[str, Any]:
    """An asset's row as ``AssetResponse`` nests it, applied per row before it is written (a nested
    object is not portable SQL): the baseline's joined columns as ``baseline``, null without one."""
    fields: dict[str, Any] = {}
    for key, value in row.items():
        if key == "baseline_asset_id":
            fields["baseline"] = (
                None if value is None else {name: row[f"baseline_{name}"] for name in _BASELINE}
            )
        elif not key.startswith("baseline_"):
            fields[key] = value
    return fields


def _registered(role: str, of_type: bool, in_status: bool, searched: bool) -> Select[Any]:
    statement = _assets(role).where(Asset.building_id == bindparam("building_id", type_=Uuid()))
    if of_type:
        statement = statement.where(Asset.asset_type == bindparam("asset_type", type_=String()))
    if in_status:
        statement = statement.where(Asset.status == bindparam("status", type_=String()))
    if searched:
        pattern = bindparam("pattern", type_=String())
        statement = statement.where(
            Asset.tag_key.like(pattern, escape="\\") | Asset.location_key.like(pattern, escape="\\")
        )
    return statement


ASSET_REGISTER = KeysetReads(ASSETS, _registered)
ASSET_DETAIL = ReadStatements(
    lambda role: _assets(role).where(Asset.id == bindparam("asset_id", type_=Uuid()))
)


class AssetReads:
    """Assets as ``caller`` sees them, on the fast read path: a building's register and one asset."""

    def __init__(self, reader: Reader, caller: Principal) -> None:
        self.reader = reader
        self.caller = caller

    async def by_tag(
        self,
        building_id: uuid.UUID,
        page: PageRequest,
        *,
        asset_type: str | None,
        status: str | None,
        q: str | None,
    ) -> RowPage:
        """A page of the building's register in tag order; a 404 for a building the caller does
        not see (looked up only when the page is empty: a row shows the building is seen)."""
        params = {
            "caller_id": self.caller.user_id,
            "building_id": building_id,
            "asset_type": asset_type,
            "status": status,
            "pattern": f"%{_like_escaped(search_key(q))}%" if q else None,
        }
        found = await read_page(
            self.reader,
            ASSET_REGISTER,
            page=page,
            shape=(self.caller.role, asset_type is not None, status is not None, bool(q)),
            params=params,
            filters={"building_id": building_id, "asset_type": asset_type, "status": status, "q": q},
        )
        if not found.page.items:
            building = BUILDING_DETAIL(self.caller.role)
            if await self.reader.one(building, params) is None:
                raise building_not_found(building_id)
        return found.each(_as_answered)

    async def detail(self, asset_id: uuid.UUID) -> bytes:
        """The asset as JSON (``AssetResponse``), or a 404 when the caller does not see it."""
        statement = ASSET_DETAIL(self.caller.role)
        row = await self.reader.one(statement, {"asset_id": asset_id, "caller_id": self.caller.user_id})
        if row is None:
            raise asset_not_found(asset_id)
        return row_json(_as_answered(row), statement)


class AssetRepository(Repository[Asset]):
    model = Asset

    def query(self) -> Select[Any]:
        return super().query().options(selectinload(Asset.baseline))

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return asset_not_found(object_id)

    async def baseline_or_404(self, asset_id: uuid.UUID) -> AssetBaseline:
        asset = await self.get_or_404(asset_id)
        if asset.baseline is None:
            raise NotFoundError("This asset has no baseline", details={"asset_id": str(asset_id)})
        return asset.baseline

    async def tags_in(self, building_id: uuid.UUID) -> set[str]:
        """Every tag the building's register holds, decommissioned assets' included."""
        result = await self.session.execute(select(Asset.tag).where(Asset.building_id == building_id))
        return set(result.scalars())
