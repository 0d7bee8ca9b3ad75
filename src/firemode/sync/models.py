from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apikit.db.base import IdMixin
from apikit.db.types import JSONType
from apikit.idempotency import IdempotencyKeyColumns
from apikit.ids import utcnow
from firemode.database import Base


class SessionChange(Base):
    """The change log: every accepted change, numbered per session in arrival order (``seq``)."""

    __tablename__ = "session_changes"
    __table_args__ = (
        # A change's identity; the index also serves duplicate lookups by (actor, counter).
        UniqueConstraint("session_id", "actor", "counter"),
        # An early batch reads the changes at and under a few paths (see engine.Rebuild).
        Index(None, "session_id", "path"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("test_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # pulls read (session_id, seq > n)
    actor: Mapped[str] = mapped_column(String(64))
    counter: Mapped[int] = mapped_column(BigInteger)
    op: Mapped[str] = mapped_column(String(8))
    # Byte order on both databases ("C" on PostgreSQL; SQLite's default), so the paths under
    # ``/a`` are the range ["/a/", "/a0"): "0" is the character after "/".
    path: Mapped[str] = mapped_column(String(4096).with_variant(String(4096, collation="C"), "postgresql"))
    value: Mapped[Any] = mapped_column(JSONType, nullable=True, default=None)
    submitted_by: Mapped[uuid.UUID] = mapped_column()
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(IdempotencyKeyColumns, Base):
    __tablename__ = "idempotency_keys"


class AppliedBatch(IdMixin, Base):
    """A batch the sync worker merged for an idempotency key, with the answer it gave.

    Written in the merge's transaction, so a batch is applied and recorded together or not at all;
    a retry of the key (after the API gave up on a slow worker that still committed) finds it and
    gets that answer back instead of a second application. Kept as long as the key (24 hours);
    expired rows may be purged by ``expires_at``.
    """

    __tablename__ = "applied_batches"
    __table_args__ = (UniqueConstraint("batch_id"), Index(None, "expires_at"))

    batch_id: Mapped[uuid.UUID]  # IdempotentOperation.id: derived from the caller and the key
    session_id: Mapped[uuid.UUID]
    fingerprint: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
