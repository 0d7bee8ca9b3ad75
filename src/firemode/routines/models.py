from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from apikit.db.base import relationship
from apikit.ids import utcnow
from firemode.database import Base


class RoutineVersion(Base):
    """One version of the routine table; a change is a new version, the old ones stay readable."""

    __tablename__ = "routine_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    note: Mapped[str | None] = mapped_column(String(400), default=None)
    # None: a shipped version, not an admin's
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    routines: Mapped[list[Routine]] = relationship(order_by="(Routine.asset_type, Routine.interval_months)")


class Routine(Base):
    """A routine service an asset type receives at a frequency, with its tolerance window: a
    service within ``tolerance_days`` either side of its due date is on time. One row per
    (version, asset type, frequency), so the schedule joins assets to routines in SQL."""

    __tablename__ = "routines"

    version: Mapped[int] = mapped_column(ForeignKey("routine_versions.version"), primary_key=True)
    asset_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(24), primary_key=True)
    interval_months: Mapped[int] = mapped_column(Integer)
    tolerance_days: Mapped[int] = mapped_column(Integer)
