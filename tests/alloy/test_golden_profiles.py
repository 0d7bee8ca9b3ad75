"""Golden profiles: six lifters a coach would recognise, and what a coach would check in their plans.

Each test reads as the coach's checklist for that lifter. They run the generator over the shipped
catalogue (no database): what they check is the coaching, the hard rules are tested elsewhere.
"""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from alloy.generator import build_plan
from alloy.generator.model import Goal, MovementFacts, Plan, SessionPlan, SplitTemplate
from tests.alloy.plans import SCORING, shipped_snapshot, spec

SNAPSHOT = shipped_snapshot()
MOVEMENTS = SNAPSHOT.by_id()
FULL_GYM = frozenset(
    {"barbell", "dumbbell", "bench", "squat_rack", "pull_up_bar", "cable", "machine", "kettlebell", "ez_bar"}
)
SQUATS = {"back_squat", "front_squat"}
DEADLIFTS = {"deadlift", "sumo_deadlift", "trap_bar_deadlift", "romanian_deadlift", "deficit_deadlift"}
BIG_SIX = ("squat", "hinge", "horizontal_push", "vertical_push", "horizontal_pull", "vertical_pull")


def movements_in(session: SessionPlan, *blocks: str) -> list[MovementFacts]:
    return [
        MOVEMENTS[e.movement_id]
        for e in session.exercises
        if e.movement_id is not None and e.block.value in blocks
    ]


def primary_exists(pattern: str, equipment: frozenset[str]) -> bool:
    available = equipment | {"bodyweight"}
    return any(
        m.tier == "primary" and m.pattern == pattern and m.equipment <= available for m in SNAPSHOT.movements
    )


def loading_weeks(plan: Plan) -> list[list[SessionPlan]]:
    return [list(week.sessions) for week in plan.weeks if not week.is_deload]


def assert_every_exercise_in_its_range(plan: Plan) -> None:
    for session in plan.sessions:
        for e in session.exercises:
            if e.movement_id is None or e.reps_min is None:
                continue
            m = MOVEMENTS[e.movement_id]
            assert m.rep_min is not None
            assert m.rep_max is not None
            assert m.rep_min <= e.reps_min <= e.reps_max <= m.rep_max, (m.slug, e.reps_min, e.reps_max)  # type: ignore[operator]


def assert_no_main_lift_twice_a_week(plan: Plan) -> None:
    for week in loading_weeks(plan):
        lifts = [m.slug for session in week for m in movements_in(session, "main")]
        assert len(lifts) == len(set(lifts)), f"a main lift twice in a week: {lifts}"


def assert_the_big_six_each_week(plan: Plan) -> None:
    for week in loading_weeks(plan):
        patterns = {m.pattern for session in week for m in movements_in(session, "main", "accessory")}
        missing = set(BIG_SIX) - patterns
        assert not missing, f"the week misses {missing}"


def test_strength_four_days_in_a_full_gym() -> None:
    """Strength 6 / fat loss 4, four days, a full gym: the lifter of the issue."""
    program = spec(goals={Goal.STRENGTH: 6, Goal.FAT_LOSS: 4}, days_per_week=4, equipment=FULL_GYM)
    plan = build_plan(program, SNAPSHOT, SCORING)
    assert plan.split_template is SplitTemplate.UPPER_LOWER
    for week in loading_weeks(plan):
        main = [m.slug for session in week for m in movements_in(session, "main")]
        # Every week is built on the big lifts: a squat, the bench, a deadlift, the press.
        assert SQUATS & set(main), main
        assert "bench_press" in main, main
        assert DEADLIFTS & set(main), main
        assert "overhead_press" in main, main
        for session in week:
            for e in session.exercises:
                if e.block.value == "main":
                    movement = MOVEMENTS[e.movement_id]  # type: ignore[index]
                    if primary_exists(movement.pattern, FULL_GYM):  # a big lift leads when there is one
                        assert movement.tier == "primary", movement.slug
                    assert e.reps_max is not None
                    assert e.reps_max <= 6, (movement.slug, e.reps_max)  # heavy: 1-6 reps
                    assert e.rest_seconds >= 150
            # The big lifts are not burned as high-rep accessories.
            assert not [m.slug for m in movements_in(session, "accessory") if m.slug in SQUATS | {"deadlift"}]
    assert_the_big_six_each_week(plan)
    assert_no_main_lift_twice_a_week(plan)
    assert_every_exercise_in_its_range(plan)


def test_hypertrophy_six_days_push_pull_legs() -> None:
    program = spec(
        goals={Goal.HYPERTROPHY: 8, Goal.STRENGTH: 2},
        days_per_week=6,
        equipment=FULL_GYM,
        max_session_minutes=75,
    )
    plan = build_plan(program, SNAPSHOT, SCORING)
    assert plan.split_template is SplitTemplate.PPL
    for week in loading_weeks(plan):
        trained: Counter[str] = Counter()
        for session in week:
            for e in session.exercises:
                if e.block.value in ("main", "accessory") and e.reps_min is not None:
                    assert e.reps_max is not None
                    movement = MOVEMENTS[e.movement_id]  # type: ignore[index]
                    trained[movement.primary_muscle] += 1
                    if e.block.value == "main":
                        if primary_exists(movement.pattern, FULL_GYM):
                            assert movement.tier == "primary", movement.slug
                        assert 6 <= e.reps_min <= e.reps_max <= 12, (movement.slug, e.reps_min, e.reps_max)
        # Every major muscle twice a week or more: the point of a six-day split.
        for muscle in ("chest", "quadriceps", "hamstrings", "lats", "upper_back"):
            assert trained[muscle] + trained["glutes" if muscle == "hamstrings" else muscle] >= 2, (
                muscle,
                trained,
            )
    assert_the_big_six_each_week(plan)
    assert_every_exercise_in_its_range(plan)


def test_fat_loss_three_days_with_dumbbells_only() -> None:
    program = spec(
        goals={Goal.FAT_LOSS: 7, Goal.STRENGTH: 3},
        days_per_week=3,
        equipment=frozenset({"dumbbell"}),
        max_session_minutes=45,
    )
    plan = build_plan(program, SNAPSHOT, SCORING)
    for session in plan.sessions:
        for m in movements_in(session, "warmup", "main", "accessory", "finisher", "cooldown"):
            assert m.equipment <= {"dumbbell", "bodyweight"}, m.slug
    for week in loading_weeks(plan):
        for session in week:
            # Fills the 45 minutes without running over.
            assert 40 <= session.estimated_minutes <= 45, session.estimated_minutes
            for e in session.exercises:
                if e.block.value == "accessory" and e.reps_min is not None:
                    movement = MOVEMENTS[e.movement_id]  # type: ignore[index]
                    assert movement.rep_max is not None
                    if movement.rep_max >= 12:  # high reps wherever the movement allows them
                        assert 12 <= e.reps_min <= e.reps_max <= 20, (movement.slug, e.reps_min, e.reps_max)  # type: ignore[operator]
        # Fat loss gets conditioning work: a finisher or a conditioning day.
        assert any(
            e.block.value == "finisher" or MOVEMENTS[e.movement_id].pattern in ("conditioning", "cardio")  # type: ignore[index]
            for session in week
            for e in session.exercises
            if e.block.value in ("main", "finisher")
        )
    assert_every_exercise_in_its_range(plan)


def test_bodyweight_only_three_days() -> None:
    program = spec(
        goals={Goal.STRENGTH: 5, Goal.HYPERTROPHY: 5},
        days_per_week=3,
        equipment=frozenset(),
        max_session_minutes=45,
    )
    plan = build_plan(program, SNAPSHOT, SCORING)
    assert plan.split_template is SplitTemplate.FULL_BODY
    by_pattern: dict[str, set[str]] = {}
    for m in SNAPSHOT.movements:
        if m.equipment <= {"bodyweight"} and m.tier != "accessory":
            by_pattern.setdefault(m.pattern, set()).add(m.slug)
    for week in loading_weeks(plan):
        patterns = set()
        for session in week:
            assert all(m.equipment == {"bodyweight"} for m in movements_in(session, "main", "accessory"))
            for m in movements_in(session, "main"):
                patterns.add(m.pattern)
                # A real exercise leads the day: not a regression while a full movement exists.
                if by_pattern.get(m.pattern):
                    assert m.tier == "secondary", m.slug
        # Squat, hinge, push and pull every week, with nothing but the floor.
        week_patterns = {m.pattern for session in week for m in movements_in(session, "main", "accessory")}
        assert {"squat", "hinge", "horizontal_push"} <= week_patterns
        assert week_patterns & {"horizontal_pull", "vertical_pull"}
    assert_every_exercise_in_its_range(plan)


def test_hybrid_strength_and_conditioning_four_days() -> None:
    program = spec(
        goals={Goal.STRENGTH: 5, Goal.ENDURANCE: 5}, days_per_week=4, equipment=FULL_GYM | {"rower"}
    )
    plan = build_plan(program, SNAPSHOT, SCORING)
    assert plan.split_template is SplitTemplate.HYBRID
    for week in loading_weeks(plan):
        conditioning = [s for s in week if s.focus == "conditioning"]
        strength = [s for s in week if s.focus != "conditioning"]
        assert conditioning, "no conditioning day"
        assert len(strength) >= 2
        for session in strength:
            for e in session.exercises:
                if e.block.value == "main":
                    movement = MOVEMENTS[e.movement_id]  # type: ignore[index]
                    if primary_exists(movement.pattern, program.equipment):
                        assert movement.tier == "primary", movement.slug
                    assert e.reps_max is not None
                    assert e.reps_max <= 6
        for session in conditioning:
            assert {m.pattern for m in movements_in(session, "main")} <= {"conditioning", "cardio"}
        lifts = [m.slug for session in strength for m in movements_in(session, "main")]
        assert len(lifts) == len(set(lifts)), f"a main lift twice in a week: {lifts}"
    assert_every_exercise_in_its_range(plan)


@pytest.mark.parametrize("seed", [7, 1234])
def test_powerlifting_four_days(seed: int) -> None:
    program = spec(
        seed=seed,
        goals={Goal.STRENGTH: 10},
        days_per_week=4,
        equipment=FULL_GYM,
        disciplines={"powerlifting": 10},
        max_session_minutes=90,
    )
    plan = build_plan(program, SNAPSHOT, SCORING)
    first_week: set[uuid.UUID] = set()
    for number, week in enumerate(loading_weeks(plan)):
        main = {e.movement_id for session in week for e in session.exercises if e.block.value == "main"}
        slugs = {MOVEMENTS[m].slug for m in main if m is not None}
        # The three competition lifts every week, and they stay put so they can progress.
        assert {"back_squat", "bench_press", "deadlift"} <= slugs, slugs
        if number == 0:
            first_week = {m for m in main if m is not None}
        assert main == first_week
        for session in week:
            for e in session.exercises:
                if e.block.value == "main":
                    assert e.reps_max is not None
                    assert e.reps_max <= 6
                    assert e.target_rpe is not None
                    assert e.target_rpe >= 8
    assert_no_main_lift_twice_a_week(plan)
    assert_every_exercise_in_its_range(plan)
