from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apikit.db.base import IdMixin, TimestampMixin, relationship
from firemode.database import Base

TAG_MAX = 64
LOCATION_MAX = 200


def _bytewise(length: int) -> String:
    """Text that sorts by code point on both databases ("C" on PostgreSQL; SQLite's default), so
    a list ordered by it pages the same everywhere."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def search_key(text: str) -> str:
    """What ``q`` is matched against: the text casefolded in Python, so matching ignores case
    alike on both databases (SQLite's ``lower`` and ``LIKE`` fold ASCII only)."""
    return text.casefold()


class Asset(IdMixin, TimestampMixin, Base):
    """One item of fire equipment in a building. Never deleted: decommissioning keeps its history."""

    __tablename__ = "assets"
    __table_args__ = (
        # The tag on the equipment names it within its building; also the list's keyset (tag, id).
        UniqueConstraint("building_id", "tag"),
        Index(None, "building_id", "asset_type", "tag"),  # the register filtered by type
        Index(None, "building_id", "status", "tag"),  # ... by status (the active assets)
    )

    building_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("buildings.id"))
    tag: Mapped[str] = mapped_column(_bytewise(TAG_MAX))
    asset_type: Mapped[str] = mapped_column(String(32))
    location: Mapped[str] = mapped_column(String(LOCATION_MAX))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    installed_on: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | decommissioned
    decommissioned_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # search_key(tag), search_key(location): what ``q`` matches (casefolding may lengthen text).
    tag_key: Mapped[str] = mapped_column(String(3 * TAG_MAX))
    location_key: Mapped[str] = mapped_column(String(3 * LOCATION_MAX))

    baseline: Mapped[AssetBaseline | None] = relationship(uselist=False)


class AssetBaseline(TimestampMixin, Base):
    """A stair-pressurisation system's commissioning baseline, one per asset (a PUT replaces it);
    readings in a session are compared with it at completion."""

    __tablename__ = "asset_baselines"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id"), primary_key=True)
    pressure_pa: Mapped[float] = mapped_column(Float)
    door_opening_force_n: Mapped[float] = mapped_column(Float)
    air_velocity_ms: Mapped[float] = mapped_column(Float)
    set_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
