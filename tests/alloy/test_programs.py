"""Programs and sessions through the real app: one call builds the whole plan; every rule and every
authorization boundary answered with its code."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alloy.catalogue.scoring import DIMENSIONS
from alloy.main import create_alloy_app
from alloy.programs.models import ProgramIdempotencyKey
from apikit.errors import ConflictError
from apikit.idempotency import IdempotencyGuard
from tests.alloy.conftest import Member, data_of, error_code, member
from tests.alloy.test_catalogue_api import movement_by_slug
from tests.conftest import ServiceClient, asgi_client, settings_for
from tests.kit.dead_claims import claim_and_die, freeze_idempotency_clock
from tests.validators import assert_conditional_get, assert_etag_changed

GYM = ["barbell", "dumbbell", "bench", "squat_rack", "pull_up_bar", "cable"]


def program_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Spring block",
        "goals": [{"goal": "strength", "weight": 6}, {"goal": "hypertrophy", "weight": 4}],
        "duration_weeks": 8,
        "start_date": "2026-03-02",
        "days_per_week": 4,
        "max_session_minutes": 60,
        "equipment": GYM,
    }
    body.update(overrides)
    return body


async def create(alloy: ServiceClient, who: Member, **overrides: Any) -> dict[str, Any]:
    response = await alloy.post("/v1/programs", json=program_body(**overrides), headers=who.headers)
    return data_of(response, 201)  # type: ignore[no-any-return]


async def test_one_call_builds_the_whole_explainable_plan(alloy: ServiceClient, athlete: Member) -> None:
    program = await create(alloy, athlete)
    assert program["split_template"] == "upper_lower"
    assert program["end_date"] == "2026-04-26"
    assert program["session_count"] == 32
    assert len(program["schedule"]) == 8
    assert [week["is_deload"] for week in program["schedule"]] == [False, False, False, True] * 2
    dates = [s["scheduled_date"] for week in program["schedule"] for s in week["sessions"]]
    assert len(set(dates)) == len(dates) == 32

    first = program["schedule"][0]["sessions"][0]
    session = data_of(await alloy.get(f"/v1/sessions/{first['session_id']}", headers=athlete.headers))
    blocks = [exercise["block"] for exercise in session["exercises"]]
    assert blocks[0] == "warmup"
    assert blocks[-1] == "cooldown"
    assert "main" in blocks
    assert session["estimated_minutes"] <= 60
    main = [e for e in session["exercises"] if e["block"] == "main"]
    # Strength's 3-5, inside each movement's own range (a dumbbell press starts at 5).
    assert all(3 <= e["reps_min"] <= e["reps_max"] <= 5 and e["rest_seconds"] == 180 for e in main)
    explained = {e["position"]: e for e in session["explanation"]["exercises"]}
    for exercise in main:
        why = explained[exercise["position"]]
        assert set(why["dimensions"]) == set(DIMENSIONS)
        assert why["score"] >= 0.5
        assert exercise["movement_name"]
    assert session["explanation"]["scoring_version"] == 1


async def test_the_same_request_gives_the_same_plan_shape_and_goals_change_it(
    alloy: ServiceClient, athlete: Member
) -> None:
    strength = await create(alloy, athlete)
    fat_loss = await create(
        alloy,
        athlete,
        goals=[{"goal": "fat_loss", "weight": 7}, {"goal": "strength", "weight": 3}],
        days_per_week=3,
    )
    assert fat_loss["split_template"] == "hybrid"
    week_one = fat_loss["schedule"][0]["sessions"]
    sessions = [
        data_of(await alloy.get(f"/v1/sessions/{s['session_id']}", headers=athlete.headers)) for s in week_one
    ]
    finishers = [e for s in sessions for e in s["exercises"] if e["block"] == "finisher"]
    assert finishers
    assert all(e["circuit_name"] or e["movement_name"] for e in finishers)
    strength_main = data_of(
        await alloy.get(
            f"/v1/sessions/{strength['schedule'][0]['sessions'][0]['session_id']}", headers=athlete.headers
        )
    )
    fat_loss_main = [e for s in sessions for e in s["exercises"] if e["block"] == "main"]
    strength_reps = max(e["reps_max"] for e in strength_main["exercises"] if e["block"] == "main")
    assert strength_reps < max(e["reps_max"] or 0 for e in fat_loss_main)


async def test_rules_hard_no_and_hard_yes(alloy: ServiceClient, athlete: Member) -> None:
    squat = await movement_by_slug(alloy, athlete, "back_squat")
    curl = await movement_by_slug(alloy, athlete, "barbell_curl")
    program = await create(
        alloy,
        athlete,
        movement_rules=[
            {"movement_id": squat["movement_id"], "rule": "hard_no"},
            {"movement_id": curl["movement_id"], "rule": "hard_yes"},
        ],
    )
    used: Counter[str] = Counter()
    for week in program["schedule"][:1]:
        for summary in week["sessions"]:
            session = data_of(
                await alloy.get(f"/v1/sessions/{summary['session_id']}", headers=athlete.headers)
            )
            used.update(e["movement_id"] for e in session["exercises"] if e["movement_id"])
    assert squat["movement_id"] not in used
    assert used[curl["movement_id"]] >= 1


async def test_validation_rules_answer_400_with_details(alloy: ServiceClient, athlete: Member) -> None:
    async def refused(status: int = 400, **overrides: Any) -> dict[str, Any]:
        response = await alloy.post("/v1/programs", json=program_body(**overrides), headers=athlete.headers)
        assert response.status_code == status, response.text
        return response.json()["errors"][0]  # type: ignore[no-any-return]

    weeks = await refused(duration_weeks=13)
    assert weeks["code"] == "VAL_DURATION_WEEKS"
    assert weeks["details"] == {"field": "duration_weeks", "min": 8, "max": 12, "actual": 13}
    assert (await refused(end_date="2026-03-01"))["code"] == "VAL_INVALID_DATE_RANGE"
    assert (await refused(end_date="2026-05-01"))[
        "code"
    ] == "VAL_INVALID_DATE_RANGE"  # disagrees with 8 weeks
    assert (await refused(days_per_week=8))["code"] == "VAL_DAYS_PER_WEEK"
    assert (await refused(max_session_minutes=10))["code"] == "VAL_MAX_SESSION_MINUTES"
    assert (await refused(goals=[{"goal": "strength", "weight": 9}]))["code"] == "VAL_GOALS"
    four = [
        {"goal": g, "weight": w}
        for g, w in (("strength", 4), ("speed", 2), ("mobility", 2), ("endurance", 2))
    ]
    assert (await refused(goals=four))["code"] == "VAL_GOALS"
    assert (await refused(422, goals=[{"goal": "dancing", "weight": 10}]))["code"] == "VAL_GOAL"
    assert (await refused(422, days_per_week="4"))["code"] == "VAL_DAYS_PER_WEEK"  # strict JSON types


async def test_movement_rules_and_end_date(alloy: ServiceClient, athlete: Member) -> None:
    """(A test of its own: program creation is limited to 10 requests a minute per user.)"""

    async def refused(status: int = 400, **overrides: Any) -> dict[str, Any]:
        response = await alloy.post("/v1/programs", json=program_body(**overrides), headers=athlete.headers)
        assert response.status_code == status, response.text
        return response.json()["errors"][0]  # type: ignore[no-any-return]

    unknown = await refused(
        422, movement_rules=[{"movement_id": "01900000-0000-7000-8000-000000000000", "rule": "hard_no"}]
    )
    assert unknown["code"] == "NF_MOVEMENT"
    sled = await movement_by_slug(alloy, athlete, "sled_push")
    missing = await refused(movement_rules=[{"movement_id": sled["movement_id"], "rule": "hard_yes"}])
    assert missing["code"] == "VAL_MOVEMENT_RULES"
    assert missing["details"]["missing"] == ["sled"]
    assert (await refused(start_date="9999-12-01"))["code"] == "VAL_INVALID_DATE_RANGE"
    # end_date alone sets the length
    derived = await create(alloy, athlete, duration_weeks=None, end_date="2026-05-24")
    assert derived["duration_weeks"] == 12


async def test_idempotency_key_replays_the_first_answer(alloy: ServiceClient, athlete: Member) -> None:
    headers = {**athlete.headers, "Idempotency-Key": "program-1"}
    first = await alloy.post("/v1/programs", json=program_body(), headers=headers)
    again = await alloy.post("/v1/programs", json=program_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["program_id"] == first.json()["data"]["program_id"]
    listed = data_of(await alloy.get("/v1/programs", headers=athlete.headers))
    assert len(listed["items"]) == 1
    other = await alloy.post("/v1/programs", json=program_body(name="Other"), headers=headers)
    assert error_code(other, 409) == "CF_IDEMPOTENCY_KEY_REUSED"


async def test_program_creation_is_rate_limited_per_user(alloy: ServiceClient, athlete: Member) -> None:
    body = program_body(duration_weeks=8, days_per_week=2)
    for _ in range(10):
        response = await alloy.post("/v1/programs", json=body, headers=athlete.headers)
        assert response.status_code == 201, response.text
        assert "RateLimit-Remaining" in response.headers
    limited = await alloy.post("/v1/programs", json=body, headers=athlete.headers)
    assert error_code(limited, 429) == "RATE_LIMIT_EXCEEDED"
    assert "Retry-After" in limited.headers
    other = await member(alloy, "other@alloy.example.com")
    assert (await alloy.post("/v1/programs", json=body, headers=other.headers)).status_code == 201


async def test_list_detail_patch_activate_delete(alloy: ServiceClient, athlete: Member) -> None:
    older = await create(alloy, athlete, name="Older")
    newer = await create(alloy, athlete, name="Newer")
    page = data_of(await alloy.get("/v1/programs", params={"limit": 1}, headers=athlete.headers))
    assert [p["name"] for p in page["items"]] == ["Newer"]
    assert page["next_cursor"]
    second = data_of(
        await alloy.get(
            "/v1/programs", params={"limit": 1, "cursor": page["next_cursor"]}, headers=athlete.headers
        )
    )
    assert [p["name"] for p in second["items"]] == ["Older"]
    assert second["prev_cursor"]
    back = data_of(
        await alloy.get(
            "/v1/programs", params={"limit": 1, "cursor": second["prev_cursor"]}, headers=athlete.headers
        )
    )
    assert [p["name"] for p in back["items"]] == ["Newer"]

    url = f"/v1/programs/{older['program_id']}"
    detail = await alloy.get(url, headers=athlete.headers)
    etag = detail.headers["ETag"]
    assert (await alloy.get(url, headers={**athlete.headers, "If-None-Match": etag})).status_code == 304
    renamed = data_of(await alloy.patch(url, json={"name": "Renamed"}, headers=athlete.headers))
    assert renamed["name"] == "Renamed"
    fresh = await alloy.get(url, headers={**athlete.headers, "If-None-Match": etag})
    assert fresh.status_code == 200
    assert data_of(fresh)["name"] == "Renamed"

    assert data_of(await alloy.post(f"{url}/activate", headers=athlete.headers))["is_active"] is True
    newer_url = f"/v1/programs/{newer['program_id']}"
    assert data_of(await alloy.post(f"{newer_url}/activate", headers=athlete.headers))["is_active"] is True
    active = data_of(await alloy.get("/v1/programs", params={"is_active": "true"}, headers=athlete.headers))
    assert [p["program_id"] for p in active["items"]] == [newer["program_id"]]
    assert error_code(await alloy.delete(newer_url, headers=athlete.headers), 409) == "BR_PROGRAM_ACTIVE"
    assert (await alloy.delete(url, headers=athlete.headers)).status_code == 204
    assert error_code(await alloy.get(url, headers=athlete.headers), 404) == "NF_PROGRAM"


async def test_sessions_list_patch_complete(alloy: ServiceClient, athlete: Member) -> None:
    program = await create(alloy, athlete)
    base = f"/v1/programs/{program['program_id']}/sessions"
    window = data_of(
        await alloy.get(
            base, params={"from": "2026-03-09", "to": "2026-03-15", "limit": 100}, headers=athlete.headers
        )
    )
    assert [s["scheduled_date"] for s in window["items"]] == [
        "2026-03-09",
        "2026-03-10",
        "2026-03-12",
        "2026-03-13",
    ]
    pages, cursor = [], None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = data_of(await alloy.get(base, params=params, headers=athlete.headers))
        pages.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(pages) == 32
    assert len({s["session_id"] for s in pages}) == 32

    session_url = f"/v1/sessions/{pages[0]['session_id']}"
    session = data_of(await alloy.get(session_url, headers=athlete.headers))
    exercise = next(e for e in session["exercises"] if e["block"] == "main")
    press = await movement_by_slug(alloy, athlete, "dumbbell_bench_press")
    edit = {"exercise_id": exercise["exercise_id"], "sets": 2, "movement_id": press["movement_id"]}
    edited = data_of(
        await alloy.patch(
            session_url, json={"notes": "felt good", "exercises": [edit]}, headers=athlete.headers
        )
    )
    changed = next(e for e in edited["exercises"] if e["exercise_id"] == exercise["exercise_id"])
    assert changed["sets"] == 2
    assert changed["estimated_seconds"] < exercise["estimated_seconds"]  # fewer sets, re-estimated
    assert edited["estimated_minutes"] == -(-sum(e["estimated_seconds"] for e in edited["exercises"]) // 60)
    assert changed["movement_name"] == "Dumbbell Bench Press"
    taken = await alloy.patch(
        session_url, json={"scheduled_date": pages[1]["scheduled_date"]}, headers=athlete.headers
    )
    assert error_code(taken, 409) == "CF_SESSION_DATE"
    bad_reps = {"exercise_id": exercise["exercise_id"], "reps_min": 9, "reps_max": 3}
    assert (
        error_code(
            await alloy.patch(session_url, json={"exercises": [bad_reps]}, headers=athlete.headers), 400
        )
        == "VAL_REPS"
    )

    done = data_of(
        await alloy.post(f"{session_url}/complete", json={"notes": "done"}, headers=athlete.headers)
    )
    assert done["status"] == "completed"
    assert done["completed_at"]
    assert (
        error_code(await alloy.post(f"{session_url}/complete", headers=athlete.headers), 409)
        == "BR_SESSION_COMPLETE"
    )
    assert (
        error_code(await alloy.patch(session_url, json={"notes": "x"}, headers=athlete.headers), 409)
        == "BR_SESSION_COMPLETE"
    )


async def test_a_session_answers_conditional_requests(alloy: ServiceClient, athlete: Member) -> None:
    program = await create(alloy, athlete)
    url = f"/v1/sessions/{program['schedule'][0]['sessions'][0]['session_id']}"
    first = await assert_conditional_get(alloy, url, athlete.headers)
    session = data_of(first)
    noted = data_of(await alloy.patch(url, json={"notes": "felt good"}, headers=athlete.headers))
    after_edit = await assert_etag_changed(alloy, url, athlete.headers, first.headers["ETag"])
    assert data_of(after_edit) == noted != session
    done = data_of(await alloy.post(f"{url}/complete", headers=athlete.headers))
    after_completion = await assert_etag_changed(alloy, url, athlete.headers, after_edit.headers["ETag"])
    assert data_of(after_completion) == done
    # The other single resources keep the same rules.
    await assert_conditional_get(alloy, f"/v1/programs/{program['program_id']}", athlete.headers)


async def test_another_users_programs_and_sessions_do_not_exist(
    alloy: ServiceClient, athlete: Member
) -> None:
    program = await create(alloy, athlete)
    session_id = program["schedule"][0]["sessions"][0]["session_id"]
    stranger = await member(alloy, "stranger@alloy.example.com")
    url = f"/v1/programs/{program['program_id']}"
    for response in (
        await alloy.get(url, headers=stranger.headers),
        await alloy.patch(url, json={"name": "mine"}, headers=stranger.headers),
        await alloy.post(f"{url}/activate", headers=stranger.headers),
        await alloy.delete(url, headers=stranger.headers),
        await alloy.get(f"{url}/sessions", headers=stranger.headers),
    ):
        assert error_code(response, 404) == "NF_PROGRAM"
    for response in (
        await alloy.get(f"/v1/sessions/{session_id}", headers=stranger.headers),
        await alloy.patch(f"/v1/sessions/{session_id}", json={"notes": "x"}, headers=stranger.headers),
        await alloy.post(f"/v1/sessions/{session_id}/complete", headers=stranger.headers),
    ):
        assert error_code(response, 404) == "NF_SESSION"
    assert data_of(await alloy.get("/v1/programs", headers=stranger.headers))["items"] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/programs"),
        ("GET", "/v1/programs"),
        ("GET", "/v1/sessions/01900000-0000-7000-8000-000000000000"),
    ],
)
async def test_anonymous_callers_are_refused(alloy: ServiceClient, method: str, path: str) -> None:
    response = await alloy.request(method, path, json=program_body() if method == "POST" else None)
    assert error_code(response, 401) == "AUTH_MISSING_TOKEN"


LEASE_SECONDS = 90


async def test_a_crashed_requests_key_is_held_for_its_lease_then_taken_over(
    database_url_for: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retry-After tells the truth: the claim a dead request left answers 409 for exactly the
    rest of its lease, and the first retry after the lease runs the request."""
    settings = settings_for(
        "alloy", tmp_path, database_url_for("alloy"), idempotency_lease_seconds=LEASE_SECONDS
    )
    app = create_alloy_app(settings)
    clock = freeze_idempotency_clock(monkeypatch)
    async with asgi_client(app) as client:
        athlete = await member(client, "athlete@alloy.example.com")
        body = program_body()
        await claim_and_die(
            app.state.database,
            ProgramIdempotencyKey,
            athlete.user_id,
            "p-1",
            "/v1/programs",
            body,
            LEASE_SECONDS,
        )
        headers = {**athlete.headers, "Idempotency-Key": "p-1"}

        clock.advance(30.2)
        held = await client.post("/v1/programs", json=body, headers=headers)
        assert error_code(held, 409) == "CF_IDEMPOTENCY_IN_FLIGHT"
        assert held.headers["Retry-After"] == "60"  # 59.8 seconds left, rounded up
        clock.advance(59.7)
        assert (await client.post("/v1/programs", json=body, headers=headers)).headers["Retry-After"] == "1"

        clock.advance(0.1)  # the lease has run out: the retry takes the key over
        taken = await client.post("/v1/programs", json=body, headers=headers)
        program = data_of(taken, 201)
        replay = await client.post("/v1/programs", json=body, headers=headers)
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert data_of(replay, 201)["program_id"] == program["program_id"]
        assert len(data_of(await client.get("/v1/programs", headers=athlete.headers))["items"]) == 1
    await app.state.database.dispose()


async def test_a_request_that_outlives_its_lease_cannot_record_over_the_taker(
    database_url_for: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request slower than its lease lost the key to a retry: its answer must not be stored
    as well, and the error rolls its effect back, so the key's one effect is the taker's."""
    settings = settings_for(
        "alloy", tmp_path, database_url_for("alloy"), idempotency_lease_seconds=LEASE_SECONDS
    )
    app = create_alloy_app(settings)
    clock = freeze_idempotency_clock(monkeypatch)
    async with asgi_client(app) as client:
        athlete = await member(client, "athlete@alloy.example.com")
        body = program_body()
        database = app.state.database
        slow = await claim_and_die(
            database, ProgramIdempotencyKey, athlete.user_id, "p-1", "/v1/programs", body, LEASE_SECONDS
        )
        clock.advance(LEASE_SECONDS)
        headers = {**athlete.headers, "Idempotency-Key": "p-1"}
        taken = data_of(await client.post("/v1/programs", json=body, headers=headers), 201)

        with pytest.raises(ConflictError) as lost:
            async with database.transactional() as session:
                await IdempotencyGuard(ProgramIdempotencyKey, slow).record(session, 201, {"data": "late"})
        assert lost.value.code == "CF_IDEMPOTENCY_IN_FLIGHT"
        assert lost.value.retryable is True
        replay = await client.post("/v1/programs", json=body, headers=headers)
        assert data_of(replay, 201)["program_id"] == taken["program_id"]
    await app.state.database.dispose()


async def test_the_plan_rows_give_every_column(
    alloy: ServiceClient, athlete: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows go in through the kit's bulk insert, which applies no Python-side default: a column
    added to these tables must be given by the rows too."""
    from alloy.programs import service
    from alloy.programs.models import ProgramWeek, SessionExercise, TrainingSession
    from alloy.programs.repository import add_plan_rows

    written: list[list[dict[str, Any]]] = []

    async def recording(session: Any, *tables: list[dict[str, Any]]) -> None:
        written.extend(tables)
        await add_plan_rows(session, *tables)

    monkeypatch.setattr(service, "add_plan_rows", recording)
    program = await create(alloy, athlete)
    weeks, sessions, exercises = written
    assert len(weeks) == 8
    assert len(sessions) == program["session_count"]
    for model, rows in ((ProgramWeek, weeks), (TrainingSession, sessions), (SessionExercise, exercises)):
        assert all(set(row) == set(model.__table__.columns.keys()) for row in rows), model.__tablename__


async def test_the_created_program_is_answered_as_it_reads_back(
    alloy: ServiceClient, athlete: Member
) -> None:
    created = await create(alloy, athlete, days_per_week=6, duration_weeks=12)
    read = data_of(await alloy.get(f"/v1/programs/{created['program_id']}", headers=athlete.headers))
    assert created == read
    assert created["session_count"] == 72 == sum(len(week["sessions"]) for week in created["schedule"])
