from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from apikit.schemas import RequestModel


class BuildingCreateRequest(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=500)
    building_type: str | None = Field(default=None, min_length=1, max_length=100)


class BuildingUpdateRequest(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, min_length=1, max_length=500)
    building_type: str | None = Field(default=None, min_length=1, max_length=100)


class BuildingResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    building_id: uuid.UUID = Field(validation_alias="id")
    name: str
    address: str
    building_type: str | None
    created_at: datetime
    updated_at: datetime


class BuildingPage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    data: list[BuildingResponse] = Field(validation_alias="items")  # read from the kit's Page
    next_cursor: str | None
