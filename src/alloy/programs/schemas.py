"""What the program and session endpoints take and promise.

Ranges the spec gives with their own error codes (8–12 weeks → ``VAL_DURATION_WEEKS`` with
``{field, min, max, actual}``, goal weights summing to 10, …) are checked by the service and
answered 400 with details; the schema still states them for clients. Wrong JSON types are 422.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AliasPath, BaseModel, BeforeValidator, ConfigDict, Field

from alloy.catalogue.vocabulary import Discipline, Equipment
from alloy.generator.model import Goal, ProgressionStyle, SplitTemplate
from apikit.schemas import Day, Extended, Id, Lax, RequestModel

DURATION_WEEKS = (8, 12)
DAYS_PER_WEEK = (2, 7)
SESSION_MINUTES = (15, 180)
DELOAD_EVERY = (2, 8)
GOAL_WEIGHT_TOTAL = 10


def _range(low: int, high: int) -> dict[str, Any]:
    return {"json_schema_extra": {"minimum": low, "maximum": high}}


class GoalIn(RequestModel):
    goal: Annotated[Goal, Lax]
    weight: int = Field(description="1–10; the weights of a program's goals sum to 10", **_range(1, 10))


class DisciplineIn(RequestModel):
    discipline: Annotated[Discipline, Lax]
    weight: int = Field(**_range(0, 10))


class MovementRuleIn(RequestModel):
    movement_id: Id
    rule: Literal["hard_no", "hard_yes", "preferred"]


class ProgramCreateRequest(RequestModel):
    name: str = Field(min_length=1, max_length=120)
    goals: list[GoalIn] = Field(description="1–3 distinct goals, weights summing to 10")
    duration_weeks: int | None = Field(
        default=None, description="8–12; may be left out when end_date is given", **_range(*DURATION_WEEKS)
    )
    start_date: Day
    end_date: Day | None = Field(default=None, description="After start_date; must agree with duration_weeks")
    split_template: Annotated[SplitTemplate, Lax] | None = Field(
        default=None, description="Chosen from days_per_week (and the goals) when left out"
    )
    days_per_week: int = Field(**_range(*DAYS_PER_WEEK))
    max_session_minutes: int = Field(default=60, **_range(*SESSION_MINUTES))
    disciplines: list[DisciplineIn] = Field(default_factory=list, max_length=len(Discipline))
    equipment: list[Annotated[Equipment, Lax]] | None = Field(
        default=None, max_length=len(Equipment), description="Defaults to the equipment on your profile"
    )
    movement_rules: list[MovementRuleIn] = Field(default_factory=list, max_length=50)
    deload_every_n_weeks: int = Field(default=4, **_range(*DELOAD_EVERY))
    progression_style: Annotated[ProgressionStyle, Lax] = ProgressionStyle.DOUBLE
    notes: str = Field(default="", max_length=2000)


class ProgramUpdateRequest(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    notes: str | None = Field(default=None, max_length=2000)


class GoalOut(BaseModel):
    goal: Goal
    weight: int


class DisciplineOut(BaseModel):
    discipline: str
    weight: int


class MovementRuleOut(BaseModel):
    movement_id: uuid.UUID
    rule: str


class SessionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: uuid.UUID = Field(validation_alias="id")
    day_number: int
    scheduled_date: date
    focus: str
    estimated_minutes: int
    status: str


class WeekOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    week_number: int
    is_deload: bool
    sessions: list[SessionSummary]


class ProgramOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    program_id: uuid.UUID = Field(validation_alias="id")
    name: str
    notes: str
    goals: list[GoalOut]
    duration_weeks: int
    start_date: date
    end_date: date
    split_template: SplitTemplate
    days_per_week: int
    max_session_minutes: int
    disciplines: list[DisciplineOut]
    equipment: list[str]
    movement_rules: list[MovementRuleOut]
    deload_every_n_weeks: int
    progression_style: ProgressionStyle
    avoid_regions: list[str] = Field(description="The regions your profile avoided when it was built")
    scoring_version: int = Field(description="The scoring configuration the sessions were built with")
    is_active: bool
    session_count: int
    created_at: datetime
    updated_at: datetime


class ProgramDetailOut(ProgramOut):
    schedule: list[WeekOut] = Field(validation_alias="weeks")

    @classmethod
    def just_built(cls, program: object, schedule: list[dict[str, Any]]) -> Self:
        """A program as its creation wrote it (``schedule``: each week's row with its sessions'
        rows, in order), the same answer as reading it back."""
        count = sum(len(week["sessions"]) for week in schedule)
        return cls.model_validate(Extended(program, weeks=schedule, session_count=count))


def _name_of(row: Any) -> Any:
    """A movement's or circuit's name, read from the row loaded with the exercise (None: none)."""
    return getattr(row, "name", row)


class ExerciseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    exercise_id: uuid.UUID = Field(validation_alias="id")
    block: str
    position: int
    movement_id: uuid.UUID | None
    movement_name: Annotated[str | None, BeforeValidator(_name_of)] = Field(validation_alias="movement")
    circuit_id: uuid.UUID | None
    circuit_name: Annotated[str | None, BeforeValidator(_name_of)] = Field(validation_alias="circuit")
    sets: int
    reps_min: int | None
    reps_max: int | None
    duration_seconds: int | None
    distance_m: int | None
    target_rpe: float | None
    target_rir: int | None
    rest_seconds: int
    superset_group: str | None
    estimated_seconds: int
    target_load: float | None = Field(
        default=None,
        description="The load to lift, in target_unit (sessions not yet performed; null without history)",
    )
    target_unit: Literal["kg", "lb"] | None = None


class ExerciseExplanation(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    movement_id: uuid.UUID | None
    block: str
    reason: str
    score: float | None = Field(description="The weighted score the movement won its slot with")
    dimensions: dict[str, float] | None = Field(description="Its score on each of the seven dimensions")
    load_rule: Literal["up", "hold", "down", "e1rm", "none"] | None = Field(
        default=None, description="The progression rule behind target_load (sessions not yet performed)"
    )
    load_reason: str | None = Field(default=None, description="Why the target load is what it is, or null")


class SessionExplanation(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    scoring_version: int = Field(validation_alias=AliasPath("program", "scoring_version"))
    relaxations: list[str] = Field(description="The relaxation steps this session needed, in order")
    avoided_regions: list[str] = Field(
        validation_alias=AliasPath("program", "avoid_regions"),
        description="Regions no movement was chosen to load (your profile's); slots they emptied "
        "show as relaxations",
    )
    exercises: list[ExerciseExplanation]


class SessionOut(BaseModel):
    # Read from the row TrainingSessionRepository.detail loads with its program, week and exercises.
    model_config = ConfigDict(from_attributes=True)

    session_id: uuid.UUID = Field(validation_alias="id")
    program_id: uuid.UUID
    week_number: int
    day_number: int
    scheduled_date: date
    focus: str
    main_pattern: str | None
    is_deload: bool = Field(validation_alias=AliasPath("week", "is_deload"))
    estimated_minutes: int
    status: Literal["planned", "completed"]
    completed_at: datetime | None
    notes: str
    exercises: list[ExerciseOut]
    explanation: SessionExplanation
    adapted_at: datetime | None = Field(description="When an adaptation to the day was accepted")
    adaptation: dict[str, Any] | None = Field(
        description="The accepted adaptation: the readiness it used, the minutes available and its changes"
    )

    @classmethod
    def of(cls, row: Any, targets: Mapping[uuid.UUID, Any] | None = None) -> Self:
        """The explanation is the same row read for what the generator decided; ``targets`` (by
        exercise id: ``load``, ``unit``, ``rule``, ``reason``) are the loads computed for it."""
        if targets:
            exercises = [
                Extended(
                    exercise,
                    target_load=target.load,
                    target_unit=target.unit,
                    load_rule=target.rule,
                    load_reason=target.reason,
                )
                if (target := targets.get(exercise.id)) is not None
                else exercise
                for exercise in row.exercises
            ]
            row = Extended(row, exercises=exercises)
        return cls.model_validate(Extended(row, explanation=row))


class ExerciseEdit(RequestModel):
    exercise_id: Id
    movement_id: Id | None = Field(default=None, description="Swap in another movement you can see")
    sets: int | None = Field(default=None, ge=1, le=20)
    reps_min: int | None = Field(default=None, ge=1, le=100)
    reps_max: int | None = Field(default=None, ge=1, le=100)
    duration_seconds: int | None = Field(default=None, ge=5, le=7200)
    rest_seconds: int | None = Field(default=None, ge=0, le=600)
    target_rpe: float | None = Field(default=None, ge=1, le=10, allow_inf_nan=False)


class SessionUpdateRequest(RequestModel):
    scheduled_date: Day | None = None
    notes: str | None = Field(default=None, max_length=2000)
    exercises: list[ExerciseEdit] = Field(default_factory=list, max_length=40)


class SessionCompleteRequest(RequestModel):
    notes: str | None = Field(default=None, max_length=2000)
