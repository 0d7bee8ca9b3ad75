from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from apikit.db.base import IdMixin, TimestampMixin
from firemode.database import Base


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
    condition: Mapped[str | None] = mapped_column(String(64), default=None)
    # critical | non_critical | non_conformance; None until the classification rules decide it
    severity: Mapped[str | None] = mapped_column(String(16), default=None)
    description: Mapped[str] = mapped_column(String(2000))
    evidence_ids: Mapped[list[Any]] = mapped_column(default=list)  # evidence ids, as text
    status: Mapped[str] = mapped_column(String(24), default="open")
    rule_version: Mapped[int | None] = mapped_column(Integer, default=None)  # the rules that classified it
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    opened_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
