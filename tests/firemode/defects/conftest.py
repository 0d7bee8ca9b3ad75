"""A building with registered assets, for the defects tests (assets are written to the table: the
register's endpoints are another domain's)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from firemode.assets.models import Asset, search_key
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account


@dataclass(frozen=True)
class Site:
    building_id: str
    extinguisher: str  # asset ids
    door: str


async def building(client: ServiceClient, who: Account, name: str = "Harbour Tower") -> str:
    body = {"name": name, "address": "1 Quay St, Sydney NSW 2000"}
    created = await client.post("/v1/buildings", json=body, headers=who.headers)
    assert created.status_code == 201, created.text
    building_id: str = created.json()["building_id"]
    return building_id


async def asset(
    client: ServiceClient, building_id: str, asset_type: str, tag: str, created_by: uuid.UUID
) -> str:
    async with client.app.state.database.transactional() as session:
        row = Asset(
            building_id=uuid.UUID(building_id),
            tag=tag,
            asset_type=asset_type,
            location="Level 1",
            created_by=created_by,
            tag_key=search_key(tag),
            location_key=search_key("Level 1"),
        )
        session.add(row)
        await session.flush()
        return str(row.id)


@pytest.fixture
async def site(firemode: ServiceClient, supervisor: Account) -> Site:
    building_id = await building(firemode, supervisor)
    return Site(
        building_id,
        await asset(firemode, building_id, "portable_extinguisher", "EXT-001", supervisor.user_id),
        await asset(firemode, building_id, "fire_door", "FD-001", supervisor.user_id),
    )


async def open_defect(client: ServiceClient, who: Account, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/defects", json={"description": "Found on inspection", **body}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    defect: dict[str, Any] = response.json()
    return defect
