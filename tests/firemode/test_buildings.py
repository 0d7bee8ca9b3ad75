"""Buildings: supervisors and admins write, everyone signed in reads."""

from __future__ import annotations

import pytest

from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.validators import assert_conditional_get, assert_etag_changed

TOWER = {"name": "Harbour Tower", "address": "1 Quay St, Sydney NSW 2000", "building_type": "office"}


async def test_create_read_update(firemode: ServiceClient, supervisor: Account, technician: Account) -> None:
    created = await firemode.post("/v1/buildings", json=TOWER, headers=supervisor.headers)
    assert created.status_code == 201
    building = created.json()
    assert {k: building[k] for k in TOWER} == TOWER
    read = await firemode.get(f"/v1/buildings/{building['building_id']}", headers=technician.headers)
    assert read.json() == building
    patched = await firemode.patch(
        f"/v1/buildings/{building['building_id']}",
        json={"building_type": "mixed use"},
        headers=supervisor.headers,
    )
    assert patched.status_code == 200
    assert patched.json()["building_type"] == "mixed use"
    assert patched.json()["updated_at"] > building["updated_at"]


async def test_a_building_answers_conditional_requests(
    firemode: ServiceClient, supervisor: Account, technician: Account
) -> None:
    building = (await firemode.post("/v1/buildings", json=TOWER, headers=supervisor.headers)).json()
    url = f"/v1/buildings/{building['building_id']}"
    first = await assert_conditional_get(firemode, url, technician.headers)
    assert first.json() == building
    patched = await firemode.patch(url, json={"building_type": "mixed use"}, headers=supervisor.headers)
    assert patched.status_code == 200
    changed = await assert_etag_changed(firemode, url, technician.headers, first.headers["ETag"])
    assert changed.json() == patched.json()


async def test_same_name_and_address_is_409(firemode: ServiceClient, admin: Account) -> None:
    assert (await firemode.post("/v1/buildings", json=TOWER, headers=admin.headers)).status_code == 201
    duplicate = await firemode.post(
        "/v1/buildings", json=TOWER | {"building_type": None}, headers=admin.headers
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error_code"] == "FIRE-409"
    other = await firemode.post(
        "/v1/buildings", json=TOWER | {"name": "Harbour Tower B"}, headers=admin.headers
    )
    assert other.status_code == 201
    clash = await firemode.patch(
        f"/v1/buildings/{other.json()['building_id']}", json={"name": "Harbour Tower"}, headers=admin.headers
    )
    assert clash.status_code == 409


async def test_technicians_cannot_write(firemode: ServiceClient, technician: Account, admin: Account) -> None:
    assert (await firemode.post("/v1/buildings", json=TOWER, headers=technician.headers)).status_code == 403
    building = (await firemode.post("/v1/buildings", json=TOWER, headers=admin.headers)).json()
    patch = await firemode.patch(
        f"/v1/buildings/{building['building_id']}", json={"name": "x"}, headers=technician.headers
    )
    assert patch.status_code == 403


async def test_unknown_building_is_404(firemode: ServiceClient, technician: Account) -> None:
    response = await firemode.get(
        "/v1/buildings/01890a5d-ac96-774b-bcce-b302099a8057", headers=technician.headers
    )
    assert response.status_code == 404
    assert response.json()["retryable"] is True


@pytest.mark.parametrize(
    "body", [{"name": "", "address": "x"}, {"name": "x"}, {"name": 5, "address": "x"}, TOWER | {"floors": 3}]
)
async def test_bad_input_is_422(firemode: ServiceClient, admin: Account, body: dict[str, object]) -> None:
    response = await firemode.post("/v1/buildings", json=body, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["error_code"] == "FIRE-422"


async def test_list_pages_newest_first(firemode: ServiceClient, admin: Account, technician: Account) -> None:
    ids = []
    for number in range(5):
        body = {"name": f"Site {number}", "address": f"{number} Main St"}
        ids.append(
            (await firemode.post("/v1/buildings", json=body, headers=admin.headers)).json()["building_id"]
        )
    first = (await firemode.get("/v1/buildings", params={"limit": 3}, headers=technician.headers)).json()
    second = (
        await firemode.get(
            "/v1/buildings", params={"limit": 3, "cursor": first["next_cursor"]}, headers=technician.headers
        )
    ).json()
    assert [b["building_id"] for b in first["data"] + second["data"]] == list(reversed(ids))
    assert second["next_cursor"] is None


async def test_reading_needs_a_token(firemode: ServiceClient) -> None:
    assert (await firemode.get("/v1/buildings")).status_code == 401


async def test_the_fast_reads_answer_what_the_models_write(
    firemode: ServiceClient, admin: Account, technician: Account
) -> None:
    """The list and the detail are read on the driver and written by orjson: the same JSON as the
    response model makes of the ORM's rows, fields in its order."""
    from sqlalchemy import select

    from firemode.buildings.models import Building
    from firemode.buildings.schemas import BuildingResponse

    for body in (TOWER, {"name": 'Ünïcode "quoted" ✓', "address": "2 Quay St"}):
        assert (await firemode.post("/v1/buildings", json=body, headers=admin.headers)).status_code == 201
    async with firemode.app.state.database.read_sessions() as orm:
        newest_first = select(Building).order_by(Building.created_at.desc(), Building.id.desc())
        rows = list(await orm.scalars(newest_first))
    expected = [BuildingResponse.model_validate(row).model_dump(mode="json") for row in rows]
    assert [row["building_type"] for row in expected] == [None, "office"]

    listed = await firemode.get("/v1/buildings", headers=technician.headers)
    assert listed.status_code == 200
    assert listed.json() == {"data": expected, "next_cursor": None}
    for building in expected:
        detail = await firemode.get(f"/v1/buildings/{building['building_id']}", headers=technician.headers)
        assert detail.json() == building
        assert list(detail.json()) == list(building)


@pytest.mark.parametrize("cursor", ["junk", "a.b", "e30.AAAA", "A" * 3000])
async def test_a_bad_cursor_is_400(firemode: ServiceClient, technician: Account, cursor: str) -> None:
    response = await firemode.get("/v1/buildings", params={"cursor": cursor}, headers=technician.headers)
    assert response.status_code == 400
    assert response.json()["error_code"] == "FIRE-400"


@pytest.mark.parametrize("query", ["limit=0", "limit=x"])
async def test_a_bad_limit_is_422(firemode: ServiceClient, technician: Account, query: str) -> None:
    response = await firemode.get(f"/v1/buildings?{query}", headers=technician.headers)
    assert response.status_code == 422
    assert response.json()["error_code"] == "FIRE-422"


async def test_a_malformed_building_id_is_422(firemode: ServiceClient, technician: Account) -> None:
    response = await firemode.get("/v1/buildings/not-an-id", headers=technician.headers)
    assert response.status_code == 422
