"""One readiness check-in per user and day."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alloy.database import Base
from apikit.db.base import IdMixin, TimestampMixin


class Readiness(IdMixin, TimestampMixin, Base):
    __tablename__ = "readiness"
    # One a day (PUT replaces it); its index also serves the caller's list by date.
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date]
    sleep_hours: Mapped[float] = mapped_column(Float)
    energy: Mapped[int] = mapped_column(Integer)
    stress: Mapped[int] = mapped_column(Integer)
    soreness: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {region: 0-5}
    minutes_available: Mapped[int | None] = mapped_column(Integer, default=None)
    score: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(8))
