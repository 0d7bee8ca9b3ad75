from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from apikit.schemas import Lax, RequestModel
from firemode.assets.asset_types import AssetType
from firemode.routines.defaults import DEFAULT_TOLERANCE_DAYS, Frequency, tolerance_limit


class RoutineIn(RequestModel):
    asset_type: Annotated[AssetType, Lax]
    frequency: Annotated[Frequency, Lax]
    tolerance_days: int | None = Field(
        default=None,
        ge=0,
        description="Days either side of the due date; the frequency's default when left out",
    )
    interval_months: int | None = Field(default=None, description="Ignored: the frequency's")

    @model_validator(mode="after")
    def _tolerance_under_half_the_interval(self) -> Self:
        if self.tolerance_days is None:
            self.tolerance_days = DEFAULT_TOLERANCE_DAYS[self.frequency]
        limit = tolerance_limit(self.frequency)
        if self.tolerance_days >= limit:
            raise ValueError(
                f"a {self.frequency.value} routine's tolerance must be under half its interval: "
                f"below {limit} days"
            )
        return self


class RoutineTableRequest(RequestModel):
    """The whole table, as ``GET /v1/routines`` answers it; it becomes the next version."""

    routines: list[RoutineIn] = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, min_length=1, max_length=400)
    version: int | None = Field(default=None, description="Ignored: the server numbers versions")
    created_at: str | None = Field(default=None, description="Ignored")
    created_by: str | None = Field(default=None, description="Ignored")

    @model_validator(mode="after")
    def _one_row_per_type_and_frequency(self) -> Self:
        seen: set[tuple[AssetType, Frequency]] = set()
        for routine in self.routines:
            key = (routine.asset_type, routine.frequency)
            if key in seen:
                raise ValueError(f"{key[0].value} has {key[1].value} twice")
            seen.add(key)
        return self


class RoutineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    asset_type: AssetType
    frequency: Frequency
    interval_months: int
    tolerance_days: int


class RoutineVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    note: str | None
    created_by: uuid.UUID | None = Field(description="null for the shipped version")
    created_at: datetime


class RoutineTableResponse(RoutineVersionOut):
    routines: list[RoutineOut]


class RoutineVersionList(BaseModel):
    data: list[RoutineVersionOut]
