"""The identity tables. Each service declares its ``users`` table from :class:`UserColumns` with
columns of its own, and the three others, the same everywhere, with :func:`identity_tables`: all
four in the service's own metadata and database, so the kit's identity code works on both."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from apikit.db.base import IdMixin, TimestampMixin
from apikit.ids import utcnow


class UserColumns(IdMixin, TimestampMixin):
    """``users``: email is stored lower-cased, so uniqueness is case-insensitive."""

    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Every token issued before this instant is revoked (password change, disabled, role change).
    tokens_valid_after: Mapped[datetime | None] = mapped_column(default=None, index=True)


class _BelongsToUser:
    @declared_attr
    def user_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class RefreshTokenColumns(IdMixin, _BelongsToUser):
    """``refresh_tokens``: opaque tokens, stored as SHA-256, rotated on every use.

    All tokens descending from one login share a ``family_id``; presenting a used one revokes the
    family (a stolen token and its legitimate twin can no longer both be used).
    """

    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class RevokedTokenColumns(_BelongsToUser):
    """``revoked_tokens``: access tokens revoked before their expiry (logout)."""

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SecurityEventColumns(IdMixin):
    """``security_events``: the audit log (logins, logouts, token reuse, role and 2FA changes …)."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    event: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    request_id: Mapped[str | None] = mapped_column(String(128), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        # The audit list pages newest first, optionally by user or event: each has its index.
        return (
            Index(None, "created_at", "id"),
            Index(None, "user_id", "created_at", "id"),
            Index(None, "event", "created_at", "id"),
        )


@dataclass(frozen=True)
class IdentityModels:
    """A service's four identity table classes, as the kit's identity code uses them."""

    user: Any
    refresh_token: Any
    revoked_token: Any
    security_event: Any


def identity_tables(base: type[DeclarativeBase], user: type[UserColumns]) -> IdentityModels:
    """``user`` with ``refresh_tokens``, ``revoked_tokens`` and ``security_events`` declared on the
    service's ``base``."""

    def table(columns: type, name: str, tablename: str) -> type:
        return type(name, (columns, base), {"__tablename__": tablename, "__module__": user.__module__})

    return IdentityModels(
        user=user,
        refresh_token=table(RefreshTokenColumns, "RefreshToken", "refresh_tokens"),
        revoked_token=table(RevokedTokenColumns, "RevokedToken", "revoked_tokens"),
        security_event=table(SecurityEventColumns, "SecurityEvent", "security_events"),
    )
