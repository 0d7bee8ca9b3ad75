"""What the readiness endpoints take and promise."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from alloy.catalogue.vocabulary import BodyRegion
from alloy.readiness.adaptation import Rule
from alloy.readiness.scoring import Band
from apikit.schemas import IsoDate, Lax, RequestModel

SORENESS = (0, 5)
MINUTES_AVAILABLE = (5, 300)

Soreness = Annotated[int, Field(ge=SORENESS[0], le=SORENESS[1])]
MinutesAvailable = Annotated[
    int,
    Field(
        ge=MINUTES_AVAILABLE[0],
        le=MINUTES_AVAILABLE[1],
        description="Minutes you have for today's session (5–300)",
    ),
]


class ReadinessIn(RequestModel):
    sleep_hours: float = Field(ge=0, le=14, description="Hours slept last night (0–14)")
    energy: int = Field(ge=1, le=10, description="1 (drained) – 10 (full of it)")
    stress: int = Field(ge=1, le=10, description="1 (calm) – 10 (overwhelmed)")
    soreness: dict[Annotated[BodyRegion, Lax], Soreness] = Field(
        default_factory=dict, description="{region: 0–5} for the regions that are sore (docs/READINESS.md)"
    )
    minutes_available: MinutesAvailable | None = None

    @field_validator("soreness", mode="wrap")
    @classmethod
    def _one_soreness_error(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # One error naming the field: a key path would make the region typed by the caller the
        # error's code (VAL_<KEY>).
        try:
            return handler(value)
        except ValidationError:
            raise ValueError(
                f"soreness maps regions ({', '.join(BodyRegion)}) to whole numbers "
                f"{SORENESS[0]}–{SORENESS[1]}"
            ) from None


class ReadinessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    date: dt.date = Field(validation_alias="day")
    score: int = Field(description="0–100: the mean of sleep, energy, stress and soreness")
    band: Band = Field(description="low below 40, normal 40–75, high above 75")
    sleep_hours: float
    energy: int
    stress: int
    soreness: dict[BodyRegion, int]
    minutes_available: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


# An ISO calendar date only (no Unix time), in a strict body.
BodyDay = Annotated[IsoDate, Field(strict=False)]


class AdaptRequest(RequestModel):
    date: BodyDay | None = Field(
        default=None, description="Whose readiness to use; the session's own day by default"
    )
    minutes_available: MinutesAvailable | None = Field(
        default=None, description="Overrides the readiness' minutes; alone, only the time budget applies"
    )
    accept: bool = Field(
        default=False, description="Store the adapted session (else a preview: nothing stored)"
    )


class ReadinessUsed(BaseModel):
    date: dt.date
    score: int
    band: Band


class ChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rule: Rule
    exercise_id: uuid.UUID = Field(description="The planned exercise it changed (its slot keeps the id)")
    change: str = Field(
        description="movement, dropped, sets, target_rpe, rest_seconds, duration_seconds, superset_group "
        "or finisher_rounds"
    )
    before: str | int | float | None
    after: str | int | float | None
    reason: str


class AdaptedExerciseOut(BaseModel):
    exercise_id: uuid.UUID
    block: str
    position: int
    movement_id: uuid.UUID | None
    movement_name: str | None
    circuit_id: uuid.UUID | None
    circuit_name: str | None
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
    reason: str


class AdaptationOut(BaseModel):
    session_id: uuid.UUID
    accepted: bool = Field(description="true: stored in place of the planned session")
    readiness: ReadinessUsed | None = Field(
        description="The day's readiness the rules used (none: minutes only)"
    )
    minutes_available: int | None
    planned_minutes: int = Field(description="The session's estimate before adapting")
    estimated_minutes: int
    exercises: list[AdaptedExerciseOut]
    changes: list[ChangeOut]
