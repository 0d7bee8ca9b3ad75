"""Asset queries. Assets are seen by whoever sees their building: today every signed-in caller."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from apikit.db.repository import Repository
from apikit.errors import NotFoundError
from apikit.pagination import Keyset, Page, PageRequest, paginate
from firemode.assets.models import Asset, AssetBaseline, search_key

# The register in tag order (byte order on both databases), as it is printed and walked.
ASSETS = Keyset("assets", (Asset.tag, Asset.id), descending=False)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class AssetRepository(Repository[Asset]):
    model = Asset

    def query(self) -> Select[Any]:
        return super().query().options(selectinload(Asset.baseline))

    def not_found(self, object_id: uuid.UUID) -> NotFoundError:
        return NotFoundError("No such asset", details={"asset_id": str(object_id)})

    async def baseline_or_404(self, asset_id: uuid.UUID) -> AssetBaseline:
        asset = await self.get_or_404(asset_id)
        if asset.baseline is None:
            raise NotFoundError("This asset has no baseline", details={"asset_id": str(asset_id)})
        return asset.baseline

    async def by_tag(
        self,
        building_id: uuid.UUID,
        page: PageRequest,
        *,
        asset_type: str | None,
        status: str | None,
        q: str | None,
    ) -> Page[Asset]:
        statement = self.query().where(Asset.building_id == building_id)
        if asset_type is not None:
            statement = statement.where(Asset.asset_type == asset_type)
        if status is not None:
            statement = statement.where(Asset.status == status)
        if q:
            pattern = f"%{_like_escaped(search_key(q))}%"
            statement = statement.where(
                Asset.tag_key.like(pattern, escape="\\") | Asset.location_key.like(pattern, escape="\\")
            )
        filters = {"building_id": building_id, "asset_type": asset_type, "status": status, "q": q}
        return await paginate(self.session, statement, keyset=ASSETS, page=page, filters=filters)

    async def tags_in(self, building_id: uuid.UUID) -> set[str]:
        """Every tag the building's register holds, decommissioned assets' included."""
        result = await self.session.execute(select(Asset.tag).where(Asset.building_id == building_id))
        return set(result.scalars())
