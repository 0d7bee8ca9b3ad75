from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from apikit.db.base import IdMixin, TimestampMixin
from firemode.database import Base

SIGNER_MAX = 200


class ComplianceReport(IdMixin, TimestampMixin, Base):
    """A building's compliance over a period. A draft is worked out afresh on every read (late
    syncs still land in it); finalising stores its content, signed and hashed, for good: part of
    the seven-year record set, never changed or deleted afterwards."""

    __tablename__ = "compliance_reports"
    __table_args__ = (Index(None, "building_id", "created_at", "id"),)  # a building's reports, newest first

    building_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("buildings.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="draft")  # draft | final
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # Set together, once, by finalising:
    content: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    content_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    signed_by_name: Mapped[str | None] = mapped_column(String(SIGNER_MAX), default=None)
    finalised_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    finalised_at: Mapped[datetime | None] = mapped_column(default=None)
