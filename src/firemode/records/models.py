from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apikit.db.base import IdMixin
from apikit.ids import utcnow
from firemode.database import Base


class ServiceRecord(IdMixin, Base):
    """What one completed session did to one asset for one routine. Immutable: a correction is a
    new session."""

    __tablename__ = "service_records"
    __table_args__ = (
        UniqueConstraint("session_id", "asset_id", "routine"),  # completing twice writes nothing new
        Index(None, "asset_id", "routine", "performed_at"),  # the schedule's "last done"
        Index(None, "asset_id", "performed_at", "id"),  # an asset's history, newest first
        Index(None, "building_id", "performed_at"),  # a building's records in a report's period
    )

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id"))
    building_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("buildings.id"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("test_sessions.id"))
    routine: Mapped[str] = mapped_column(String(24))  # a frequency: monthly … twenty_five_yearly
    routine_version: Mapped[int] = mapped_column(ForeignKey("routine_versions.version"))  # in force then
    outcome: Mapped[str] = mapped_column(String(16))  # pass | fail | not_tested | no_access
    readings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # numbers by name
    technicians: Mapped[list[Any]] = mapped_column(default=list)  # user ids, as text
    notes: Mapped[str | None] = mapped_column(String(2000), default=None)
    performed_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
