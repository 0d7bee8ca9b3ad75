"""Workout logs through the real app: logging completes a planned session once, loads come back in
the caller's units, every limit and every authorization boundary answered with its code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.alloy.conftest import Member, data_of, error_code, member
from tests.alloy.test_catalogue_api import movement_by_slug
from tests.alloy.test_programs import create
from tests.conftest import ServiceClient

UNKNOWN = "01900000-0000-7000-8000-000000000000"


def ago(days: float = 0, hours: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(days=days, hours=hours)).isoformat()


def entry(movement_id: str, *sets: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"movement_id": movement_id, "sets": list(sets), **extra}


async def post_log(alloy: ServiceClient, who: Member, status: int = 201, **body: Any) -> Any:
    response = await alloy.post("/v1/workout-logs", json=body, headers=who.headers)
    return data_of(response, status)


@pytest.fixture
async def squat(alloy: ServiceClient, athlete: Member) -> str:
    return str((await movement_by_slug(alloy, athlete, "back_squat"))["movement_id"])


async def test_an_ad_hoc_log_answers_every_set_with_its_e1rm(
    alloy: ServiceClient, athlete: Member, squat: str
) -> None:
    plank = (await movement_by_slug(alloy, athlete, "plank"))["movement_id"]
    log = await post_log(
        alloy,
        athlete,
        performed_at=ago(1),
        duration_minutes=55,
        perceived_effort=8,
        notes="heavy day",
        entries=[
            entry(
                squat,
                {"reps": 5, "load": 100},
                {"reps": 5, "load": 100, "rpe": 8},
                {"reps": 3, "load": 100, "rir": 2},
                {"reps": 1, "load": 120},
                {"reps": 15, "load": 60},
                {"reps": 4, "load": 105, "completed": False},
            ),
            entry(plank, {"duration_seconds": 60}),
        ],
    )
    sets = log["entries"][0]["sets"]
    # Epley: 100·(1 + 5/30); RPE 8 adds 2 reps; RIR 2 adds 2; one rep is the load; > 12 reps none.
    assert [s["e1rm"] for s in sets] == [116.7, 123.3, 116.7, 120.0, None, None]
    assert all(s["unit"] == "kg" for s in sets)
    assert log["entries"][1]["sets"][0] == {
        "reps": None,
        "load": None,
        "unit": "kg",
        "duration_seconds": 60,
        "distance_m": None,
        "rpe": None,
        "rir": None,
        "completed": True,
        "e1rm": None,
    }
    assert log["session_id"] is None
    assert log["notes"] == "heavy day"
    records = {(r["record"], r["load"], r["reps"]) for r in log["personal_records"]}
    assert records == {
        ("best_e1rm", 100.0, 5),  # 123.3, the RPE-8 set
        ("heaviest_load", 120.0, 1),
        ("best_reps_at_load", 120.0, 1),
        ("best_reps_at_load", 100.0, 5),
        ("best_reps_at_load", 60.0, 15),
    }
    assert data_of(await alloy.get(f"/v1/workout-logs/{log['log_id']}", headers=athlete.headers)) == log


async def test_loads_are_stored_in_kg_and_answered_in_the_callers_units(
    alloy: ServiceClient, athlete: Member, squat: str
) -> None:
    log = await post_log(
        alloy,
        athlete,
        entries=[entry(squat, {"reps": 5, "load": 225, "unit": "lb"}, {"reps": 3, "load": 100})],
    )
    assert [s["load"] for s in log["entries"][0]["sets"]] == [102.06, 100.0]
    data_of(await alloy.patch("/v1/users/me", json={"units": "lb"}, headers=athlete.headers))
    again = data_of(await alloy.get(f"/v1/workout-logs/{log['log_id']}", headers=athlete.headers))
    loads = [s["load"] for s in again["entries"][0]["sets"]]
    assert loads == [225.0, 220.46]  # exact to 0.01 both ways
    assert {s["unit"] for s in again["entries"][0]["sets"]} == {"lb"}
    # The formula is the caller's too: Brzycki from now on.
    data_of(await alloy.patch("/v1/users/me", json={"e1rm_formula": "brzycki"}, headers=athlete.headers))
    brzycki = data_of(await alloy.get(f"/v1/workout-logs/{log['log_id']}", headers=athlete.headers))
    # 225 lb × 5 by Brzycki: 102.058 kg · 36/32 = 114.8 kg → 253.1 lb
    assert brzycki["entries"][0]["sets"][0]["e1rm"] == 253.1


async def test_logging_a_planned_session_completes_it_once_and_deleting_reopens_it(
    alloy: ServiceClient, athlete: Member
) -> None:
    program = await create(alloy, athlete)
    summary = program["schedule"][0]["sessions"][0]
    url = f"/v1/sessions/{summary['session_id']}"
    planned = data_of(await alloy.get(url, headers=athlete.headers))
    main = next(e for e in planned["exercises"] if e["block"] == "main")
    body = {
        "session_id": summary["session_id"],
        "performed_at": ago(hours=2),
        "entries": [
            entry(main["movement_id"], {"reps": 5, "load": 80}, exercise_id=main["exercise_id"]),
        ],
    }
    log = await post_log(alloy, athlete, **body)
    assert log["entries"][0]["exercise_id"] == main["exercise_id"]
    done = data_of(await alloy.get(url, headers=athlete.headers))
    assert done["status"] == "completed"
    assert done["completed_at"] == log["performed_at"]
    detail = data_of(await alloy.get(f"/v1/programs/{program['program_id']}", headers=athlete.headers))
    assert detail["schedule"][0]["sessions"][0]["status"] == "completed"  # the cached detail follows

    second = await alloy.post("/v1/workout-logs", json=body, headers=athlete.headers)
    assert error_code(second, 409) == "BR_SESSION_LOGGED"

    assert (
        await alloy.delete(f"/v1/workout-logs/{log['log_id']}", headers=athlete.headers)
    ).status_code == 204
    reopened = data_of(await alloy.get(url, headers=athlete.headers))
    assert (reopened["status"], reopened["completed_at"]) == ("planned", None)
    detail = data_of(await alloy.get(f"/v1/programs/{program['program_id']}", headers=athlete.headers))
    assert detail["schedule"][0]["sessions"][0]["status"] == "planned"
    again = await alloy.get(f"/v1/workout-logs/{log['log_id']}", headers=athlete.headers)
    assert error_code(again, 404) == "NF_WORKOUT_LOG"
    await post_log(alloy, athlete, **body)  # logged afresh after the delete

    other = program["schedule"][0]["sessions"][1]["session_id"]
    wrong_exercise = {**body, "session_id": other}
    refused = await alloy.post("/v1/workout-logs", json=wrong_exercise, headers=athlete.headers)
    assert error_code(refused, 422) == "NF_EXERCISE"
    no_session = {**body, "session_id": None}
    refused = await alloy.post("/v1/workout-logs", json=no_session, headers=athlete.headers)
    assert error_code(refused, 422) == "NF_EXERCISE"


async def test_replace_rewrites_the_entries_and_the_records(
    alloy: ServiceClient, athlete: Member, squat: str
) -> None:
    first = await post_log(
        alloy, athlete, performed_at=ago(3), entries=[entry(squat, {"reps": 5, "load": 100})]
    )
    second = await post_log(
        alloy, athlete, performed_at=ago(1), entries=[entry(squat, {"reps": 5, "load": 110})]
    )
    assert {r["record"] for r in second["personal_records"]} == {
        "best_e1rm",
        "heaviest_load",
        "best_reps_at_load",
    }
    # The earlier log becomes the heavier one: the later no longer set anything.
    replaced = data_of(
        await alloy.put(
            f"/v1/workout-logs/{first['log_id']}",
            json={"performed_at": ago(3), "entries": [entry(squat, {"reps": 6, "load": 120})]},
            headers=athlete.headers,
        )
    )
    assert replaced["entries"][0]["sets"][0]["load"] == 120.0
    assert replaced["session_id"] is None
    later = data_of(await alloy.get(f"/v1/workout-logs/{second['log_id']}", headers=athlete.headers))
    assert later["personal_records"] == []
    # Deleting the heavier one gives the records back.
    await alloy.delete(f"/v1/workout-logs/{first['log_id']}", headers=athlete.headers)
    later = data_of(await alloy.get(f"/v1/workout-logs/{second['log_id']}", headers=athlete.headers))
    assert len(later["personal_records"]) == 3


async def test_the_list_is_newest_first_and_filters_by_days_and_movement(
    alloy: ServiceClient, athlete: Member, squat: str
) -> None:
    bench = (await movement_by_slug(alloy, athlete, "bench_press"))["movement_id"]
    days = ["2026-01-10T10:00:00Z", "2026-01-11T10:00:00Z", "2026-01-12T23:59:00Z", "2026-01-13T00:00:00Z"]
    ids = []
    for index, day in enumerate(days):
        movement = bench if index % 2 else squat
        ids.append(
            (
                await post_log(
                    alloy, athlete, performed_at=day, entries=[entry(movement, {"reps": 5, "load": 60})]
                )
            )["log_id"]
        )
    listed = data_of(await alloy.get("/v1/workout-logs", headers=athlete.headers))
    assert [log["log_id"] for log in listed["items"]] == ids[::-1]
    window = data_of(
        await alloy.get(
            "/v1/workout-logs", params={"from": "2026-01-11", "to": "2026-01-12"}, headers=athlete.headers
        )
    )
    assert [log["log_id"] for log in window["items"]] == [ids[2], ids[1]]
    benches = data_of(
        await alloy.get("/v1/workout-logs", params={"movement_id": bench}, headers=athlete.headers)
    )
    assert [log["log_id"] for log in benches["items"]] == [ids[3], ids[1]]
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = data_of(await alloy.get("/v1/workout-logs", params=params, headers=athlete.headers))
        seen += [log["log_id"] for log in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]
    backwards = await alloy.get(
        "/v1/workout-logs", params={"from": "2026-01-12", "to": "2026-01-11"}, headers=athlete.headers
    )
    assert error_code(backwards, 400) == "VAL_INVALID_DATE_RANGE"
    reused = await alloy.get(
        "/v1/workout-logs",
        params={"cursor": page["prev_cursor"] or "x.y", "movement_id": bench},
        headers=athlete.headers,
    )
    assert error_code(reused, 400) == "VAL_CURSOR"


async def test_idempotency_key_replays_the_first_log(
    alloy: ServiceClient, athlete: Member, squat: str
) -> None:
    headers = {**athlete.headers, "Idempotency-Key": "log-1"}
    body = {"performed_at": ago(1), "entries": [entry(squat, {"reps": 5, "load": 100})]}
    first = await alloy.post("/v1/workout-logs", json=body, headers=headers)
    again = await alloy.post("/v1/workout-logs", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["data"] == first.json()["data"]
    assert len(data_of(await alloy.get("/v1/workout-logs", headers=athlete.headers))["items"]) == 1
    other = await alloy.post("/v1/workout-logs", json={**body, "notes": "x"}, headers=headers)
    assert error_code(other, 409) == "CF_IDEMPOTENCY_KEY_REUSED"


def _bad(squat: str) -> list[tuple[dict[str, Any], int, str]]:
    one = entry(squat, {"reps": 5, "load": 100})
    return [
        ({"entries": [one] * 51}, 422, "VAL_ENTRIES"),
        ({"entries": [entry(squat, *[{"reps": 5, "load": 100}] * 21)]}, 422, "VAL_SETS"),
        ({"entries": []}, 422, "VAL_ENTRIES"),
        ({"entries": [entry(squat, {"reps": 101})]}, 422, "VAL_REPS"),
        ({"entries": [entry(squat, {"reps": -1})]}, 422, "VAL_REPS"),
        ({"entries": [entry(squat, {"reps": "5"})]}, 422, "VAL_REPS"),
        ({"entries": [entry(squat, {"reps": True})]}, 422, "VAL_REPS"),
        ({"entries": [entry(squat, {"reps": 5, "load": 1000.5})]}, 422, "VAL_LOAD"),
        ({"entries": [entry(squat, {"reps": 5, "load": 2300, "unit": "lb"})]}, 422, "VAL_LOAD"),
        ({"entries": [entry(squat, {"reps": 5, "load": -1})]}, 422, "VAL_LOAD"),
        ({"entries": [entry(squat, {"reps": 5, "load": 1e308})]}, 422, "VAL_LOAD"),
        ({"entries": [entry(squat, {"reps": 5, "unit": "stone"})]}, 422, "VAL_UNIT"),
        ({"entries": [entry(squat, {"reps": 5, "rpe": 7.3})]}, 422, "VAL_RPE"),
        ({"entries": [entry(squat, {"reps": 5, "rpe": 11})]}, 422, "VAL_RPE"),
        ({"entries": [entry(squat, {"reps": 5, "rir": 11})]}, 422, "VAL_RIR"),
        ({"entries": [entry(squat, {"reps": 5, "rpe": 8, "rir": 2})]}, 422, "VAL_SETS"),
        ({"entries": [entry(squat, {"load": 100})]}, 422, "VAL_SETS"),
        ({"entries": [entry(squat, {"reps": 5, "load": 100}, extra=1)]}, 422, "VAL_EXTRA"),
        ({"entries": [entry(UNKNOWN, {"reps": 5})]}, 404, "NF_MOVEMENT"),
        ({"entries": [entry("not-a-uuid", {"reps": 5})]}, 422, "VAL_MOVEMENT_ID"),
        ({"session_id": UNKNOWN, "entries": [one]}, 404, "NF_SESSION"),
        ({"performed_at": ago(-1, -1), "entries": [one]}, 422, "VAL_PERFORMED_AT"),
        ({"performed_at": "yesterday", "entries": [one]}, 422, "VAL_PERFORMED_AT"),
        ({"perceived_effort": 11, "entries": [one]}, 422, "VAL_PERCEIVED_EFFORT"),
        ({"duration_minutes": 0, "entries": [one]}, 422, "VAL_DURATION_MINUTES"),
        ({"notes": "x" * 2001, "entries": [one]}, 422, "VAL_NOTES"),
    ]


async def test_bad_input_is_refused_with_its_code_never_a_500(
    alloy: ServiceClient, athlete: Member, squat: str
) -> None:
    for body, status, code in _bad(squat):
        response = await alloy.post("/v1/workout-logs", json=body, headers=athlete.headers)
        assert error_code(response, status) == code, body
    log = await post_log(alloy, athlete, entries=[entry(squat, {"reps": 5})])
    for body, status, code in _bad(squat):
        if "session_id" in body:
            continue  # a log keeps its session: a replacement cannot name one
        response = await alloy.put(f"/v1/workout-logs/{log['log_id']}", json=body, headers=athlete.headers)
        assert error_code(response, status) == code, body
    assert data_of(await alloy.get("/v1/workout-logs", headers=athlete.headers))["items"] == [log]
    at_the_limit = "2026-01-01T00:00:00Z"
    loaded = await post_log(
        alloy,
        athlete,
        performed_at=at_the_limit,
        entries=[entry(squat, {"reps": 100, "load": 1000}, {"reps": 0, "load": 2204.62, "unit": "lb"})] * 50,
    )
    assert len(loaded["entries"]) == 50
    tomorrow = await post_log(alloy, athlete, performed_at=ago(-1, 0.1), entries=[entry(squat, {"reps": 5})])
    assert tomorrow["log_id"]


async def test_another_users_logs_sessions_and_movements_do_not_exist(
    alloy: ServiceClient, athlete: Member, squat: str
) -> None:
    program = await create(alloy, athlete)
    session_id = program["schedule"][0]["sessions"][0]["session_id"]
    log = await post_log(alloy, athlete, entries=[entry(squat, {"reps": 5, "load": 100})])
    custom = data_of(
        await alloy.post(
            "/v1/movements",
            json={
                "name": "Athlete's Secret Squat",
                "pattern": "squat",
                "primary_muscle": "quadriceps",
                "substitution_group": "squat",
                "equipment": ["barbell"],
                "compound": True,
                "metric_type": "reps",
            },
            headers=athlete.headers,
        ),
        201,
    )
    stranger = await member(alloy, "stranger@alloy.example.com")
    url = f"/v1/workout-logs/{log['log_id']}"
    body = {"entries": [entry(squat, {"reps": 5})]}
    for response in (
        await alloy.get(url, headers=stranger.headers),
        await alloy.put(url, json=body, headers=stranger.headers),
        await alloy.delete(url, headers=stranger.headers),
    ):
        assert error_code(response, 404) == "NF_WORKOUT_LOG"
    taken = await alloy.post(
        "/v1/workout-logs", json={**body, "session_id": session_id}, headers=stranger.headers
    )
    assert error_code(taken, 404) == "NF_SESSION"
    private = {"entries": [entry(custom["movement_id"], {"reps": 5})]}
    assert (
        error_code(await alloy.post("/v1/workout-logs", json=private, headers=stranger.headers), 404)
        == "NF_MOVEMENT"
    )
    assert data_of(await alloy.get("/v1/workout-logs", headers=stranger.headers))["items"] == []
    by_movement = await alloy.get("/v1/workout-logs", params={"movement_id": squat}, headers=stranger.headers)
    assert data_of(by_movement)["items"] == []
    # The owner's log and session are untouched.
    assert data_of(await alloy.get(url, headers=athlete.headers)) == log
    assert (
        data_of(await alloy.get(f"/v1/sessions/{session_id}", headers=athlete.headers))["status"] == "planned"
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/workout-logs"), ("GET", "/v1/workout-logs"), ("GET", f"/v1/workout-logs/{UNKNOWN}")],
)
async def test_anonymous_callers_are_refused(alloy: ServiceClient, method: str, path: str) -> None:
    response = await alloy.request(method, path, json={"entries": []} if method == "POST" else None)
    assert error_code(response, 401) == "AUTH_MISSING_TOKEN"
