"""Progress through the real app: a movement's days and records, the weekly summary with the
active program's adherence, in the caller's units; another user's logs never counted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.alloy.conftest import Member, data_of, error_code, member
from tests.alloy.test_catalogue_api import movement_by_slug
from tests.alloy.test_programs import create
from tests.alloy.test_workout_logs import UNKNOWN, entry, post_log
from tests.conftest import ServiceClient


async def test_a_movements_days_and_records(alloy: ServiceClient, athlete: Member) -> None:
    squat = (await movement_by_slug(alloy, athlete, "back_squat"))["movement_id"]
    bench = (await movement_by_slug(alloy, athlete, "bench_press"))["movement_id"]
    first = await post_log(
        alloy,
        athlete,
        performed_at="2026-02-02T09:00:00Z",
        entries=[entry(squat, {"reps": 5, "load": 100}, {"reps": 5, "load": 100}, {"reps": 8, "load": 80})],
    )
    await post_log(
        alloy,
        athlete,
        performed_at="2026-02-04T09:00:00Z",
        entries=[
            entry(squat, {"reps": 3, "load": 110, "rpe": 9}, {"reps": 2, "load": 115, "completed": False}),
            entry(bench, {"reps": 5, "load": 80}),
        ],
    )
    second_of_day = await post_log(
        alloy,
        athlete,
        performed_at="2026-02-04T18:00:00Z",
        entries=[entry(squat, {"reps": 1, "load": 120}, {"reps": 10, "load": 60})],
    )
    url = f"/v1/progress/movements/{squat}"
    progress = data_of(await alloy.get(url, headers=athlete.headers))
    assert progress["unit"] == "kg"
    assert progress["formula"] == "epley"
    assert progress["days"] == [
        {
            "date": "2026-02-02",
            "best_e1rm": 116.7,  # 100 × 5
            "top_set": {"load": 100.0, "reps": 5, "rpe": None},
            "volume": 1640.0,  # 500 + 500 + 640
        },
        {
            "date": "2026-02-04",
            "best_e1rm": 124.7,  # 110 × 3 at RPE 9: 4 effective reps; beats the 120 single
            "top_set": {"load": 120.0, "reps": 1, "rpe": None},  # the failed 115 does not count
            "volume": 1050.0,  # 330 + 120 + 600
        },
    ]
    records = progress["records"]
    assert (records["best_e1rm"]["value"], records["best_e1rm"]["load"]) == (124.7, 110.0)
    assert records["heaviest_load"]["value"] == 120.0
    assert records["heaviest_load"]["log_id"] == second_of_day["log_id"]
    assert [(r["load"], r["reps"]) for r in records["best_reps_at_load"]] == [
        (120.0, 1),
        (110.0, 3),
        (100.0, 5),
        (80.0, 8),
        (60.0, 10),
    ]
    assert records["best_reps_at_load"][2]["log_id"] == first["log_id"]

    window = data_of(
        await alloy.get(url, params={"from": "2026-02-03", "to": "2026-02-04"}, headers=athlete.headers)
    )
    assert [day["date"] for day in window["days"]] == ["2026-02-04"]
    assert window["records"] == records  # all-time, whatever the window
    data_of(await alloy.patch("/v1/users/me", json={"units": "lb"}, headers=athlete.headers))
    in_lb = data_of(await alloy.get(url, headers=athlete.headers))
    assert in_lb["days"][0]["top_set"]["load"] == 220.46
    assert in_lb["days"][0]["best_e1rm"] == 257.3  # 116.7 kg
    assert in_lb["records"]["heaviest_load"]["value"] == 264.55

    empty = data_of(
        await alloy.get(
            f"/v1/progress/movements/{bench}", params={"to": "2026-02-01"}, headers=athlete.headers
        )
    )
    assert empty["days"] == []
    assert empty["records"]["best_e1rm"]["value"] == 205.7  # 80 kg × 5 → 93.3 kg, in lb


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def test_the_weekly_summary_counts_sets_volume_adherence_and_records(
    alloy: ServiceClient, athlete: Member
) -> None:
    today = datetime.now(UTC).date()
    start = monday_of(today) - timedelta(weeks=2)
    program = await create(alloy, athlete, start_date=start.isoformat(), days_per_week=3)
    data_of(await alloy.post(f"/v1/programs/{program['program_id']}/activate", headers=athlete.headers))
    first_week = program["schedule"][0]["sessions"]
    squat = (await movement_by_slug(alloy, athlete, "back_squat"))["movement_id"]
    row = (await movement_by_slug(alloy, athlete, "barbell_row"))["movement_id"]
    for number, summary in enumerate(first_week[:2]):
        await post_log(
            alloy,
            athlete,
            session_id=summary["session_id"],
            performed_at=f"{summary['scheduled_date']}T10:00:00Z",
            entries=[
                entry(
                    squat,
                    {"reps": 5, "load": 100 + number * 10},
                    {"reps": 5, "load": 100, "completed": False},
                )
            ],
        )
    await post_log(  # ad hoc, the week after
        alloy,
        athlete,
        performed_at=f"{(start + timedelta(weeks=1)).isoformat()}T10:00:00Z",
        entries=[entry(row, {"reps": 10, "load": 60}, {"reps": 10, "load": 60})],
    )
    summary = data_of(await alloy.get("/v1/progress/summary", headers=athlete.headers))
    assert summary["program_id"] == program["program_id"]
    weeks = summary["weeks"]
    assert [w["week_start"] for w in weeks] == [
        (start + timedelta(weeks=n - 1)).isoformat() for n in range(4)
    ]
    assert weeks[0] == {
        "week_start": (start - timedelta(weeks=1)).isoformat(),
        "by_pattern": {},
        "by_primary_muscle": {},
        "sessions_planned": 0,
        "sessions_completed": 0,
        "adherence": None,
        "personal_records": 0,
    }
    assert weeks[1]["by_pattern"] == {"squat": {"sets": 2, "volume": 1050.0}}  # failed sets do not count
    assert weeks[1]["by_primary_muscle"] == {"quadriceps": {"sets": 2, "volume": 1050.0}}
    assert (weeks[1]["sessions_planned"], weeks[1]["sessions_completed"], weeks[1]["adherence"]) == (
        3,
        2,
        0.67,
    )
    assert weeks[1]["personal_records"] == 6  # three by the first log, three by the heavier second
    assert weeks[2]["by_pattern"] == {"horizontal_pull": {"sets": 2, "volume": 1200.0}}
    assert (weeks[2]["sessions_planned"], weeks[2]["sessions_completed"], weeks[2]["adherence"]) == (
        3,
        0,
        0.0,
    )
    assert weeks[2]["personal_records"] == 3
    one = data_of(await alloy.get("/v1/progress/summary", params={"weeks": 1}, headers=athlete.headers))
    assert [w["week_start"] for w in one["weeks"]] == [monday_of(today).isoformat()]

    stranger = await member(alloy, "stranger@alloy.example.com")
    theirs = data_of(await alloy.get("/v1/progress/summary", headers=stranger.headers))
    assert theirs["program_id"] is None
    assert all(w["by_pattern"] == {} and w["personal_records"] == 0 for w in theirs["weeks"])
    nothing = data_of(await alloy.get(f"/v1/progress/movements/{squat}", headers=stranger.headers))
    assert nothing["days"] == []
    assert nothing["records"] == {"best_e1rm": None, "heaviest_load": None, "best_reps_at_load": []}


async def test_progress_refuses_bad_input_and_hides_private_movements(
    alloy: ServiceClient, athlete: Member
) -> None:
    custom = data_of(
        await alloy.post(
            "/v1/movements",
            json={
                "name": "Athlete's Secret Press",
                "pattern": "vertical_push",
                "primary_muscle": "front_delts",
                "substitution_group": "press",
                "equipment": ["dumbbell"],
                "compound": True,
                "metric_type": "reps",
            },
            headers=athlete.headers,
        ),
        201,
    )
    url = f"/v1/progress/movements/{custom['movement_id']}"
    assert data_of(await alloy.get(url, headers=athlete.headers))["days"] == []
    stranger = await member(alloy, "stranger@alloy.example.com")
    assert error_code(await alloy.get(url, headers=stranger.headers), 404) == "NF_MOVEMENT"
    assert (
        error_code(await alloy.get(f"/v1/progress/movements/{UNKNOWN}", headers=athlete.headers), 404)
        == "NF_MOVEMENT"
    )
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (url, {"from": "2026-02-05", "to": "2026-02-04"}, 400, "VAL_INVALID_DATE_RANGE"),
        (url, {"from": "yesterday"}, 422, "VAL_FROM"),
        (url, {"to": "0"}, 422, "VAL_TO"),
        (url, {"from": "2026-02-30"}, 422, "VAL_FROM"),
        ("/v1/progress/movements/not-a-uuid", {}, 404, "NF_ROUTE"),
        ("/v1/progress/summary", {"weeks": 0}, 422, "VAL_WEEKS"),
        ("/v1/progress/summary", {"weeks": 53}, 422, "VAL_WEEKS"),
        ("/v1/progress/summary", {"weeks": "four"}, 422, "VAL_WEEKS"),
    ]
    for path, params, status, code in cases:
        assert error_code(await alloy.get(path, params=params, headers=athlete.headers), status) == code, (
            params
        )
    far = data_of(
        await alloy.get(url, params={"from": "0001-01-01", "to": "9999-12-31"}, headers=athlete.headers)
    )
    assert far["days"] == []
    for path in (url, "/v1/progress/summary"):
        assert error_code(await alloy.get(path), 401) == "AUTH_MISSING_TOKEN"
