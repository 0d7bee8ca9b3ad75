from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from apikit.schemas import Id, RequestModel
from firemode.identity.roles import Role
from firemode.sync.engine import MAX_COUNTER


class ChangeIn(RequestModel):
    op: Literal["set", "delete"]
    path: str = Field(min_length=1, max_length=4096, description="RFC 6901 JSON Pointer, starting with '/'")
    value: JsonValue = Field(default=None, description="Any JSON value; required for set")
    actor: str | None = Field(default=None, min_length=1, max_length=64, description="The device")
    counter: int | None = Field(default=None, ge=1, le=MAX_COUNTER, description="The device's Lamport clock")

    @model_validator(mode="before")
    @classmethod
    def _value_given_for_set(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("op") == "set" and "value" not in data:
            raise ValueError("value is required for set")
        return data

    @model_validator(mode="after")
    def _actor_with_counter(self) -> Self:
        if (self.actor is None) != (self.counter is None):
            raise ValueError("give actor and counter together, or neither (the server stamps them)")
        return self


class ResultsRequest(RequestModel):
    changes: list[ChangeIn]
    vector_clock: dict[str, int] | None = Field(
        default=None,
        description="What the device had seen (informational; the server's clock is authoritative)",
    )


class ResultsResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from the merge's outcome

    session_id: uuid.UUID
    status: Literal["processed"] = "processed"
    applied: int
    duplicates: int
    vector_clock: dict[str, int]
    processed_at: datetime
    checkpoint: int = Field(description="The session's change sequence number after this batch")


class ChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    actor: str
    counter: int
    op: Literal["set", "delete"]
    path: str
    value: JsonValue = None
    accepted_at: datetime


class ChangesPage(BaseModel):
    data: list[ChangeOut]
    checkpoint: int = Field(description="Pass as `since` next time")
    vector_clock: dict[str, int]
    has_more: bool


class WorkerSubmission(RequestModel):
    """What the API sends the sync worker: the caller, the batch as received, and the request's
    idempotency operation (``apikit.idempotency.IdempotentOperation``), given together or not at all."""

    caller_id: Id
    caller_role: Role = Field(strict=False)  # one of FireMode's roles, by its value
    changes: list[ChangeIn]
    batch_id: Id | None = None
    fingerprint: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _batch_id_with_fingerprint(self) -> Self:
        if (self.batch_id is None) != (self.fingerprint is None):
            raise ValueError("give batch_id and fingerprint together, or neither")
        return self
