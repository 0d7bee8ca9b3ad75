"""The offline bundle: what a device takes with it, with an ETag, bounded in size."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from firemode.main import create_firemode_app
from firemode.settings import FireModeSettings
from tests.conftest import ServiceClient, asgi_client
from tests.firemode.conftest import Account
from tests.firemode.schedule.conftest import (
    add_assets,
    complete,
    decommission,
    setting,
    start_session,
    submit,
)
from tests.validators import assert_conditional_get


async def test_the_bundle_holds_what_a_device_needs(
    firemode: ServiceClient,
    technician: Account,
    supervisor: Account,
    building: str,
    routines: int,
    clock: list[datetime],
) -> None:
    ids = await add_assets(
        firemode,
        building,
        supervisor,
        [("BLK-1", "fire_blanket"), ("EXT-1", "portable_extinguisher"), ("OLD", "fire_door")],
    )
    await decommission(firemode, supervisor, ids["OLD"])
    clock[0] = datetime(2026, 1, 10, tzinfo=UTC)
    done = await start_session(firemode, supervisor, building)
    await submit(
        firemode,
        supervisor,
        done,
        [
            setting("/assets/BLK-1/result", "pass"),
            # No severity given: the shipped rules classify a damaged cylinder as critical.
            setting(
                "/assets/EXT-1",
                {"result": "fail", "routine": "yearly", "defect": {"condition": "cylinder_damaged"}},
            ),
        ],
    )
    assert (await complete(firemode, supervisor, done)).status_code == 200
    clock[0] = datetime(2026, 2, 1, tzinfo=UTC)
    session_id = await start_session(firemode, technician, building)
    await submit(firemode, technician, session_id, [setting("/assets/BLK-1/notes", "started")])
    url = f"/v1/tests/sessions/{session_id}/bundle"
    response = await assert_conditional_get(firemode, url, technician.headers)
    bundle = response.json()
    assert bundle["session"]["session_id"] == session_id
    assert bundle["session"]["results"] == {"assets": {"BLK-1": {"notes": "started"}}}
    assert bundle["session"]["checkpoint"] == 1
    assert bundle["building"]["building_id"] == building
    assets = {asset["tag"]: asset for asset in bundle["assets"]}
    assert set(assets) == {"BLK-1", "EXT-1"}
    assert assets["BLK-1"]["due"] == []  # done in January, next due in July
    assert {due["routine"]: due["state"] for due in assets["EXT-1"]["due"]} == {
        "six_monthly": "never_done",
        "five_yearly": "never_done",
    }
    [defect] = bundle["open_defects"]
    assert (defect["asset_id"], defect["condition"], defect["severity"]) == (
        ids["EXT-1"],
        "cylinder_damaged",
        "critical",
    )
    assert bundle["routines"]["version"] == routines
    assert {r["asset_type"] for r in bundle["routines"]["routines"]} >= {"fire_blanket"}
    assert bundle["rules_version"] == 1  # the shipped rules

    # A change to the session changes the bundle, and its ETag.
    await submit(firemode, technician, session_id, [setting("/assets/EXT-1/notes", "next")])
    changed = await firemode.get(
        url, headers={**technician.headers, "If-None-Match": response.headers["ETag"]}
    )
    assert changed.status_code == 200
    assert changed.headers["ETag"] != response.headers["ETag"]


async def test_an_invisible_session_is_404(
    firemode: ServiceClient, technician: Account, other_technician: Account, building: str
) -> None:
    session_id = await start_session(firemode, technician, building)
    response = await firemode.get(f"/v1/tests/sessions/{session_id}/bundle", headers=other_technician.headers)
    assert response.status_code == 404
    unknown = await firemode.get(f"/v1/tests/sessions/{uuid.uuid4()}/bundle", headers=technician.headers)
    assert unknown.status_code == 404
    assert (await firemode.get(f"/v1/tests/sessions/{session_id}/bundle")).status_code == 401
    bad = await firemode.get("/v1/tests/sessions/nope/bundle", headers=technician.headers)
    assert bad.status_code == 422


async def test_a_session_without_a_building_has_an_empty_bundle(
    firemode: ServiceClient, technician: Account
) -> None:
    session_id = str(uuid.uuid4())
    await submit(firemode, technician, session_id, [setting("/assets/X/result", "pass")])
    response = await firemode.get(f"/v1/tests/sessions/{session_id}/bundle", headers=technician.headers)
    assert response.status_code == 200
    assert (response.json()["building"], response.json()["assets"]) == (None, [])


async def test_a_building_past_the_limit_is_refused(
    firemode: ServiceClient, technician: Account, supervisor: Account, building: str
) -> None:
    await add_assets(firemode, building, supervisor, [(f"BLK-{n}", "fire_blanket") for n in range(3)])
    session_id = await start_session(firemode, technician, building)
    settings: FireModeSettings = firemode.app.state.settings
    limited = create_firemode_app(settings.model_copy(update={"bundle_max_assets": 2}))
    async with asgi_client(limited) as client:
        response = await client.get(f"/v1/tests/sessions/{session_id}/bundle", headers=technician.headers)
    await limited.state.database.dispose()
    assert response.status_code == 413
    body = response.json()
    assert body["error_code"] == "FIRE-413"
    assert body["details"] == {
        "max_assets": 2,
        "active_assets": 3,
        "assets_url": f"/v1/buildings/{building}/assets",
    }
    assert "Page the register" in body["message"]
