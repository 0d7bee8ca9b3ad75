from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from firemode.buildings.schemas import BuildingResponse
from firemode.schedule.dates import ScheduleState


class BundleSession(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: uuid.UUID = Field(validation_alias="id")
    building_id: uuid.UUID | None
    name: str | None
    status: str
    results: dict[str, Any] = Field(validation_alias="document", description="The merged document")
    checkpoint: int
    vector_clock: dict[str, int]


class DueRoutine(BaseModel):
    routine: str
    last_done: date | None
    next_due: date | None
    window_start: date | None
    window_end: date | None
    state: ScheduleState


class BundleAsset(BaseModel):
    asset_id: uuid.UUID
    tag: str
    asset_type: str
    location: str
    details: dict[str, Any]
    due: list[DueRoutine] = Field(description="Its routines due, overdue or never done")


class BundleDefect(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    defect_id: uuid.UUID = Field(validation_alias="id")
    asset_id: uuid.UUID
    condition: str | None
    severity: str | None
    description: str
    status: str
    created_at: datetime


class BundleRoutine(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    asset_type: str
    frequency: str
    interval_months: int
    tolerance_days: int


class RoutineTable(BaseModel):
    version: int | None
    routines: list[BundleRoutine]


class Bundle(BaseModel):
    """What a device needs before it loses signal."""

    today: date
    session: BundleSession
    building: BuildingResponse | None
    assets: list[BundleAsset]
    open_defects: list[BundleDefect]
    routines: RoutineTable
    rules_version: int | None = Field(
        default=None, description="The classification rules in force (null before any is installed)"
    )
