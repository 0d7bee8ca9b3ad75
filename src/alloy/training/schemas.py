"""What the workout-log and progress endpoints take and promise.

Limits the schema can state are 422 ``VAL_<FIELD>`` from request validation (51 entries →
``VAL_ENTRIES``, 21 sets → ``VAL_SETS``, reps 101 → ``VAL_REPS``). The load limit is 0–1000 kg
whatever the unit, so the schema states its widest form (in lb) and the service checks the kg.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from apikit.schemas import Id, IsoTimestamp, RequestModel

MAX_ENTRIES = 50
MAX_SETS = 20
MAX_LOAD_KG = 1000
MAX_LOAD_LB = 2204.62  # 1000 kg, rounded down to 0.01 lb
MAX_REPS = 100

Unit = Literal["kg", "lb"]
RecordKind = Literal["best_e1rm", "heaviest_load", "best_reps_at_load"]


class SetIn(RequestModel):
    reps: int | None = Field(default=None, ge=0, le=MAX_REPS)
    load: float | None = Field(
        default=None, ge=0, le=MAX_LOAD_LB, description=f"0–{MAX_LOAD_KG} kg, in `unit`"
    )
    unit: Unit | None = Field(default=None, description="kg or lb; defaults to the units on your profile")
    duration_seconds: int | None = Field(default=None, ge=1, le=86_400)
    distance_m: int | None = Field(default=None, ge=1, le=1_000_000)
    rpe: float | None = Field(default=None, ge=1, le=10, multiple_of=0.5, description="1–10 in halves")
    rir: int | None = Field(default=None, ge=0, le=10, description="Reps in reserve (give rpe or rir)")
    completed: bool = True

    @model_validator(mode="after")
    def _measured(self) -> Self:
        if self.reps is None and self.duration_seconds is None and self.distance_m is None:
            raise ValueError("a set needs reps, duration_seconds or distance_m")
        if self.rpe is not None and self.rir is not None:
            raise ValueError("give rpe or rir, not both")
        return self


class EntryIn(RequestModel):
    movement_id: Id
    exercise_id: Id | None = Field(default=None, description="The planned exercise this entry performs")
    sets: list[SetIn] = Field(min_length=1, max_length=MAX_SETS)


class LogBody(RequestModel):
    performed_at: IsoTimestamp | None = Field(
        default=None, description="Defaults to now; at most a day ahead"
    )
    duration_minutes: int | None = Field(default=None, ge=1, le=1440)
    perceived_effort: int | None = Field(default=None, ge=1, le=10)
    notes: str = Field(default="", max_length=2000)
    entries: list[EntryIn] = Field(min_length=1, max_length=MAX_ENTRIES)


class LogCreateRequest(LogBody):
    session_id: Id | None = Field(default=None, description="The planned session performed (it completes)")


class LogReplaceRequest(LogBody):
    """Everything but the session: a log stays with the session it was made for."""


class SetOut(BaseModel):
    reps: int | None
    load: float | None = Field(description="In `unit` (your profile's), to 0.01")
    unit: Unit
    duration_seconds: int | None
    distance_m: int | None
    rpe: float | None
    rir: int | None
    completed: bool
    e1rm: float | None = Field(description="Estimated one-rep max by your formula, in `unit`")


class EntryOut(BaseModel):
    movement_id: uuid.UUID
    exercise_id: uuid.UUID | None
    sets: list[SetOut]


class RecordOut(BaseModel):
    movement_id: uuid.UUID
    record: RecordKind
    load: float
    reps: int
    e1rm: float | None
    unit: Unit


class LogOut(BaseModel):
    log_id: uuid.UUID
    session_id: uuid.UUID | None
    performed_at: datetime
    duration_minutes: int | None
    perceived_effort: int | None
    notes: str
    entries: list[EntryOut]
    personal_records: list[RecordOut] = Field(description="The records this log set when it was performed")
    created_at: datetime
    updated_at: datetime


class TopSet(BaseModel):
    load: float
    reps: int
    rpe: float | None


class ProgressDay(BaseModel):
    date: date
    best_e1rm: float | None
    top_set: TopSet | None = Field(description="The day's heaviest completed set")
    volume: float = Field(description="Σ load × reps of the completed sets, in `unit`")


class RepsAtLoad(BaseModel):
    load: float
    reps: int
    performed_at: datetime
    log_id: uuid.UUID


class RecordHolder(BaseModel):
    value: float
    load: float
    reps: int
    performed_at: datetime
    log_id: uuid.UUID


class Records(BaseModel):
    best_e1rm: RecordHolder | None
    heaviest_load: RecordHolder | None
    best_reps_at_load: list[RepsAtLoad] = Field(
        description="Most reps at each load that no heavier load matched, heaviest first"
    )


class MovementProgress(BaseModel):
    movement_id: uuid.UUID
    unit: Unit
    formula: str
    days: list[ProgressDay]
    records: Records = Field(description="All-time, whatever the window")


class Tally(BaseModel):
    sets: int
    volume: float


class WeekSummary(BaseModel):
    week_start: date = Field(description="Monday (UTC)")
    by_pattern: dict[str, Tally]
    by_primary_muscle: dict[str, Tally]
    sessions_planned: int = Field(description="Sessions of the active program scheduled that week")
    sessions_completed: int
    adherence: float | None = Field(description="completed ÷ planned, to 0.01; null with none planned")
    personal_records: int = Field(description="Records set by that week's logs")


class ProgressSummary(BaseModel):
    unit: Unit
    program_id: uuid.UUID | None = Field(description="The active program adherence is counted against")
    weeks: list[WeekSummary]
