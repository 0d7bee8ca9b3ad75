"""What the catalogue endpoints promise."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from alloy.catalogue.coaching import REPS_LIMIT
from alloy.catalogue.seed_data import CircuitLoad, Slug
from alloy.catalogue.vocabulary import (
    CircuitType,
    Discipline,
    Equipment,
    MetricType,
    Muscle,
    Pattern,
    Tier,
)
from apikit.schemas import Id, IsoTimestamp, Lax, RequestModel

LaxPattern = Annotated[Pattern, Lax]
LaxMuscle = Annotated[Muscle, Lax]
LaxEquipment = Annotated[Equipment, Lax]
LaxDiscipline = Annotated[Discipline, Lax]
LaxMetric = Annotated[MetricType, Lax]
LaxTier = Annotated[Tier, Lax]
Reps = Annotated[int, Field(ge=1, le=REPS_LIMIT)]
KgIncrement = Annotated[float, Field(gt=0, le=50, allow_inf_nan=False)]
LbIncrement = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    movement_id: uuid.UUID = Field(validation_alias=AliasChoices("movement_id", "id"))
    slug: str
    name: str
    pattern: Pattern
    primary_muscle: Muscle
    secondary_muscles: list[Muscle]
    equipment: list[Equipment]
    disciplines: list[Discipline]
    compound: bool
    unilateral: bool
    skill_level: int
    cns_load: int
    metric_type: MetricType
    tier: Tier
    rep_min: int | None = Field(description="The fewest reps a set of it is prescribed (none when timed)")
    rep_max: int | None = Field(description="The most reps a set of it is prescribed (none when timed)")
    plate_increment_kg: float | None = Field(description="The smallest load step in kg; none unloaded")
    plate_increment_lb: float | None = Field(description="The smallest load step in lb; none unloaded")
    substitution_group: str
    progression_id: uuid.UUID | None
    regression_id: uuid.UUID | None
    description: str
    custom: bool = Field(
        validation_alias=AliasChoices("custom", "owner_id"),
        description="A user's private movement rather than the shared catalogue",
    )
    created_at: datetime
    updated_at: datetime

    @field_validator("custom", mode="before")
    @classmethod
    def _owned(cls, value: Any) -> Any:
        """A movement with an owner (read from the row) is a custom one."""
        return value if isinstance(value, bool) else value is not None


class MovementCreateRequest(RequestModel):
    name: str = Field(min_length=2, max_length=120)
    pattern: LaxPattern
    primary_muscle: LaxMuscle
    secondary_muscles: list[LaxMuscle] = Field(default_factory=list, max_length=len(Muscle))
    equipment: list[LaxEquipment] = Field(min_length=1, max_length=len(Equipment))
    disciplines: list[LaxDiscipline] = Field(default_factory=lambda: [Discipline.GENERAL], min_length=1)
    compound: bool = False
    unilateral: bool = False
    skill_level: int = Field(default=2, ge=1, le=5)
    cns_load: int = Field(default=2, ge=1, le=5)
    metric_type: LaxMetric = MetricType.REPS
    tier: LaxTier | None = Field(default=None, description="Derived from pattern and compound when absent")
    rep_min: Reps | None = Field(default=None, description="Derived with rep_max when both are absent")
    rep_max: Reps | None = None
    plate_increment_kg: KgIncrement | None = Field(
        default=None, description="Derived from equipment when absent"
    )
    plate_increment_lb: LbIncrement | None = None
    substitution_group: Slug
    progression_id: Id | None = None
    regression_id: Id | None = None
    description: str = Field(default="", max_length=400)


class MovementUpdateRequest(RequestModel):
    name: str | None = Field(default=None, min_length=2, max_length=120)
    pattern: LaxPattern | None = None
    primary_muscle: LaxMuscle | None = None
    secondary_muscles: list[LaxMuscle] | None = Field(default=None, max_length=len(Muscle))
    equipment: list[LaxEquipment] | None = Field(default=None, min_length=1, max_length=len(Equipment))
    disciplines: list[LaxDiscipline] | None = Field(default=None, min_length=1)
    compound: bool | None = None
    unilateral: bool | None = None
    skill_level: int | None = Field(default=None, ge=1, le=5)
    cns_load: int | None = Field(default=None, ge=1, le=5)
    metric_type: LaxMetric | None = None
    tier: LaxTier | None = None
    rep_min: Reps | None = None
    rep_max: Reps | None = None
    plate_increment_kg: KgIncrement | None = None
    plate_increment_lb: LbIncrement | None = None
    substitution_group: Slug | None = None
    progression_id: Id | None = None
    regression_id: Id | None = None
    description: str | None = Field(default=None, max_length=400)


class CircuitMovementOut(BaseModel):
    movement_id: uuid.UUID
    reps: int | None = None
    rep_scheme: list[int] | None = None
    distance_m: int | None = None
    seconds: int | None = None
    calories: int | None = None
    load: CircuitLoad | None = None


class CircuitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    circuit_id: uuid.UUID = Field(validation_alias=AliasChoices("circuit_id", "id"))
    slug: str
    name: str
    type: CircuitType = Field(validation_alias=AliasChoices("type", "circuit_type"))
    circuit_type: CircuitType = Field(description="The old name of `type`, kept for existing clients")
    rounds: int | None
    time_cap_minutes: int | None
    duration_minutes: int | None
    movements: list[CircuitMovementOut]
    difficulty: int
    tags: list[str]
    description: str
    created_at: datetime
    updated_at: datetime


class CircuitMovementIn(RequestModel):
    movement_id: Id
    reps: int | None = Field(default=None, ge=1, le=1000)
    rep_scheme: list[Annotated[int, Field(ge=1, le=1000)]] | None = Field(
        default=None, min_length=2, max_length=20
    )
    distance_m: int | None = Field(default=None, ge=1, le=50_000)
    seconds: int | None = Field(default=None, ge=1, le=3600)
    calories: int | None = Field(default=None, ge=1, le=500)
    load: CircuitLoad | None = None

    def measure_count(self) -> int:
        return sum(
            value is not None
            for value in (self.reps, self.rep_scheme, self.distance_m, self.seconds, self.calories)
        )


class CircuitWriteRequest(RequestModel):
    """The whole circuit (PUT replaces it; POST creates it); what a GET answers is accepted back.

    ``circuit_type``, the old name of ``type``, is accepted alone; when both come, ``type`` wins.
    The read-only fields of the answer (``circuit_id``, ``created_at``, ``updated_at``) are ignored,
    but ``circuit_id`` tells whether ``slug`` is the one the server gave that circuit (see the
    service).
    """

    name: str = Field(min_length=2, max_length=120)
    slug: Slug | None = Field(
        default=None,
        description="Derived from the name when absent; one the server gave (echoed from a GET) is "
        "renewed when taken, one the client chose is a 409 when taken",
    )
    type: Annotated[CircuitType, Lax] = Field(validation_alias=AliasChoices("type", "circuit_type"))
    rounds: int | None = Field(default=None, ge=1, le=100)
    time_cap_minutes: int | None = Field(default=None, ge=1, le=120)
    duration_minutes: int | None = Field(default=None, ge=1, le=120)
    movements: list[CircuitMovementIn] = Field(min_length=1, max_length=30)
    difficulty: int = Field(ge=1, le=5)
    tags: list[Slug] = Field(default_factory=list, max_length=20)
    description: str = Field(default="", max_length=600)
    circuit_id: Id | None = Field(default=None, description="Read-only: ignored (names the circuit read)")
    created_at: IsoTimestamp | None = Field(default=None, description="Read-only: ignored")
    updated_at: IsoTimestamp | None = Field(default=None, description="Read-only: ignored")

    @model_validator(mode="before")
    @classmethod
    def _new_name_wins(cls, data: Any) -> Any:
        if isinstance(data, dict) and "type" in data and "circuit_type" in data:
            return {key: value for key, value in data.items() if key != "circuit_type"}
        return data


def normalised(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {name: round(value / total, 6) for name, value in weights.items()}


class ScoringConfigOut(BaseModel):
    # normalised_weights is derived, yet always there: the answer's schema keeps it required
    model_config = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)

    version: int
    weights: dict[str, float]
    normalised_weights: dict[str, float] = Field(
        default_factory=dict, validate_default=True, description="Each weight divided by their sum"
    )
    qualifying_score: float
    note: str | None
    created_by: uuid.UUID | None
    created_at: datetime

    @field_validator("normalised_weights", mode="before")
    @classmethod
    def _from_weights(cls, _value: Any, info: ValidationInfo) -> Any:
        return normalised(info.data["weights"]) if "weights" in info.data else {}


class ScoringConfigRequest(RequestModel):
    """A new version; what a GET answers is accepted back, its derived and read-only fields ignored."""

    weights: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = Field(min_length=1, max_length=20)
    qualifying_score: float = Field(default=0.5, ge=0, le=1, allow_inf_nan=False)
    note: str | None = Field(default=None, max_length=400)
    version: int | None = Field(default=None, description="Read-only: ignored (the next version is taken)")
    normalised_weights: dict[str, Any] | None = Field(default=None, description="Derived: ignored")
    created_by: Id | None = Field(default=None, description="Read-only: ignored")
    created_at: IsoTimestamp | None = Field(default=None, description="Read-only: ignored")


class ScoringValidationOut(BaseModel):
    valid: bool
    problems: list[str]
    normalised_weights: dict[str, float] | None
