"""An asset's history: its service records, newest first, and no way to change them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.firemode.schedule.conftest import add_assets, complete, setting, start_session, submit


async def test_history_is_newest_first_in_pages(
    firemode: ServiceClient,
    technician: Account,
    supervisor: Account,
    building: str,
    routines: int,
    clock: list[datetime],
) -> None:
    ids = await add_assets(firemode, building, supervisor, [("BLK-1", "fire_blanket")])
    outcomes = ["pass", "fail", "no_access"]
    for day, outcome in enumerate(outcomes):
        clock[0] = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day)
        session_id = await start_session(firemode, technician, building)
        await submit(firemode, technician, session_id, [setting("/assets/BLK-1/result", outcome)])
        assert (await complete(firemode, technician, session_id)).status_code == 200
    url = f"/v1/assets/{ids['BLK-1']}/history"
    first = await firemode.get(url, params={"limit": 2}, headers=technician.headers)
    assert first.status_code == 200
    assert [r["outcome"] for r in first.json()["data"]] == ["no_access", "fail"]
    rest = await firemode.get(
        url, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=technician.headers
    )
    assert [r["outcome"] for r in rest.json()["data"]] == ["pass"]
    assert rest.json()["next_cursor"] is None


async def test_history_needs_a_token_a_known_asset_and_a_good_cursor(
    firemode: ServiceClient, technician: Account, supervisor: Account, building: str
) -> None:
    ids = await add_assets(firemode, building, supervisor, [("BLK-1", "fire_blanket")])
    url = f"/v1/assets/{ids['BLK-1']}/history"
    assert (await firemode.get(url)).status_code == 401
    assert (await firemode.get(url, headers=technician.headers)).json() == {"data": [], "next_cursor": None}
    unknown = await firemode.get(f"/v1/assets/{uuid.uuid4()}/history", headers=technician.headers)
    assert unknown.status_code == 404
    assert (await firemode.get("/v1/assets/x/history", headers=technician.headers)).status_code == 422
    assert (await firemode.get(f"{url}?limit=0", headers=technician.headers)).status_code == 422
    assert (await firemode.get(f"{url}?cursor=abc", headers=technician.headers)).status_code == 400


async def test_service_records_have_no_write_route(firemode: ServiceClient, supervisor: Account) -> None:
    """Records are immutable: nothing in the API edits or deletes them (a correction is a new
    session)."""
    paths = (await firemode.get("/openapi.json")).json()["paths"]
    record_paths = {path: set(ops) for path, ops in paths.items() if "history" in path or "record" in path}
    assert record_paths == {"/v1/assets/{asset_id}/history": {"get"}}
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        response = await firemode.request(
            method, f"/v1/assets/{uuid.uuid4()}/history", headers=supervisor.headers
        )
        assert response.status_code == 405
