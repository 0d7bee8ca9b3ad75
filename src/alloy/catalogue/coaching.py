"""A movement's coaching facts: its tier, its own rep range and its plate increment.

The shipped movements carry them in ``data/movements.json``; a user's custom movement gets the
defaults below (never ``primary``: that is a coach's call), which admins may change. One set of rules
checks all three places (the data file, custom movements and admin edits).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alloy.catalogue.vocabulary import EXPLOSIVE_MAX_REPS, EXPLOSIVE_PATTERNS, MetricType, Tier

REPS_LIMIT = 100
# Patterns that are never the backbone of a program, whatever the movement.
ACCESSORY_PATTERNS = frozenset(
    {"isolation", "core", "rotation", "mobility", "carry", "conditioning", "cardio"}
)
# The smallest load step per implement, kg and lb (not a conversion: each unit's own plates), in
# the order a movement's equipment is read; bodyweight and the rest have none.
INCREMENTS: tuple[tuple[str, float, float], ...] = (
    ("barbell", 2.5, 5),
    ("trap_bar", 2.5, 5),
    ("ez_bar", 2.5, 5),
    ("smith_machine", 2.5, 5),
    ("dumbbell", 2, 5),
    ("kettlebell", 4, 10),
    ("machine", 5, 10),
    ("cable", 5, 10),
    ("sandbag", 5, 10),
    ("medicine_ball", 2, 5),
    ("sled", 10, 20),
)


def plate_increment(equipment: Iterable[str]) -> tuple[float | None, float | None]:
    """The load step of a movement's heaviest implement: (kg, lb), or (None, None) without one."""
    kit = set(equipment)
    for item, kg, lb in INCREMENTS:
        if item in kit:
            return kg, lb
    return None, None


def default_facts(pattern: str, compound: bool, metric_type: str, equipment: Iterable[str]) -> dict[str, Any]:
    """The coaching facts a new custom movement starts with."""
    accessory = pattern in ACCESSORY_PATTERNS or not compound
    tier = Tier.ACCESSORY if accessory else Tier.SECONDARY
    if metric_type != MetricType.REPS:
        rep_min, rep_max = None, None
    elif pattern in EXPLOSIVE_PATTERNS:
        rep_min, rep_max = 3, EXPLOSIVE_MAX_REPS
    elif accessory:
        rep_min, rep_max = 8, 15
    else:
        rep_min, rep_max = 5, 12
    kg, lb = plate_increment(equipment)
    return {
        "tier": tier.value,
        "rep_min": rep_min,
        "rep_max": rep_max,
        "plate_increment_kg": kg,
        "plate_increment_lb": lb,
    }


def fact_problems(
    pattern: str, metric_type: str, tier: str, rep_min: int | None, rep_max: int | None
) -> list[str]:
    """Why a movement's coaching facts cannot stand together (empty when they can).

    Isolation, core, carries, conditioning and the like are never ``primary``. A movement counted
    in reps has a range within 1–100, explosive ones topping out at 6; one counted in time or
    distance is dosed by that and has none.
    """
    if tier == Tier.PRIMARY and pattern in ACCESSORY_PATTERNS:
        return [f"a {pattern} movement cannot be primary"]
    if metric_type != MetricType.REPS:
        if rep_min is not None or rep_max is not None:
            return [f"a movement measured by {metric_type} has no rep range"]
        return []
    if rep_min is None or rep_max is None:
        return ["a movement measured in reps needs rep_min and rep_max"]
    problems = []
    if not 1 <= rep_min <= REPS_LIMIT or not 1 <= rep_max <= REPS_LIMIT:
        problems.append(f"reps are between 1 and {REPS_LIMIT}")
    if rep_min > rep_max:
        problems.append("rep_min is above rep_max")
    if pattern in EXPLOSIVE_PATTERNS and rep_max > EXPLOSIVE_MAX_REPS:
        problems.append(f"explosive ({pattern}) movements top out at {EXPLOSIVE_MAX_REPS} reps")
    return problems
