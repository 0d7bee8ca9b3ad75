"""Structure: which days train, what each day is for, and the slots a day fills.

A split template is a cycle of day foci that runs on across weeks (so an upper/lower split on three
days a week alternates properly). Consecutive foci in every cycle, wrap-around included, lead with
different main patterns, so the "same main pattern not on consecutive training days" rule holds by
construction; the builder still checks it, because relaxation can change a slot's pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from alloy.generator.model import Block, Goal, ProgramSpec, SplitTemplate

# Training days spread through the week, as offsets from the program's start date.
DAY_OFFSETS = {
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 4, 5),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}

# "Wider pattern compatibility" (the first relaxation step): what may stand in for a pattern.
WIDER_PATTERNS: dict[str, tuple[str, ...]] = {
    "squat": ("lunge", "plyometric"),
    "lunge": ("squat",),
    "hinge": ("olympic", "squat"),
    "horizontal_push": ("vertical_push",),
    "vertical_push": ("horizontal_push",),
    "horizontal_pull": ("vertical_pull",),
    "vertical_pull": ("horizontal_pull",),
    "carry": ("core", "conditioning"),
    "core": ("rotation", "carry"),
    "rotation": ("core",),
    "plyometric": ("olympic", "conditioning"),
    "olympic": ("plyometric", "hinge"),
    "isolation": (),
    "conditioning": ("cardio", "plyometric"),
    "cardio": ("conditioning",),
    "mobility": (),
}

# Muscles that work alongside a target (the second relaxation step).
SYNERGISTS: dict[str, tuple[str, ...]] = {
    "quadriceps": ("glutes", "adductors"),
    "hamstrings": ("glutes", "lower_back"),
    "glutes": ("hamstrings", "quadriceps"),
    "chest": ("triceps", "front_delts"),
    "front_delts": ("triceps", "side_delts", "chest"),
    "side_delts": ("front_delts", "traps"),
    "rear_delts": ("upper_back", "traps"),
    "lats": ("biceps", "upper_back", "rear_delts"),
    "upper_back": ("rear_delts", "lats", "traps"),
    "biceps": ("forearms", "lats"),
    "triceps": ("chest", "front_delts"),
    "abs": ("obliques", "hip_flexors"),
    "obliques": ("abs",),
    "calves": ("quadriceps",),
    "cardiovascular": ("quadriceps", "glutes"),
}


@dataclass(frozen=True, slots=True)
class Slot:
    block: Block
    patterns: tuple[str, ...]
    muscles: tuple[str, ...]

    @property
    def wider_patterns(self) -> tuple[str, ...]:
        return _wider_patterns(self.patterns)

    @property
    def synergists(self) -> tuple[str, ...]:
        return _synergists(self.muscles)


# Asked for every candidate a slot scores: worked out once per set of patterns or muscles.
@cache
def _wider_patterns(patterns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for pattern in patterns for p in WIDER_PATTERNS.get(pattern, ())))


@cache
def _synergists(muscles: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m for muscle in muscles for m in SYNERGISTS.get(muscle, ())))


def _main(pattern: str, *muscles: str) -> Slot:
    return Slot(Block.MAIN, (pattern,), muscles)


def _accessory(patterns: str | tuple[str, ...], *muscles: str) -> Slot:
    return Slot(Block.ACCESSORY, (patterns,) if isinstance(patterns, str) else patterns, muscles)


@dataclass(frozen=True, slots=True)
class Focus:
    name: str
    main: tuple[Slot, ...]
    accessories: tuple[Slot, ...]  # in priority order: the time budget keeps the first ones
    extras: tuple[Slot, ...]  # added when the time budget has room
    conditioning: bool = False

    @property
    def main_pattern(self) -> str:
        return self.main[0].patterns[0]

    @property
    def muscles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m for slot in self.main + self.accessories for m in slot.muscles))


CORE = _accessory(("core", "rotation"), "abs", "obliques")
CARRY = _accessory(("carry", "core"), "forearms", "traps", "abs")

FOCI = {
    focus.name: focus
    for focus in (
        Focus(
            "full_body_a",
            (_main("squat", "quadriceps", "glutes"), _main("horizontal_push", "chest", "triceps")),
            (_accessory("horizontal_pull", "upper_back", "lats"), _accessory("hinge", "hamstrings"), CORE),
            (_accessory("isolation", "side_delts", "biceps"), CARRY),
        ),
        Focus(
            "full_body_b",
            (_main("hinge", "hamstrings", "glutes"), _main("vertical_pull", "lats", "biceps")),
            (_accessory("vertical_push", "front_delts", "triceps"), _accessory("lunge", "quadriceps"), CARRY),
            (_accessory("isolation", "rear_delts", "triceps"), CORE),
        ),
        Focus(
            "full_body_c",
            (_main("vertical_push", "front_delts", "triceps"), _main("lunge", "quadriceps", "glutes")),
            (_accessory("horizontal_pull", "upper_back"), _accessory("hinge", "hamstrings"), CORE),
            (_accessory("isolation", "biceps", "calves"), CARRY),
        ),
        Focus(
            "upper_a",
            (_main("horizontal_push", "chest", "triceps"), _main("horizontal_pull", "upper_back", "lats")),
            (
                _accessory("vertical_push", "front_delts", "side_delts"),
                _accessory("vertical_pull", "lats", "biceps"),
                _accessory("isolation", "biceps", "triceps"),
            ),
            (_accessory("isolation", "rear_delts", "side_delts"), CORE),
        ),
        Focus(
            "upper_b",
            (_main("vertical_push", "front_delts", "triceps"), _main("vertical_pull", "lats", "biceps")),
            (
                _accessory("horizontal_push", "chest"),
                _accessory("horizontal_pull", "upper_back", "rear_delts"),
                _accessory("isolation", "side_delts", "rear_delts"),
            ),
            (_accessory("isolation", "biceps", "triceps"), CARRY),
        ),
        Focus(
            "lower_a",
            (_main("squat", "quadriceps", "glutes"), _main("hinge", "hamstrings", "glutes")),
            (
                _accessory("lunge", "quadriceps", "glutes"),
                _accessory("isolation", "hamstrings", "calves"),
                CORE,
            ),
            (_accessory("isolation", "calves", "adductors"), CARRY),
        ),
        Focus(
            "lower_b",
            (_main("hinge", "hamstrings", "glutes"), _main("lunge", "quadriceps", "glutes")),
            (_accessory("squat", "quadriceps"), _accessory("isolation", "quadriceps", "glutes"), CARRY),
            (_accessory("isolation", "calves", "hamstrings"), CORE),
        ),
        Focus(
            "push_a",
            (
                _main("horizontal_push", "chest", "triceps"),
                _main("vertical_push", "front_delts", "side_delts"),
            ),
            (
                _accessory("horizontal_push", "chest"),
                _accessory("isolation", "triceps"),
                _accessory("isolation", "side_delts"),
            ),
            (_accessory("isolation", "chest", "triceps"), CORE),
        ),
        Focus(
            "pull_a",
            (_main("vertical_pull", "lats", "biceps"), _main("horizontal_pull", "upper_back", "rear_delts")),
            (
                _accessory("hinge", "hamstrings", "lower_back"),
                _accessory("isolation", "biceps"),
                _accessory("isolation", "rear_delts", "traps"),
            ),
            (_accessory("horizontal_pull", "upper_back"), CARRY),
        ),
        Focus(
            "legs_a",
            (_main("squat", "quadriceps", "glutes"), _main("hinge", "hamstrings", "glutes")),
            (_accessory("lunge", "quadriceps", "glutes"), _accessory("isolation", "calves"), CORE),
            (_accessory("isolation", "hamstrings", "adductors"), CARRY),
        ),
        Focus(
            "push_b",
            (_main("vertical_push", "front_delts", "triceps"), _main("horizontal_push", "chest", "triceps")),
            (
                _accessory("vertical_push", "side_delts"),
                _accessory("isolation", "chest"),
                _accessory("isolation", "triceps"),
            ),
            (_accessory("isolation", "side_delts"), CORE),
        ),
        Focus(
            "pull_b",
            (_main("horizontal_pull", "upper_back", "lats"), _main("vertical_pull", "lats", "biceps")),
            (
                _accessory("olympic", "traps", "hamstrings"),
                _accessory("isolation", "biceps", "forearms"),
                _accessory("isolation", "rear_delts"),
            ),
            (_accessory("vertical_pull", "lats"), CARRY),
        ),
        Focus(
            "legs_b",
            (_main("hinge", "hamstrings", "glutes"), _main("squat", "quadriceps", "glutes")),
            (_accessory("lunge", "glutes", "quadriceps"), _accessory("isolation", "quadriceps"), CARRY),
            (_accessory("isolation", "calves"), CORE),
        ),
        Focus(
            "conditioning",
            (
                _main("conditioning", "cardiovascular", "quadriceps"),
                _main("cardio", "cardiovascular"),
            ),
            (_accessory("plyometric", "quadriceps", "glutes", "calves"), CARRY, CORE),
            (_accessory("conditioning", "cardiovascular"), _accessory("lunge", "quadriceps")),
            conditioning=True,
        ),
    )
}

CYCLES = {
    SplitTemplate.FULL_BODY: ("full_body_a", "full_body_b", "full_body_c"),
    SplitTemplate.UPPER_LOWER: ("upper_a", "lower_a", "upper_b", "lower_b"),
    SplitTemplate.PPL: ("push_a", "pull_a", "legs_a", "push_b", "pull_b", "legs_b"),
}
HYBRID_SHORT = ("full_body_a", "conditioning", "full_body_b")
HYBRID_LONG = ("upper_a", "lower_a", "conditioning", "upper_b", "lower_b", "conditioning")

WARMUP = Slot(Block.WARMUP, ("mobility",), ())
PRIMER = Slot(Block.WARMUP, ("plyometric",), ("quadriceps", "glutes", "calves"))
COOLDOWN = Slot(Block.COOLDOWN, ("mobility",), ())


def default_split(days_per_week: int, goals: dict[Goal, int] | None = None) -> SplitTemplate:
    """2–3 days: full body; 4: upper/lower; 5–7: push/pull/legs. Endurance or fat loss at half
    the goal weight or more, on three days or more: hybrid (strength and conditioning days)."""
    goals = goals or {}
    if days_per_week >= 3 and goals.get(Goal.ENDURANCE, 0) + goals.get(Goal.FAT_LOSS, 0) >= 5:
        return SplitTemplate.HYBRID
    if days_per_week <= 3:
        return SplitTemplate.FULL_BODY
    if days_per_week == 4:
        return SplitTemplate.UPPER_LOWER
    return SplitTemplate.PPL


def cycle_for(spec: ProgramSpec) -> tuple[str, ...]:
    if spec.split_template is SplitTemplate.HYBRID:
        return HYBRID_SHORT if spec.days_per_week <= 3 else HYBRID_LONG
    return CYCLES[spec.split_template]


def is_deload(week_number: int, every: int) -> bool:
    return week_number % every == 0
