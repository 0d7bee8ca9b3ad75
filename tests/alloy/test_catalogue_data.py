"""The shipped catalogue as data: it loads, it is broad enough to program from, and broken data is refused."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from alloy.catalogue.coaching import ACCESSORY_PATTERNS
from alloy.catalogue.seed_data import DATA_DIR, Catalogue, MovementSeed, load_catalogue
from alloy.catalogue.vocabulary import CircuitType, Discipline, Equipment, MetricType, Pattern, Tier

PULLS = {Pattern.HORIZONTAL_PULL, Pattern.VERTICAL_PULL}
# What a program needs from any equipment set: a squat, a hinge, a horizontal push, a pull, core work.
NEEDS: dict[str, set[Pattern]] = {
    "squat": {Pattern.SQUAT},
    "hinge": {Pattern.HINGE},
    "horizontal_push": {Pattern.HORIZONTAL_PUSH},
    "pull": PULLS,
    "core": {Pattern.CORE},
}
# The body is always available; the sets are "what else is in the room".
EQUIPMENT_SETS: dict[str, frozenset[Equipment]] = {
    "bodyweight": frozenset({Equipment.BODYWEIGHT}),
    "dumbbells": frozenset({Equipment.BODYWEIGHT, Equipment.DUMBBELL, Equipment.BENCH}),
    "kettlebell": frozenset({Equipment.BODYWEIGHT, Equipment.KETTLEBELL}),
}
IMPLEMENT = {"dumbbells": Equipment.DUMBBELL, "kettlebell": Equipment.KETTLEBELL}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def movements(catalogue: Catalogue) -> dict[str, MovementSeed]:
    return {movement.slug: movement for movement in catalogue.movements}


def test_the_shipped_catalogue_loads(catalogue: Catalogue) -> None:
    assert isinstance(catalogue, Catalogue)
    assert load_catalogue() is catalogue  # cached: one parse per process


def test_the_catalogue_is_broad(catalogue: Catalogue) -> None:
    assert len(catalogue.movements) >= 150
    assert len(catalogue.circuits) >= 20


@pytest.mark.parametrize("pattern", list(Pattern))
def test_every_pattern_has_several_movements(catalogue: Catalogue, pattern: Pattern) -> None:
    members = [movement.slug for movement in catalogue.movements if movement.pattern == pattern]
    assert len(members) >= 2, f"{pattern}: {members}"


def test_every_equipment_type_and_discipline_is_used(catalogue: Catalogue) -> None:
    equipment = {item for movement in catalogue.movements for item in movement.equipment}
    disciplines = {item for movement in catalogue.movements for item in movement.disciplines}
    assert set(Equipment) - equipment == set()
    assert set(Discipline) - disciplines == set()


@pytest.mark.parametrize("equipment_set", list(EQUIPMENT_SETS))
@pytest.mark.parametrize("need", list(NEEDS))
def test_each_equipment_set_covers_a_basic_program(
    movements: dict[str, MovementSeed], equipment_set: str, need: str
) -> None:
    available = EQUIPMENT_SETS[equipment_set]
    usable = [
        movement
        for movement in movements.values()
        if movement.pattern in NEEDS[need] and set(movement.equipment) <= available
    ]
    assert usable, f"nothing for {need} with {sorted(available)}"
    implement = IMPLEMENT.get(equipment_set)
    if implement is not None and need != "core":
        # The implement itself must serve the job, not only the floor next to it.
        assert [movement.slug for movement in usable if implement in movement.equipment], (
            f"no {need} movement uses the {implement}"
        )


def test_bodyweight_means_no_equipment_at_all(catalogue: Catalogue) -> None:
    mixed = [
        movement.slug
        for movement in catalogue.movements
        if Equipment.BODYWEIGHT in movement.equipment and len(movement.equipment) > 1
    ]
    assert mixed == []


def test_substitution_groups_are_few_and_shared(catalogue: Catalogue) -> None:
    sizes = Counter(movement.substitution_group for movement in catalogue.movements)
    assert 25 <= len(sizes) <= 45, sorted(sizes)
    assert [group for group, size in sizes.items() if size < 2] == []


@pytest.mark.parametrize("link", ["progression", "regression"])
def test_following_links_always_terminates(movements: dict[str, MovementSeed], link: str) -> None:
    for start in movements:
        seen = [start]
        current = getattr(movements[start], link)
        while current is not None:
            assert current not in seen, f"{link} cycle: {' -> '.join([*seen, current])}"
            seen.append(current)
            current = getattr(movements[current], link)


def test_links_stay_in_the_pattern_and_lead_back(movements: dict[str, MovementSeed]) -> None:
    problems = []
    for movement in movements.values():
        for link, back in (("progression", "regression"), ("regression", "progression")):
            target_slug = getattr(movement, link)
            if target_slug is None:
                continue
            target = movements[target_slug]
            if target.pattern != movement.pattern:
                problems.append(f"{movement.slug} {link} {target_slug} crosses patterns")
            if getattr(target, back) is None:
                problems.append(f"{target_slug} has no {back} although {movement.slug} leads to it")
    assert problems == []


def test_a_program_family_reads_as_a_ladder(movements: dict[str, MovementSeed]) -> None:
    def chain(start: str) -> list[str]:
        slugs = [start]
        while (following := movements[slugs[-1]].progression) is not None and following not in slugs:
            slugs.append(following)
        return slugs

    assert chain("knee_push_up") == [
        "knee_push_up",
        "push_up",
        "deficit_push_up",
        "archer_push_up",
        "one_arm_push_up",
    ]
    assert chain("band_assisted_pull_up") == ["band_assisted_pull_up", "pull_up", "weighted_pull_up"]
    assert chain("goblet_squat")[:2] == ["goblet_squat", "front_squat"]


def test_carries_are_measured_in_distance(catalogue: Catalogue) -> None:
    carries = [movement for movement in catalogue.movements if movement.pattern == Pattern.CARRY]
    assert {movement.metric_type for movement in carries} == {MetricType.DISTANCE}


def test_circuit_names_are_unique(catalogue: Catalogue) -> None:
    names = Counter(circuit.name.casefold() for circuit in catalogue.circuits)
    assert [name for name, count in names.items() if count > 1] == []


def test_circuits_follow_the_structure_conventions(catalogue: Catalogue) -> None:
    problems = []
    for circuit in catalogue.circuits:
        kind = circuit.circuit_type
        if kind == CircuitType.LADDER:
            schemes = [item.rep_scheme for item in circuit.movements]
            if any(scheme is None or len(scheme) != circuit.rounds for scheme in schemes):
                problems.append(f"{circuit.slug}: a ladder needs one rep_scheme step per round")
        elif kind == CircuitType.AMRAP and circuit.rounds is not None:
            problems.append(f"{circuit.slug}: an amrap has no fixed rounds")
        elif kind == CircuitType.EMOM and circuit.rounds != circuit.duration_minutes:
            problems.append(f"{circuit.slug}: an emom has one round per minute")
        elif kind == CircuitType.TABATA and (
            circuit.rounds != 8
            or circuit.duration_minutes != 4 * len(circuit.movements)
            or {item.seconds for item in circuit.movements} != {20}
        ):
            problems.append(f"{circuit.slug}: a tabata is 8 x 20 s per movement, 4 minutes each")
        elif kind in (CircuitType.CHIPPER, CircuitType.ROUNDS_FOR_TIME) and circuit.rounds is None:
            problems.append(f"{circuit.slug}: rounds missing")
    assert problems == []


def test_benchmarks_keep_their_published_standards(catalogue: Catalogue) -> None:
    circuits = {circuit.slug: circuit for circuit in catalogue.circuits}

    fran = circuits["fran"]
    assert fran.circuit_type == CircuitType.LADDER
    assert [(item.movement, item.rep_scheme) for item in fran.movements] == [
        ("thruster", [21, 15, 9]),
        ("pull_up", [21, 15, 9]),
    ]
    assert fran.movements[0].load is not None
    assert (fran.movements[0].load.male_kg, fran.movements[0].load.female_kg) == (43, 29)

    murph = circuits["murph"]
    assert [(item.movement, item.reps or item.distance_m) for item in murph.movements] == [
        ("run", 1609),
        ("pull_up", 100),
        ("push_up", 200),
        ("air_squat", 300),
        ("run", 1609),
    ]
    assert "vest" in murph.description

    cindy = circuits["cindy"]
    assert (cindy.circuit_type, cindy.duration_minutes) == (CircuitType.AMRAP, 20)
    assert [(item.movement, item.reps) for item in cindy.movements] == [
        ("pull_up", 5),
        ("push_up", 10),
        ("air_squat", 15),
    ]


# --- coaching facts: tier, rep range, plate increment ----------------------------------------------

# The big lifts a program is built on (the spec's list); each is primary.
BIG_LIFTS = {
    "back_squat", "front_squat", "deadlift", "sumo_deadlift", "trap_bar_deadlift", "romanian_deadlift",
    "bench_press", "overhead_press", "barbell_row", "pendlay_row", "pull_up", "chin_up", "hip_thrust",
}  # fmt: skip


def test_the_big_lifts_are_primary_and_only_big_lifts_are(catalogue: Catalogue) -> None:
    primary = {movement.slug for movement in catalogue.movements if movement.tier == Tier.PRIMARY}
    assert primary >= BIG_LIFTS
    for movement in catalogue.movements:
        if movement.tier == Tier.PRIMARY:
            assert movement.pattern not in ACCESSORY_PATTERNS, movement.slug
            assert movement.metric_type == MetricType.REPS, movement.slug


def test_isolation_core_and_conditioning_are_accessories(catalogue: Catalogue) -> None:
    for movement in catalogue.movements:
        if movement.pattern in ACCESSORY_PATTERNS or not movement.compound:
            assert movement.tier == Tier.ACCESSORY or movement.slug == "hip_thrust", movement.slug


def test_every_movement_counted_in_reps_has_a_sensible_range(catalogue: Catalogue) -> None:
    for movement in catalogue.movements:
        if movement.metric_type != MetricType.REPS:
            assert (movement.rep_min, movement.rep_max) == (None, None), movement.slug
            continue
        assert movement.rep_min is not None, movement.slug
        assert movement.rep_max is not None, movement.slug
        assert 1 <= movement.rep_min <= movement.rep_max <= 100, movement.slug
        if movement.pattern in {Pattern.OLYMPIC, Pattern.PLYOMETRIC}:
            assert movement.rep_max <= 6, movement.slug
        if movement.tier == Tier.PRIMARY:
            assert movement.rep_min <= 5, movement.slug  # a big lift can be trained heavy


@pytest.mark.parametrize(
    ("slug", "reps"),
    [
        ("deadlift", (1, 8)),
        ("bench_press", (1, 12)),
        ("nordic_hamstring_curl", (3, 8)),
        ("lateral_raise", (8, 20)),
        ("box_jump", (3, 6)),
    ],
)
def test_the_specs_examples_of_rep_ranges(
    movements: dict[str, MovementSeed], slug: str, reps: tuple[int, int]
) -> None:
    assert (movements[slug].rep_min, movements[slug].rep_max) == reps


@pytest.mark.parametrize(
    ("slug", "increment"),
    [
        ("back_squat", (2.5, 5)),
        ("dumbbell_bench_press", (2, 5)),
        ("leg_press", (5, 10)),
        ("push_up", (None, None)),
        ("pull_up", (None, None)),
    ],
)
def test_plate_increments_follow_the_implement(
    movements: dict[str, MovementSeed], slug: str, increment: tuple[float | None, float | None]
) -> None:
    assert (movements[slug].plate_increment_kg, movements[slug].plate_increment_lb) == increment


def test_loaded_movements_have_an_increment_in_both_units(catalogue: Catalogue) -> None:
    loaded = {Equipment.BARBELL, Equipment.DUMBBELL, Equipment.KETTLEBELL, Equipment.MACHINE, Equipment.CABLE}
    for movement in catalogue.movements:
        if loaded & set(movement.equipment):
            assert movement.plate_increment_kg, movement.slug
            assert movement.plate_increment_lb, movement.slug


# --- broken data is refused, naming the problem -------------------------------------------------


def _unknown_progression(movements: list[dict[str, Any]], circuits: list[dict[str, Any]]) -> str:
    target = next(movement for movement in movements if movement["slug"] == "push_up")
    target["progression"] = "no_such_movement"
    return "push_up links to unknown movement no_such_movement"


def _unknown_circuit_movement(movements: list[dict[str, Any]], circuits: list[dict[str, Any]]) -> str:
    fran = next(circuit for circuit in circuits if circuit["slug"] == "fran")
    fran["movements"][0]["movement"] = "no_such_movement"
    return "circuit fran uses unknown movement no_such_movement"


def _duplicate_slug(movements: list[dict[str, Any]], circuits: list[dict[str, Any]]) -> str:
    original = next(movement for movement in movements if movement["slug"] == "push_up")
    movements.append({**original, "name": "Another Push-Up"})
    return "duplicate movement slug push_up"


def _explosive_over_six(movements: list[dict[str, Any]], circuits: list[dict[str, Any]]) -> str:
    next(movement for movement in movements if movement["slug"] == "box_jump")["rep_max"] = 10
    return "box_jump: explosive (plyometric) movements top out at 6 reps"


def _range_upside_down(movements: list[dict[str, Any]], circuits: list[dict[str, Any]]) -> str:
    next(movement for movement in movements if movement["slug"] == "deadlift")["rep_min"] = 9
    return "deadlift: rep_min is above rep_max"


def _primary_isolation(movements: list[dict[str, Any]], circuits: list[dict[str, Any]]) -> str:
    next(movement for movement in movements if movement["slug"] == "lateral_raise")["tier"] = "primary"
    return "lateral_raise: a isolation movement cannot be primary"


Corruption = Callable[[list[dict[str, Any]], list[dict[str, Any]]], str]


def _copy_data(tmp_path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    shutil.copy(DATA_DIR / "movements.json", tmp_path / "movements.json")
    shutil.copy(DATA_DIR / "circuits.json", tmp_path / "circuits.json")
    return (
        json.loads((tmp_path / "movements.json").read_text()),
        json.loads((tmp_path / "circuits.json").read_text()),
    )


def test_an_untouched_copy_loads(tmp_path: Path) -> None:
    _copy_data(tmp_path)
    copy = load_catalogue.__wrapped__(tmp_path)
    assert len(copy.movements) == len(load_catalogue().movements)


@pytest.mark.parametrize(
    "corrupt",
    [
        _unknown_progression,
        _unknown_circuit_movement,
        _duplicate_slug,
        _explosive_over_six,
        _range_upside_down,
        _primary_isolation,
    ],
    ids=[
        "unknown_progression",
        "unknown_circuit_movement",
        "duplicate_slug",
        "explosive_over_six",
        "range_upside_down",
        "primary_isolation",
    ],
)
def test_a_broken_catalogue_is_refused(tmp_path: Path, corrupt: Corruption) -> None:
    movements, circuits = _copy_data(tmp_path)
    expected = corrupt(movements, circuits)
    (tmp_path / "movements.json").write_text(json.dumps(movements))
    (tmp_path / "circuits.json").write_text(json.dumps(circuits))

    with pytest.raises(ValidationError, match=re.escape(expected)) as refused:
        load_catalogue.__wrapped__(tmp_path)
    assert refused.value.error_count() == 1
