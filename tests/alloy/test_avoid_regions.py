"""Avoided regions in the generator: no chosen movement loads one, and what it could not fill shows."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alloy.catalogue.regions import MUSCLE_REGIONS, PATTERN_REGIONS, regions_loaded
from alloy.catalogue.seed_data import load_catalogue
from alloy.catalogue.vocabulary import BodyRegion, Muscle, Pattern
from alloy.generator import build_plan
from alloy.generator.model import Goal, NoEligibleMovement, Plan
from tests.alloy.plans import SCORING, shipped_snapshot, spec

SNAPSHOT = shipped_snapshot()
MOVEMENTS = SNAPSHOT.by_id()
CIRCUITS = {circuit.id: circuit for circuit in SNAPSHOT.circuits}


def movements_of(plan: Plan) -> set[str]:
    slugs = set()
    for session in plan.sessions:
        for exercise in session.exercises:
            if exercise.movement_id is not None:
                slugs.add(MOVEMENTS[exercise.movement_id].slug)
            if exercise.circuit_id is not None:
                slugs |= {MOVEMENTS[m].slug for m in CIRCUITS[exercise.circuit_id].movement_ids}
    return slugs


def by_slug(slug: str) -> object:
    return next(m for m in SNAPSHOT.movements if m.slug == slug)


def test_every_muscle_and_loaded_pattern_maps_to_known_regions() -> None:
    assert set(MUSCLE_REGIONS) == {str(m) for m in Muscle}
    assert set(PATTERN_REGIONS) <= {str(p) for p in Pattern}
    known = set(BodyRegion)
    assert all(regions <= known for regions in [*MUSCLE_REGIONS.values(), *PATTERN_REGIONS.values()])
    # Every shipped movement loads something, so every region rules something out.
    assert all(regions_loaded(m) for m in load_catalogue().movements)


@pytest.mark.parametrize(
    ("slug", "loads", "spares"),
    [
        ("back_squat", {"knees", "hips", "lower_back"}, {"shoulders", "elbows"}),
        ("bench_press", {"chest", "shoulders", "elbows"}, {"knees", "lower_back"}),
        ("deadlift", {"lower_back", "hips"}, {"shoulders", "chest"}),
        ("pull_up", {"shoulders", "elbows", "upper_back"}, {"knees"}),
    ],
)
def test_regions_a_lift_loads(slug: str, loads: set[str], spares: set[str]) -> None:
    regions = regions_loaded(by_slug(slug))  # type: ignore[arg-type]
    assert loads <= regions
    assert not spares & regions


def test_a_knee_friendly_program_has_no_knee_loading_movement_and_says_what_it_relaxed() -> None:
    plain = build_plan(spec(), SNAPSHOT, SCORING)
    kind = build_plan(spec(avoid_regions=frozenset({"knees"})), SNAPSHOT, SCORING)
    assert "back_squat" in movements_of(plain)
    chosen = movements_of(kind)
    assert chosen
    assert not [slug for slug in chosen if "knees" in regions_loaded(by_slug(slug))]  # type: ignore[arg-type]
    # Lower days lose their squat pattern: the slots relax, and the sessions record it.
    assert any(session.relaxations for session in kind.sessions)
    assert sum(len(s.relaxations) for s in kind.sessions) > sum(len(s.relaxations) for s in plain.sessions)


def test_avoiding_every_region_leaves_no_movement_and_says_so() -> None:
    with pytest.raises(NoEligibleMovement):
        build_plan(spec(avoid_regions=frozenset(BodyRegion)), SNAPSHOT, SCORING)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    regions=st.frozensets(st.sampled_from([str(r) for r in BodyRegion]), max_size=3),
    days=st.integers(2, 6),
    goal=st.sampled_from([Goal.STRENGTH, Goal.HYPERTROPHY, Goal.FAT_LOSS, Goal.ENDURANCE]),
)
def test_no_plan_loads_an_avoided_region(regions: frozenset[str], days: int, goal: Goal) -> None:
    program = spec(avoid_regions=regions, days_per_week=days, goals={goal: 10}, duration_weeks=8)
    try:
        plan = build_plan(program, SNAPSHOT, SCORING)
    except NoEligibleMovement:
        return  # the API answers 409 BR_NO_ELIGIBLE_MOVEMENTS
    for slug in movements_of(plan):
        assert not regions_loaded(by_slug(slug)) & regions, slug  # type: ignore[arg-type]
    assert all(session.exercises for session in plan.sessions)
