"""Assembling a session's offline bundle. Its size is bounded: a building with more active
assets than the setting allows is refused (413), and the device pages the asset list instead."""

from __future__ import annotations

import uuid
from datetime import date

from apikit.auth.dependencies import Principal
from apikit.db.engine import ReadSession
from apikit.errors import PayloadTooLargeError
from firemode.buildings.repository import BuildingRepository
from firemode.buildings.schemas import BuildingResponse
from firemode.bundle.repository import BundleRepository
from firemode.bundle.schemas import (
    Bundle,
    BundleAsset,
    BundleDefect,
    BundleRoutine,
    BundleSession,
    DueRoutine,
    RoutineTable,
)
from firemode.defects.repository import RuleRepository
from firemode.schedule.dates import ScheduleState
from firemode.schedule.repository import ScheduleRepository
from firemode.schedule.service import entry_of
from firemode.sessions.repository import SessionRepository


class BundleService:
    def __init__(self, session: ReadSession, caller: Principal, max_assets: int) -> None:
        self.session = session
        self.caller = caller
        self.max_assets = max_assets
        self.bundles = BundleRepository(session)

    async def bundle(self, session_id: uuid.UUID, today: date) -> Bundle:
        row = await SessionRepository(self.session, self.caller).get_or_404(session_id)
        version, routines = await self.bundles.current_routines()
        building, assets, defects = None, [], []
        if row.building_id is not None:
            building_row = await BuildingRepository(self.session).get_or_404(row.building_id)
            building = BuildingResponse.model_validate(building_row)
            assets = await self._assets(row.building_id, today)
            defects = [
                BundleDefect.model_validate(d) for d in await self.bundles.open_defects(row.building_id)
            ]
        return Bundle(
            today=today,
            session=BundleSession.model_validate(row),
            building=building,
            assets=assets,
            open_defects=defects,
            routines=RoutineTable(
                version=version, routines=[BundleRoutine.model_validate(r) for r in routines]
            ),
            rules_version=await RuleRepository(self.session).latest_version() or None,
        )

    async def _assets(self, building_id: uuid.UUID, today: date) -> list[BundleAsset]:
        count = await self.bundles.count_active(building_id)
        if count > self.max_assets:
            raise PayloadTooLargeError(
                f"The building has {count} active assets; a bundle holds at most {self.max_assets}. "
                f"Page the register instead: GET /v1/buildings/{building_id}/assets",
                details={
                    "max_assets": self.max_assets,
                    "active_assets": count,
                    "assets_url": f"/v1/buildings/{building_id}/assets",
                },
            )
        due: dict[uuid.UUID, list[DueRoutine]] = {}
        for row in await ScheduleRepository(self.session).building(building_id):
            entry = entry_of(row, today)
            if entry["state"] != ScheduleState.NOT_DUE:
                due.setdefault(row.asset_id, []).append(DueRoutine.model_validate(entry))
        return [
            BundleAsset(
                asset_id=asset.id,
                tag=asset.tag,
                asset_type=asset.asset_type,
                location=asset.location,
                details=asset.details,
                due=due.get(asset.id, []),
            )
            for asset in await self.bundles.active_assets(building_id)
        ]
