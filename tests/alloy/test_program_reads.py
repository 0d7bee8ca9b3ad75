"""The program list, a program's detail and its session list on the fast read path: what the
response models make of the ORM's rows, only the caller's own, and bad input a 4xx."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from alloy.programs.models import TrainingSession
from alloy.programs.repository import ProgramRepository
from alloy.programs.schemas import ProgramDetailOut, ProgramOut, SessionSummary
from tests.alloy.conftest import Member, data_of, error_code, member
from tests.alloy.test_programs import create
from tests.conftest import ServiceClient


async def test_the_lists_answer_what_the_models_write(alloy: ServiceClient, athlete: Member) -> None:
    first = await create(alloy, athlete)
    second = await create(alloy, athlete, name="Second block")
    async with alloy.app.state.database.read_sessions() as orm:
        programs = [
            await ProgramRepository(orm, athlete.user_id).current(uuid.UUID(p["program_id"]))
            for p in (second, first)
        ]
        expected = [ProgramOut.model_validate(program).model_dump(mode="json") for program in programs]
        detailed = await ProgramRepository(orm, athlete.user_id).current(
            uuid.UUID(first["program_id"]), schedule=True
        )
        expected_detail = ProgramDetailOut.model_validate(detailed).model_dump(mode="json")
        sessions = list(
            await orm.scalars(
                select(TrainingSession)
                .where(TrainingSession.program_id == uuid.UUID(first["program_id"]))
                .order_by(TrainingSession.scheduled_date, TrainingSession.id)
            )
        )
        expected_sessions = [SessionSummary.model_validate(row).model_dump(mode="json") for row in sessions]
    detail = data_of(await alloy.get(f"/v1/programs/{first['program_id']}", headers=athlete.headers))
    assert detail == expected_detail
    assert list(detail) == list(ProgramDetailOut.model_fields)
    assert detail["schedule"][0]["sessions"]
    listed = data_of(await alloy.get("/v1/programs", headers=athlete.headers))
    assert listed["items"] == expected
    assert [list(item) for item in listed["items"]] == [list(ProgramOut.model_fields)] * 2
    active = data_of(await alloy.get("/v1/programs", params={"is_active": "true"}, headers=athlete.headers))
    assert active["items"] == [item for item in expected if item["is_active"]]
    url = f"/v1/programs/{first['program_id']}/sessions"
    page = data_of(await alloy.get(url, params={"limit": 100}, headers=athlete.headers))
    assert page["items"] == expected_sessions
    day = expected_sessions[2]["scheduled_date"]
    between = data_of(await alloy.get(url, params={"from": day, "to": day}, headers=athlete.headers))
    assert between["items"] == [item for item in expected_sessions if item["scheduled_date"] == day]
    # Page by page with the cursors: every session once, in order.
    seen, params = [], {"limit": 3}
    while True:
        part = data_of(await alloy.get(url, params=params, headers=athlete.headers))
        seen += part["items"]
        if part["next_cursor"] is None:
            break
        params = {"limit": 3, "cursor": part["next_cursor"]}
    assert seen == expected_sessions


async def test_another_users_lists_are_empty_or_404(alloy: ServiceClient, athlete: Member) -> None:
    program = await create(alloy, athlete)
    stranger = await member(alloy, "stranger@alloy.example.com")
    assert data_of(await alloy.get("/v1/programs", headers=stranger.headers))["items"] == []
    sessions = await alloy.get(f"/v1/programs/{program['program_id']}/sessions", headers=stranger.headers)
    assert error_code(sessions, 404) == "NF_PROGRAM"


async def test_bad_input_to_the_lists_is_a_4xx(alloy: ServiceClient, athlete: Member) -> None:
    program = await create(alloy, athlete)
    url = f"/v1/programs/{program['program_id']}/sessions"
    assert (await alloy.get(url, params={"from": "yesterday"}, headers=athlete.headers)).status_code == 422
    assert (
        await alloy.get("/v1/programs", params={"is_active": "maybe"}, headers=athlete.headers)
    ).status_code == 422
    assert (
        error_code(await alloy.get(url, params={"cursor": "x.y"}, headers=athlete.headers), 400)
        == "VAL_CURSOR"
    )
    listed = data_of(await alloy.get("/v1/programs", params={"limit": 1}, headers=athlete.headers))
    foreign = await alloy.get(
        url, params={"cursor": listed["next_cursor"] or "none"}, headers=athlete.headers
    )
    assert error_code(foreign, 400) == "VAL_CURSOR"
    assert (await alloy.get("/v1/programs")).status_code == 401
