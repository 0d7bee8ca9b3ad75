"""The shipped catalogue as data: the file format, and loading it with every reference checked.

``data/movements.json`` and ``data/circuits.json`` are the curated source; the migrations load them
(idempotently, by slug) so that an empty data directory already serves a full catalogue.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alloy.catalogue.coaching import fact_problems
from alloy.catalogue.vocabulary import (
    CircuitType,
    Discipline,
    Equipment,
    MetricType,
    Muscle,
    Pattern,
    Tier,
)

DATA_DIR = Path(__file__).parent / "data"
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:_[a-z0-9]+)*$", max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MovementSeed(_Strict):
    slug: Slug
    name: str = Field(min_length=2, max_length=120)
    pattern: Pattern
    primary_muscle: Muscle
    secondary_muscles: list[Muscle] = Field(default_factory=list)
    equipment: list[Equipment] = Field(min_length=1)
    disciplines: list[Discipline] = Field(min_length=1)
    compound: bool
    unilateral: bool
    skill_level: int = Field(ge=1, le=5)
    cns_load: int = Field(ge=1, le=5)
    metric_type: MetricType
    tier: Tier
    rep_min: int | None
    rep_max: int | None
    plate_increment_kg: float | None = Field(gt=0, le=50)
    plate_increment_lb: float | None = Field(gt=0, le=100)
    substitution_group: Slug
    progression: Slug | None = None
    regression: Slug | None = None
    description: str = Field(min_length=10, max_length=400)

    @model_validator(mode="after")
    def _coherent(self) -> MovementSeed:
        if self.primary_muscle in self.secondary_muscles:
            raise ValueError(f"{self.slug}: primary muscle repeated among secondary muscles")
        if len(set(self.equipment)) != len(self.equipment):
            raise ValueError(f"{self.slug}: equipment listed twice")
        if self.progression == self.slug or self.regression == self.slug:
            raise ValueError(f"{self.slug}: links to itself")
        problems = fact_problems(self.pattern, self.metric_type, self.tier, self.rep_min, self.rep_max)
        if problems:
            raise ValueError(f"{self.slug}: {'; '.join(problems)}")
        if (self.plate_increment_kg is None) != (self.plate_increment_lb is None):
            raise ValueError(f"{self.slug}: a plate increment in one unit only")
        return self


class CircuitLoad(_Strict):
    """Prescribed load: the benchmark's standard for men and women, in kilograms."""

    male_kg: float = Field(gt=0, le=300)
    female_kg: float = Field(gt=0, le=300)


class CircuitMovement(_Strict):
    movement: Slug
    reps: int | None = Field(default=None, ge=1, le=1000)
    # A ladder's or a chipper's changing reps, round by round (21-15-9 → [21, 15, 9]).
    rep_scheme: list[int] | None = Field(default=None, min_length=2)
    distance_m: int | None = Field(default=None, ge=1, le=50_000)
    seconds: int | None = Field(default=None, ge=1, le=3600)
    calories: int | None = Field(default=None, ge=1, le=500)
    load: CircuitLoad | None = None

    @model_validator(mode="after")
    def _one_measure(self) -> CircuitMovement:
        measures = [self.reps, self.rep_scheme, self.distance_m, self.seconds, self.calories]
        if sum(measure is not None for measure in measures) != 1:
            raise ValueError(
                f"{self.movement}: give exactly one of reps, rep_scheme, distance_m, seconds, calories"
            )
        return self


class CircuitSeed(_Strict):
    slug: Slug
    name: str = Field(min_length=2, max_length=120)
    circuit_type: CircuitType
    rounds: int | None = Field(default=None, ge=1, le=100)
    time_cap_minutes: int | None = Field(default=None, ge=1, le=120)
    duration_minutes: int | None = Field(default=None, ge=1, le=120)
    movements: list[CircuitMovement] = Field(min_length=1)
    difficulty: int = Field(ge=1, le=5)
    tags: list[Slug] = Field(default_factory=list)
    description: str = Field(min_length=10, max_length=600)

    @model_validator(mode="after")
    def _timed_where_it_must_be(self) -> CircuitSeed:
        timed = {CircuitType.AMRAP, CircuitType.EMOM, CircuitType.TABATA}
        if self.circuit_type in timed and self.duration_minutes is None:
            raise ValueError(f"{self.slug}: an {self.circuit_type} needs duration_minutes")
        return self


class Catalogue(_Strict):
    movements: tuple[MovementSeed, ...]
    circuits: tuple[CircuitSeed, ...]

    @model_validator(mode="after")
    def _references_resolve(self) -> Catalogue:
        slugs = [movement.slug for movement in self.movements]
        names = [movement.name.casefold() for movement in self.movements]
        known = set(slugs)
        problems = [f"duplicate movement slug {slug}" for slug in _duplicates(slugs)]
        problems += [f"duplicate movement name {name}" for name in _duplicates(names)]
        problems += [
            f"duplicate circuit slug {slug}" for slug in _duplicates([c.slug for c in self.circuits])
        ]
        for movement in self.movements:
            for link in (movement.progression, movement.regression):
                if link is not None and link not in known:
                    problems.append(f"{movement.slug} links to unknown movement {link}")
        for circuit in self.circuits:
            for item in circuit.movements:
                if item.movement not in known:
                    problems.append(f"circuit {circuit.slug} uses unknown movement {item.movement}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _duplicates(values: list[str]) -> list[str]:
    return sorted({value for value in values if values.count(value) > 1})


@cache
def load_catalogue(data_dir: Path = DATA_DIR) -> Catalogue:
    """The shipped catalogue, validated; raises ``pydantic.ValidationError`` naming every problem."""
    return Catalogue(
        movements=json.loads((data_dir / "movements.json").read_text()),
        circuits=json.loads((data_dir / "circuits.json").read_text()),
    )
