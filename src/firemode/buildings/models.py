from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apikit.db.base import IdMixin, TimestampMixin
from firemode.database import Base


class Building(IdMixin, TimestampMixin, Base):
    __tablename__ = "buildings"
    __table_args__ = (
        UniqueConstraint("name", "address"),  # the same building twice is a 409
        Index(None, "created_at", "id"),  # the list's keyset
    )

    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    building_type: Mapped[str | None] = mapped_column(String(100), default=None)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
