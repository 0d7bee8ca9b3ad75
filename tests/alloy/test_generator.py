"""The generator's hard rules, for random valid programs over the shipped catalogue."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alloy.catalogue.vocabulary import Equipment
from alloy.generator import CatalogueSnapshot, ProgramSpec, build_plan
from alloy.generator.model import Goal, ProgressionStyle, SessionPlan, SplitTemplate
from alloy.generator.scoring import Scorer
from alloy.generator.structure import FOCI, default_split
from tests.alloy.plans import SCORING, shipped_snapshot, slug_id, spec

SNAPSHOT = shipped_snapshot()
MOVEMENTS = SNAPSHOT.by_id()
CIRCUITS = {circuit.id: circuit for circuit in SNAPSHOT.circuits}


@st.composite
def goal_weights(draw: st.DrawFn) -> dict[Goal, int]:
    goals = draw(st.lists(st.sampled_from(list(Goal)), min_size=1, max_size=3, unique=True))
    cuts = sorted(
        draw(st.lists(st.integers(1, 9), min_size=len(goals) - 1, max_size=len(goals) - 1, unique=True))
    )
    bounds = [0, *cuts, 10]
    return {goal: bounds[i + 1] - bounds[i] for i, goal in enumerate(goals)}


@st.composite
def programs(draw: st.DrawFn) -> ProgramSpec:
    days = draw(st.integers(2, 7))
    goals = draw(goal_weights())
    equipment = frozenset(
        draw(st.lists(st.sampled_from([str(e) for e in Equipment]), max_size=12, unique=True))
    )
    movement_ids = sorted(MOVEMENTS)
    hard_no = frozenset(draw(st.lists(st.sampled_from(movement_ids), max_size=12, unique=True)))
    reachable = [
        m for m in movement_ids if m not in hard_no and MOVEMENTS[m].equipment <= equipment | {"bodyweight"}
    ]
    hard_yes = frozenset(draw(st.lists(st.sampled_from(reachable), max_size=min(4, 2 * days), unique=True)))
    return ProgramSpec(
        seed=draw(st.integers(0, 2**48)),
        goals=goals,
        duration_weeks=draw(st.integers(8, 12)),
        start_date=date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 365))),
        split_template=draw(st.sampled_from(list(SplitTemplate)) | st.just(default_split(days, goals))),
        days_per_week=days,
        max_session_minutes=draw(st.integers(15, 180)),
        equipment=equipment,
        disciplines=draw(
            st.dictionaries(
                st.sampled_from(["powerlifting", "crossfit", "yoga", "running"]), st.integers(0, 10)
            )
        ),
        hard_no=hard_no,
        hard_yes=hard_yes,
        preferred=frozenset(draw(st.lists(st.sampled_from(reachable), max_size=4, unique=True))),
        deload_every_n_weeks=draw(st.integers(2, 8)),
        progression_style=draw(st.sampled_from(list(ProgressionStyle))),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs())
def test_every_hard_rule_holds(program: ProgramSpec) -> None:
    plan = build_plan(program, SNAPSHOT, SCORING)
    available = program.equipment | {"bodyweight"}
    assert len(plan.weeks) == program.duration_weeks
    dates = [session.scheduled_date for session in plan.sessions]
    assert len(set(dates)) == len(dates), "a duplicated day"
    previous_main = None
    for week in plan.weeks:
        assert len(week.sessions) == program.days_per_week
        assert week.is_deload == (week.number % program.deload_every_n_weeks == 0)
        per_week: Counter[uuid.UUID] = Counter()
        for session in week.sessions:
            movements = [e.movement_id for e in session.exercises if e.movement_id is not None]
            for exercise in session.exercises:  # a circuit's movements are used like any other
                if exercise.circuit_id is not None:
                    movements.extend(dict.fromkeys(CIRCUITS[exercise.circuit_id].movement_ids))
            assert session.exercises, "an empty day"
            assert len(movements) == len(set(movements)), "a movement twice in one session"
            assert len(set(movements)) >= 4
            for movement_id in movements:
                assert MOVEMENTS[movement_id].equipment <= available
                assert movement_id not in program.hard_no
            for exercise in session.exercises:
                if exercise.circuit_id is not None:
                    circuit = CIRCUITS[exercise.circuit_id]
                    assert all(MOVEMENTS[m].equipment <= available for m in circuit.movement_ids)
                    assert not set(circuit.movement_ids) & program.hard_no
            assert session.main_pattern != previous_main, "the same main pattern on consecutive days"
            previous_main = session.main_pattern
            assert session.estimated_minutes <= program.max_session_minutes
            assert sum(e.estimated_seconds for e in session.exercises) <= program.max_session_minutes * 60
            # The session's estimate is its exercises' estimates added up (rounded up to a minute).
            assert session.estimated_minutes == -(-sum(e.estimated_seconds for e in session.exercises) // 60)
            per_week.update(movements)
        assert max(per_week.values()) <= 3
        assert program.hard_yes <= set(per_week), "a hard_yes movement missing from the week"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs())
def test_no_exercise_leaves_its_movements_rep_range(program: ProgramSpec) -> None:
    """Whatever the goals and the progression: the movement's own range, explosive work at six
    reps or fewer, and the goal's band where the movement allows it."""
    plan = build_plan(program, SNAPSHOT, SCORING)
    strength_led = program.primary_goal is Goal.STRENGTH
    for session in plan.sessions:
        for exercise in session.exercises:
            if exercise.reps_min is None or exercise.movement_id is None:
                continue
            movement = MOVEMENTS[exercise.movement_id]
            assert exercise.reps_max is not None
            assert movement.rep_min is not None
            assert movement.rep_max is not None
            assert movement.rep_min <= exercise.reps_min <= exercise.reps_max <= movement.rep_max, (
                movement.slug
            )
            if movement.pattern in {"plyometric", "olympic"}:
                assert exercise.reps_max <= 6, movement.slug
            if strength_led and exercise.block == "main" and movement.rep_min <= 6:
                assert exercise.reps_max <= 6, movement.slug


@settings(max_examples=25, deadline=None)
@given(program=programs())
def test_the_same_inputs_give_the_same_plan(program: ProgramSpec) -> None:
    assert build_plan(program, SNAPSHOT, SCORING) == build_plan(program, SNAPSHOT, SCORING)


def test_goals_change_the_plan() -> None:
    strength = build_plan(spec(goals={Goal.STRENGTH: 10}), SNAPSHOT, SCORING)
    fat_loss = build_plan(spec(goals={Goal.FAT_LOSS: 10}), SNAPSHOT, SCORING)
    endurance = build_plan(
        spec(goals={Goal.ENDURANCE: 8, Goal.STRENGTH: 2}, days_per_week=3), SNAPSHOT, SCORING
    )

    def main(plan_sessions: list, field: str) -> list:  # type: ignore[type-arg]
        return [getattr(e, field) for s in plan_sessions for e in s.exercises if e.block.value == "main"]

    assert max(main(strength.sessions, "reps_max")) < min(r for r in main(fat_loss.sessions, "reps_max") if r)
    assert min(main(strength.sessions, "rest_seconds")) > max(main(fat_loss.sessions, "rest_seconds"))
    assert not any(e.block.value == "finisher" for s in strength.sessions for e in s.exercises)
    assert any(e.block.value == "finisher" for s in fat_loss.weeks[0].sessions for e in s.exercises)
    assert endurance.split_template is SplitTemplate.HYBRID
    assert any(s.focus == "conditioning" for s in endurance.weeks[0].sessions)


def test_the_order_the_catalogue_is_read_in_does_not_change_the_plan() -> None:
    program = spec(goals={Goal.FAT_LOSS: 6, Goal.STRENGTH: 4}, days_per_week=5)
    shuffled = CatalogueSnapshot(
        movements=tuple(random.Random(3).sample(SNAPSHOT.movements, len(SNAPSHOT.movements))),
        circuits=tuple(reversed(SNAPSHOT.circuits)),
    )
    assert build_plan(program, shuffled, SCORING) == build_plan(program, SNAPSHOT, SCORING)


@pytest.mark.parametrize("minutes", [30, 45, 60, 90])
def test_a_deload_week_never_holds_more_work_than_the_week_before(minutes: int) -> None:
    plan = build_plan(spec(max_session_minutes=minutes), SNAPSHOT, SCORING)
    for week in plan.weeks:
        if week.is_deload:
            before = plan.weeks[week.number - 2]
            assert sum(e.sets for s in week.sessions for e in s.exercises) < sum(
                e.sets for s in before.sessions for e in s.exercises
            )


def test_deload_weeks_cut_volume_and_cap_effort() -> None:
    plan = build_plan(spec(), SNAPSHOT, SCORING)
    normal, deload = plan.weeks[2].sessions[0], plan.weeks[3].sessions[0]
    assert plan.weeks[3].is_deload
    assert not plan.weeks[2].is_deload
    sets = {e.movement_id: e.sets for e in normal.exercises if e.block.value == "main"}
    for exercise in deload.exercises:
        if exercise.block.value == "main":
            assert exercise.target_rpe is not None
            assert exercise.target_rpe <= 6
            assert exercise.sets < sets[exercise.movement_id]


def test_relaxation_is_recorded_when_the_equipment_forces_it() -> None:
    """Bodyweight only, pull days: the catalogue has one bodyweight horizontal pull."""
    plan = build_plan(spec(equipment=frozenset(), days_per_week=6), SNAPSHOT, SCORING)
    assert any(session.relaxations for session in plan.sessions)
    for session in plan.sessions:
        for exercise in session.exercises:
            if exercise.movement_id is not None:
                assert MOVEMENTS[exercise.movement_id].equipment <= {"bodyweight"}


def test_hard_yes_lands_in_a_fitting_slot() -> None:
    curl = slug_id("barbell_curl")
    plan = build_plan(spec(hard_yes=frozenset({curl})), SNAPSHOT, SCORING)
    for week in plan.weeks:
        placed = [e for s in week.sessions for e in s.exercises if e.movement_id == curl]
        assert placed
        assert "hard_yes" in placed[0].reason


def main_lifts(session: SessionPlan) -> list[uuid.UUID]:
    return [e.movement_id for e in session.exercises if e.block == "main" and e.movement_id is not None]


def test_main_lifts_hold_through_the_program_and_accessories_rotate_by_block() -> None:
    plan = build_plan(spec(duration_weeks=12, deload_every_n_weeks=4), SNAPSHOT, SCORING)
    by_day = {day: [main_lifts(week.sessions[day]) for week in plan.weeks] for day in range(4)}
    for lifts in by_day.values():
        assert all(week == lifts[0] for week in lifts), "a main lift changed within the program"

    def accessories(week: int) -> list[set[uuid.UUID | None]]:
        return [
            {e.movement_id for e in s.exercises if e.block == "accessory"} for s in plan.weeks[week].sessions
        ]

    assert accessories(0) == accessories(1) == accessories(2)  # one block: the same work to progress
    assert accessories(4) != accessories(0)  # the next block: some accessories rotate


def test_no_main_lift_on_both_lower_or_both_upper_days() -> None:
    plan = build_plan(spec(goals={Goal.STRENGTH: 6, Goal.FAT_LOSS: 4}), SNAPSHOT, SCORING)
    week = plan.weeks[0]
    lifts = [lift for session in week.sessions for lift in main_lifts(session)]
    assert len(lifts) == len(set(lifts))


def test_specialization_rewards_the_programs_discipline_not_few_tags() -> None:
    """Deadlift is tagged with four disciplines, the Nordic curl with one (general): in a
    powerlifting-led program the deadlift is the specialised one."""
    scorer = Scorer(spec(disciplines={"powerlifting": 8, "general": 2}), SCORING.weights)
    slot = FOCI["lower_a"].main[1]

    def specialization(slug: str) -> float:
        return scorer.dimensions(slot, MOVEMENTS[slug_id(slug)], frozenset())["specialization"]

    assert specialization("deadlift") == 1.0
    assert specialization("nordic_hamstring_curl") == 0.25
    assert specialization("renegade_row") == 0.25


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs())
def test_every_reason_names_the_slot_the_tier_and_what_decided(program: ProgramSpec) -> None:
    plan = build_plan(program, SNAPSHOT, SCORING)
    for session in plan.sessions:
        for exercise in session.exercises:
            if exercise.dimensions is None or exercise.movement_id is None:
                continue
            movement = MOVEMENTS[exercise.movement_id]
            assert exercise.reason.startswith(f"{exercise.block.value}: "), exercise.reason
            assert f" {movement.tier} " in exercise.reason, exercise.reason
            decided = exercise.reason.split("; decided by ")[1].split(", ")
            assert decided, exercise.reason
            assert set(decided) <= set(exercise.dimensions)
