"""Completing a session turns its document into service records and defects, once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from firemode.defects.models import Defect
from firemode.records.models import ServiceRecord
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.firemode.schedule.conftest import (
    add_assets,
    complete,
    decommission,
    set_baseline,
    setting,
    start_session,
    submit,
)


async def count(firemode: ServiceClient, model: Any) -> int:
    async with firemode.app.state.database.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def history(firemode: ServiceClient, who: Account, asset_id: str) -> list[dict[str, Any]]:
    response = await firemode.get(f"/v1/assets/{asset_id}/history", headers=who.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def test_completion_writes_records_defects_and_reports_the_rest(
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
        [
            ("EXT-001", "portable_extinguisher"),
            ("EXT-002", "portable_extinguisher"),
            ("EXT-003", "portable_extinguisher"),
            ("BLK-001", "fire_blanket"),
            ("OLD-001", "fire_blanket"),
            ("EL/1", "emergency_exit_lighting"),
        ],
    )
    await decommission(firemode, supervisor, ids["OLD-001"])
    session_id = await start_session(firemode, technician, building)
    evidence = str(uuid.uuid4())
    await submit(
        firemode,
        technician,
        session_id,
        [
            setting("/assets/EXT-001/result", "pass"),
            setting("/assets/EXT-001/routine", "yearly"),
            setting("/assets/EXT-001/readings", {"pressure_kpa": 1200, "label": "ok", "flag": True}),
            setting("/assets/EXT-001/notes", "Gauge in green"),
            setting("/assets/EXT-002/result", "fail"),
            setting("/assets/EXT-002/routine", "six_monthly"),
            setting(
                "/assets/EXT-002/defect",
                {
                    "condition": "low_pressure",
                    "description": "Gauge in red",
                    "severity": "non_critical",
                    "evidence_ids": [evidence, "not-an-id"],
                },
            ),
            setting("/assets/EXT-003/result", "pass"),  # three routines never done: which one?
            setting("/assets/BLK-001/result", "no_access"),  # its type's only routine
            setting("/assets/OLD-001/result", "pass"),
            setting("/assets/EL~11/result", "pass"),
            setting("/assets/EL~11/routine", "monthly"),  # not one of its type's
            # Not a severity: dropped, so the shipped rules classify a failed lamp (non-critical).
            setting("/assets/EL~11/defect", {"condition": "lamp_failed", "severity": "catastrophic"}),
            setting("/assets/GHOST-9/result", "pass"),
            setting("/notes", "whole-session notes are left alone"),
        ],
    )
    response = await complete(firemode, technician, session_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed"
    completion = body["completion"]
    assert (completion["records"], completion["defects"]) == (3, 2)
    assert completion["unmatched"] == ["GHOST-9"]
    skipped = {item["tag"]: item for item in completion["skipped"]}
    assert set(skipped) == {"EXT-003", "OLD-001", "EL/1"}
    assert "not exactly one is due" in skipped["EXT-003"]["reason"]
    assert skipped["EXT-003"]["routines"] == ["five_yearly", "six_monthly", "yearly"]
    assert skipped["OLD-001"]["reason"] == "the asset is decommissioned"
    assert "'monthly'" in skipped["EL/1"]["reason"]

    [record] = await history(firemode, technician, ids["EXT-001"])
    assert record["routine"] == "yearly"
    assert record["outcome"] == "pass"
    assert record["readings"] == {"pressure_kpa": 1200}
    assert record["notes"] == "Gauge in green"
    assert record["technicians"] == [str(technician.user_id)]
    assert record["session_id"] == session_id
    assert record["routine_version"] == routines
    assert datetime.fromisoformat(record["performed_at"]) == clock[0]
    [blanket] = await history(firemode, technician, ids["BLK-001"])
    assert (blanket["routine"], blanket["outcome"]) == ("six_monthly", "no_access")

    async with firemode.app.state.database.reading() as session:
        defects = {d.asset_id: d for d in (await session.execute(select(Defect))).scalars()}
    rectify = timedelta(days=firemode.app.state.settings.defect_rectify_days)
    low = defects[uuid.UUID(ids["EXT-002"])]
    assert (low.condition, low.severity, low.description) == ("low_pressure", "non_critical", "Gauge in red")
    # The document's severity stands: no rule was consulted ("low_pressure" has none anyway).
    assert (low.rule_version, low.due_at) == (None, clock[0] + rectify)
    assert low.evidence_ids == [evidence]
    assert low.status == "open"
    assert str(low.session_id) == session_id
    lamp = defects[uuid.UUID(ids["EL/1"])]
    assert (lamp.condition, lamp.severity, lamp.description) == ("lamp_failed", "non_critical", "lamp_failed")
    assert (lamp.rule_version, lamp.due_at) == (1, clock[0] + rectify)  # the shipped rules

    # The document keeps everything, the unmatched tag included.
    detail = await firemode.get(f"/v1/tests/sessions/{session_id}", headers=technician.headers)
    assert detail.json()["results"]["assets"]["GHOST-9"] == {"result": "pass"}


async def test_a_second_completion_is_409_and_writes_nothing(
    firemode: ServiceClient, technician: Account, supervisor: Account, building: str, routines: int
) -> None:
    ids = await add_assets(firemode, building, supervisor, [("BLK-1", "fire_blanket")])
    session_id = await start_session(firemode, technician, building)
    await submit(firemode, technician, session_id, [setting("/assets/BLK-1/result", "pass")])
    key = {"Idempotency-Key": "complete-once"}
    first = await complete(firemode, technician, session_id, **key)
    assert first.status_code == 200
    assert first.json()["completion"]["records"] == 1
    replay = await complete(firemode, technician, session_id, **key)
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    again = await complete(firemode, technician, session_id)
    assert again.status_code == 409
    assert again.json()["details"] == {"status": "completed", "requested": "completed", "allowed": []}
    assert await count(firemode, ServiceRecord) == 1
    assert len(await history(firemode, technician, ids["BLK-1"])) == 1


async def test_a_late_device_gets_duplicates_accepted_and_new_changes_refused(
    firemode: ServiceClient, technician: Account, supervisor: Account, building: str, routines: int
) -> None:
    await add_assets(firemode, building, supervisor, [("BLK-1", "fire_blanket")])
    session_id = await start_session(firemode, technician, building)
    batch = [setting("/assets/BLK-1/result", "pass", actor="device-a", counter=1)]
    await submit(firemode, technician, session_id, batch)
    assert (await complete(firemode, technician, session_id)).status_code == 200
    retry = await submit(firemode, technician, session_id, batch)
    assert (retry["applied"], retry["duplicates"]) == (0, 1)
    late = await firemode.post(
        f"/v1/tests/sessions/{session_id}/results",
        json={"changes": [setting("/assets/BLK-1/notes", "late", actor="device-a", counter=2)]},
        headers={**technician.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert late.status_code == 409
    assert await count(firemode, ServiceRecord) == 1


async def test_stair_pressurisation_readings_against_limits_and_baseline(
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
        [
            ("SP-1", "stair_pressurisation"),
            ("SP-2", "stair_pressurisation"),
            ("EXT-1", "portable_extinguisher"),
        ],
    )
    await set_baseline(
        firemode, ids["SP-1"], supervisor, pressure_pa=50.0, door_opening_force_n=80.0, air_velocity_ms=1.5
    )
    session_id = await start_session(firemode, technician, building)
    readings = {"pressure_pa": 56.0, "door_opening_force_n": 120.0, "air_velocity_ms": 1.4}
    await submit(
        firemode,
        technician,
        session_id,
        [
            setting("/assets/SP-1", {"result": "fail", "routine": "monthly", "readings": readings}),
            # Within the limits and no baseline: nothing; pressure 19 Pa: under the limit.
            setting(
                "/assets/SP-2", {"result": "pass", "routine": "monthly", "readings": {"pressure_pa": 19}}
            ),
            # Not stair pressurisation: its readings are not held to these limits.
            setting("/assets/EXT-1", {"result": "pass", "routine": "yearly", "readings": {"pressure_pa": 5}}),
        ],
    )
    response = await complete(firemode, technician, session_id)
    assert response.status_code == 200, response.text
    assert response.json()["completion"]["defects"] == 3
    async with firemode.app.state.database.reading() as session:
        found = sorted(
            (str(d.asset_id), d.condition, d.description, d.severity, d.due_at)
            for d in (await session.execute(select(Defect))).scalars()
        )
    # The shipped rules classify both conditions non-critical: due after the rectification period.
    due = clock[0] + timedelta(days=firemode.app.state.settings.defect_rectify_days)
    assert sorted(found) == sorted(
        [
            (
                ids["SP-1"],
                "reading_deviates_from_baseline",
                "pressure_pa 56 Pa is more than 10% from the baseline 50 Pa",
                "non_critical",
                due,
            ),
            (
                ids["SP-1"],
                "reading_out_of_limits",
                "door_opening_force_n 120 N is outside the limits (at most 110 N) and more than 10% "
                "from the baseline 80 N",
                "non_critical",
                due,
            ),
            (
                ids["SP-2"],
                "reading_out_of_limits",
                "pressure_pa 19 Pa is outside the limits (20–80 Pa)",
                "non_critical",
                due,
            ),
        ]
    )


async def test_a_session_without_a_building_completes_without_records(
    firemode: ServiceClient, technician: Account, routines: int
) -> None:
    session_id = str(uuid.uuid4())
    await submit(firemode, technician, session_id, [setting("/assets/X/result", "pass")])
    response = await complete(firemode, technician, session_id)
    assert response.status_code == 200
    assert response.json()["completion"] is None
    assert await count(firemode, ServiceRecord) == 0


async def test_technicians_are_the_users_who_wrote_the_asset(
    firemode: ServiceClient,
    technician: Account,
    other_technician: Account,
    supervisor: Account,
    building: str,
    routines: int,
) -> None:
    ids = await add_assets(firemode, building, supervisor, [("A", "fire_blanket"), ("B", "fire_blanket")])
    session_id = await start_session(firemode, technician, building)
    await firemode.post(
        f"/v1/tests/sessions/{session_id}/participants",
        json={"user_id": str(other_technician.user_id)},
        headers=technician.headers,
    )
    await submit(firemode, technician, session_id, [setting("/assets/A/result", "pass")])
    await submit(
        firemode,
        other_technician,
        session_id,
        [setting("/assets/A/notes", "checked too"), setting("/assets/B/result", "fail")],
    )
    assert (await complete(firemode, supervisor, session_id)).status_code == 200
    [a] = await history(firemode, technician, ids["A"])
    assert a["technicians"] == sorted([str(technician.user_id), str(other_technician.user_id)])
    [b] = await history(firemode, technician, ids["B"])
    assert b["technicians"] == [str(other_technician.user_id)]


def test_clock_fixture_is_utc(clock: list[datetime]) -> None:
    assert clock[0].tzinfo is UTC
