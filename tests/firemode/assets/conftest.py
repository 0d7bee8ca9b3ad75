"""A building to register assets in."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ServiceClient
from tests.firemode.conftest import Account

EXTINGUISHER = {
    "tag": "EXT-001",
    "asset_type": "portable_extinguisher",
    "location": "Level 2, north stair lobby",
    "details": {"agent": "dry_chemical_abe", "capacity_kg": 4.5},
    "installed_on": "2023-05-01",
}


@pytest.fixture
async def building(firemode: ServiceClient, supervisor: Account) -> dict[str, Any]:
    created = await firemode.post(
        "/v1/buildings",
        json={"name": "Harbour Tower", "address": "1 Quay St, Sydney NSW 2000"},
        headers=supervisor.headers,
    )
    assert created.status_code == 201
    return dict(created.json())


def assets_url(building: dict[str, Any]) -> str:
    return f"/v1/buildings/{building['building_id']}/assets"
