from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from apikit.schemas import Day, Lax, RequestModel
from firemode.assets.asset_types import AssetType, validate_details
from firemode.assets.models import LOCATION_MAX, TAG_MAX


class AssetStatus(StrEnum):
    ACTIVE = "active"
    DECOMMISSIONED = "decommissioned"


Tag = Annotated[str, Field(min_length=1, max_length=TAG_MAX, description="The label on the equipment")]
Location = Annotated[str, Field(min_length=1, max_length=LOCATION_MAX)]


class AssetCreateRequest(RequestModel):
    tag: Tag
    asset_type: Annotated[AssetType, Lax]
    location: Location
    details: dict[str, Any] = Field(default_factory=dict, description="Per type: see GET /v1/asset-types")
    installed_on: Day | None = None

    @field_validator("details")
    @classmethod
    def _details_of_the_type(cls, details: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        asset_type = info.data.get("asset_type")
        return details if asset_type is None else validate_details(asset_type, details)


class AssetUpdateRequest(RequestModel):
    """The fields given change; ``details`` is replaced whole. The type is the asset's for good
    (a different type is a different asset: decommission it and register the new one)."""

    tag: Tag | None = None
    location: Location | None = None
    details: dict[str, Any] | None = Field(default=None, description="Checked against the asset's type")
    installed_on: Day | None = Field(default=None, description="null clears it")

    @field_validator("tag", "location", "details")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out, not null")
        return value


class BaselineRequest(RequestModel):
    """A stair-pressurisation system's commissioning figures (AS 1851 / AS/NZS 1668.1)."""

    pressure_pa: float = Field(ge=20, le=80, description="Pressure difference across a closed door")
    door_opening_force_n: float = Field(gt=0, le=110, description="At the door handle")
    air_velocity_ms: float = Field(ge=1.0, le=20, description="Through an open door, m/s")


class BaselineResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    asset_id: uuid.UUID
    pressure_pa: float
    door_opening_force_n: float
    air_velocity_ms: float
    set_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


class AssetResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    asset_id: uuid.UUID = Field(validation_alias="id")
    building_id: uuid.UUID
    tag: str
    asset_type: AssetType
    location: str
    details: dict[str, Any]
    installed_on: date | None
    status: AssetStatus
    decommissioned_at: datetime | None
    baseline: BaselineResponse | None = Field(description="Stair pressurisation only, once set")
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


class AssetPage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    data: list[AssetResponse] = Field(validation_alias="items")  # read from the kit's Page
    next_cursor: str | None


class ImportResponse(BaseModel):
    building_id: uuid.UUID
    imported: int


class AssetTypeOut(BaseModel):
    asset_type: AssetType
    label: str
    details_schema: dict[str, Any] = Field(description="JSON Schema of the type's `details`")
    csv_columns: list[str] = Field(description="The type columns an import reads for it")
