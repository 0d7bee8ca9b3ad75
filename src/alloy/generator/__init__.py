"""The program generator: a pure function from a program's constraints, the movement catalogue and
the scoring configuration to a complete, explainable plan. No web code, no database: the programs
package loads the inputs and stores the plan.

    plan = build_plan(spec, catalogue, scoring)

Deterministic: the same inputs give the same plan (randomness is seeded by ``spec.seed``).
"""

from alloy.generator.builder import build_plan
from alloy.generator.model import (
    CatalogueSnapshot,
    CircuitFacts,
    ExercisePlan,
    MovementFacts,
    Plan,
    ProgramSpec,
    ScoringRules,
    SessionPlan,
    WeekPlan,
)

__all__ = [
    "CatalogueSnapshot",
    "CircuitFacts",
    "ExercisePlan",
    "MovementFacts",
    "Plan",
    "ProgramSpec",
    "ScoringRules",
    "SessionPlan",
    "WeekPlan",
    "build_plan",
]
