"""FireMode's identity tables (columns from the kit)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from apikit.auth.identity import IdentityModels
from apikit.auth.models import RefreshTokenColumns, RevokedTokenColumns, SecurityEventColumns, UserColumns
from firemode.database import Base


class User(UserColumns, Base):
    __tablename__ = "users"

    full_name: Mapped[str | None] = mapped_column(String(200), default=None)


class RefreshToken(RefreshTokenColumns, Base):
    __tablename__ = "refresh_tokens"


class RevokedToken(RevokedTokenColumns, Base):
    __tablename__ = "revoked_tokens"


class SecurityEvent(SecurityEventColumns, Base):
    __tablename__ = "security_events"


IDENTITY_MODELS = IdentityModels(
    user=User, refresh_token=RefreshToken, revoked_token=RevokedToken, security_event=SecurityEvent
)
