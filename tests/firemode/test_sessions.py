"""Test sessions: client-chosen ids, visibility, lifecycle, participants and the list."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from firemode.sessions.models import SessionParticipant, TestSession
from firemode.sessions.schemas import SessionDetail, SessionSummary
from tests.conftest import ServiceClient
from tests.firemode.conftest import Account
from tests.validators import assert_conditional_get, assert_etag_changed


@pytest.fixture
async def building(firemode: ServiceClient, supervisor: Account) -> str:
    body = {"name": "Harbour Tower", "address": "1 Quay St"}
    return str(
        (await firemode.post("/v1/buildings", json=body, headers=supervisor.headers)).json()["building_id"]
    )


async def start(firemode: ServiceClient, who: Account, building: str, **body: Any) -> dict[str, Any]:
    response = await firemode.post(
        "/v1/tests/sessions", json={"building_id": building, **body}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_with_a_device_chosen_id(
    firemode: ServiceClient, technician: Account, building: str
) -> None:
    session_id = str(uuid.uuid4())
    created = await start(firemode, technician, building, session_id=session_id, name="Annual")
    assert created["session_id"] == session_id
    assert created["status"] == "pending"
    assert created["vector_clock"] == {f"user-{technician.user_id}": 1}
    again = await firemode.post(
        "/v1/tests/sessions",
        json={"building_id": building, "session_id": session_id},
        headers=technician.headers,
    )
    assert again.status_code == 200
    assert again.json() == created


async def test_another_callers_id_is_409(
    firemode: ServiceClient, technician: Account, other_technician: Account, building: str
) -> None:
    created = await start(firemode, technician, building)
    response = await firemode.post(
        "/v1/tests/sessions",
        json={"building_id": building, "session_id": created["session_id"]},
        headers=other_technician.headers,
    )
    assert response.status_code == 409


async def test_building_id_as_a_query_parameter(
    firemode: ServiceClient, technician: Account, building: str
) -> None:
    response = await firemode.post(f"/v1/tests/sessions?building_id={building}", headers=technician.headers)
    assert response.status_code == 201
    assert response.json()["building_id"] == building


@pytest.mark.parametrize(
    ("body", "field"),
    [({"building_id": "01890a5d-ac96-774b-bcce-b302099a8057"}, "building_id"), ({}, "building_id")],
    ids=["unknown-building", "no-building"],
)
async def test_a_session_needs_a_real_building(
    firemode: ServiceClient, technician: Account, body: dict[str, str], field: str
) -> None:
    response = await firemode.post("/v1/tests/sessions", json=body, headers=technician.headers)
    assert response.status_code == 422
    assert response.json()["details"]["field"] == field


async def test_who_sees_a_session(
    firemode: ServiceClient,
    technician: Account,
    other_technician: Account,
    supervisor: Account,
    admin: Account,
    building: str,
) -> None:
    mine = await start(firemode, technician, building)
    theirs = await start(firemode, other_technician, building)
    path = f"/v1/tests/sessions/{mine['session_id']}"
    assert (await firemode.get(path, headers=technician.headers)).status_code == 200
    hidden = await firemode.get(path, headers=other_technician.headers)
    assert hidden.status_code == 404
    assert hidden.json()["error_code"] == "FIRE-404"
    for who in (supervisor, admin):
        assert (await firemode.get(path, headers=who.headers)).status_code == 200
    listed = (await firemode.get("/v1/tests/sessions", headers=technician.headers)).json()["data"]
    assert [s["session_id"] for s in listed] == [mine["session_id"]]
    everything = (await firemode.get("/v1/tests/sessions", headers=supervisor.headers)).json()["data"]
    assert [s["session_id"] for s in everything] == [theirs["session_id"], mine["session_id"]]
    # Hidden sessions cannot be changed or joined either.
    assert (
        await firemode.patch(path, json={"name": "x"}, headers=other_technician.headers)
    ).status_code == 404


async def test_detail(firemode: ServiceClient, technician: Account, building: str) -> None:
    created = await start(firemode, technician, building, name="Level 3 extinguishers")
    detail = (
        await firemode.get(f"/v1/tests/sessions/{created['session_id']}", headers=technician.headers)
    ).json()
    assert detail["name"] == "Level 3 extinguishers"
    assert detail["participants"] == [str(technician.user_id)]
    assert detail["results"] == {}
    assert detail["change_count"] == 0
    assert detail["checkpoint"] == 0


async def test_detail_answers_conditional_requests(
    firemode: ServiceClient, technician: Account, building: str
) -> None:
    created = await start(firemode, technician, building, name="Level 3 extinguishers")
    url = f"/v1/tests/sessions/{created['session_id']}"
    first = await assert_conditional_get(firemode, url, technician.headers)
    results = await firemode.post(
        f"{url}/results",
        json={"changes": [{"op": "set", "path": "/EXT-001", "value": "pass"}]},
        headers={**technician.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert results.status_code == 200, results.text
    merged = await assert_etag_changed(firemode, url, technician.headers, first.headers["ETag"])
    assert merged.json()["results"] == {"EXT-001": "pass"}
    renamed = await firemode.patch(url, json={"name": "Level 4"}, headers=technician.headers)
    assert renamed.status_code == 200
    again = await assert_etag_changed(firemode, url, technician.headers, merged.headers["ETag"])
    assert again.json()["name"] == "Level 4"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (["in_progress", "completed"], 200),
        (["cancelled"], 200),
        (["in_progress", "cancelled"], 200),
        (["completed"], 409),
        (["cancelled", "in_progress"], 409),
        (["in_progress", "completed", "in_progress"], 409),
    ],
)
async def test_lifecycle(
    firemode: ServiceClient, technician: Account, building: str, path: list[str], expected: int
) -> None:
    created = await start(firemode, technician, building)
    url = f"/v1/tests/sessions/{created['session_id']}"
    for status in path[:-1]:
        assert (
            await firemode.patch(url, json={"status": status}, headers=technician.headers)
        ).status_code == 200
    response = await firemode.patch(url, json={"status": path[-1]}, headers=technician.headers)
    assert response.status_code == expected
    if expected == 409:
        assert "allowed" in response.json()["details"]


async def test_participants(
    firemode: ServiceClient,
    technician: Account,
    other_technician: Account,
    supervisor: Account,
    building: str,
) -> None:
    created = await start(firemode, technician, building)
    url = f"/v1/tests/sessions/{created['session_id']}/participants"
    added = await firemode.post(
        url, json={"user_id": str(other_technician.user_id)}, headers=technician.headers
    )
    assert added.status_code == 201
    assert added.json()["participants"] == [str(technician.user_id), str(other_technician.user_id)]
    again = await firemode.post(
        url, json={"user_id": str(other_technician.user_id)}, headers=supervisor.headers
    )
    assert again.status_code == 200
    # Now a participant, the other technician sees it, but only the creator and staff add people.
    detail = f"/v1/tests/sessions/{created['session_id']}"
    assert (await firemode.get(detail, headers=other_technician.headers)).status_code == 200
    refused = await firemode.post(
        url, json={"user_id": str(technician.user_id)}, headers=other_technician.headers
    )
    assert refused.status_code == 403
    not_a_technician = await firemode.post(
        url, json={"user_id": str(supervisor.user_id)}, headers=technician.headers
    )
    assert not_a_technician.status_code == 422


async def test_list_filters_and_limits(firemode: ServiceClient, supervisor: Account, building: str) -> None:
    sessions = [await start(firemode, supervisor, building) for _ in range(4)]
    for created in sessions[:2]:
        url = f"/v1/tests/sessions/{created['session_id']}"
        await firemode.patch(url, json={"status": "cancelled"}, headers=supervisor.headers)
    cancelled = await firemode.get(
        "/v1/tests/sessions?status=cancelled&status=completed", headers=supervisor.headers
    )
    assert {s["session_id"] for s in cancelled.json()["data"]} == {s["session_id"] for s in sessions[:2]}
    page = await firemode.get("/v1/tests/sessions", params={"limit": 500}, headers=supervisor.headers)
    assert page.status_code == 200
    assert page.json()["next_cursor"] is None
    assert len(page.json()["data"]) == 4
    future = await firemode.get(
        "/v1/tests/sessions", params={"date_from": "2099-01-01T00:00:00Z"}, headers=supervisor.headers
    )
    assert future.json() == {"data": [], "next_cursor": None}
    window = await firemode.get(
        "/v1/tests/sessions",
        params={"date_from": sessions[1]["created_at"], "date_to": sessions[2]["created_at"]},
        headers=supervisor.headers,
    )
    assert [s["session_id"] for s in window.json()["data"]] == [
        sessions[2]["session_id"],
        sessions[1]["session_id"],
    ]


@pytest.mark.parametrize(
    "params", [{"date_from": "yesterday"}, {"date_to": "0"}, {"status": "finished"}, {"limit": 0}]
)
async def test_bad_list_parameters_are_422(
    firemode: ServiceClient, supervisor: Account, params: dict[str, object]
) -> None:
    response = await firemode.get("/v1/tests/sessions", params=params, headers=supervisor.headers)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("name", "moment"),
    [
        ("date_to", "0001-01-01T00:00:00+14:00"),
        ("date_from", "9999-12-31T23:59:59-14:00"),
        ("date_from", "0001-01-01T00:00:00+00:01"),
    ],
)
async def test_dates_outside_utc_are_422_naming_the_parameter(
    firemode: ServiceClient, supervisor: Account, name: str, moment: str
) -> None:
    """A valid ISO date-time whose UTC conversion leaves years 1-9999 was an OverflowError (500)."""
    response = await firemode.get("/v1/tests/sessions", params={name: moment}, headers=supervisor.headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == "FIRE-422"
    assert [error["field"] for error in body["details"]["errors"]] == [f"query.{name}"]


async def test_dates_at_the_edges_of_utc_are_served(firemode: ServiceClient, supervisor: Account) -> None:
    params = {"date_from": "0001-01-01T00:00:00Z", "date_to": "9999-12-31T23:59:59.999999Z"}
    response = await firemode.get("/v1/tests/sessions", params=params, headers=supervisor.headers)
    assert response.status_code == 200, response.text


async def test_cursor_from_other_filters_is_400(
    firemode: ServiceClient, supervisor: Account, building: str
) -> None:
    for _ in range(3):
        await start(firemode, supervisor, building)
    page = (await firemode.get("/v1/tests/sessions", params={"limit": 1}, headers=supervisor.headers)).json()
    reused = await firemode.get(
        "/v1/tests/sessions",
        params={"limit": 1, "cursor": page["next_cursor"], "status": "pending"},
        headers=supervisor.headers,
    )
    assert reused.status_code == 400


async def test_the_fast_reads_answer_what_the_models_write(
    firemode: ServiceClient,
    technician: Account,
    other_technician: Account,
    supervisor: Account,
    building: str,
) -> None:
    """The list and the detail are read on the driver and written by orjson: the same JSON as the
    response models make of the ORM's rows (the document compared as JSON: PostgreSQL's JSONB keeps
    its own key order)."""
    created = await start(firemode, technician, building, name="Quarterly ✓")
    session_id = created["session_id"]
    changes = [
        {"op": "set", "path": "/assets/EXT-1/result", "value": "pass"},
        {"op": "set", "path": "/assets/EXT-1/note", "value": 'Ünïcode "quoted" 1.5e300'},
    ]
    batch = await firemode.post(
        f"/v1/tests/sessions/{session_id}/results",
        json={"changes": changes},
        headers={**technician.headers, "Idempotency-Key": "fast-1"},
    )
    assert batch.status_code == 200, batch.text
    # Another technician who takes no part sees neither, until added.
    assert (await firemode.get("/v1/tests/sessions", headers=other_technician.headers)).json()["data"] == []
    hidden = await firemode.get(f"/v1/tests/sessions/{session_id}", headers=other_technician.headers)
    assert hidden.status_code == 404
    added = await firemode.post(
        f"/v1/tests/sessions/{session_id}/participants",
        json={"user_id": str(other_technician.user_id)},
        headers=supervisor.headers,
    )
    assert added.status_code in (200, 201), added.text

    async with firemode.app.state.database.read_sessions() as orm:
        row = await orm.get(TestSession, uuid.UUID(session_id))
        participants = list(
            await orm.scalars(
                select(SessionParticipant.user_id)
                .where(SessionParticipant.session_id == row.id)
                .order_by(SessionParticipant.added_at, SessionParticipant.user_id)
            )
        )
    expected = SessionDetail.of(row, participants).model_dump(mode="json")
    detail = await firemode.get(f"/v1/tests/sessions/{session_id}", headers=technician.headers)
    assert detail.status_code == 200
    assert detail.json() == expected
    assert list(detail.json()) == list(expected)  # the fields in the model's order
    listed = await firemode.get("/v1/tests/sessions", headers=technician.headers)
    assert listed.json() == {
        "data": [SessionSummary.model_validate(row).model_dump(mode="json")],
        "next_cursor": None,
    }
    assert (
        await firemode.get("/v1/tests/sessions", headers=other_technician.headers)
    ).json() == listed.json()
