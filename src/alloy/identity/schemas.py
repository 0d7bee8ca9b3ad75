"""What Alloy's identity endpoints promise."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from alloy.catalogue.vocabulary import Equipment
from alloy.identity.roles import Role
from apikit.schemas import ActiveFlagUpdate, Lax, RequestModel

Units = Literal["kg", "lb"]
E1rmFormula = Literal["epley", "brzycki", "lombardi", "oconner"]
# [0-9], not \d: the pattern engine's \d also takes fullwidth, Arabic-Indic … digits.
OtpCode = Annotated[
    str, Field(pattern=r"^[0-9]{6}$", description="The 6 ASCII digits from the authenticator app")
]


class RegisterRequest(RequestModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=120)


class LoginRequest(RequestModel):
    email: str = Field(min_length=1, max_length=320)  # looked up, not validated: any string may fail
    password: str = Field(min_length=1, max_length=128)
    otp: OtpCode | None = None


class RefreshRequest(RequestModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class OtpRequest(RequestModel):
    code: OtpCode


class UserUpdateRequest(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    units: Units | None = None
    e1rm_formula: E1rmFormula | None = None
    equipment: list[Annotated[Equipment, Lax]] | None = Field(default=None, max_length=len(Equipment))


class AdminUserUpdateRequest(ActiveFlagUpdate):
    role: Literal["user", "admin", "super_admin"] | None = None


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int


class UserOut(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    is_active: bool
    units: Units
    e1rm_formula: E1rmFormula
    equipment: list[Equipment]
    two_factor_enabled: bool
    created_at: datetime
    updated_at: datetime


class RegisteredOut(BaseModel):
    user: UserOut
    tokens: TokensOut


class TwoFactorSetupOut(BaseModel):
    secret: str = Field(description="Base32 secret; shown once")
    otpauth_uri: str


class TwoFactorStateOut(BaseModel):
    two_factor_enabled: bool


class SecurityEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: uuid.UUID = Field(validation_alias="id")
    event: str
    created_at: datetime
    user_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    address: str | None
    request_id: str | None
    details: dict[str, Any]
