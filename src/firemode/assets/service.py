"""The rules of the asset register: a tag names one asset in its building, details fit the type,
decommissioned assets are history (kept, never edited), and an import is all rows or none."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any, BinaryIO, cast

from fastapi import Depends
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apikit.auth.dependencies import Principal
from apikit.db.bulk import insert_rows
from apikit.db.unique import add_unique
from apikit.errors import BusinessRuleError, ConflictError, UnprocessableError
from apikit.ids import new_id, utcnow
from firemode.assets.asset_types import AssetType, validate_details
from firemode.assets.importing import Sheet, read_sheet
from firemode.assets.models import Asset, AssetBaseline, search_key
from firemode.assets.repository import AssetRepository
from firemode.assets.schemas import AssetCreateRequest, AssetStatus, BaselineRequest
from firemode.buildings.repository import BuildingRepository
from firemode.settings import FireModeSettingsDep


async def _import_max_rows(settings: FireModeSettingsDep) -> int:
    return settings.asset_import_max_rows


ImportMaxRows = Annotated[int, Depends(_import_max_rows)]  # FIREMODE_ASSET_IMPORT_MAX_ROWS


def _tag_taken(building_id: uuid.UUID, tag: str) -> ConflictError:
    return ConflictError(
        "An asset with this tag is already registered in this building",
        details={"building_id": str(building_id), "tag": tag},
    )


class AssetService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.assets = AssetRepository(session)

    async def register(self, caller: Principal, building_id: uuid.UUID, body: AssetCreateRequest) -> Asset:
        await BuildingRepository(self.session).get_or_404(building_id)
        asset = Asset(
            building_id=building_id,
            tag=body.tag,
            asset_type=body.asset_type,
            location=body.location,
            details=body.details,
            installed_on=body.installed_on,
            created_by=caller.user_id,
            tag_key=search_key(body.tag),
            location_key=search_key(body.location),
            baseline=None,
        )
        await add_unique(self.session, asset, _tag_taken(building_id, asset.tag))
        return asset

    async def update(self, asset_id: uuid.UUID, changes: dict[str, Any]) -> Asset:
        """The fields given change (``installed_on: null`` clears it); ``details`` is replaced whole
        and checked against the asset's type; a tag taken in the building is a 409."""
        asset = await self._editable(asset_id)
        if "details" in changes:
            changes["details"] = _checked_details(AssetType(asset.asset_type), changes["details"])
        if not changes:
            return asset
        for name, value in changes.items():
            setattr(asset, name, value)
        asset.tag_key, asset.location_key = search_key(asset.tag), search_key(asset.location)
        asset.updated_at = utcnow()
        await add_unique(self.session, asset, _tag_taken(asset.building_id, asset.tag))
        return asset

    async def decommission(self, asset_id: uuid.UUID) -> Asset:
        """Idempotent: an asset already decommissioned is answered as it is (its first date kept)."""
        asset = await self.assets.get_or_404(asset_id, for_update=True)
        if asset.status == AssetStatus.ACTIVE:
            asset.status = AssetStatus.DECOMMISSIONED
            asset.decommissioned_at = asset.updated_at = utcnow()
            await self.session.flush()
        return asset

    async def set_baseline(
        self, caller: Principal, asset_id: uuid.UUID, body: BaselineRequest
    ) -> AssetBaseline:
        asset = await self._editable(asset_id)
        if asset.asset_type != AssetType.STAIR_PRESSURISATION:
            raise BusinessRuleError(
                "Only a stair pressurisation system has a baseline",
                details={"asset_type": asset.asset_type, "allowed": [AssetType.STAIR_PRESSURISATION.value]},
            )
        baseline = asset.baseline
        if baseline is None:
            asset.baseline = baseline = AssetBaseline(asset_id=asset.id)
        else:
            baseline.updated_at = utcnow()
        for name, value in body.model_dump().items():
            setattr(baseline, name, value)
        baseline.set_by = caller.user_id
        await self.session.flush()
        return baseline

    async def import_sheet(
        self, caller: Principal, building_id: uuid.UUID, upload: BinaryIO, *, max_rows: int
    ) -> int:
        """Every row of the CSV, or none: a 422 lists each bad line (its number and why), tags
        already in the register included."""
        await BuildingRepository(self.session).get_or_404(building_id)
        # Parsing is CPU work of up to a second for a large sheet: off the event loop.
        sheet = await asyncio.to_thread(read_sheet, upload, max_rows=max_rows)
        registered = await self.assets.tags_in(building_id)
        for row in sheet.rows:
            if row.tag in registered:
                sheet.refuse(row.line, "tag", f"tag {row.tag} is already registered in this building")
        if sheet.bad_lines:
            raise _bad_sheet(sheet)
        now = utcnow()
        rows = [
            {
                "id": new_id(),
                "building_id": building_id,
                "tag": row.tag,
                "asset_type": row.asset_type.value,
                "location": row.location,
                "details": row.details,
                "installed_on": row.installed_on,
                "status": AssetStatus.ACTIVE.value,
                "decommissioned_at": None,
                "created_by": caller.user_id,
                "tag_key": search_key(row.tag),
                "location_key": search_key(row.location),
                "created_at": now,
                "updated_at": now,
            }
            for row in sheet.rows
        ]
        try:
            async with self.session.begin_nested():
                await insert_rows(self.session, cast(Table, Asset.__table__), rows)
        except IntegrityError:  # another request registered one of these tags meanwhile
            raise ConflictError(
                "A tag in the file was registered by another request meanwhile; import again",
                details={"building_id": str(building_id)},
            ) from None
        return len(rows)

    async def _editable(self, asset_id: uuid.UUID) -> Asset:
        asset = await self.assets.get_or_404(asset_id, for_update=True)
        if asset.status == AssetStatus.DECOMMISSIONED:
            raise BusinessRuleError(
                "A decommissioned asset is kept as it was: register a new one",
                details={"asset_id": str(asset.id), "status": asset.status},
            )
        return asset


def _checked_details(asset_type: AssetType, details: dict[str, Any]) -> dict[str, Any]:
    """As the create request checks them: a 422 naming each bad field under ``body.details``."""
    try:
        return validate_details(asset_type, details)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", "details", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from None


def _bad_sheet(sheet: Sheet) -> UnprocessableError:
    lines = sorted({bad["line"] for bad in sheet.bad_lines})
    first = ", ".join(str(line) for line in lines[:5]) + (" …" if len(lines) > 5 else "")
    return UnprocessableError(
        f"Nothing was imported: {len(lines)} bad line(s) ({first})",
        details={"bad_lines": len(lines), "errors": sorted(sheet.bad_lines, key=lambda bad: bad["line"])},
    )
