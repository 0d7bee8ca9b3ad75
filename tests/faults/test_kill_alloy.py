"""Alloy killed with SIGKILL while users build programs: each program is one transaction.

One crash serves every test of the module: athletes create programs (each with its own
Idempotency-Key) a few at a time, and the server is killed once several were acknowledged, with
creations in flight; it is then started again on the same database, and each test checks one
promise against what the clients saw.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from alloy.programs.models import ProgramIdempotencyKey
from tests.conftest import MigratedTemplates
from tests.faults.conftest import (
    PASSWORD,
    ServerProcess,
    age_unfinished_claims,
    run_async,
    scenario_database,
    service_env,
)

pytestmark = pytest.mark.faults

ATHLETE = "athlete@faults.example.com"
PROGRAMS = 24  # sent by DEVICES clients at once; the kill comes long before the last
DEVICES = 3
KILL_AFTER = 4  # acknowledged creations before the kill
WEEKS, DAYS = 8, 2
SCENARIO_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0


@dataclass
class Creation:
    key: str
    body: dict[str, Any]
    sent: bool = False
    answer: dict[str, Any] | None = None  # the acknowledged program, if an answer came back


@dataclass
class Crash:
    server: ServerProcess
    database_url: str
    headers: dict[str, str]
    creations: list[Creation] = field(default_factory=list)


def program_body(number: int) -> dict[str, Any]:
    return {
        "name": f"Block {number}",
        "goals": [{"goal": "strength", "weight": 6}, {"goal": "hypertrophy", "weight": 4}],
        "duration_weeks": WEEKS,
        "start_date": "2026-03-02",
        "days_per_week": DAYS,
        "max_session_minutes": 45,
        "equipment": ["barbell", "dumbbell", "bench", "squat_rack", "pull_up_bar"],
    }


def data_of(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


async def drive_until_killed(crash: Crash) -> None:
    killed = asyncio.Event()
    queue = asyncio.Queue[Creation]()
    for creation in crash.creations:
        queue.put_nowait(creation)
    acked = 0

    async def device(client: httpx.AsyncClient) -> None:
        nonlocal acked
        while not killed.is_set() and not queue.empty():
            creation = queue.get_nowait()
            creation.sent = True
            try:
                response = await client.post(
                    "/v1/programs",
                    json=creation.body,
                    headers={**crash.headers, "Idempotency-Key": creation.key},
                )
            except httpx.TransportError:
                return  # no answer: the server is gone
            creation.answer = data_of(response, 201)
            acked += 1

    async def killer() -> None:
        deadline = time.monotonic() + SCENARIO_TIMEOUT
        while acked < KILL_AFTER:
            assert time.monotonic() < deadline, f"no crash point within {SCENARIO_TIMEOUT}s"
            await asyncio.sleep(0.01)
        crash.server.kill()
        killed.set()

    async with httpx.AsyncClient(base_url=crash.server.url, timeout=REQUEST_TIMEOUT) as client:
        await asyncio.gather(killer(), *(device(client) for _ in range(DEVICES)))


@pytest.fixture(scope="module")
def crash(migrated_templates: MigratedTemplates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crash]:
    directory = tmp_path_factory.mktemp("alloy-crash")
    data_dir = directory / "data"
    data_dir.mkdir()
    with scenario_database("alloy", migrated_templates, directory) as database_url:
        # Program creation is rate limited per user; this athlete is a load generator.
        env = service_env("alloy", data_dir, database_url, PROGRAM_CREATE_RATE="1000/minute")
        server = ServerProcess("alloy", env, directory / "server.log")
        try:
            server.start()

            async def prepare() -> Crash:
                async with httpx.AsyncClient(base_url=server.url, timeout=REQUEST_TIMEOUT) as client:
                    account = {"email": ATHLETE, "password": PASSWORD, "name": "Athlete"}
                    data_of(await client.post("/v1/auth/register", json=account), 201)
                    login = {"email": ATHLETE, "password": PASSWORD}
                    tokens = data_of(await client.post("/v1/auth/login", json=login), 200)
                return Crash(server, database_url, {"Authorization": f"Bearer {tokens['access_token']}"})

            scenario = run_async(prepare)
            scenario.creations = [Creation(f"program-{n}", program_body(n)) for n in range(PROGRAMS)]
            run_async(lambda: drive_until_killed(scenario))
            server.start()
            yield scenario
        finally:
            server.kill()


def client_of(crash: Crash) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=crash.server.url, timeout=REQUEST_TIMEOUT)


async def all_programs(client: httpx.AsyncClient, crash: Crash) -> list[dict[str, Any]]:
    programs: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = data_of(await client.get("/v1/programs", params=params, headers=crash.headers), 200)
        programs += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return programs


async def assert_complete(client: httpx.AsyncClient, crash: Crash, program_id: str) -> dict[str, Any]:
    """Every week, every session and each session's exercises are there, and add up."""
    detail = data_of(await client.get(f"/v1/programs/{program_id}", headers=crash.headers), 200)
    assert [week["week_number"] for week in detail["schedule"]] == list(
        range(1, detail["duration_weeks"] + 1)
    )
    for week in detail["schedule"]:
        assert len(week["sessions"]) == detail["days_per_week"]
        for summary in week["sessions"]:
            session = data_of(
                await client.get(f"/v1/sessions/{summary['session_id']}", headers=crash.headers), 200
            )
            assert session["program_id"] == program_id
            assert len({exercise["movement_id"] for exercise in session["exercises"]}) >= 4
            assert len(session["explanation"]["exercises"]) == len(session["exercises"])
            assert session["estimated_minutes"] == summary["estimated_minutes"]
    return detail


def acknowledged(crash: Crash) -> list[Creation]:
    return [creation for creation in crash.creations if creation.answer is not None]


def unanswered(crash: Crash) -> list[Creation]:
    """Creations in flight when the server died: sent, and no answer came back."""
    return [creation for creation in crash.creations if creation.sent and creation.answer is None]


async def test_every_acknowledged_program_is_whole_after_a_kill(crash: Crash) -> None:
    assert crash.server.starts == 2
    assert len(acknowledged(crash)) >= KILL_AFTER
    async with client_of(crash) as client:
        for creation in acknowledged(crash):
            assert creation.answer is not None
            detail = await assert_complete(client, crash, creation.answer["program_id"])
            assert detail["schedule"] == creation.answer["schedule"]


async def test_no_partial_program_after_a_kill(crash: Crash) -> None:
    """Whatever the kill interrupted left a whole program or none: each one listed is complete."""
    async with client_of(crash) as client:
        programs = await all_programs(client, crash)
        acknowledged_ids = {
            creation.answer["program_id"] for creation in acknowledged(crash) if creation.answer
        }
        assert acknowledged_ids <= {program["program_id"] for program in programs}
        for program in programs:
            assert program["session_count"] == WEEKS * DAYS
            if program["program_id"] not in acknowledged_ids:  # those have a test of their own
                await assert_complete(client, crash, program["program_id"])


async def test_unanswered_creations_retried_with_their_key_apply_exactly_once(crash: Crash) -> None:
    pending = unanswered(crash)
    assert pending, "the kill left no creation unanswered"

    async def retry_all(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post(
                "/v1/programs", json=creation.body, headers={**crash.headers, "Idempotency-Key": creation.key}
            )
            for creation in pending
        ]

    async with client_of(crash) as client:
        for response in await retry_all(client):
            # The dead request's claim is still held: a retryable 409, never a second program.
            if response.status_code != 201:
                assert response.status_code == 409, response.text
                assert response.json()["errors"][0]["code"] == "CF_IDEMPOTENCY_IN_FLIGHT"
                assert response.headers["Retry-After"]
        await age_unfinished_claims(crash.database_url, ProgramIdempotencyKey)
        answers = [data_of(response, 201) for response in await retry_all(client)]
        names = [program["name"] for program in await all_programs(client, crash)]
        for creation, answer in zip(pending, answers, strict=True):
            assert answer["name"] == creation.body["name"]
            await assert_complete(client, crash, answer["program_id"])
    for creation in crash.creations:
        if creation.sent:
            assert names.count(creation.body["name"]) == 1, creation.key
