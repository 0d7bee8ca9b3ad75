"""What FireMode's identity endpoints promise (the token response and the refresh request are the kit's)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from apikit.schemas import ActiveFlagUpdate, RequestModel
from firemode.identity.roles import Role

ManagedRole = Literal["technician", "supervisor"]  # admins are made with `firemode users create`


class UserResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: uuid.UUID = Field(validation_alias="id")
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
