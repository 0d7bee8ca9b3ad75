"""The asset register: supervisors and admins write, everyone signed in reads; tags are unique
per building; details are checked per type; decommissioning keeps the asset."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firemode.assets.asset_types import DETAILS, AssetType, validate_details
from tests.conftest import ServiceClient
from tests.firemode.assets.conftest import EXTINGUISHER, assets_url
from tests.firemode.conftest import Account
from tests.validators import assert_conditional_get, assert_etag_changed


async def register(client: ServiceClient, building: dict[str, Any], who: Account, **fields: Any) -> Any:
    response = await client.post(assets_url(building), json=EXTINGUISHER | fields, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_register_read_update(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account, technician: Account
) -> None:
    asset = await register(firemode, building, supervisor)
    assert {k: asset[k] for k in EXTINGUISHER} == EXTINGUISHER
    assert asset["status"] == "active"
    assert asset["baseline"] is None
    assert asset["building_id"] == building["building_id"]
    read = await firemode.get(f"/v1/assets/{asset['asset_id']}", headers=technician.headers)
    assert read.status_code == 200
    assert read.json() == asset
    patched = await firemode.patch(
        f"/v1/assets/{asset['asset_id']}",
        json={
            "location": "Level 3",
            "details": {"agent": "carbon_dioxide", "capacity_kg": 5},
            "installed_on": None,
        },
        headers=supervisor.headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["location"] == "Level 3"
    assert body["installed_on"] is None
    assert body["details"] == {"agent": "carbon_dioxide", "capacity_kg": 5.0}
    assert body["updated_at"] > asset["updated_at"]


async def test_an_asset_answers_conditional_requests(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account, technician: Account
) -> None:
    asset = await register(firemode, building, supervisor)
    url = f"/v1/assets/{asset['asset_id']}"
    first = await assert_conditional_get(firemode, url, technician.headers)
    assert first.json() == asset
    decommissioned = await firemode.post(f"{url}/decommission", headers=supervisor.headers)
    changed = await assert_etag_changed(firemode, url, technician.headers, first.headers["ETag"])
    assert changed.json() == decommissioned.json()


async def test_technicians_read_but_do_not_write(
    firemode: ServiceClient, building: dict[str, Any], admin: Account, technician: Account
) -> None:
    asset = await register(firemode, building, admin)
    url = f"/v1/assets/{asset['asset_id']}"
    refused = [
        await firemode.post(
            assets_url(building), json=EXTINGUISHER | {"tag": "X"}, headers=technician.headers
        ),
        await firemode.patch(url, json={"location": "L9"}, headers=technician.headers),
        await firemode.post(f"{url}/decommission", headers=technician.headers),
        await firemode.put(
            f"{url}/baseline",
            json={"pressure_pa": 50, "door_opening_force_n": 90, "air_velocity_ms": 1.5},
            headers=technician.headers,
        ),
        await firemode.post(
            f"{assets_url(building)}/import",
            files={"file": ("a.csv", b"tag,asset_type,location\nA,fire_blanket,L1\n", "text/csv")},
            headers=technician.headers,
        ),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert {r.json()["error_code"] for r in refused} == {"FIRE-403"}
    listed = await firemode.get(assets_url(building), headers=technician.headers)
    assert [a["tag"] for a in listed.json()["data"]] == ["EXT-001"]
    anonymous = [
        await firemode.get(url),
        await firemode.get(assets_url(building)),
        await firemode.get("/v1/asset-types"),
        await firemode.post(assets_url(building), json=EXTINGUISHER),
    ]
    assert [r.status_code for r in anonymous] == [401] * 4


async def test_unknown_building_and_asset_are_404(firemode: ServiceClient, supervisor: Account) -> None:
    nowhere = f"/v1/buildings/{uuid.uuid4()}/assets"
    asset_url = f"/v1/assets/{uuid.uuid4()}"
    responses = [
        await firemode.post(nowhere, json=EXTINGUISHER, headers=supervisor.headers),
        await firemode.get(nowhere, headers=supervisor.headers),
        await firemode.post(
            f"{nowhere}/import",
            files={"file": ("a.csv", b"tag,asset_type,location\nA,fire_blanket,L1\n", "text/csv")},
            headers=supervisor.headers,
        ),
        await firemode.get(asset_url, headers=supervisor.headers),
        await firemode.patch(asset_url, json={"location": "x"}, headers=supervisor.headers),
        await firemode.post(f"{asset_url}/decommission", headers=supervisor.headers),
        await firemode.get(f"{asset_url}/baseline", headers=supervisor.headers),
    ]
    assert [r.status_code for r in responses] == [404] * 7
    assert all(r.json()["error_code"] == "FIRE-404" for r in responses)


async def test_a_tag_is_unique_within_its_building(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account
) -> None:
    first = await register(firemode, building, supervisor)
    again = await firemode.post(assets_url(building), json=EXTINGUISHER, headers=supervisor.headers)
    assert again.status_code == 409
    assert again.json()["details"] == {"building_id": building["building_id"], "tag": "EXT-001"}
    other = await firemode.post(
        "/v1/buildings", json={"name": "Annexe", "address": "3 Quay St"}, headers=supervisor.headers
    )
    await register(firemode, other.json(), supervisor)  # another building: its own tags
    second = await register(firemode, building, supervisor, tag="EXT-002")
    clash = await firemode.patch(
        f"/v1/assets/{second['asset_id']}", json={"tag": first["tag"]}, headers=supervisor.headers
    )
    assert clash.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tag": "x" * 65}, "body.tag"),
        ({"tag": ""}, "body.tag"),
        ({"asset_type": "garden_hose"}, "body.asset_type"),
        ({"location": ""}, "body.location"),
        ({"details": {"agent": "sand"}}, "body.details.agent"),
        ({"details": {"capacity_kg": "4.5"}}, "body.details.capacity_kg"),
        ({"details": {"colour": "red"}}, "body.details.colour"),
        ({"details": {"agent": "water", "capacity_kg": 9}}, "body.details"),
        ({"installed_on": "31/02/2024"}, "body.installed_on"),
        (
            {"asset_type": "fire_hose_reel", "details": {"hose_diameter_mm": 20}},
            "body.details.hose_diameter_mm",
        ),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account, change: dict[str, Any], field: str
) -> None:
    response = await firemode.post(
        assets_url(building), json=EXTINGUISHER | change, headers=supervisor.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] == "FIRE-422"
    assert field in [error["field"] for error in response.json()["details"]["errors"]]


async def test_a_64_character_tag_is_fine(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account
) -> None:
    assert (await register(firemode, building, supervisor, tag="x" * 64))["tag"] == "x" * 64


async def test_bad_updates_are_422(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account
) -> None:
    asset = await register(firemode, building, supervisor)
    url = f"/v1/assets/{asset['asset_id']}"
    for body, field in [
        ({"details": {"agent": "dry_chemical_abe", "capacity_l": 9}}, "body.details"),  # powder is in kg
        ({"details": {"nozzle": "x"}}, "body.details.nozzle"),
        ({"tag": None}, "body.tag"),
        ({"asset_type": "fire_door"}, "body.asset_type"),  # the type is the asset's for good
    ]:
        response = await firemode.patch(url, json=body, headers=supervisor.headers)
        assert response.status_code == 422, body
        assert field in [error["field"] for error in response.json()["details"]["errors"]]


async def test_decommissioning_keeps_the_asset_and_is_idempotent(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account, technician: Account
) -> None:
    asset = await register(firemode, building, supervisor)
    url = f"/v1/assets/{asset['asset_id']}"
    first = await firemode.post(f"{url}/decommission", headers=supervisor.headers)
    assert first.status_code == 200
    assert first.json()["status"] == "decommissioned"
    assert first.json()["decommissioned_at"]
    again = await firemode.post(f"{url}/decommission", headers=supervisor.headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert (await firemode.get(url, headers=technician.headers)).json() == first.json()
    edit = await firemode.patch(url, json={"location": "gone"}, headers=supervisor.headers)
    assert edit.status_code == 409
    retagged = await firemode.post(assets_url(building), json=EXTINGUISHER, headers=supervisor.headers)
    assert retagged.status_code == 409  # the tag stays with the history
    active = await firemode.get(assets_url(building), params={"status": "active"}, headers=technician.headers)
    assert active.json()["data"] == []
    gone = await firemode.get(
        assets_url(building), params={"status": "decommissioned"}, headers=technician.headers
    )
    assert [a["asset_id"] for a in gone.json()["data"]] == [asset["asset_id"]]


async def test_the_list_filters_searches_and_pages(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account, technician: Account
) -> None:
    for number in range(1, 6):
        await register(
            firemode, building, supervisor, tag=f"EXT-{number:03}", location=f"Level {number} Café"
        )
    await register(
        firemode,
        building,
        supervisor,
        tag="HR-01",
        asset_type="fire_hose_reel",
        location="Basement",
        details={},
    )
    url = assets_url(building)
    headers = technician.headers
    tags: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await firemode.get(url, params=params, headers=headers)).json()
        tags += [a["tag"] for a in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert tags == ["EXT-001", "EXT-002", "EXT-003", "EXT-004", "EXT-005", "HR-01"]
    reels = await firemode.get(url, params={"asset_type": "fire_hose_reel"}, headers=headers)
    assert [a["tag"] for a in reels.json()["data"]] == ["HR-01"]
    for q, expected in [("ext-00", 5), ("BASEMENT", 1), ("CAFÉ", 5), ("level 3", 1), ("%", 0), ("_", 0)]:
        found = await firemode.get(url, params={"q": q}, headers=headers)
        assert len(found.json()["data"]) == expected, q
    bad = [
        await firemode.get(url, params={"asset_type": "garden_hose"}, headers=headers),
        await firemode.get(url, params={"status": "lost"}, headers=headers),
        await firemode.get(url, params={"q": "x" * 201}, headers=headers),
    ]
    assert [r.status_code for r in bad] == [422] * 3
    first = (await firemode.get(url, params={"limit": 2}, headers=headers)).json()
    refiltered = await firemode.get(
        url, params={"limit": 2, "cursor": first["next_cursor"], "q": "ext"}, headers=headers
    )
    assert refiltered.status_code == 400


async def test_asset_types_serve_their_detail_schemas(firemode: ServiceClient, technician: Account) -> None:
    response = await firemode.get("/v1/asset-types", headers=technician.headers)
    assert response.status_code == 200
    types = {item["asset_type"]: item for item in response.json()}
    assert set(types) == set(AssetType)
    extinguisher = types["portable_extinguisher"]
    assert "dry_chemical_abe" in str(extinguisher["details_schema"]["properties"]["agent"])
    assert extinguisher["details_schema"]["additionalProperties"] is False
    assert "capacity_kg" in extinguisher["csv_columns"]


async def test_a_baseline_belongs_to_stair_pressurisation_only(
    firemode: ServiceClient, building: dict[str, Any], supervisor: Account, technician: Account
) -> None:
    stair = await register(
        firemode,
        building,
        supervisor,
        tag="SP-1",
        asset_type="stair_pressurisation",
        details={"fan_count": 2},
    )
    url = f"/v1/assets/{stair['asset_id']}/baseline"
    assert (await firemode.get(url, headers=technician.headers)).status_code == 404
    baseline = {"pressure_pa": 45, "door_opening_force_n": 95.5, "air_velocity_ms": 1.2}
    put = await firemode.put(url, json=baseline, headers=supervisor.headers)
    assert put.status_code == 200, put.text
    assert {k: put.json()[k] for k in baseline} == baseline
    changed = await firemode.put(url, json=baseline | {"pressure_pa": 50}, headers=supervisor.headers)
    assert changed.json()["pressure_pa"] == 50
    assert (await firemode.get(url, headers=technician.headers)).json() == changed.json()
    shown = await firemode.get(f"/v1/assets/{stair['asset_id']}", headers=technician.headers)
    assert shown.json()["baseline"] == changed.json()
    for bad, field in [
        ({"pressure_pa": 19.9}, "body.pressure_pa"),
        ({"pressure_pa": 80.1}, "body.pressure_pa"),
        ({"door_opening_force_n": 110.5}, "body.door_opening_force_n"),
        ({"air_velocity_ms": 0.99}, "body.air_velocity_ms"),
    ]:
        response = await firemode.put(url, json=baseline | bad, headers=supervisor.headers)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["details"]["errors"]] == [field]
    extinguisher = await register(firemode, building, supervisor)
    wrong = await firemode.put(
        f"/v1/assets/{extinguisher['asset_id']}/baseline", json=baseline, headers=supervisor.headers
    )
    assert wrong.status_code == 409
    assert wrong.json()["details"]["allowed"] == ["stair_pressurisation"]


# --- details validation, for any input --------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    asset_type=st.sampled_from(list(AssetType)),
    details=st.dictionaries(
        st.sampled_from(sorted({name for model in DETAILS.values() for name in model.model_fields} | {"x"})),
        _JSON,
        max_size=4,
    ),
)
def test_details_are_accepted_only_as_their_type_declares(
    asset_type: AssetType, details: dict[str, Any]
) -> None:
    """Whatever comes in, validation either refuses it or keeps only the type's fields, and what
    it keeps validates again unchanged (what is stored can be read back and written back)."""
    try:
        kept = validate_details(asset_type, details)
    except ValueError:  # pydantic's ValidationError is one
        return
    assert set(kept) <= set(DETAILS[asset_type].model_fields)
    assert set(details) - set(kept) <= {key for key, value in details.items() if value is None}
    assert validate_details(asset_type, kept) == kept
