"""Routines as versioned data: the shipped table is version 1, admins publish the next."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from firemode.routines.defaults import INTERVAL_MONTHS, SHIPPED_ROUTINES, Frequency, tolerance_limit
from firemode.routines.schemas import RoutineIn
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account


async def test_the_shipped_table_is_version_1(firemode: ServiceClient, technician: Account) -> None:
    response = await firemode.get("/v1/routines", headers=technician.headers)
    assert response.status_code == 200
    table = response.json()
    assert table["version"] == 1
    assert table["created_by"] is None
    rows = {(r["asset_type"], r["frequency"]): r for r in table["routines"]}
    assert len(rows) == sum(len(frequencies) for frequencies in SHIPPED_ROUTINES.values())
    # The spec's tolerances.
    assert rows[("sprinkler_system", "monthly")]["tolerance_days"] == 5
    assert rows[("portable_extinguisher", "six_monthly")]["tolerance_days"] == 15
    assert rows[("portable_extinguisher", "yearly")] == {
        "asset_type": "portable_extinguisher",
        "frequency": "yearly",
        "interval_months": 12,
        "tolerance_days": 30,
    }
    assert rows[("fire_hydrant", "five_yearly")]["tolerance_days"] == 90
    assert rows[("sprinkler_system", "twenty_five_yearly")]["interval_months"] == 300
    versions = await firemode.get("/v1/routines/versions", headers=technician.headers)
    assert [v["version"] for v in versions.json()["data"]] == [1]


async def test_an_admin_publishes_a_new_version_and_the_old_stays(
    firemode: ServiceClient, admin: Account, technician: Account
) -> None:
    shipped = (await firemode.get("/v1/routines", headers=technician.headers)).json()
    # The GET document, edited, is a valid PUT (read-only fields ignored).
    edited = shipped | {"note": "Hydrants quarterly"}
    edited["routines"] = [*shipped["routines"], {"asset_type": "fire_hydrant", "frequency": "three_monthly"}]
    put = await firemode.put("/v1/routines", json=edited, headers=admin.headers)
    assert put.status_code == 200, put.text
    published = put.json()
    assert published["version"] == 2
    assert published["created_by"] == str(admin.user_id)
    added = [r for r in published["routines"] if r["frequency"] == "three_monthly"]
    assert added == [
        {
            "asset_type": "fire_hydrant",
            "frequency": "three_monthly",
            "interval_months": 3,
            "tolerance_days": 10,
        }
    ]
    assert (await firemode.get("/v1/routines", headers=technician.headers)).json() == published
    old = await firemode.get("/v1/routines/versions/1", headers=technician.headers)
    assert old.json() == shipped
    versions = await firemode.get("/v1/routines/versions", headers=technician.headers)
    assert [v["version"] for v in versions.json()["data"]] == [2, 1]
    assert (await firemode.get("/v1/routines/versions/3", headers=technician.headers)).status_code == 404


async def test_only_admins_publish(firemode: ServiceClient, supervisor: Account, technician: Account) -> None:
    body = {"routines": [{"asset_type": "fire_blanket", "frequency": "six_monthly"}]}
    for who in (supervisor, technician):
        response = await firemode.put("/v1/routines", json=body, headers=who.headers)
        assert response.status_code == 403
    assert (await firemode.put("/v1/routines", json=body)).status_code == 401
    assert (await firemode.get("/v1/routines")).status_code == 401


async def test_a_bad_table_is_422(firemode: ServiceClient, admin: Account) -> None:
    row = {"asset_type": "fire_blanket", "frequency": "six_monthly"}
    for routines, field in [
        ([row | {"asset_type": "garden_hose"}], "body.routines.0.asset_type"),
        ([row | {"frequency": "weekly"}], "body.routines.0.frequency"),
        ([row | {"tolerance_days": 84}], "body.routines.0"),  # six-monthly: under 84 days
        ([row | {"frequency": "monthly", "tolerance_days": 14}], "body.routines.0"),
        ([row | {"tolerance_days": -1}], "body.routines.0.tolerance_days"),
        ([row, row], "body"),
        ([], "body.routines"),
    ]:
        response = await firemode.put("/v1/routines", json={"routines": routines}, headers=admin.headers)
        assert response.status_code == 422, routines
        assert field in [e["field"] for e in response.json()["details"]["errors"]], response.json()
    assert (await firemode.get("/v1/routines/versions/0", headers=admin.headers)).status_code == 422
    assert (await firemode.get(f"/v1/routines/versions/{2**40}", headers=admin.headers)).status_code == 422
    assert (await firemode.get("/v1/routines", headers=admin.headers)).json()["version"] == 1


@given(frequency=st.sampled_from(list(Frequency)), tolerance=st.integers(min_value=0, max_value=10_000))
def test_a_tolerance_is_accepted_only_under_half_the_interval(frequency: Frequency, tolerance: int) -> None:
    """So the windows of two consecutive services never overlap, whatever the months' lengths."""
    row: dict[str, Any] = {
        "asset_type": "fire_pump",
        "frequency": frequency.value,
        "tolerance_days": tolerance,
    }
    try:
        RoutineIn.model_validate(row)
    except ValueError:
        assert tolerance >= tolerance_limit(frequency)
        return
    shortest_interval_days = INTERVAL_MONTHS[frequency] * 28
    assert 2 * tolerance < shortest_interval_days
