"""What FireMode's identity endpoints promise."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, EmailStr, Field

from apikit.schemas import ActiveFlagUpdate, RequestModel
from firemode.identity.roles import Role

ManagedRole = Literal["technician", "supervisor"]  # admins are made with `firemode users create`


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str


class RefreshRequest(RequestModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class UserResponse(BaseModel):
    user_id: uuid.UUID
    email: str
    full_name: str | None
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime


class UserCreateRequest(RequestModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=128)
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: ManagedRole = "technician"


class UserUpdateRequest(ActiveFlagUpdate):
    role: ManagedRole | None = None
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
