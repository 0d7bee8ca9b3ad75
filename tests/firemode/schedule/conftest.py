"""A building with a routine table and an asset register, and the calls a device makes: all of it
through the API with real tokens (routines by an admin, the register by a supervisor)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from apikit.ids import utcnow
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account

# (asset type, frequency, interval in months, tolerance in days): the shipped defaults' shape. The
# interval is the frequency's (the API derives it); it is here for the tests that compute dates.
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
    client: ServiceClient, admin: Account, rows: Sequence[tuple[str, str, int, int]] = ROUTINES
) -> int:
    """``PUT /v1/routines``: a new version (after any the database holds), so it is the current one."""
    body = {
        "routines": [{"asset_type": t, "frequency": f, "tolerance_days": d} for t, f, _, d in rows],
        "note": "tests",
    }
    response = await client.put("/v1/routines", json=body, headers=admin.headers)
    assert response.status_code == 200, response.text
    table = response.json()
    assert sorted(
        (r["asset_type"], r["frequency"], r["interval_months"], r["tolerance_days"])
        for r in table["routines"]
    ) == sorted(rows)
    return int(table["version"])


def location_of(index: int) -> str:
    return f"Level {index % 30}"


async def add_assets(
    client: ServiceClient, building_id: str, created_by: Account, assets: Sequence[tuple[str, str]]
) -> dict[str, str]:
    """``(tag, asset_type)`` rows registered one by one (``POST …/assets``); their ids by tag."""
    ids: dict[str, str] = {}
    for index, (tag, asset_type) in enumerate(assets):
        response = await client.post(
            f"/v1/buildings/{building_id}/assets",
            json={"tag": tag, "asset_type": asset_type, "location": location_of(index)},
            headers=created_by.headers,
        )
        assert response.status_code == 201, response.text
        ids[tag] = str(response.json()["asset_id"])
    return ids


def asset_sheet(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """A CSV sheet of ``rows`` (column → cell), its header every column any row uses."""
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


async def import_assets(
    client: ServiceClient, building_id: str, by: Account, sheet: bytes
) -> dict[str, dict[str, Any]]:
    """One upload of ``sheet`` (``POST …/assets/import``); then the register as the API lists it
    (every page of ``GET …/assets``), each asset by tag."""
    response = await client.post(
        f"/v1/buildings/{building_id}/assets/import",
        files={"file": ("register.csv", sheet, "text/csv")},
        headers=by.headers,
    )
    assert response.status_code == 201, response.text
    imported = response.json()["imported"]
    register = await list_assets(client, building_id, by)
    assert len(register) == imported
    return register


async def list_assets(client: ServiceClient, building_id: str, who: Account) -> dict[str, dict[str, Any]]:
    """Every asset of the building, following the cursor, by tag."""
    found: dict[str, dict[str, Any]] = {}
    params: dict[str, Any] = {"limit": 100}
    while True:
        response = await client.get(f"/v1/buildings/{building_id}/assets", params=params, headers=who.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        found.update((asset["tag"], asset) for asset in page["data"])
        if page["next_cursor"] is None:
            return found
        params["cursor"] = page["next_cursor"]


async def decommission(client: ServiceClient, by: Account, asset_id: str) -> None:
    response = await client.post(f"/v1/assets/{asset_id}/decommission", headers=by.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "decommissioned"


async def set_baseline(client: ServiceClient, asset_id: str, by: Account, **values: float) -> None:
    response = await client.put(f"/v1/assets/{asset_id}/baseline", json=values, headers=by.headers)
    assert response.status_code == 200, response.text


@pytest.fixture
async def routines(firemode: ServiceClient, admin: Account) -> int:
    return await install_routines(firemode, admin)


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
