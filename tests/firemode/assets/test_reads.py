"""The register's reads on the fast read path: the same answers as the response models make of the
ORM's rows, and bad input a 4xx."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from firemode.assets.models import Asset
from firemode.assets.schemas import AssetResponse
from tests.conftest import ServiceClient
from tests.firemode.assets.conftest import EXTINGUISHER, assets_url
from tests.firemode.conftest import Account

STAIR = {
    "tag": "SP-1",
    "asset_type": "stair_pressurisation",
    "location": "Stair A",
    "details": {"fan_count": 2},
}


async def registered(
    client: ServiceClient, building: dict[str, Any], who: Account, body: dict[str, Any]
) -> str:
    response = await client.post(assets_url(building), json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    asset_id: str = response.json()["asset_id"]
    return asset_id


async def test_the_fast_reads_answer_what_the_models_write(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account, technician: Account
) -> None:
    """Every field of the list and the detail, the baseline nested or null, the details compared as
    JSON (PostgreSQL's JSONB keeps its own key order), fields in the model's order."""
    await registered(firemode, building, supervisor, EXTINGUISHER | {"location": 'Ünïcode "quoted" ✓'})
    stair = await registered(firemode, building, supervisor, STAIR)
    baseline = {"pressure_pa": 45, "door_opening_force_n": 95.5, "air_velocity_ms": 1.2}
    put = await firemode.put(f"/v1/assets/{stair}/baseline", json=baseline, headers=supervisor.headers)
    assert put.status_code == 200, put.text
    gone = await registered(
        firemode, building, supervisor, EXTINGUISHER | {"tag": "EXT-002", "installed_on": None}
    )
    assert (
        await firemode.post(f"/v1/assets/{gone}/decommission", headers=supervisor.headers)
    ).status_code == 200

    async with firemode.app.state.database.read_sessions() as orm:
        rows = await orm.scalars(
            select(Asset).options(selectinload(Asset.baseline)).order_by(Asset.tag, Asset.id)
        )
        expected = [AssetResponse.model_validate(row).model_dump(mode="json") for row in rows]
    assert [asset["tag"] for asset in expected] == ["EXT-001", "EXT-002", "SP-1"]
    assert expected[2]["baseline"] is not None
    assert expected[1]["decommissioned_at"] is not None

    listed = await firemode.get(assets_url(building), headers=technician.headers)
    assert listed.status_code == 200
    assert listed.json() == {"data": expected, "next_cursor": None}
    assert [list(asset) for asset in listed.json()["data"]] == [list(asset) for asset in expected]
    for asset in expected:
        detail = await firemode.get(f"/v1/assets/{asset['asset_id']}", headers=technician.headers)
        assert detail.status_code == 200
        assert detail.json() == asset
        assert list(detail.json()) == list(asset)
        assert list(detail.json()["baseline"] or {}) == list(asset["baseline"] or {})
    searched = await firemode.get(assets_url(building), params={"q": "ünïcode"}, headers=technician.headers)
    assert searched.json() == {"data": [expected[0]], "next_cursor": None}


async def test_an_empty_page_of_a_seen_building_is_200_of_an_unknown_one_404(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account, technician: Account
) -> None:
    """The building is looked up only when a page is empty: a filter that matches nothing is still
    an empty page of a building that exists, and an unknown building still a 404."""
    await registered(firemode, building, supervisor, EXTINGUISHER)
    for params in ({"status": "decommissioned"}, {"q": "nothing like it"}, {"asset_type": "fire_door"}):
        empty = await firemode.get(assets_url(building), params=params, headers=technician.headers)
        assert empty.status_code == 200
        assert empty.json() == {"data": [], "next_cursor": None}
    nowhere = f"/v1/buildings/{uuid.uuid4()}/assets"
    for params in ({}, {"status": "active"}):
        unknown = await firemode.get(nowhere, params=params, headers=technician.headers)
        assert unknown.status_code == 404
        assert unknown.json()["error_code"] == "FIRE-404"


@pytest.mark.parametrize("cursor", ["junk", "a.b", "e30.AAAA", "A" * 3000])
async def test_a_bad_cursor_is_400(
    firemode: ServiceClient, building: dict[str, Any], technician: Account, cursor: str
) -> None:
    response = await firemode.get(assets_url(building), params={"cursor": cursor}, headers=technician.headers)
    assert response.status_code == 400
    assert response.json()["error_code"] == "FIRE-400"


async def test_another_buildings_cursor_is_400(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account, technician: Account
) -> None:
    for tag in ("A-1", "A-2"):
        await registered(firemode, building, supervisor, EXTINGUISHER | {"tag": tag})
    other = await firemode.post(
        "/v1/buildings", json={"name": "Other", "address": "3 Quay St"}, headers=supervisor.headers
    )
    first = (await firemode.get(assets_url(building), params={"limit": 1}, headers=technician.headers)).json()
    assert first["next_cursor"] is not None
    reused = await firemode.get(
        assets_url(other.json()), params={"cursor": first["next_cursor"]}, headers=technician.headers
    )
    assert reused.status_code == 400


@pytest.mark.parametrize("asset_id", ["not-an-id", "1234"])
async def test_a_malformed_asset_id_is_422(
    firemode: ServiceClient, technician: Account, asset_id: str
) -> None:
    assert (await firemode.get(f"/v1/assets/{asset_id}", headers=technician.headers)).status_code == 422
