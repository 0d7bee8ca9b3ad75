"""The schedule of a building and the work list across buildings, through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firemode.records.models import ServiceRecord
from firemode.schedule.dates import add_months
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.firemode.schedule.conftest import (
    add_assets,
    complete,
    decommission,
    install_routines,
    setting,
    start_session,
    submit,
)


async def schedule(firemode: ServiceClient, who: Account, building: str) -> dict[str, Any]:
    response = await firemode.get(f"/v1/buildings/{building}/schedule", headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def by_key(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(item["tag"], item["routine"]): item for item in body["data"]}


async def test_completion_advances_the_routine_and_no_access_does_not(
    firemode: ServiceClient,
    technician: Account,
    supervisor: Account,
    building: str,
    routines: int,
    clock: list[datetime],
) -> None:
    await add_assets(
        firemode, building, supervisor, [("EXT-1", "portable_extinguisher"), ("BLK-1", "fire_blanket")]
    )
    clock[0] = datetime(2024, 1, 31, 23, 0, tzinfo=UTC)  # the UTC day is what counts
    session_id = await start_session(firemode, technician, building)
    await submit(
        firemode,
        technician,
        session_id,
        [
            setting("/assets/EXT-1", {"result": "fail", "routine": "six_monthly"}),
            setting("/assets/BLK-1", {"result": "no_access"}),
        ],
    )
    assert (await complete(firemode, technician, session_id)).status_code == 200
    clock[0] = datetime(2024, 7, 20, tzinfo=UTC)
    items = by_key(await schedule(firemode, technician, building))
    assert set(items) == {
        ("EXT-1", "six_monthly"),
        ("EXT-1", "yearly"),
        ("EXT-1", "five_yearly"),
        ("BLK-1", "six_monthly"),
    }
    done = items[("EXT-1", "six_monthly")]
    assert (done["last_done"], done["next_due"]) == ("2024-01-31", "2024-07-31")  # 31 July exists
    assert (done["window_start"], done["window_end"], done["state"]) == ("2024-07-16", "2024-08-15", "due")
    assert items[("EXT-1", "yearly")]["state"] == "never_done"
    assert (
        items[("BLK-1", "six_monthly")] | {"state": "never_done", "last_done": None}
        == items[("BLK-1", "six_monthly")]
    )


@pytest.mark.parametrize(
    ("last_done", "routine", "today", "next_due", "state"),
    [
        (date(2023, 1, 31), "monthly", date(2023, 2, 22), date(2023, 2, 28), "not_due"),  # 28 Feb
        (date(2023, 1, 31), "monthly", date(2023, 2, 23), date(2023, 2, 28), "due"),
        (date(2024, 1, 31), "monthly", date(2024, 3, 5), date(2024, 2, 29), "due"),  # leap year
        (date(2024, 1, 31), "monthly", date(2024, 3, 6), date(2024, 2, 29), "overdue"),
        (date(2024, 2, 29), "yearly", date(2025, 1, 29), date(2025, 2, 28), "due"),
        (date(2024, 2, 29), "yearly", date(2025, 1, 28), date(2025, 2, 28), "not_due"),
        (date(2025, 12, 20), "monthly", date(2026, 1, 25), date(2026, 1, 20), "due"),  # year end
        (date(2025, 12, 20), "monthly", date(2026, 1, 26), date(2026, 1, 20), "overdue"),
    ],
)
async def test_states_across_month_and_year_ends(
    firemode: ServiceClient,
    technician: Account,
    supervisor: Account,
    building: str,
    routines: int,
    clock: list[datetime],
    last_done: date,
    routine: str,
    today: date,
    next_due: date,
    state: str,
) -> None:
    await add_assets(firemode, building, supervisor, [("SP-1", "stair_pressurisation")])
    clock[0] = datetime.combine(last_done, time(9), tzinfo=UTC)
    session_id = await start_session(firemode, technician, building)
    await submit(
        firemode, technician, session_id, [setting("/assets/SP-1", {"result": "pass", "routine": routine})]
    )
    assert (await complete(firemode, technician, session_id)).status_code == 200
    clock[0] = datetime.combine(today, time(12), tzinfo=UTC)
    item = by_key(await schedule(firemode, technician, building))[("SP-1", routine)]
    assert (item["next_due"], item["state"]) == (next_due.isoformat(), state)


async def insert_record(
    firemode: ServiceClient,
    asset_id: str,
    building: str,
    session_id: str,
    routine: str,
    at: datetime,
    outcome: str,
) -> None:
    async with firemode.app.state.database.transactional() as session:
        session.add(
            ServiceRecord(
                asset_id=uuid.UUID(asset_id),
                building_id=uuid.UUID(building),
                session_id=uuid.UUID(session_id),
                routine=routine,
                routine_version=1,
                outcome=outcome,
                performed_at=at,
            )
        )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    done=st.lists(
        st.tuples(
            st.datetimes(
                min_value=datetime(2019, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
            ),
            st.sampled_from(["pass", "fail", "no_access", "not_tested"]),
        ),
        max_size=3,
    ),
    today=st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31)),
)
async def test_the_schedule_follows_the_last_pass_or_fail(
    firemode: ServiceClient,
    technician: Account,
    supervisor: Account,
    building: str,
    routines: int,
    clock: list[datetime],
    done: list[tuple[datetime, str]],
    today: date,
) -> None:
    tag = f"BLK-{uuid.uuid4().hex[:8]}"
    ids = await add_assets(firemode, building, supervisor, [(tag, "fire_blanket")])
    for at, outcome in done:  # a session each: one record per session, asset and routine
        session_id = await start_session(firemode, technician, building)
        await insert_record(firemode, ids[tag], building, session_id, "six_monthly", at, outcome)
    clock[0] = datetime.combine(today, time(12), tzinfo=UTC)
    item = by_key(await schedule(firemode, technician, building))[(tag, "six_monthly")]
    advancing = [at.date() for at, outcome in done if outcome in ("pass", "fail")]
    if not advancing:
        assert (item["last_done"], item["next_due"], item["state"]) == (None, None, "never_done")
        return
    last = max(advancing)
    next_due = add_months(last, 6)
    start, end = next_due - timedelta(days=15), next_due + timedelta(days=15)
    state = "overdue" if today > end else "due" if today >= start else "not_due"
    assert item == item | {
        "last_done": last.isoformat(),
        "next_due": next_due.isoformat(),
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "state": state,
    }


async def test_only_active_assets_and_the_current_routine_version(
    firemode: ServiceClient,
    technician: Account,
    supervisor: Account,
    admin: Account,
    building: str,
    routines: int,
) -> None:
    ids = await add_assets(
        firemode, building, supervisor, [("EXT-1", "portable_extinguisher"), ("OLD", "fire_door")]
    )
    await decommission(firemode, supervisor, ids["OLD"])
    await install_routines(firemode, admin, [("portable_extinguisher", "yearly", 12, 30)])
    body = await schedule(firemode, technician, building)
    assert [(item["tag"], item["routine"]) for item in body["data"]] == [("EXT-1", "yearly")]


async def test_the_work_list_across_buildings(
    firemode: ServiceClient,
    technician: Account,
    supervisor: Account,
    building: str,
    routines: int,
    clock: list[datetime],
) -> None:
    other = (
        await firemode.post(
            "/v1/buildings", json={"name": "Second", "address": "2 Quay St"}, headers=supervisor.headers
        )
    ).json()["building_id"]
    await add_assets(firemode, building, supervisor, [("A-1", "fire_blanket"), ("A-2", "fire_blanket")])
    await add_assets(firemode, other, supervisor, [("B-1", "fire_blanket"), ("B-2", "passive_penetration")])
    clock[0] = datetime(2026, 1, 10, tzinfo=UTC)
    for where, tag in ((building, "A-1"), (other, "B-1"), (other, "B-2")):
        session_id = await start_session(firemode, technician, where)
        await submit(firemode, technician, session_id, [setting(f"/assets/{tag}/result", "pass")])
        assert (await complete(firemode, technician, session_id)).status_code == 200
    # A-1 and B-1 are next due on 10 July 2026, B-2 on 10 January 2027; A-2 was never done.
    clock[0] = datetime(2026, 6, 1, tzinfo=UTC)

    async def due(**params: Any) -> list[tuple[str, str | None]]:
        found, cursor = [], None
        while True:
            query = {**params, "limit": 1, **({"cursor": cursor} if cursor else {})}
            response = await firemode.get("/v1/schedule/due", params=query, headers=technician.headers)
            assert response.status_code == 200, response.text
            found += [(item["tag"], item["next_due"]) for item in response.json()["data"]]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                return sorted(found, key=str)

    july = [("A-1", "2026-07-10"), ("A-2", None), ("B-1", "2026-07-10")]
    assert await due(to="2026-07-10") == july
    assert await due(to="2026-07-09") == [("A-2", None)]
    assert await due(**{"from": "2026-07-11", "to": "2027-01-10"}) == [("A-2", None), ("B-2", "2027-01-10")]
    assert await due(**{"from": "2026-07-10", "to": "2026-07-10"}) == july
    assert await due() == [("A-2", None)]  # today + 30 days: 1 July
    assert await due(building_id=other, to="2027-12-31") == [("B-1", "2026-07-10"), ("B-2", "2027-01-10")]


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-02-30",
        "to=yesterday",
        "to=0",
        "from=2026-01-01T00:00:00Z",
        "from=2026-07-01&to=2026-06-01",
        "to=0001-01-01",
        "from=9999-12-31",
        "building_id=not-a-uuid",
        "limit=0",
    ],
)
async def test_bad_work_list_queries_are_422(
    firemode: ServiceClient, technician: Account, query: str
) -> None:
    response = await firemode.get(f"/v1/schedule/due?{query}", headers=technician.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error_code"] == "FIRE-422"


async def test_a_bad_cursor_is_400(firemode: ServiceClient, technician: Account) -> None:
    response = await firemode.get("/v1/schedule/due?cursor=forged.cursor", headers=technician.headers)
    assert response.status_code == 400


async def test_unknown_buildings_are_404_and_a_token_is_required(
    firemode: ServiceClient, technician: Account, building: str
) -> None:
    unknown = uuid.uuid4()
    assert (
        await firemode.get(f"/v1/buildings/{unknown}/schedule", headers=technician.headers)
    ).status_code == 404
    response = await firemode.get(f"/v1/schedule/due?building_id={unknown}", headers=technician.headers)
    assert response.status_code == 404
    assert (await firemode.get(f"/v1/buildings/{building}/schedule")).status_code == 401
    assert (await firemode.get("/v1/schedule/due")).status_code == 401
    bad = await firemode.get("/v1/buildings/not-a-uuid/schedule", headers=technician.headers)
    assert bad.status_code == 422
