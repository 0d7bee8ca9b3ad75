"""What the readiness endpoints take and promise."""

from __future__ import annotations

import datetime as dt
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
from alloy.readiness.scoring import Band
from apikit.schemas import Lax, RequestModel

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
