"""A building with a routine table and an asset register, and the calls a device makes.

The asset register's endpoints are built on another branch, so assets are inserted through the
models here; everything else goes through the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from apikit.ids import utcnow
from firemode.assets.models import Asset, AssetBaseline, search_key
from firemode.routines.models import Routine, RoutineVersion
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account

# (asset type, frequency, interval in months, tolerance in days): the shipped defaults' shape.
ROUTINES = [
    ("portable_extinguisher", "six_monthly", 6, 15),
    ("portable_extinguisher", "yearly", 12, 30),
    ("portable_extinguisher", "five_yearly", 60, 90),
    ("fire_blanket", "six_monthly", 6, 15),
    ("emergency_exit_lighting", "six_monthly", 6, 15),
    ("emergency_exit_lighting", "yearly", 12, 30),
    ("fire_door", "six_monthly", 6, 15),
    ("stair_pressurisation", "monthly", 1, 5),
    ("stair_pressurisation", "six_monthly", 6, 15),
    ("stair_pressurisation", "yearly", 12, 30),
    ("passive_penetration", "yearly", 12, 30),
]
ROUTINES_BY_TYPE: dict[str, list[str]] = {}
for _type, _frequency, _, _ in ROUTINES:
    ROUTINES_BY_TYPE.setdefault(_type, []).append(_frequency)


async def install_routines(
    client: ServiceClient, rows: Sequence[tuple[str, str, int, int]] = ROUTINES
) -> int:
    """A new routine version (after any the database holds), so it is the current one."""
    async with client.app.state.database.transactional() as session:
        version = (await session.scalar(select(func.max(RoutineVersion.version))) or 0) + 1
        session.add(RoutineVersion(version=version, note="tests"))
        await session.flush()
        await session.execute(
            insert(Routine),
            [
                {
                    "version": version,
                    "asset_type": t,
                    "frequency": f,
                    "interval_months": m,
                    "tolerance_days": d,
                }
                for t, f, m, d in rows
            ],
        )
    return version


async def add_assets(
    client: ServiceClient, building_id: str, created_by: Account, assets: Sequence[tuple[str, str]]
) -> dict[str, str]:
    """``(tag, asset_type)`` rows into the register; their ids by tag."""
    rows = [
        {
            "id": uuid.uuid4(),
            "building_id": uuid.UUID(building_id),
            "tag": tag,
            "asset_type": asset_type,
            "location": f"Level {index % 30}",
            "details": {},
            "status": "active",
            "created_by": created_by.user_id,
            "tag_key": search_key(tag),
            "location_key": search_key(f"Level {index % 30}"),
        }
        for index, (tag, asset_type) in enumerate(assets)
    ]
    async with client.app.state.database.transactional() as session:
        for row in rows:
            session.add(Asset(**row))
    return {row["tag"]: str(row["id"]) for row in rows}


async def decommission(client: ServiceClient, asset_id: str) -> None:
    async with client.app.state.database.transactional() as session:
        asset = await session.get(Asset, uuid.UUID(asset_id))
        assert asset is not None
        asset.status = "decommissioned"


async def set_baseline(client: ServiceClient, asset_id: str, by: Account, **values: float) -> None:
    async with client.app.state.database.transactional() as session:
        session.add(AssetBaseline(asset_id=uuid.UUID(asset_id), set_by=by.user_id, **values))


@pytest.fixture
async def routines(firemode: ServiceClient) -> int:
    return await install_routines(firemode)


@pytest.fixture
async def building(firemode: ServiceClient, supervisor: Account) -> str:
    body = {"name": "Harbour Tower", "address": "1 Quay St"}
    response = await firemode.post("/v1/buildings", json=body, headers=supervisor.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["building_id"])


@pytest.fixture
def clock(firemode: ServiceClient) -> Iterator[list[datetime]]:
    """The time the app acts at (completion, today): set ``clock[0]``."""
    now = [datetime(2026, 6, 15, 2, 0, tzinfo=UTC)]
    firemode.app.dependency_overrides[utcnow] = lambda: now[0]
    yield now
    firemode.app.dependency_overrides.pop(utcnow, None)


async def start_session(firemode: ServiceClient, who: Account, building_id: str) -> str:
    response = await firemode.post(
        "/v1/tests/sessions", json={"building_id": building_id}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])


def setting(path: str, value: Any, actor: str | None = None, counter: int | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {"op": "set", "path": path, "value": value}
    if actor is not None:
        change.update(actor=actor, counter=counter)
    return change


async def submit(
    firemode: ServiceClient,
    who: Account,
    session_id: str,
    changes: list[dict[str, Any]],
    key: str | None = None,
) -> dict[str, Any]:
    response = await firemode.post(
        f"/v1/tests/sessions/{session_id}/results",
        json={"changes": changes},
        headers={**who.headers, "Idempotency-Key": key or str(uuid.uuid4())},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def complete(firemode: ServiceClient, who: Account, session_id: str, **headers: str) -> Any:
    return await firemode.patch(
        f"/v1/tests/sessions/{session_id}", json={"status": "completed"}, headers={**who.headers, **headers}
    )
