"""What the generator takes and what it gives: plain, immutable values."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class NoEligibleMovement(Exception):
    """The constraints leave no movement at all for a session's main block."""


class Goal(StrEnum):
    STRENGTH = "strength"
    HYPERTROPHY = "hypertrophy"
    ENDURANCE = "endurance"
    FAT_LOSS = "fat_loss"
    MOBILITY = "mobility"
    EXPLOSIVENESS = "explosiveness"
    SPEED = "speed"


class SplitTemplate(StrEnum):
    FULL_BODY = "full_body"
    UPPER_LOWER = "upper_lower"
    PPL = "ppl"
    HYBRID = "hybrid"


class ProgressionStyle(StrEnum):
    SINGLE = "single"  # the same reps, the load goes up week on week
    DOUBLE = "double"  # reps climb through the range, then the load goes up and reps reset
    WAVE_LOADING = "wave_loading"  # three-week waves: heavier and fewer reps, then a new wave


class Block(StrEnum):
    WARMUP = "warmup"
    MAIN = "main"
    ACCESSORY = "accessory"
    FINISHER = "finisher"
    COOLDOWN = "cooldown"


class Relaxation(StrEnum):
    """The documented steps taken, in this order, when a slot has no qualifying movement."""

    WIDER_PATTERN = "wider_pattern_compatibility"
    SYNERGIST_MUSCLES = "synergist_muscles"
    LOWER_DISCIPLINE_WEIGHT = "lower_discipline_weight"
    ISOLATION_MOVEMENTS = "isolation_movements"
    REDUCED_VOLUME = "reduced_volume"


@dataclass(frozen=True, slots=True)
class MovementFacts:
    id: uuid.UUID
    slug: str
    name: str
    pattern: str
    primary_muscle: str
    secondary_muscles: tuple[str, ...]
    equipment: frozenset[str]
    disciplines: frozenset[str]
    compound: bool
    unilateral: bool
    skill_level: int
    cns_load: int
    metric_type: str
    substitution_group: str
    tier: str  # primary | secondary | accessory
    rep_min: int | None  # the movement's own range (none when timed): no prescription leaves it
    rep_max: int | None


@dataclass(frozen=True, slots=True)
class CircuitFacts:
    id: uuid.UUID
    name: str
    circuit_type: str
    minutes: int | None  # its duration or time cap; None when open-ended
    movement_ids: tuple[uuid.UUID, ...]
    difficulty: int
    tags: tuple[str, ...]


@dataclass(frozen=True)
class CatalogueSnapshot:
    movements: tuple[MovementFacts, ...]
    circuits: tuple[CircuitFacts, ...] = ()

    def by_id(self) -> dict[uuid.UUID, MovementFacts]:
        return {movement.id: movement for movement in self.movements}


@dataclass(frozen=True)
class ScoringRules:
    """A version of the scoring configuration: weights per dimension and the qualifying score."""

    version: int
    weights: Mapping[str, float]
    qualifying_score: float


@dataclass(frozen=True)
class ProgramSpec:
    seed: int  # the program id's integer: same program, same plan
    goals: Mapping[Goal, int]  # weights summing to 10, in the order the user gave them
    duration_weeks: int
    start_date: date
    split_template: SplitTemplate
    days_per_week: int
    max_session_minutes: int
    equipment: frozenset[str]
    disciplines: Mapping[str, int] = field(default_factory=dict)
    hard_no: frozenset[uuid.UUID] = frozenset()
    hard_yes: frozenset[uuid.UUID] = frozenset()
    preferred: frozenset[uuid.UUID] = frozenset()
    deload_every_n_weeks: int = 4
    progression_style: ProgressionStyle = ProgressionStyle.DOUBLE
    avoid_regions: frozenset[str] = frozenset()  # no movement loading one is chosen (catalogue.regions)

    @property
    def primary_goal(self) -> Goal:
        """The heaviest goal; on a tie, the one the user named first."""
        return max(self.goals, key=lambda goal: self.goals[goal])

    def weight_of(self, goal: Goal) -> int:
        return self.goals.get(goal, 0)


@dataclass(frozen=True, slots=True)
class ExercisePlan:
    block: Block
    position: int
    movement_id: uuid.UUID | None  # None for a circuit finisher
    circuit_id: uuid.UUID | None
    sets: int
    reps_min: int | None
    reps_max: int | None
    duration_seconds: int | None
    distance_m: int | None
    target_rpe: float | None
    target_rir: int | None
    rest_seconds: int
    superset_group: str | None
    estimated_seconds: int
    score: float | None  # None for warm-up, cool-down and circuits, which are not scored
    dimensions: Mapping[str, float] | None  # the score by dimension (the explanation)
    reason: str


@dataclass(frozen=True, slots=True)
class SessionPlan:
    week_number: int
    day_number: int  # 1-based training day within the week
    scheduled_date: date
    focus: str
    main_pattern: str | None
    exercises: tuple[ExercisePlan, ...]
    estimated_minutes: int
    relaxations: tuple[Relaxation, ...]


@dataclass(frozen=True, slots=True)
class WeekPlan:
    number: int
    is_deload: bool
    sessions: tuple[SessionPlan, ...]


@dataclass(frozen=True)
class Plan:
    split_template: SplitTemplate
    scoring_version: int
    weeks: tuple[WeekPlan, ...]

    @property
    def sessions(self) -> list[SessionPlan]:
        return [session for week in self.weeks for session in week.sessions]
