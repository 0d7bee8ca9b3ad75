from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from firemode.schedule.dates import ScheduleState


class ScheduleItem(BaseModel):
    """One routine of one asset: when it was last done (a pass or fail) and is next due."""

    model_config = ConfigDict(from_attributes=True)

    asset_id: uuid.UUID
    building_id: uuid.UUID
    tag: str
    asset_type: str
    location: str
    routine: str = Field(description="The routine's frequency: monthly … twenty_five_yearly")
    last_done: date | None = Field(description="The UTC date of the last pass or fail record")
    next_due: date | None
    window_start: date | None
    window_end: date | None
    state: ScheduleState


class BuildingSchedule(BaseModel):
    building_id: uuid.UUID
    today: date = Field(description="The day the states are computed for (UTC)")
    data: list[ScheduleItem]


class DuePage(BaseModel):
    today: date
    data: list[ScheduleItem]
    next_cursor: str | None
