"""Alloy's identity tables: its users (columns from the kit, plus preferences and TOTP), and the
kit's others."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String, text
from sqlalchemy.orm import Mapped, mapped_column

from alloy.database import Base
from apikit.auth.models import UserColumns, identity_tables


class User(UserColumns, Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(120))
    units: Mapped[str] = mapped_column(String(2), default="kg")
    e1rm_formula: Mapped[str] = mapped_column(String(16), default="epley")
    equipment: Mapped[list[Any]] = mapped_column(default=list)
    # The training profile: what load targets and adaptation read (regions: catalogue.regions).
    bodyweight_kg: Mapped[float | None] = mapped_column(Float, default=None)
    experience: Mapped[str | None] = mapped_column(String(12), default=None)
    avoid_regions: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'"))
    # TOTP secret, encrypted with a key derived from the service secret; kept from setup on.
    totp_secret: Mapped[str | None] = mapped_column(String(255), default=None)
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # The last time step a code was accepted for: a code is good once (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(default=None)


IDENTITY_MODELS = identity_tables(Base, User)
RefreshToken = IDENTITY_MODELS.refresh_token
RevokedToken = IDENTITY_MODELS.revoked_token
SecurityEvent = IDENTITY_MODELS.security_event
