"""Programs, their weeks, their sessions and each session's exercises; idempotency keys."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from alloy.catalogue.models import Circuit, Movement
from alloy.database import Base
from apikit.db.base import IdMixin, TimestampMixin, relationship
from apikit.idempotency import IdempotencyKeyColumns


class Program(IdMixin, TimestampMixin, Base):
    __tablename__ = "programs"
    __table_args__ = (
        Index(None, "user_id", "created_at", "id"),  # the caller's programs, newest first
        # One active program per user, decided by the database.
        Index(
            "uq_programs_one_active_per_user",
            "user_id",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(String(2000), default="")
    goals: Mapped[list[Any]]  # [{goal, weight}] in the user's order
    duration_weeks: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date]
    end_date: Mapped[date]
    split_template: Mapped[str] = mapped_column(String(16))
    days_per_week: Mapped[int] = mapped_column(Integer)
    max_session_minutes: Mapped[int] = mapped_column(Integer)
    disciplines: Mapped[list[Any]] = mapped_column(default=list)
    equipment: Mapped[list[Any]] = mapped_column(default=list)
    movement_rules: Mapped[list[Any]] = mapped_column(default=list)
    deload_every_n_weeks: Mapped[int] = mapped_column(Integer)
    progression_style: Mapped[str] = mapped_column(String(16))
    # The profile's avoided regions when the program was built: none of its movements loads one.
    avoid_regions: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    scoring_version: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    # Loaded by the program queries (ProgramRepository), never stored.
    session_count: Mapped[int] = query_expression()

    weeks: Mapped[list[ProgramWeek]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ProgramWeek.week_number"
    )


# A session belongs to its program's week by (program_id, week_number): read-only links both ways.
_SAME_WEEK = (
    "and_(ProgramWeek.program_id == foreign(TrainingSession.program_id), "
    "ProgramWeek.week_number == foreign(TrainingSession.week_number))"
)


class ProgramWeek(IdMixin, Base):
    __tablename__ = "program_weeks"
    __table_args__ = (UniqueConstraint("program_id", "week_number"),)

    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    week_number: Mapped[int] = mapped_column(Integer)
    is_deload: Mapped[bool] = mapped_column(Boolean)

    sessions: Mapped[list[TrainingSession]] = relationship(
        primaryjoin=_SAME_WEEK,
        viewonly=True,
        order_by="(TrainingSession.scheduled_date, TrainingSession.id)",
    )


class TrainingSession(IdMixin, TimestampMixin, Base):
    __tablename__ = "training_sessions"
    __table_args__ = (
        Index(None, "program_id", "scheduled_date", "id"),
        Index(None, "user_id", "scheduled_date"),
    )

    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week_number: Mapped[int] = mapped_column(Integer)
    day_number: Mapped[int] = mapped_column(Integer)
    scheduled_date: Mapped[date]
    focus: Mapped[str] = mapped_column(String(32))
    main_pattern: Mapped[str | None] = mapped_column(String(24), default=None)
    estimated_minutes: Mapped[int] = mapped_column(Integer)
    relaxations: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(12), default="planned")
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    notes: Mapped[str] = mapped_column(String(2000), default="")
    # Set when an adaptation was accepted: the readiness it used and the changes it made.
    adapted_at: Mapped[datetime | None] = mapped_column(default=None)
    adaptation: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    program: Mapped[Program] = relationship(viewonly=True)
    week: Mapped[ProgramWeek] = relationship(primaryjoin=_SAME_WEEK, viewonly=True)
    exercises: Mapped[list[SessionExercise]] = relationship(
        viewonly=True, order_by="SessionExercise.position"
    )


class SessionExercise(IdMixin, Base):
    __tablename__ = "session_exercises"
    __table_args__ = (Index(None, "session_id", "position"),)

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    block: Mapped[str] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(Integer)
    movement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("movements.id"), default=None)
    circuit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("circuits.id", ondelete="SET NULL"),
        default=None,  # a deleted circuit leaves its reason
    )
    sets: Mapped[int] = mapped_column(Integer)
    reps_min: Mapped[int | None] = mapped_column(Integer, default=None)
    reps_max: Mapped[int | None] = mapped_column(Integer, default=None)
    duration_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    distance_m: Mapped[int | None] = mapped_column(Integer, default=None)
    target_rpe: Mapped[float | None] = mapped_column(Float, default=None)
    target_rir: Mapped[int | None] = mapped_column(Integer, default=None)
    rest_seconds: Mapped[int] = mapped_column(Integer)
    superset_group: Mapped[str | None] = mapped_column(String(8), default=None)
    estimated_seconds: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float, default=None)
    dimensions: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(String(200), default="")

    movement: Mapped[Movement | None] = relationship(viewonly=True)
    circuit: Mapped[Circuit | None] = relationship(viewonly=True)


class ProgramIdempotencyKey(IdempotencyKeyColumns, Base):
    __tablename__ = "idempotency_keys"
