from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from apikit.db.base import IdMixin
from apikit.ids import utcnow
from firemode.database import Base


class Evidence(IdMixin, Base):
    """One upload: metadata here, bytes in the store under their SHA-256 (stored once)."""

    __tablename__ = "evidence"
    __table_args__ = (
        Index(None, "session_id", "created_at", "id"),  # a session's evidence, newest first
        Index(None, "uploaded_by", "created_at", "id"),
        Index(None, "sha256"),  # "is this blob still referenced?", and the verifier
    )

    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("test_sessions.id"), default=None)
    evidence_type: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(2000), default=None)
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
