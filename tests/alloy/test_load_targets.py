"""Load targets and progression through the real app: four weeks of a program logged session by
session — one lift always at the top of its range, one missed twice in a row, the rest in between —
and before every session, each target follows the rules from what was logged so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from alloy.training.e1rm import Formula
from tests.alloy.conftest import Member, data_of, member
from tests.alloy.test_catalogue_api import movement_by_slug
from tests.alloy.test_e1rm import spec_e1rm
from tests.alloy.test_programs import create
from tests.alloy.test_workout_logs import entry, post_log
from tests.conftest import ServiceClient


def to_step(value: float, step: float, rounding: str) -> float:
    return float(
        (Decimal(repr(value)) / Decimal(repr(step))).quantize(Decimal(1), rounding=rounding)
        * Decimal(repr(step))
    )


@dataclass
class Logged:
    """What the test remembers of one movement's logs: (load, missed half, all at the top) each."""

    logs: list[tuple[float, bool, bool]] = field(default_factory=list)
    e1rms: list[float] = field(default_factory=list)


def expected(exercise: dict[str, Any], logged: Logged | None, increment: float) -> tuple[str, float | None]:
    """The rule and load ALLOY.md and docs/TRAINING.md give, worked out independently."""
    if logged is None or not logged.logs:
        return "none", None
    load, missed, top = logged.logs[-1]
    if missed and len(logged.logs) > 1 and logged.logs[-2][1]:
        return "down", to_step(load * 0.9, increment, ROUND_FLOOR)
    if missed:
        return "hold", to_step(load, increment, ROUND_FLOOR)
    if top:
        return "up", max(
            to_step(load * 1.025, increment, ROUND_CEILING), to_step(load, increment, ROUND_FLOOR) + increment
        )
    reps = exercise["reps_max"] + (10 - exercise["target_rpe"])
    return "e1rm", to_step(max(logged.e1rms) / (1 + reps / 30), increment, ROUND_FLOOR)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def test_four_weeks_of_logs_set_the_next_loads_by_the_rules(
    alloy: ServiceClient, athlete: Member
) -> None:
    start = monday_of(datetime.now(UTC).date()) - timedelta(weeks=4)
    program = await create(
        alloy,
        athlete,
        start_date=start.isoformat(),
        days_per_week=3,
        deload_every_n_weeks=8,
        goals=[{"goal": "strength", "weight": 10}],
    )
    increments: dict[str, float | None] = {}
    logged: dict[str, Logged] = {}
    roles: dict[str, str] = {}  # movement → "top" | "miss" | "middle"
    seen_rules: set[str] = set()
    occurrences: dict[str, int] = {}

    async def increment_of(movement_id: str) -> float | None:
        if movement_id not in increments:
            found = data_of(await alloy.get(f"/v1/movements/{movement_id}", headers=athlete.headers))
            increments[movement_id] = found["plate_increment_kg"]
        return increments[movement_id]

    weeks = program["schedule"]
    for week in weeks[:4]:
        for summary in week["sessions"]:
            session = data_of(
                await alloy.get(f"/v1/sessions/{summary['session_id']}", headers=athlete.headers)
            )
            why = {e["position"]: e for e in session["explanation"]["exercises"]}
            entries = []
            for exercise in session["exercises"]:
                movement = exercise["movement_id"]
                if movement is None or exercise["reps_max"] is None or not await increment_of(movement):
                    if movement is not None:
                        assert exercise["target_load"] is None
                        assert why[exercise["position"]]["load_rule"] == "none"
                    continue
                increment = await increment_of(movement)
                assert increment
                rule, load = expected(exercise, logged.get(movement), increment)
                assert (why[exercise["position"]]["load_rule"], exercise["target_load"]) == (rule, load), (
                    exercise
                )
                assert why[exercise["position"]]["load_reason"]
                seen_rules.add(rule)
                if (
                    exercise["block"] == "main"
                    and exercise["reps_min"] >= 2
                    and len(roles) < 2
                    and movement not in roles
                ):
                    roles[movement] = "top" if not roles else "miss"
                role = roles.get(movement, "middle")
                occurrences[movement] = occurrences.get(movement, 0) + 1
                lifted = load if load is not None else 40.0
                if role == "top":
                    reps, rpe = exercise["reps_max"], exercise["target_rpe"]
                elif role == "miss" and occurrences[movement] > 1:  # misses from its second time on
                    reps, rpe = exercise["reps_min"] - 1, 10
                else:
                    reps, rpe = exercise["reps_min"], exercise["target_rpe"]
                sets = [{"reps": reps, "load": lifted, "rpe": rpe} for _ in range(exercise["sets"])]
                entries.append(entry(movement, *sets, exercise_id=exercise["exercise_id"]))
                memory = logged.setdefault(movement, Logged())
                missed = reps < exercise["reps_min"]
                memory.logs.append(
                    (lifted, missed, reps >= exercise["reps_max"] and rpe <= exercise["target_rpe"])
                )
                if 1 <= reps <= 12:
                    memory.e1rms.append(spec_e1rm(Formula.EPLEY, lifted, reps, rpe, None))
            assert entries
            await post_log(
                alloy,
                athlete,
                session_id=summary["session_id"],
                performed_at=f"{summary['scheduled_date']}T10:00:00Z",
                entries=entries,
            )
            done = data_of(await alloy.get(f"/v1/sessions/{summary['session_id']}", headers=athlete.headers))
            assert done["status"] == "completed"
            assert all(e["target_load"] is None for e in done["exercises"])  # performed: no targets
    assert {"none", "up", "hold", "down", "e1rm"} <= seen_rules
    top, miss = list(roles)
    assert logged[miss].logs[-1][1]  # the last two missed
    assert logged[miss].logs[-2][1]

    # The next week's sessions: the top lift goes up, the missed one down 10%, the rest by e1RM.
    next_week = [
        data_of(await alloy.get(f"/v1/sessions/{s['session_id']}", headers=athlete.headers))
        for s in weeks[4]["sessions"]
    ]
    checked: set[str] = set()
    for session in next_week:
        why = {e["position"]: e for e in session["explanation"]["exercises"]}
        for exercise in session["exercises"]:
            movement = exercise["movement_id"]
            if movement in logged:
                increment = await increment_of(movement)
                assert increment
                rule, load = expected(exercise, logged[movement], increment)
                assert (why[exercise["position"]]["load_rule"], exercise["target_load"]) == (rule, load)
                assert exercise["target_unit"] == "kg"
                checked.add({top: "up", miss: "down"}.get(movement, rule))
    assert {"up", "down", "e1rm"} <= checked

    # In pounds, on the lb plates; another lifter sees no targets from these logs.
    data_of(await alloy.patch("/v1/users/me", json={"units": "lb"}, headers=athlete.headers))
    session = data_of(
        await alloy.get(f"/v1/sessions/{weeks[4]['sessions'][0]['session_id']}", headers=athlete.headers)
    )
    loaded = [e for e in session["exercises"] if e["target_load"] is not None]
    assert loaded
    assert all(e["target_unit"] == "lb" and e["target_load"] % 5 in (0, 2.5) for e in loaded)
    stranger = await member(alloy, "stranger@alloy.example.com")
    theirs = await create(
        alloy,
        stranger,
        start_date=start.isoformat(),
        days_per_week=3,
        goals=[{"goal": "strength", "weight": 10}],
    )
    first = data_of(
        await alloy.get(
            f"/v1/sessions/{theirs['schedule'][4]['sessions'][0]['session_id']}", headers=stranger.headers
        )
    )
    assert all(e["target_load"] is None for e in first["exercises"])
    reasons = [e["load_reason"] for e in first["explanation"]["exercises"] if e["load_rule"] == "none"]
    assert any(reason.startswith("No log of") for reason in reasons)


async def test_a_deload_week_and_an_unloaded_movement(alloy: ServiceClient, athlete: Member) -> None:
    start = monday_of(datetime.now(UTC).date()) - timedelta(weeks=1)
    program = await create(
        alloy, athlete, start_date=start.isoformat(), days_per_week=3, deload_every_n_weeks=2
    )
    deload = program["schedule"][1]
    session = data_of(
        await alloy.get(f"/v1/sessions/{deload['sessions'][0]['session_id']}", headers=athlete.headers)
    )
    main = next(e for e in session["exercises"] if e["block"] == "main" and e["reps_max"] and e["target_rpe"])
    increment = data_of(await alloy.get(f"/v1/movements/{main['movement_id']}", headers=athlete.headers))[
        "plate_increment_kg"
    ]
    # At the top of any range: out of a deload, that would be "up"; in it, the e1RM at the deload's RPE.
    await post_log(
        alloy,
        athlete,
        performed_at=f"{start.isoformat()}T10:00:00Z",
        entries=[
            entry(
                main["movement_id"], {"reps": 20, "load": 100, "rpe": 5}, {"reps": 5, "load": 100, "rpe": 8}
            )
        ],
    )
    again = data_of(
        await alloy.get(f"/v1/sessions/{deload['sessions'][0]['session_id']}", headers=athlete.headers)
    )
    target = next(e for e in again["exercises"] if e["exercise_id"] == main["exercise_id"])
    why = next(e for e in again["explanation"]["exercises"] if e["position"] == main["position"])
    assert why["load_rule"] == "e1rm"
    assert why["load_reason"].startswith("Deload week")
    best = spec_e1rm(Formula.EPLEY, 100, 5, 8, None)  # the 20-rep set has no estimate
    reps = main["reps_max"] + (10 - main["target_rpe"])
    assert target["target_load"] == to_step(best / (1 + reps / 30), increment, ROUND_FLOOR)
    pull_up = (await movement_by_slug(alloy, athlete, "pull_up"))["plate_increment_kg"]
    assert pull_up is None  # bodyweight: such exercises answer rule "none" (checked in the four weeks)
