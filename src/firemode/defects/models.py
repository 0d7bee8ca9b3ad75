from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from apikit.db.base import IdMixin, TimestampMixin, relationship
from apikit.ids import utcnow
from firemode.database import Base

DESCRIPTION_MAX = 2000
NOTE_MAX = 2000
CONDITION_MAX = 64
SOURCE_MAX = 400


class Defect(IdMixin, TimestampMixin, Base):
    """A fault found on an asset. Kept for good (the seven-year record set): it is closed, never
    deleted."""

    __tablename__ = "defects"
    __table_args__ = (
        Index(None, "created_at", "id"),  # the list, newest first
        Index(None, "building_id", "created_at", "id"),  # ... of one building
        Index(None, "asset_id", "status"),  # an asset's open defects (the offline bundle)
        Index(None, "status", "due_at"),  # what is overdue
    )

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id"))
    building_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("buildings.id"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("test_sessions.id"), default=None)
    condition: Mapped[str | None] = mapped_column(String(CONDITION_MAX), default=None)
    # critical | non_critical | non_conformance; None: unclassified, which only completion opens
    severity: Mapped[str | None] = mapped_column(String(16), default=None)
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX))
    evidence_ids: Mapped[list[Any]] = mapped_column(default=list)  # evidence ids, as text
    status: Mapped[str] = mapped_column(String(24), default="open")
    rule_version: Mapped[int | None] = mapped_column(Integer, default=None)  # the rules that classified it
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    opened_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))

    transitions: Mapped[list[DefectTransition]] = relationship(
        order_by=lambda: (DefectTransition.created_at, DefectTransition.id)
    )


class DefectTransition(IdMixin, Base):
    """One move of a defect's lifecycle: who, when, from what to what, and why. Never changed."""

    __tablename__ = "defect_transitions"
    __table_args__ = (Index(None, "defect_id", "created_at", "id"),)  # a defect's history, in order

    defect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("defects.id"))
    from_status: Mapped[str] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX), default=None)
    transitioned_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassificationRuleVersion(Base):
    """One version of the classification rules; a change is a new version, and a defect keeps the
    version that classified it."""

    __tablename__ = "classification_rule_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    note: Mapped[str | None] = mapped_column(String(400), default=None)
    # None: a shipped version, not an admin's
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassificationRule(Base):
    """The severity a condition of an asset type has, in one version; one row each, so a
    classification is one primary-key lookup."""

    __tablename__ = "classification_rules"

    version: Mapped[int] = mapped_column(ForeignKey("classification_rule_versions.version"), primary_key=True)
    asset_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    condition: Mapped[str] = mapped_column(String(CONDITION_MAX), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(SOURCE_MAX), default=None)  # where it comes from
