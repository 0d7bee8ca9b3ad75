from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from apikit.schemas import Extended, Id, RequestModel
from firemode.records.schemas import CompletionSummary
from firemode.sessions.models import TestSession


class SessionStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# pending → in_progress → completed, and → cancelled from the first two.
TRANSITIONS: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.PENDING: frozenset({SessionStatus.IN_PROGRESS, SessionStatus.CANCELLED}),
    SessionStatus.IN_PROGRESS: frozenset({SessionStatus.COMPLETED, SessionStatus.CANCELLED}),
    SessionStatus.COMPLETED: frozenset(),
    SessionStatus.CANCELLED: frozenset(),
}
CLOSED = frozenset({SessionStatus.COMPLETED, SessionStatus.CANCELLED})


class SessionCreateRequest(RequestModel):
    building_id: Id | None = None
    session_id: Id | None = Field(
        default=None, description="Chosen by an offline device; idempotent per caller"
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)


class SessionUpdateRequest(RequestModel):
    status: Literal["pending", "in_progress", "completed", "cancelled"] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)


class ParticipantRequest(RequestModel):
    user_id: Id


class SessionCreated(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: uuid.UUID = Field(validation_alias="id")
    building_id: uuid.UUID | None
    name: str | None
    status: SessionStatus
    created_at: datetime
    vector_clock: dict[str, int]


class SessionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: uuid.UUID = Field(validation_alias="id")
    building_id: uuid.UUID | None
    status: SessionStatus
    created_at: datetime


class SessionUpdated(SessionSummary):
    completion: CompletionSummary | None = Field(
        default=None, description="What completing the session wrote (when this update completed it)"
    )

    @classmethod
    def of(cls, row: TestSession, completion: CompletionSummary | None) -> Self:
        return cls.model_validate(Extended(row, completion=completion))


class SessionPage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    data: list[SessionSummary] = Field(validation_alias="items")  # read from the kit's Page
    next_cursor: str | None


class SessionDetail(SessionSummary):
    updated_at: datetime
    name: str | None
    participants: list[uuid.UUID]
    vector_clock: dict[str, int]
    results: dict[str, Any] = Field(validation_alias="document", description="The merged document")
    change_count: int
    checkpoint: int

    @classmethod
    def of(cls, row: TestSession, participants: list[uuid.UUID]) -> Self:
        """The session ``row`` with its participants, which are rows of their own."""
        return cls.model_validate(Extended(row, participants=participants))


class ParticipantsResponse(BaseModel):
    session_id: uuid.UUID
    participants: list[uuid.UUID]
