"""The catalogue's tables: movements (shared and private), their equipment and disciplines,
circuits, and the versioned scoring configuration."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alloy.database import Base
from apikit.db.base import IdMixin, TimestampMixin, relationship
from apikit.ids import utcnow

SHARED = "shared"  # the scope of the curated catalogue; private movements are scoped to their owner


class Movement(IdMixin, TimestampMixin, Base):
    __tablename__ = "movements"
    __table_args__ = (
        UniqueConstraint("scope", "name_key"),  # names are unique within the catalogue, and per user
        UniqueConstraint("slug"),
        Index(None, "scope", "name", "id"),  # browsing by name
        Index(None, "pattern", "name", "id"),
        Index(None, "substitution_group", "pattern"),
    )

    slug: Mapped[str] = mapped_column(String(96))
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))  # case-folded name, for uniqueness
    scope: Mapped[str] = mapped_column(String(40), default=SHARED)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    pattern: Mapped[str] = mapped_column(String(24))
    primary_muscle: Mapped[str] = mapped_column(String(24))
    secondary_muscles: Mapped[list[Any]] = mapped_column(default=list)
    compound: Mapped[bool]
    unilateral: Mapped[bool]
    skill_level: Mapped[int] = mapped_column(Integer)
    cns_load: Mapped[int] = mapped_column(Integer)
    metric_type: Mapped[str] = mapped_column(String(12))
    # The coaching facts (alloy.catalogue.coaching). Nullable in the schema only because a migration
    # adds them before the after-migrate step fills them; every row has a tier once it has run.
    tier: Mapped[str] = mapped_column(String(12), nullable=True)
    rep_min: Mapped[int | None] = mapped_column(Integer, default=None)
    rep_max: Mapped[int | None] = mapped_column(Integer, default=None)
    plate_increment_kg: Mapped[float | None] = mapped_column(default=None)
    plate_increment_lb: Mapped[float | None] = mapped_column(default=None)
    substitution_group: Mapped[str] = mapped_column(String(80))
    progression_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("movements.id"), default=None)
    regression_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("movements.id"), default=None)
    description: Mapped[str] = mapped_column(String(400), default="")

    equipment_rows: Mapped[list[MovementEquipment]] = relationship(
        cascade="all, delete-orphan", order_by="MovementEquipment.position"
    )
    discipline_rows: Mapped[list[MovementDiscipline]] = relationship(
        cascade="all, delete-orphan", order_by="MovementDiscipline.position"
    )

    @property
    def equipment(self) -> list[str]:
        return [row.equipment for row in self.equipment_rows]

    @property
    def disciplines(self) -> list[str]:
        return [row.discipline for row in self.discipline_rows]


class MovementEquipment(Base):
    """One piece of equipment a movement needs (a table, so filters use an index)."""

    __tablename__ = "movement_equipment"
    __table_args__ = (Index(None, "equipment", "movement_id"),)

    movement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("movements.id", ondelete="CASCADE"), primary_key=True
    )
    equipment: Mapped[str] = mapped_column(String(24), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class MovementDiscipline(Base):
    __tablename__ = "movement_disciplines"
    __table_args__ = (Index(None, "discipline", "movement_id"),)

    movement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("movements.id", ondelete="CASCADE"), primary_key=True
    )
    discipline: Mapped[str] = mapped_column(String(24), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Circuit(IdMixin, TimestampMixin, Base):
    __tablename__ = "circuits"
    __table_args__ = (
        UniqueConstraint("slug"),
        UniqueConstraint("name_key"),
        Index(None, "name", "id"),
        Index(None, "circuit_type", "name", "id"),
    )

    slug: Mapped[str] = mapped_column(String(96))
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))
    circuit_type: Mapped[str] = mapped_column(String(24))
    rounds: Mapped[int | None] = mapped_column(Integer, default=None)
    time_cap_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    duration_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    # [{movement_id, reps | rep_scheme | distance_m | seconds | calories, load?}] in order
    movements: Mapped[list[Any]] = mapped_column(default=list)
    difficulty: Mapped[int] = mapped_column(Integer)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(String(600), default="")


class ScoringConfig(Base):
    """Every version of the scoring configuration; the highest version is in force."""

    __tablename__ = "scoring_configs"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    weights: Mapped[dict[str, Any]]
    qualifying_score: Mapped[float]
    note: Mapped[str | None] = mapped_column(String(400), default=None)
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
