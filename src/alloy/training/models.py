"""Workout logs and their sets.

A log's entries are not a table of their own: each set row carries its entry's position, movement
and planned exercise, so a log is two multi-row writes and one read. Sets also carry the owner and
the log's ``performed_at`` (rewritten with the log), so progress and records read one index, and
their e1RM under each formula (a pure function of the set), so the best estimate is a ``max``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alloy.database import Base
from apikit.db.base import IdMixin, TimestampMixin, relationship


class WorkoutLog(IdMixin, TimestampMixin, Base):
    __tablename__ = "workout_logs"
    __table_args__ = (
        Index(None, "user_id", "performed_at", "id"),  # the caller's logs, newest first
        UniqueConstraint("session_id"),  # one log per planned session, decided by the database
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # A deleted program leaves its logs, as ad-hoc ones: what was lifted stays lifted.
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="SET NULL"), default=None
    )
    performed_at: Mapped[datetime]
    duration_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    perceived_effort: Mapped[int | None] = mapped_column(Integer, default=None)
    notes: Mapped[str] = mapped_column(String(2000), default="")

    sets: Mapped[list[WorkoutSet]] = relationship(
        order_by="(WorkoutSet.entry_position, WorkoutSet.position)", viewonly=True
    )


class WorkoutSet(IdMixin, Base):
    __tablename__ = "workout_sets"
    __table_args__ = (
        Index(None, "log_id", "entry_position", "position"),
        # A movement's history, by time, with every column progress, records and load targets
        # read, so years of logs are read from the index alone.
        Index(
            "ix_workout_sets_history",
            "user_id",
            "movement_id",
            "performed_at",
            "log_id",
            "entry_position",
            "position",
            "performed_on",
            "load_kg",
            "reps",
            "rpe",
            "completed",
            "e1rm_epley",
            "e1rm_brzycki",
            "e1rm_lombardi",
            "e1rm_oconner",
        ),
        Index(None, "exercise_id"),  # a deleted program's exercises unlink their sets
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workout_logs.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    performed_at: Mapped[datetime]
    performed_on: Mapped[date] = mapped_column(Date)  # performed_at's day (UTC): progress's days
    entry_position: Mapped[int] = mapped_column(Integer)
    movement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("movements.id"))
    exercise_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("session_exercises.id", ondelete="SET NULL"), default=None
    )
    position: Mapped[int] = mapped_column(Integer)
    reps: Mapped[int | None] = mapped_column(Integer, default=None)
    load_kg: Mapped[float | None] = mapped_column(Float, default=None)
    duration_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    distance_m: Mapped[int | None] = mapped_column(Integer, default=None)
    rpe: Mapped[float | None] = mapped_column(Float, default=None)
    rir: Mapped[int | None] = mapped_column(Integer, default=None)
    completed: Mapped[bool] = mapped_column(Boolean, default=True)
    # alloy.training.e1rm.set_e1rm under each formula, in kg; None where no estimate applies.
    e1rm_epley: Mapped[float | None] = mapped_column(Float, default=None)
    e1rm_brzycki: Mapped[float | None] = mapped_column(Float, default=None)
    e1rm_lombardi: Mapped[float | None] = mapped_column(Float, default=None)
    e1rm_oconner: Mapped[float | None] = mapped_column(Float, default=None)


class MovementBest(Base):
    """A lifter's best at each load of a movement, over all their counted sets (completed, loaded,
    at least one rep): the most reps, and the best e1RM under each formula. Kept with every log
    (raised on create, rebuilt from the sets on replace and delete), so the records a new log sets
    read a few rows instead of years of sets."""

    __tablename__ = "movement_bests"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    movement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("movements.id"), primary_key=True)
    load_kg: Mapped[float] = mapped_column(Float, primary_key=True)
    reps: Mapped[int] = mapped_column(Integer)
    e1rm_epley: Mapped[float | None] = mapped_column(Float, default=None)
    e1rm_brzycki: Mapped[float | None] = mapped_column(Float, default=None)
    e1rm_lombardi: Mapped[float | None] = mapped_column(Float, default=None)
    e1rm_oconner: Mapped[float | None] = mapped_column(Float, default=None)


TRAINING_MODELS = (WorkoutLog, WorkoutSet, MovementBest)
