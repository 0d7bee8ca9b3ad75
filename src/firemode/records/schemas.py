from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ServiceRecordResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    record_id: uuid.UUID = Field(validation_alias="id")
    asset_id: uuid.UUID
    building_id: uuid.UUID
    session_id: uuid.UUID
    routine: str
    routine_version: int
    outcome: str
    readings: dict[str, Any]
    technicians: list[uuid.UUID]
    notes: str | None
    performed_at: datetime
    created_at: datetime


class HistoryPage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    data: list[ServiceRecordResponse] = Field(validation_alias="items")
    next_cursor: str | None


class Skipped(BaseModel):
    tag: str
    reason: str
    routines: list[str] = Field(default_factory=list, description="The routines it could be")


class CompletionSummary(BaseModel):
    """What completing a session wrote from its document."""

    records: int
    defects: int
    unmatched: list[str] = Field(description="Tags not in the building's register (kept in the document)")
    skipped: list[Skipped] = Field(description="Entries that wrote no record, and why")
