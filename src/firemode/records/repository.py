"""Service record queries, and what completion reads of the assets and the change log."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import select

from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, Page, PageRequest, paginate
from firemode.assets.models import Asset, AssetBaseline
from firemode.records.models import ServiceRecord
from firemode.sync.models import SessionChange

HISTORY = Keyset("asset_history", (ServiceRecord.performed_at, ServiceRecord.id))
# Lookups by tag go in slices, so a large session never builds one huge statement.
_SLICE = 500


class RecordRepository(Repository[ServiceRecord]):
    model = ServiceRecord

    async def asset_or_404(self, asset_id: uuid.UUID) -> Asset:
        asset: Asset | None = await self.session.get(Asset, asset_id)
        if asset is None:
            raise NotFoundError("No such asset", details={"asset_id": str(asset_id)})
        return asset

    async def history(self, asset_id: uuid.UUID, page: PageRequest) -> Page[ServiceRecord]:
        statement = self.query().where(ServiceRecord.asset_id == asset_id)
        return await paginate(self.session, statement, keyset=HISTORY, page=page)

    async def assets_by_tag(self, building_id: uuid.UUID, tags: Sequence[str]) -> dict[str, Asset]:
        found: dict[str, Asset] = {}
        for start in range(0, len(tags), _SLICE):
            statement = select(Asset).where(
                Asset.building_id == building_id, Asset.tag.in_(tags[start : start + _SLICE])
            )
            found.update((asset.tag, asset) for asset in (await self.session.execute(statement)).scalars())
        return found

    async def baselines(self, asset_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, dict[str, float]]:
        if not asset_ids:
            return {}
        rows = await self.session.execute(
            select(AssetBaseline).where(AssetBaseline.asset_id.in_(list(asset_ids)))
        )
        return {
            baseline.asset_id: {
                "pressure_pa": baseline.pressure_pa,
                "door_opening_force_n": baseline.door_opening_force_n,
                "air_velocity_ms": baseline.air_velocity_ms,
            }
            for baseline in rows.scalars()
        }

    async def writers(self, session_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]:
        """``(path, user)`` for every path under ``/assets`` a user's change wrote in the session.
        The byte range ["/assets", "/assets0") holds "/assets" and every path under it."""
        statement = (
            select(SessionChange.path, SessionChange.submitted_by)
            .where(
                SessionChange.session_id == session_id,
                SessionChange.path >= "/assets",
                SessionChange.path < "/assets0",
            )
            .distinct()
        )
        return [(path, user) for path, user in await self.session.execute(statement)]
