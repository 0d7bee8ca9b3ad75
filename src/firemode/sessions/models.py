from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from apikit.db.base import TimestampMixin
from apikit.ids import utcnow
from firemode.database import Base


class TestSession(TimestampMixin, Base):
    """A test session and its merged results document (the change log is in ``session_changes``)."""

    __tablename__ = "test_sessions"
    __test__ = False  # not a pytest test class, whatever its name
    __table_args__ = (
        Index(None, "created_at", "id"),  # newest first, for supervisors and admins
        Index(None, "status", "created_at", "id"),  # the same, filtered by status
        Index(None, "building_id"),
    )

    # Chosen by the client (offline devices) or made by the server; UUIDv7 either way when ours.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    building_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("buildings.id"), default=None)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    document: Mapped[dict[str, Any]] = mapped_column(default=dict)
    document_bytes: Mapped[int] = mapped_column(Integer, default=2)
    vector_clock: Mapped[dict[str, Any]] = mapped_column(default=dict)
    change_count: Mapped[int] = mapped_column(Integer, default=0)
    # The sequence number of the last change accepted: what devices pull from.
    checkpoint: Mapped[int] = mapped_column(BigInteger, default=0)
    # The greatest (counter, actor) applied, so a batch that sorts after it is applied in place.
    last_counter: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_actor: Mapped[str | None] = mapped_column(String(64), default=None)


class SessionParticipant(Base):
    __tablename__ = "session_participants"
    __table_args__ = (Index(None, "user_id", "session_id"),)  # "sessions I take part in"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("test_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
