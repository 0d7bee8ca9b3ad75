"""The generator's inputs from the shipped catalogue, with ids derived from slugs: no database."""

from __future__ import annotations

import uuid
from datetime import date
from functools import cache
from typing import Any

from alloy.catalogue.scoring import DEFAULT_QUALIFYING_SCORE, DEFAULT_WEIGHTS
from alloy.catalogue.seed_data import load_catalogue
from alloy.generator import CatalogueSnapshot, CircuitFacts, MovementFacts, ProgramSpec, ScoringRules
from alloy.generator.model import Goal, ProgressionStyle, SplitTemplate
from alloy.generator.structure import default_split

NAMESPACE = uuid.UUID("6f1c1d4e-8a49-4c39-9d0e-2f7f4b1d2a10")
SCORING = ScoringRules(version=1, weights=DEFAULT_WEIGHTS, qualifying_score=DEFAULT_QUALIFYING_SCORE)


def slug_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, slug)


@cache
def shipped_snapshot() -> CatalogueSnapshot:
    seeds = load_catalogue()
    movements = tuple(
        MovementFacts(
            id=slug_id(m.slug),
            slug=m.slug,
            name=m.name,
            pattern=str(m.pattern),
            primary_muscle=str(m.primary_muscle),
            secondary_muscles=tuple(str(x) for x in m.secondary_muscles),
            equipment=frozenset(str(x) for x in m.equipment),
            disciplines=frozenset(str(x) for x in m.disciplines),
            compound=m.compound,
            unilateral=m.unilateral,
            skill_level=m.skill_level,
            cns_load=m.cns_load,
            metric_type=str(m.metric_type),
            substitution_group=m.substitution_group,
            tier=str(m.tier),
            rep_min=m.rep_min,
            rep_max=m.rep_max,
        )
        for m in seeds.movements
    )
    circuits = tuple(
        CircuitFacts(
            id=slug_id(f"circuit:{c.slug}"),
            name=c.name,
            circuit_type=str(c.circuit_type),
            minutes=c.duration_minutes or c.time_cap_minutes,
            movement_ids=tuple(slug_id(item.movement) for item in c.movements),
            difficulty=c.difficulty,
            tags=tuple(c.tags),
        )
        for c in seeds.circuits
    )
    return CatalogueSnapshot(movements=movements, circuits=circuits)


def spec(**overrides: Any) -> ProgramSpec:
    values: dict[str, Any] = {
        "seed": 7,
        "goals": {Goal.STRENGTH: 6, Goal.HYPERTROPHY: 4},
        "duration_weeks": 12,
        "start_date": date(2026, 1, 5),
        "days_per_week": 4,
        "max_session_minutes": 60,
        "equipment": frozenset({"barbell", "dumbbell", "bench", "squat_rack", "pull_up_bar", "cable"}),
        "deload_every_n_weeks": 4,
        "progression_style": ProgressionStyle.DOUBLE,
    }
    values.update(overrides)
    values.setdefault("split_template", default_split(values["days_per_week"], dict(values["goals"])))
    return ProgramSpec(**values)


__all__ = ["SCORING", "SplitTemplate", "shipped_snapshot", "slug_id", "spec"]
