"""FireMode's identity tables: its users (columns from the kit, and a name), and the kit's others."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from apikit.auth.models import UserColumns, identity_tables
from firemode.database import Base


class User(UserColumns, Base):
    __tablename__ = "users"

    full_name: Mapped[str | None] = mapped_column(String(200), default=None)


IDENTITY_MODELS = identity_tables(Base, User)
RefreshToken = IDENTITY_MODELS.refresh_token
RevokedToken = IDENTITY_MODELS.revoked_token
SecurityEvent = IDENTITY_MODELS.security_event
