"""The movement-scoring dimensions and their shipped default weights (the user's plan)."""

from __future__ import annotations

from types import MappingProxyType

DIMENSIONS = (
    "pattern_alignment",
    "muscle_coverage",
    "discipline_preference",
    "compound_bonus",
    "specialization",
    "goal_alignment",
    "time_utilization",
)
DEFAULT_WEIGHTS = MappingProxyType(
    {
        "pattern_alignment": 1.0,
        "muscle_coverage": 0.8,
        "discipline_preference": 0.7,
        "compound_bonus": 0.6,
        "specialization": 0.5,
        "goal_alignment": 0.4,
        "time_utilization": 0.3,
    }
)
DEFAULT_QUALIFYING_SCORE = 0.5


def weight_problems(weights: dict[str, float]) -> list[str]:
    """Why a set of weights cannot be used; empty when it can."""
    problems = [f"unknown dimension {name!r}" for name in sorted(set(weights) - set(DIMENSIONS))]
    problems += [f"missing dimension {name!r}" for name in DIMENSIONS if name not in weights]
    problems += [f"{name} must be ≥ 0" for name, value in sorted(weights.items()) if value < 0]
    if weights and all(value == 0 for value in weights.values()):
        problems.append("at least one weight must be above 0")
    return problems
